"""Where raster tasks run: in this process, on a pool of local worker processes, or on a Dask cluster
(``ingestion.cluster.DaskExecutor``, ``--dask``).

A task is a plain picklable dataclass and the function that runs it is a module-level function, so a
distributed engine (Dask, Ray, a batch queue) can run the very same tasks later by implementing this
one-method interface; the loaders never know which executor they were given.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Protocol, Sequence, TypeVar, runtime_checkable

T = TypeVar("T")
R = TypeVar("R")

OnResult = Callable[[int], None]  # called in the calling process with the index of each finished task


@runtime_checkable
class Executor(Protocol):
    """Runs ``fn`` on every task and returns the results in the order of ``tasks``.

    ``fn`` is a module-level function and the tasks plain picklable data; ``on_result(i)`` is called in
    the calling process as task ``i`` finishes (progress bars), in any order.
    """

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], *, on_result: OnResult | None = None) -> list[R]:
        ...


class SerialExecutor:
    """Runs tasks one after the other in the calling process (the default: simplest to debug)."""

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], *, on_result: OnResult | None = None) -> list[R]:
        out = []
        for i, task in enumerate(tasks):
            out.append(fn(task))
            if on_result is not None:
                on_result(i)
        return out

    def __repr__(self) -> str:
        return "SerialExecutor()"


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


class LocalProcessExecutor:
    """Runs tasks on a pool of worker processes (``concurrent.futures``); default min(2, CPUs) workers.

    A pool is started per ``map`` call and shut down after it, so the executor holds no processes
    between loads. With a single task the pool is skipped (nothing to overlap).
    """

    def __init__(self, max_workers: int | None = None):
        if max_workers is not None and max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        self.max_workers = max_workers or default_workers()

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], *, on_result: OnResult | None = None) -> list[R]:
        tasks = list(tasks)
        if len(tasks) <= 1 or self.max_workers == 1:
            return SerialExecutor().map(fn, tasks, on_result=on_result)
        results: list = [None] * len(tasks)
        pool = ProcessPoolExecutor(max_workers=min(self.max_workers, len(tasks)))
        try:
            futures = {pool.submit(fn, task): i for i, task in enumerate(tasks)}
            for future in as_completed(futures):
                i = futures[future]
                results[i] = future.result()
                if on_result is not None:
                    on_result(i)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # a failed task stops the queued ones
            raise
        pool.shutdown(wait=True)
        return results

    def __repr__(self) -> str:
        return f"LocalProcessExecutor(max_workers={self.max_workers})"


def resolve(executor) -> Executor:
    """The executor to use: serial for ``None``; a ``distributed.Client`` is wrapped in a ``DaskExecutor``
    (recognised by its type's module, so that resolving never imports dask)."""
    if executor is None:
        return SerialExecutor()
    if type(executor).__module__.startswith("distributed.") and hasattr(executor, "scheduler_info"):
        from ingestion.cluster import DaskExecutor

        return DaskExecutor(client=executor)
    return executor

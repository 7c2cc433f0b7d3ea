"""Dask's distributed scheduler as an :class:`ingestion.executor.Executor`: ``--dask ADDRESS``.

    --dask local:2                 a LocalCluster of 2 worker processes on this machine (127.0.0.1)
    --dask tcp://127.0.0.1:8786    a running scheduler (``dask scheduler``; workers: ``dask worker ADDRESS``)

What runs where: the loaders hand their raster work to ``ingestion.zonal`` as plain tasks (a
``CoverageTask`` per grid, a ``BandsTask`` per file); :meth:`DaskExecutor.map` submits exactly those
tasks, so the coverage matrices and the zonal statistics are computed on the workers, while finding and
hashing the files, validating the rows against the contracts and the one-transaction swap stay in the
calling process. A task carries file paths and a ``CoverageFile`` reference (a folder of .npy arrays the
worker reads, sized by the boundaries: runs of whole cells and the cut cells), never a raster: a worker
reads its file block of rows by block of rows, so besides its imports (the compiled zonal kernels, about
105 MB once per process) its memory is bounded by one block (``zonal.MAX_CELLS_PER_BLOCK`` float64 cells,
64 MB) with its temporaries plus the coverage. The coverage folder is made under the calling
process's temporary folder (``TMPDIR``): on a cluster of several machines, point ``TMPDIR`` at a shared
file system.

Faults: an address that no scheduler answers raises :class:`ClusterUnreachable` before anything is
read (the command exits with code 4). A worker that dies mid-task is replaced (a ``LocalCluster``'s
nanny restarts it) and Dask runs its tasks again on the workers left, up to its
``distributed.scheduler.allowed-failures`` (3) deaths per task; past that the load fails with one
:class:`ClusterFailed` line before the publishing transaction, so the warehouse is as it was.

This module imports ``dask`` only when an executor is made: nothing else in the project imports it, so a
run without ``--dask`` never loads it.
"""
from __future__ import annotations

import re
from typing import Callable, Sequence, TypeVar

from ingestion.errors import ClusterFailed, ClusterUnreachable, ConfigError
from ingestion.settings import DASK_TASK_RETRIES, dask_timeout

T = TypeVar("T")
R = TypeVar("R")
OnResult = Callable[[int], None]  # as ingestion.executor.OnResult (that module imports this one, not back)

_LOCAL = re.compile(r"local:(\d+)")
_REMOTE = re.compile(r"tcp://[^\s:/]+:\d+")
ADDRESS_HELP = "local:N (a LocalCluster of N worker processes) or tcp://HOST:PORT (a running `dask scheduler`)"


def parse_address(address: str) -> tuple[str, int | str]:
    """``("local", N)`` or ``("tcp", "tcp://host:port")``; a ``ConfigError`` for anything else."""
    text = str(address).strip()
    local = _LOCAL.fullmatch(text)
    if local and int(local.group(1)) >= 1:
        return "local", int(local.group(1))
    if _REMOTE.fullmatch(text):
        return "tcp", text
    raise ConfigError(f"--dask {address!r}: use {ADDRESS_HELP}")


class DaskExecutor:
    """Runs tasks on a Dask cluster and returns their results in the order of the tasks.

    ``DaskExecutor("local:2")`` starts a ``LocalCluster`` of 2 single-threaded worker processes (closed with
    the executor); ``DaskExecutor("tcp://host:port")`` connects to a running scheduler; ``DaskExecutor(
    client=c)`` wraps a ``distributed.Client`` the caller owns. Use it as a context manager (or ``close``).
    """

    def __init__(self, address: str | None = None, *, client=None, timeout: float | None = None,
                 retries: int = DASK_TASK_RETRIES):
        if (address is None) == (client is None):
            raise ValueError("give an address or a client, not both")
        self.retries = int(retries)
        self._cluster = None
        self._owns_client = client is None
        if client is not None:
            self.client, self.address = client, client.scheduler.address
            return
        kind, value = parse_address(address)
        self.address = str(address)
        import logging

        from distributed import Client, LocalCluster

        if kind == "local":
            self._cluster = LocalCluster(n_workers=int(value), threads_per_worker=1, processes=True,
                                         host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR,
                                         # no dashboard; its HTTP routes on a free port, not on 8787
                                         scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"})
            self.client = Client(self._cluster, set_as_default=False)
            return
        seconds = dask_timeout() if timeout is None else float(timeout)
        quiet = logging.getLogger("distributed")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)   # the one line below says it all
        try:
            self.client = Client(value, timeout=seconds, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ClusterUnreachable(
                f"--dask {value}: no Dask scheduler answered within {seconds:g} s ({type(exc).__name__}); start "
                "one (`dask scheduler`, then `dask worker ADDRESS`) or fix the address; nothing was read") from None
        finally:
            quiet.setLevel(level)

    @property
    def n_workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1)["workers"])

    def worker_pids(self) -> dict[str, int]:
        """Process id of each worker, by worker address (the fault tests kill one)."""
        import os

        return self.client.run(os.getpid)

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], *, on_result: OnResult | None = None) -> list[R]:
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        tasks = list(tasks)
        if not tasks:
            return []
        name = getattr(fn, "__name__", None) or getattr(getattr(fn, "func", None), "__name__", "task")
        futures = self.client.map(fn, tasks, pure=False, retries=self.retries)
        position = {future.key: i for i, future in enumerate(futures)}
        results: list = [None] * len(tasks)
        try:
            for future in as_completed(futures, loop=self.client.loop):
                i = position[future.key]
                try:
                    results[i] = future.result()
                except KilledWorker as exc:
                    raise ClusterFailed(
                        f"Dask cluster {self.address}: task {i + 1} of {len(tasks)} ({name}) lost its worker "
                        f"too often ({exc}); nothing was written; check the workers' memory and logs, then run "
                        "again") from None
                if on_result is not None:
                    on_result(i)
        except BaseException:
            self.client.cancel(futures)
            raise
        finally:
            del futures
        return results

    def close(self) -> None:
        if self._owns_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DaskExecutor({self.address!r})"

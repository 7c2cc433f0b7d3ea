"""Chunks of random draws as tasks, seeded per chunk, so that one seed gives the same draws anywhere.

The embarrassingly parallel loops of the estimators (placebo reassignments, the threshold model's
entity bootstrap) cut their ``n_draws`` draws into chunks of a fixed size (``DRAWS_PER_CHUNK`` or the
estimator's own ``chunk`` argument, never derived from the number of workers). Chunk ``i`` of stream
``s`` draws from its own generator,

    numpy.random.default_rng(SeedSequence(entropy=seed, spawn_key=(*s, i)))

-- exactly the ``i``-th child that ``SeedSequence(seed).spawn`` would give (NumPy, "Parallel random number
generation") -- so a chunk's draws depend on the seed and the chunk's index only: serially, on a pool of
processes or on a Dask cluster of 1, 2 or 20 workers the draws are identical, whichever worker runs which
chunk and in which order they finish. Each chunk is a plain picklable task (``DrawChunk``: the
estimator's shared inputs as a dataclass, the chunk's place and seed) run through an
``ingestion.executor.Executor`` by a module-level function.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ingestion.executor import resolve

__all__ = ["DRAWS_PER_CHUNK", "DrawChunk", "draw_chunks", "run_draws"]

DRAWS_PER_CHUNK = 64


@dataclass(frozen=True)
class DrawChunk:
    """Draws ``start .. start + size - 1`` of an estimator: its shared inputs (``design``) and its seed."""

    design: Any
    index: int
    start: int
    size: int
    entropy: int | Sequence[int]
    stream: tuple[int, ...] = ()

    def rng(self) -> np.random.Generator:
        """This chunk's generator: the ``(*stream, index)`` child of ``SeedSequence(entropy)``."""
        return np.random.default_rng(np.random.SeedSequence(self.entropy, spawn_key=(*self.stream, self.index)))


def draw_chunks(design: Any, n_draws: int, seed: int | None, *, chunk_size: int = DRAWS_PER_CHUNK,
                stream: tuple[int, ...] = ()) -> list[DrawChunk]:
    """The chunks of ``n_draws`` draws (``seed`` None: fresh entropy from the operating system)."""
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size}")
    entropy = np.random.SeedSequence(seed).entropy
    return [DrawChunk(design, i, start, min(int(chunk_size), int(n_draws) - start), entropy, tuple(stream))
            for i, start in enumerate(range(0, int(n_draws), int(chunk_size)))]


def run_draws(fn: Callable[[DrawChunk], Any], design: Any, n_draws: int, seed: int | None, *, executor=None,
              chunk_size: int = DRAWS_PER_CHUNK, stream: tuple[int, ...] = (), progress: bool = False,
              desc: str = "draws") -> list:
    """``fn`` on every chunk (on ``executor``: ``None`` serial, an ``Executor`` or a ``distributed.Client``);
    the results in chunk order."""
    from tqdm.auto import tqdm

    chunks = draw_chunks(design, n_draws, seed, chunk_size=chunk_size, stream=stream)
    with tqdm(total=len(chunks), desc=desc, unit="chunk", disable=not progress, leave=False) as bar:
        return resolve(executor).map(fn, chunks, on_result=lambda _i: bar.update(1))

"""Read raster bands ahead on one background thread while the calling thread computes.

A serial load spends its time in three things: reading bands (GDAL: decoding, inflating), the cities'
coverage of each grid (once per grid) and the per-band arithmetic (numpy, and the compiled loops of
``zonal_kernels``, the coverage's among them). GDAL reads, numpy's large-array loops and those kernels
release the GIL, so on a machine with a second core the reads can run while the coverage and the arithmetic
are computed: the load then costs about what its reads cost. ``ReadAhead`` runs the band readers in the order the bands will be summarised, on one
thread, and hands their blocks over through a queue bounded in bytes (``limit_bytes``), so memory
stays bounded by the budget, plus one block, whatever the number of files.

The consumer asks for the blocks of band (task t, band b) in the same order; a band the consumer
abandons (a value check failed, so the rest of its file is skipped, as without read-ahead) is skipped
here too. A reader that raises hands its exception over in place of its next block and the thread
goes on with the next file, exactly as the serial loop would; closing the ``ReadAhead`` stops the
thread and closes the reader it is in (its file with it).
"""
from __future__ import annotations

import sys
import threading
from collections import deque
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

import numpy as np

# Blocks waiting to be summarised, at most (one block more when a single block is larger).
READ_AHEAD_BYTES = 512 * 2**20

# While a computation that holds the GIL runs next to the reading thread, a thread waiting for the GIL
# gets it only after CPython's switch interval, 5 ms by default: the reads, which need it for a moment
# before and after each GDAL call, then make almost no progress. Measured when exactextract computed the
# coverage (C++ that kept the GIL and called back into Python once per polygon): none of 12 PM2.5 bands
# read during a 0.1 s coverage; 5 of them with 0.5 ms, the coverage itself 7% slower. The coverage's
# kernel releases the GIL now; the Python around it and around each band's kernels still holds it.
SHARED_SWITCH_INTERVAL = 0.0005

_END = object()  # a band's last block was handed over


class ReadAhead:
    """Run ``open_band(t, b)`` -- an iterator of blocks (numpy arrays) -- for every (t, b) of ``plan`` in
    order on one thread; ``band(t, b)`` yields that band's blocks to the calling thread."""

    def __init__(self, plan: Sequence[int], open_band: Callable[[int, int], Iterator[np.ndarray]],
                 limit_bytes: int = READ_AHEAD_BYTES):
        self._plan = list(plan)  # plan[t] = number of bands of task t
        self._open_band = open_band
        self._limit = limit_bytes
        self._items: deque = deque()  # ((t, b), block | _END | exception, nbytes)
        self._bytes = 0
        self._cond = threading.Condition()
        self._stop = False
        self._skip_task = -1  # the consumer abandoned this task: read none of its remaining bands
        self._thread = threading.Thread(target=self._run, name="dualcarbon-read-ahead", daemon=True)

    def __enter__(self) -> "ReadAhead":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._items.clear()
            self._bytes = 0
            self._cond.notify_all()
        self._thread.join()

    # ------------------------------------------------------------------------------------ the thread
    def _run(self) -> None:
        for t, n_bands in enumerate(self._plan):
            for b in range(n_bands):
                with self._cond:
                    if self._stop:
                        return
                    if self._skip_task >= t:
                        break
                try:
                    ok = self._read_band(t, b)
                except _Stopped:
                    return
                except _Abandoned:
                    break  # the consumer gave this file up: on to the next one
                if not ok:
                    break  # as the serial loop does: a file whose band failed is not read further

    def _read_band(self, t: int, b: int) -> bool:
        """Hand over band (t, b)'s blocks; False when its reader raised (the exception was handed over)."""
        blocks = None
        try:
            blocks = self._open_band(t, b)
            for block in blocks:
                self._put((t, b), block, getattr(block, "nbytes", 0))
        except (_Stopped, _Abandoned):
            raise
        except BaseException as exc:  # handed to the consumer, raised there in the serial loop's place
            self._put((t, b), exc, 0)
            return False
        finally:
            close = getattr(blocks, "close", None)
            if close is not None:
                close()  # the reader's file is closed now, in this thread
        self._put((t, b), _END, 0)
        return True

    def _put(self, key: tuple[int, int], item, nbytes: int) -> None:
        with self._cond:
            while not self._stop and self._items and self._bytes + nbytes > self._limit:
                self._cond.wait()
            if self._stop:
                raise _Stopped
            if key[0] <= self._skip_task:
                raise _Abandoned
            self._items.append((key, item, nbytes))
            self._bytes += nbytes
            self._cond.notify_all()

    # ---------------------------------------------------------------------------------- the consumer
    def band(self, t: int, b: int) -> Iterator[np.ndarray]:
        """Band (t, b)'s blocks as its reader yields them (its exception raised where it raised)."""
        while True:
            item = self._take((t, b))
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def abandon(self, t: int) -> None:
        """The consumer stopped task ``t`` early: drop what was read of it and read no more of it."""
        with self._cond:
            self._skip_task = max(self._skip_task, t)
            while self._items and self._items[0][0][0] <= t:
                self._bytes -= self._items.popleft()[2]
            self._cond.notify_all()

    def _take(self, key: tuple[int, int]):
        with self._cond:
            while True:
                # drop blocks of bands the consumer has moved past (a band it stopped reading midway)
                while self._items and self._items[0][0] < key:
                    self._bytes -= self._items.popleft()[2]
                    self._cond.notify_all()
                if self._items:
                    if self._items[0][0] != key:
                        raise RuntimeError(f"read-ahead out of order: band {self._items[0][0]} before {key}")
                    found, item, nbytes = self._items.popleft()
                    self._bytes -= nbytes
                    self._cond.notify_all()
                    return item
                if not self._thread.is_alive():
                    raise RuntimeError(f"read-ahead thread ended before band {key}")
                self._cond.wait(0.5)


_SHARING = threading.Lock()
_sharing: list = [0, None]  # blocks inside sharing_the_gil across threads, the interval before the first


@contextmanager
def sharing_the_gil(interval: float = SHARED_SWITCH_INTERVAL):
    """Within the block, CPython hands the GIL to a waiting thread after ``interval`` seconds: for a
    GIL-holding computation that should let the read-ahead thread progress. The interval is process-wide,
    so blocks entered from several threads share it: the first saves the interval, the last restores it
    (restoring per block could leave the short interval behind when the blocks end out of order)."""
    with _SHARING:
        if _sharing[0] == 0:
            _sharing[1] = sys.getswitchinterval()
        _sharing[0] += 1
        sys.setswitchinterval(min(_sharing[1], interval))
    try:
        yield
    finally:
        with _SHARING:
            _sharing[0] -= 1
            if _sharing[0] == 0:
                sys.setswitchinterval(_sharing[1])


class _Stopped(Exception):
    """The ReadAhead was closed: the thread leaves at once."""


class _Abandoned(Exception):
    """The consumer gave up the task being read: the thread moves to the next one."""

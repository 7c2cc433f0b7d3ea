"""Serial loads read bands ahead on one thread (ingestion/read_ahead.py): the same rows and the same
errors as reading in the loop, memory bounded by the byte budget, and no thread or open file left.
The zonal statistics through it, against the loop without it: tests/ingestion/test_zonal.py."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from ingestion.errors import IngestError
from ingestion.read_ahead import ReadAhead

MB = 2**20


class Bands:
    """open_band for a plan: band (t, b) yields ``blocks`` arrays of ``size`` bytes valued t*100+b*10+k;
    records what was opened and closed, and can raise at one band."""

    def __init__(self, blocks=2, size=MB, fail_at=None):
        self.blocks, self.size, self.fail_at = blocks, size, fail_at
        self.opened, self.closed, self.made = [], [], 0

    def __call__(self, t, b):
        self.opened.append((t, b))

        def gen():
            try:
                for k in range(self.blocks):
                    if (t, b, k) == self.fail_at:
                        raise IngestError(f"file{t}", f"band {b}", "truncated", "download it again")
                    self.made += 1
                    yield np.full(self.size // 8, t * 100 + b * 10 + k, dtype=np.float64)
            finally:
                self.closed.append((t, b))
        return gen()


def firsts(blocks):
    return [int(block[0]) for block in blocks]


def test_blocks_come_in_plan_order():
    bands = Bands(blocks=3)
    with ReadAhead([2, 1, 3], bands) as ahead:
        got = [firsts(ahead.band(t, b)) for t, n in enumerate([2, 1, 3]) for b in range(n)]
    assert got == [[t * 100 + b * 10 + k for k in range(3)] for t, n in enumerate([2, 1, 3]) for b in range(n)]
    assert sorted(bands.closed) == sorted(bands.opened)  # every reader closed (its file with it)


def test_memory_is_bounded_by_the_budget():
    """With nobody consuming, the thread stops once the budget is full: 3 blocks of 1 MB waiting and the
    fourth, made, waiting for room; never the whole plan (40 blocks)."""
    bands = Bands(blocks=10, size=MB)
    with ReadAhead([4], bands, limit_bytes=3 * MB) as ahead:
        deadline = time.monotonic() + 10
        while bands.made < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # time enough to make many more, were the budget not kept
        assert bands.made == 4
        assert firsts(ahead.band(0, 0)) == list(range(10))  # consuming frees room: the rest follows
        assert bands.made >= 10


def test_a_reader_error_is_raised_in_its_place_and_the_rest_of_its_file_skipped():
    bands = Bands(blocks=2, fail_at=(0, 1, 1))
    with ReadAhead([3, 2], bands) as ahead:
        assert firsts(ahead.band(0, 0)) == [0, 1]
        band = ahead.band(0, 1)
        assert next(band)[0] == 10
        with pytest.raises(IngestError, match="truncated"):
            list(band)
        ahead.abandon(0)
        assert firsts(ahead.band(1, 0)) == [100, 101]
        assert firsts(ahead.band(1, 1)) == [110, 111]
    assert (0, 2) not in bands.opened  # as the loop without read-ahead: a failed file is not read further


def test_an_abandoned_file_is_dropped_and_the_next_one_comes_whole():
    bands = Bands(blocks=4)
    with ReadAhead([3, 1], bands) as ahead:
        assert next(ahead.band(0, 0))[0] == 0  # one block, then the summary gives the file up (a bad value)
        ahead.abandon(0)
        assert firsts(ahead.band(1, 0)) == [100, 101, 102, 103]


def test_closing_early_stops_the_thread_and_closes_its_reader():
    bands = Bands(blocks=50, size=MB)
    before = threading.active_count()
    with ReadAhead([5], bands, limit_bytes=2 * MB) as ahead:
        next(ahead.band(0, 0))
    assert threading.active_count() == before
    assert bands.closed == bands.opened  # the reader it was in is closed, not left to the collector
    assert bands.made < 50 * 5


def test_the_switch_interval_is_restored_when_threads_leave_out_of_order():
    """Two loads in two threads share the process-wide interval: whichever leaves last restores it."""
    import sys

    from ingestion.read_ahead import SHARED_SWITCH_INTERVAL, sharing_the_gil

    original = sys.getswitchinterval()
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with sharing_the_gil():
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def second():
        a_in.wait(10)
        with sharing_the_gil():
            b_in.set()
            a_out.wait(10)
            seen["after the first left"] = sys.getswitchinterval()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert seen["after the first left"] == SHARED_SWITCH_INTERVAL  # the second still computing
    assert sys.getswitchinterval() == original

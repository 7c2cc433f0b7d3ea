"""The per-band loops of the zonal statistics, compiled (numba): one pass over a block's covered cells.

A coverage keeps each zone's cells as runs of whole cells (fraction 1) and entries for the cells its
boundary crosses (``zonal.Coverage``). Per block of raster rows, ``first_moments`` adds, for every zone,
the coverage weight of its valid cells, their weighted total and their min / max; ``second_moments``
adds the weighted squared deviations from the block's zone means (the exact two-pass standard
deviation; ``zonal.ZoneMoments`` merges blocks). Both read the band's cells where they lie (a run is a
contiguous slice), skip NaN cells (invalid) and release the GIL, so a read-ahead thread keeps reading.

numpy has no primitive for these reductions over runs: gathering each covered cell into an entry
array, masking and bincounting took about ten passes over 16 bytes per covered cell per band. Compiled
once per machine (``cache=True``: about a second, then loaded from ``__pycache__``).
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def first_moments(values, first, run_zone, run_start, run_length, zone, cell, fraction,
                  weight, total, low, high):  # pragma: no cover - compiled; tested through zonal
    """weight[k] += sum_i c_ki m_i, total[k] += sum_i c_ki m_i v_i, low / high[k] = min / max of v_i over
    the valid cells with c_ki > 0; ``values`` is the block (flat, NaN = invalid) whose first cell is
    ``first`` on the grid."""
    for r in range(run_zone.size):
        k = run_zone[r]
        start = run_start[r] - first
        n = 0
        s = 0.0
        lo = low[k]
        hi = high[k]
        for i in range(start, start + run_length[r]):
            v = values[i]
            if v == v:
                n += 1
                s += v
                if v < lo:
                    lo = v
                if v > hi:
                    hi = v
        weight[k] += n
        total[k] += s
        low[k] = lo
        high[k] = hi
    for e in range(zone.size):
        v = values[cell[e] - first]
        if v == v:
            k = zone[e]
            c = fraction[e]
            weight[k] += c
            total[k] += c * v
            if v < low[k]:
                low[k] = v
            if v > high[k]:
                high[k] = v


@njit(nogil=True, cache=True)
def second_moments(values, first, run_zone, run_start, run_length, zone, cell, fraction,
                   mean, m2):  # pragma: no cover - compiled; tested through zonal
    """m2[k] += sum_i c_ki m_i (v_i - mean[k])^2 over the block's valid cells."""
    for r in range(run_zone.size):
        k = run_zone[r]
        start = run_start[r] - first
        centre = mean[k]
        s = 0.0
        for i in range(start, start + run_length[r]):
            v = values[i]
            if v == v:
                d = v - centre
                s += d * d
        m2[k] += s
    for e in range(zone.size):
        v = values[cell[e] - first]
        if v == v:
            k = zone[e]
            d = v - mean[k]
            m2[k] += fraction[e] * d * d


@njit(nogil=True, cache=True)
def any_valid(values) -> bool:  # pragma: no cover - compiled; tested through zonal
    """Whether any cell of the block is valid (not NaN); stops at the first."""
    for i in range(values.size):
        if values[i] == values[i]:
            return True
    return False


def empty_moments(n_zones: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(weight, total, low, high) before any cell."""
    return np.zeros(n_zones), np.zeros(n_zones), np.full(n_zones, np.inf), np.full(n_zones, -np.inf)

"""The zonal statistics' compiled loops (numba): per band, one pass over a block's covered cells; per
grid, the coverage itself (``polygon_cells``, at the end of the module).

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


@njit(inline="always")
def _value(stored, check_nodata, nodata, scale, offset):  # pragma: no cover - compiled
    """A cell's value from its stored number: NaN where it is the nodata value, else float64(stored) *
    scale + offset (the factors skipped when they are 1 and 0, as ``_raster._gdal_values`` does)."""
    if check_nodata and stored == nodata:
        return np.nan
    v = np.float64(stored)
    if scale != 1.0:
        v = v * scale
    if offset != 0.0:
        v = v + offset
    return v


@njit(nogil=True, cache=True)
def first_moments(values, check_nodata, nodata, scale, offset, first, run_zone, run_start, run_length, zone,
                  cell, fraction, weight, total, low, high):  # pragma: no cover - compiled; tested through zonal
    """weight[k] += sum_i c_ki m_i, total[k] += sum_i c_ki m_i v_i, low / high[k] = min / max of v_i over
    the valid cells with c_ki > 0. ``values`` is the block (flat) whose first cell is ``first`` on the
    grid, as stored (``_value``: nodata, scale, offset); a cell is valid when its value is finite."""
    for r in range(run_zone.size):
        k = run_zone[r]
        start = run_start[r] - first
        n = 0
        s = 0.0
        lo = low[k]
        hi = high[k]
        for i in range(start, start + run_length[r]):
            v = _value(values[i], check_nodata, nodata, scale, offset)
            if v - v == 0.0:  # finite: NaN (nodata) and infinities are not
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
    _first_moments_of_entries(values, check_nodata, nodata, scale, offset, first, zone, cell, fraction,
                              weight, total, low, high)


@njit(nogil=True, cache=True)
def first_moments_of_integers(values, check_nodata, nodata, first, run_zone, run_start, run_length, zone, cell,
                              fraction, weight, total, low, high):  # pragma: no cover - compiled
    """``first_moments`` of integers that are the values themselves (no scale, no offset; at most 32
    bits): a run's count, sum, min and max in integers, a loop without branches that the compiler
    vectorises (twice as fast on the 3 arc-second DEM). The same numbers: a run's partial sums are
    integers below 2^53, which float64 adds exactly in any order."""
    top = np.iinfo(values.dtype).max
    bottom = np.iinfo(values.dtype).min
    for r in range(run_zone.size):
        k = run_zone[r]
        start = run_start[r] - first
        n = 0
        s = 0
        lo = top
        hi = bottom
        for i in range(start, start + run_length[r]):
            x = values[i]
            ok = not check_nodata or x != nodata
            n += ok
            s += x if ok else 0
            lo = min(lo, x if ok else top)
            hi = max(hi, x if ok else bottom)
        if n > 0:
            weight[k] += n
            total[k] += float(s)
            low[k] = min(low[k], float(lo))
            high[k] = max(high[k], float(hi))
    _first_moments_of_entries(values, check_nodata, nodata, 1.0, 0.0, first, zone, cell, fraction,
                              weight, total, low, high)


@njit(nogil=True, cache=True)
def _first_moments_of_entries(values, check_nodata, nodata, scale, offset, first, zone, cell, fraction,
                              weight, total, low, high):  # pragma: no cover - compiled
    for e in range(zone.size):
        v = _value(values[cell[e] - first], check_nodata, nodata, scale, offset)
        if v - v == 0.0:
            k = zone[e]
            c = fraction[e]
            weight[k] += c
            total[k] += c * v
            if v < low[k]:
                low[k] = v
            if v > high[k]:
                high[k] = v


@njit(nogil=True, cache=True)
def second_moments(values, check_nodata, nodata, scale, offset, first, run_zone, run_start, run_length, zone,
                   cell, fraction, mean, m2):  # pragma: no cover - compiled; tested through zonal
    """m2[k] += sum_i c_ki m_i (v_i - mean[k])^2 over the block's valid cells."""
    for r in range(run_zone.size):
        k = run_zone[r]
        start = run_start[r] - first
        centre = mean[k]
        s = 0.0
        for i in range(start, start + run_length[r]):
            v = _value(values[i], check_nodata, nodata, scale, offset)
            if v - v == 0.0:
                d = v - centre
                s += d * d
        m2[k] += s
    for e in range(zone.size):
        v = _value(values[cell[e] - first], check_nodata, nodata, scale, offset)
        if v - v == 0.0:
            k = zone[e]
            d = v - mean[k]
            m2[k] += fraction[e] * d * d


@njit(nogil=True, cache=True)
def any_valid(values, check_nodata, nodata, scale, offset) -> bool:  # pragma: no cover - compiled
    """Whether any cell of the block is valid (finite); stops at the first."""
    for i in range(values.size):
        v = _value(values[i], check_nodata, nodata, scale, offset)
        if v - v == 0.0:
            return True
    return False


@njit(nogil=True, cache=True)
def outside(values, check_nodata, nodata, scale, offset, low, high):  # pragma: no cover - compiled
    """(the first cell whose value lies outside [low, high], -1 if none; how many do), over every cell of
    the block; invalid cells (nodata, NaN, infinite) are not values, so never outside. The count is a
    loop without branches, which the compiler vectorises (5x faster than stopping at the first); the
    first is looked for only when there is one."""
    count = 0
    for i in range(values.size):
        v = _value(values[i], check_nodata, nodata, scale, offset)
        count += (v - v == 0.0) & ((v < low) | (v > high))
    if count == 0:
        return -1, 0
    for i in range(values.size):
        v = _value(values[i], check_nodata, nodata, scale, offset)
        if v - v == 0.0 and (v < low or v > high):
            return i, count
    return -1, 0


def empty_moments(n_zones: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(weight, total, low, high) before any cell."""
    return np.zeros(n_zones), np.zeros(n_zones), np.full(n_zones, np.inf), np.full(n_zones, -np.inf)


# ------------------------------------------------------------------------------------------- coverage
# The exact fraction of each grid cell inside a polygon, from the polygon's edges alone (the signed-area
# accumulation of exact-area rasterisers, Levien's font-rs): each edge piece within a row of cells adds,
# to the cell it crosses, the signed area of that cell lying right of it, and to the next cell the rest
# of its height; the running sum of a row's additions, left to right, is then each cell's covered
# fraction (exterior rings count +1, holes -1). Additions exist only where an edge passes, so a zone
# costs its boundary's cells plus its rows (sorted per row), not its bounding box. Coordinates are grid
# units: x = (lon - west) / dx, y = (north - lat) / dy, rows growing southwards.

SNAP = 1e-10  # a running sum within this of 0 or 1 (in cell areas) is that exactly: rounding, not area


@njit(nogil=True, cache=True)
def _add_piece(xa, ya, xb, yb, sign, height, rows, cols, values, n):  # pragma: no cover - compiled
    """Additions of the edge piece from (xa, ya) to (xb, yb), ya < yb, 0 <= x <= width, rows clipped to
    [0, height); appended to rows / cols / values from position n; returns the new n."""
    if yb <= 0.0 or ya >= height:
        return n
    dxdy = (xb - xa) / (yb - ya)
    top = max(ya, 0.0)
    bottom = min(yb, float(height))
    for r in range(int(np.floor(top)), int(np.ceil(bottom))):
        y0 = max(float(r), top)
        y1 = min(float(r + 1), bottom)
        dy = y1 - y0
        if dy <= 0.0:
            continue
        x_top = xa if y0 == ya else max(xa + (y0 - ya) * dxdy, 0.0)  # never west of the grid by rounding
        x_bottom = xb if y1 == yb else max(xa + (y1 - ya) * dxdy, 0.0)
        d = dy * sign
        x0 = min(x_top, x_bottom)
        x1 = max(x_top, x_bottom)
        x0_floor = np.floor(x0)
        c0 = int(x0_floor)
        x1_ceil = np.ceil(x1)
        c1 = int(x1_ceil)
        if c1 <= c0 + 1:  # within one column
            mid = 0.5 * (x_top + x_bottom) - x0_floor
            rows[n], cols[n], values[n] = r, c0, d * (1.0 - mid)
            rows[n + 1], cols[n + 1], values[n + 1] = r, c0 + 1, d * mid
            n += 2
            continue
        s = 1.0 / (x1 - x0)
        f0 = x0 - x0_floor
        a0 = 0.5 * s * (1.0 - f0) * (1.0 - f0)
        f1 = x1 - x1_ceil + 1.0
        am = 0.5 * s * f1 * f1
        rows[n], cols[n], values[n] = r, c0, d * a0
        n += 1
        if c1 == c0 + 2:
            rows[n], cols[n], values[n] = r, c0 + 1, d * (1.0 - a0 - am)
            n += 1
        else:
            a1 = s * (1.5 - f0)
            rows[n], cols[n], values[n] = r, c0 + 1, d * (a1 - a0)
            n += 1
            for c in range(c0 + 2, c1 - 1):
                rows[n], cols[n], values[n] = r, c, d * s
                n += 1
            a2 = a1 + (c1 - c0 - 3) * s
            rows[n], cols[n], values[n] = r, c1 - 1, d * (1.0 - a2 - am)
            n += 1
        rows[n], cols[n], values[n] = r, c1, d * am
        n += 1
    return n


@njit(nogil=True, cache=True)
def _add_edge(xa, ya, xb, yb, sign, width, height, rows, cols, values, n):  # pragma: no cover - compiled
    """An edge's additions, its parts west and east of the grid folded onto its west (x = 0) and east
    (x = width) edges: the cells of the grid see the same crossings, and none beyond them is kept."""
    if ya == yb:
        return n
    if ya > yb:
        xa, ya, xb, yb, sign = xb, yb, xa, ya, -sign
    # where the edge crosses x = 0 and x = width, as fractions of its length (at most two, in order)
    t1 = t2 = 2.0
    if xa != xb:
        for edge_x in (0.0, float(width)):
            t = (edge_x - xa) / (xb - xa)
            if 0.0 < t < 1.0:
                if t < t1:
                    t1, t2 = t, t1
                else:
                    t2 = t
    x_from, y_from = xa, ya
    for t_to in (t1, t2, 1.0):
        if t_to > 1.0:
            continue
        if t_to == 1.0:
            x_to, y_to = xb, yb
        else:
            x_to, y_to = xa + t_to * (xb - xa), ya + t_to * (yb - ya)
        if y_to > y_from:
            n = _add_piece(min(max(x_from, 0.0), width), y_from, min(max(x_to, 0.0), width), y_to, sign, height,
                           rows, cols, values, n)
        x_from, y_from = x_to, y_to
    return n


@njit(nogil=True, cache=True)
def _edge_additions_bound(x, y, width, height):  # pragma: no cover - compiled
    """At most how many additions the edges of one ring make (each row piece: its columns + 2; an edge:
    three pieces at most), and so how many runs and entries they start (a horizontal edge: an entry per
    cell under it)."""
    total = 0
    for i in range(x.size - 1):
        top = max(min(y[i], y[i + 1]), 0.0)
        bottom = min(max(y[i], y[i + 1]), float(height))
        if bottom < top:
            continue
        rows = int(np.ceil(bottom)) - int(np.floor(top)) + 1  # a horizontal edge: the cells under it
        span = abs(min(max(x[i + 1], 0.0), width) - min(max(x[i], 0.0), width))
        total += 3 * (rows + int(np.ceil(span)) + 1) + 24
    return total


@njit(nogil=True, cache=True)
def polygon_cells(x, y, ring_starts, ring_signs, zone_rings, width, height):  # pragma: no cover - compiled
    """Exact coverage of zones on a grid of ``width`` x ``height`` unit cells.

    ``x``, ``y``: ring vertices in grid units, each ring closed; ring j is vertices ``ring_starts[j]:
    ring_starts[j + 1]`` and counts ``ring_signs[j]`` (+1 for the interior of an exterior ring, -1 of a
    hole, whatever its orientation); zone k is rings ``zone_rings[k]:zone_rings[k + 1]``. Returns the
    runs of whole cells (zone, first cell, length; row-major cell index) and the entries of the cells
    covered in part (zone, cell, fraction), zone by zone, row by row, cells ascending.
    """
    n_zones = zone_rings.size - 1
    bounds = np.zeros(n_zones, np.int64)
    for k in range(n_zones):
        for j in range(zone_rings[k], zone_rings[k + 1]):
            a, b = ring_starts[j], ring_starts[j + 1]
            bounds[k] += _edge_additions_bound(x[a:b], y[a:b], width, height)
    scratch = max(1, bounds.max()) if n_zones else 1
    rows = np.empty(scratch, np.int64)
    cols = np.empty(scratch, np.int64)
    values = np.empty(scratch, np.float64)
    total = bounds.sum()
    run_zone = np.empty(total + 1, np.int32)
    run_start = np.empty(total + 1, np.int64)
    run_length = np.empty(total + 1, np.int32)
    zone = np.empty(total + 1, np.int32)
    cell = np.empty(total + 1, np.int64)
    fraction = np.empty(total + 1, np.float64)
    n_runs = 0
    n_entries = 0
    for k in range(n_zones):
        n = 0
        for j in range(zone_rings[k], zone_rings[k + 1]):
            # the interior of a ring whose signed area (grid units, y down) is A comes out as -sign(A)
            a, b = ring_starts[j], ring_starts[j + 1]
            area = 0.0
            for i in range(a, b - 1):
                area += x[i] * y[i + 1] - x[i + 1] * y[i]
            if area == 0.0:
                continue
            sign = -ring_signs[j] if area > 0.0 else float(ring_signs[j])
            for i in range(a, b - 1):
                n = _add_edge(x[i], y[i], x[i + 1], y[i + 1], sign, width, height, rows, cols, values, n)
        if n == 0:
            continue
        # rows of cells in order (counting sort), then each row's additions by column
        r_low = rows[:n].min()
        r_high = rows[:n].max()
        counts = np.zeros(r_high - r_low + 2, np.int64)
        for i in range(n):
            counts[rows[i] - r_low + 1] += 1
        starts = np.cumsum(counts)
        fill = starts[:-1].copy()
        by_row = np.empty(n, np.int64)
        for i in range(n):
            p = rows[i] - r_low
            by_row[fill[p]] = i
            fill[p] += 1
        keys = np.empty(n, np.int64)  # a row's additions as column << 32 | position: sorted in place
        for p in range(r_high - r_low + 1):
            lo, hi = starts[p], starts[p + 1]
            if lo == hi:
                continue
            m = hi - lo
            for q in range(m):
                i = by_row[lo + q]
                keys[q] = (cols[i] << 32) | i
            row_keys = keys[:m]
            if m > 64:
                row_keys.sort()
            else:  # a few ascending runs (one per edge piece): insertion sort beats a call to quicksort
                for q in range(1, m):
                    key = row_keys[q]
                    j = q - 1
                    while j >= 0 and row_keys[j] > key:
                        row_keys[j + 1] = row_keys[j]
                        j -= 1
                    row_keys[j + 1] = key
            row_first = (r_low + p) * width
            running = 0.0
            open_start = -1  # the first column of the run being built, -1 for none
            q = 0
            while q < m:
                c = row_keys[q] >> 32
                if c >= width:
                    break
                added = 0.0
                while q < m and (row_keys[q] >> 32) == c:
                    added += values[row_keys[q] & 0xFFFFFFFF]
                    q += 1
                running += added
                f = running
                if f >= 1.0 - SNAP:
                    if open_start < 0:
                        open_start = c
                else:
                    if open_start >= 0:
                        run_zone[n_runs], run_start[n_runs] = k, row_first + open_start
                        run_length[n_runs] = c - open_start
                        n_runs += 1
                        open_start = -1
                    if f > SNAP:
                        zone[n_entries], cell[n_entries], fraction[n_entries] = k, row_first + c, f
                        n_entries += 1
                # the cells up to the next addition hold the same sum: whole cells if it is one
                nxt = min(row_keys[q] >> 32, width) if q < m else width
                if nxt > c + 1:
                    if running >= 1.0 - SNAP:
                        if open_start < 0:
                            open_start = c + 1
                    elif running > SNAP:  # under a horizontal edge: each cell cut alike
                        for g in range(c + 1, nxt):
                            zone[n_entries], cell[n_entries], fraction[n_entries] = k, row_first + g, running
                            n_entries += 1
            if open_start >= 0:  # whole cells up to the grid's east edge
                run_zone[n_runs], run_start[n_runs] = k, row_first + open_start
                run_length[n_runs] = width - open_start
                n_runs += 1
    return (run_zone[:n_runs].copy(), run_start[:n_runs].copy(), run_length[:n_runs].copy(),
            zone[:n_entries].copy(), cell[:n_entries].copy(), fraction[:n_entries].copy())

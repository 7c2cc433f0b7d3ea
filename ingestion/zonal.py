"""Zonal statistics of rasters over city polygons, with the cell coverage computed once per grid.

For every polygon k and raster cell i, exactextract gives the exact fraction c_ki of the cell that lies
inside the polygon (ops ``cell_id`` and ``coverage``). We keep these fractions as a sparse matrix
C (polygons x cells) per grid and reuse it for every band and year on that grid, so a 21-year stack
costs one polygon/grid intersection plus, per band, a sparse matrix-vector product C (m v) for sums
and means (C m, the weights, is kept per nodata pattern: most products mask the same cells every year)
or weighted bincounts over C's non-zeros for the standard deviation and min / max. Bands are
reduced in blocks of raster rows (``MAX_CELLS_PER_BLOCK``), so memory stays bounded at the real
products' resolutions. With v the band values and m_i = 1 for valid cells (not nodata, not NaN):

    sum_k      = sum_i c_ki m_i v_i                        (extensive quantities: tonnes of CO2)
    mean_k     = sum_i c_ki m_i v_i / sum_i c_ki m_i       (intensive: PM2.5, night lights)
    std_k      = sqrt(sum_i c_ki m_i (v_i - mean_k)^2 / sum_i c_ki m_i)   (population, coverage-weighted)
    min/max_k  over valid cells with c_ki > 0;  range_k = max_k - min_k   (terrain relief)
    coverage_k = sum_i c_ki m_i * cell_area / polygon_area  (share of the polygon covered by valid cells)

These are exactly exactextract's own ``sum``, ``mean``, ``stdev``, ``min``, ``max`` definitions
(exactextract documentation, "Available operations"); the tests check the agreement to 1e-9.
Areas are planar in the raster's CRS, as exactextract's coverage fractions are.

Work is split into picklable tasks (``CoverageTask`` per grid, ``BandsTask`` per file) run through an
``ingestion.executor.Executor``: the coverage matrix is computed once per grid and shipped with each
file's task. How a band is read is a module-level function named in its ``BandRef``, so the tasks
stay plain data that any engine can run.
"""
from __future__ import annotations

import hashlib
import re
import weakref
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Callable, Iterator, Sequence

import numpy as np
import scipy.sparse as sp
from exactextract._exactextract import Feature  # the base class exactextract's own feature types use
from exactextract.feature import FeatureSource

from ingestion.errors import IngestError
from ingestion.executor import Executor, SerialExecutor, resolve
from ingestion.read_ahead import READ_AHEAD_BYTES, ReadAhead, sharing_the_gil

STATS = ("sum", "mean", "std", "min", "max", "range")


# ---------------------------------------------------------------------------------------------- grids
@dataclass(frozen=True)
class Grid:
    """A north-up raster grid: west/north edges, cell sizes (both positive) and shape, in ``crs_wkt``."""

    crs_wkt: str
    west: float
    north: float
    dx: float
    dy: float
    width: int
    height: int

    @property
    def east(self) -> float:
        return self.west + self.width * self.dx

    @property
    def south(self) -> float:
        return self.north - self.height * self.dy

    @property
    def n_cells(self) -> int:
        return self.width * self.height

    def transform(self):
        from affine import Affine

        return Affine(self.dx, 0.0, self.west, 0.0, -self.dy, self.north)

    def key(self) -> tuple:
        """Identity for grouping files: grids equal up to 1e-6 of a cell share one coverage matrix."""
        tol = 1e-6 * min(self.dx, self.dy)
        return (self.crs_wkt, round(self.west / tol), round(self.north / tol), round(self.dx / tol),
                round(self.dy / tol), self.width, self.height)

    def cell_centre(self, flat_index: int) -> tuple[float, float]:
        """(x, y) of the centre of cell ``flat_index`` (row-major from the north-west corner)."""
        row, col = divmod(int(flat_index), self.width)
        return self.west + (col + 0.5) * self.dx, self.north - (row + 0.5) * self.dy


def window_over(full: Grid, bounds: tuple[float, float, float, float]) -> tuple[Grid, int, int] | None:
    """The part of ``full`` covering ``bounds`` (west, south, east, north in its CRS), snapped outward to
    whole cells and clipped to the raster; with its column and row offsets. ``None`` if disjoint."""
    w, s, e, n = bounds
    col0 = max(0, int(np.floor((w - full.west) / full.dx + 1e-9)))
    col1 = min(full.width, int(np.ceil((e - full.west) / full.dx - 1e-9)))
    row0 = max(0, int(np.floor((full.north - n) / full.dy + 1e-9)))
    row1 = min(full.height, int(np.ceil((full.north - s) / full.dy - 1e-9)))
    if col1 <= col0 or row1 <= row0:
        return None
    grid = Grid(full.crs_wkt, full.west + col0 * full.dx, full.north - row0 * full.dy, full.dx, full.dy,
                col1 - col0, row1 - row0)
    return grid, col0, row0


# ------------------------------------------------------------------------------------------- coverage
@dataclass(frozen=True)
class Coverage:
    """Exact coverage fractions of the zones on one grid, and each zone's area in cells.

    Kept as (zone, cell, fraction) entries -- the non-zeros of the sparse matrix C (zones x cells) --
    grouped by block of ``block_rows`` raster rows, so that a band read block by block meets its
    entries as contiguous slices, and nothing is sized by the grid's cell count (10^8 cells at 15
    arc-seconds over China) but by the cells the zones actually cover.
    """

    zone: np.ndarray  # int32
    cell: np.ndarray  # row-major cell index on the grid (int32 when it fits)
    fraction: np.ndarray  # float64, in (0, 1]
    zone_cells: np.ndarray  # polygon area / cell area, both in the grid's CRS
    width: int  # grid columns
    n_cells: int
    block_rows: int
    block_starts: np.ndarray  # the entries of block b are block_starts[b]:block_starts[b + 1]

    @property
    def n_zones(self) -> int:
        return len(self.zone_cells)

    @cached_property
    def zone_ordered(self) -> np.ndarray:
        """Per block: are its entries in zone order (the CSR row order ``block_matrix`` relies on)?
        ``coverage_matrix`` emits them so; checked once per coverage, not once per band."""
        descends = self.zone[1:] < self.zone[:-1]
        return np.array([not descends[lo:max(lo, hi - 1)].any()
                         for lo, hi in zip(self.block_starts[:-1], self.block_starts[1:])], dtype=bool)

    def block(self, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(zone, cell counted from the block's first cell, fraction) of block ``b``'s entries (views; the
        cells of a later block are a shifted copy)."""
        lo, hi = self.block_starts[b], self.block_starts[b + 1]
        first = b * self.block_rows * self.width
        cell = self.cell[lo:hi] if first == 0 else self.cell[lo:hi] - first  # the first block: no copy
        return self.zone[lo:hi], cell, self.fraction[lo:hi]

    def matrix(self) -> sp.csr_matrix:
        """C as a sparse (zones x cells) matrix, for callers that want sparse algebra."""
        return sp.csr_matrix((self.fraction, (self.zone, self.cell)), shape=(self.n_zones, self.n_cells))

    def block_matrix(self, b: int) -> sp.csr_matrix:
        """Block ``b``'s part of C as a (zones x the block's cells) CSR matrix, built without sorting:
        ``coverage_matrix`` emits the entries zone by zone and groups them by block with a stable sort,
        so within a block they are already in zone order (the CSR row order)."""
        zone, cell, fraction = self.block(b)
        indptr = np.searchsorted(zone, np.arange(self.n_zones + 1, dtype=zone.dtype), side="left")  # no upcast copy
        first = b * self.block_rows * self.width
        cells = min(self.block_rows * self.width, self.n_cells - first)
        return sp.csr_matrix((fraction, cell, indptr), shape=(self.n_zones, cells), copy=False)


_COVERAGE_ARRAYS = ("zone", "cell", "fraction", "zone_cells", "block_starts")


@dataclass(frozen=True)
class CoverageFile:
    """A ``Coverage`` saved as .npy files in a folder. Tasks for worker processes (or another engine
    with a shared file system) carry this small reference instead of the arrays -- hundreds of MB at
    15 arc-seconds -- and map the arrays read-only, so every worker shares one copy in the page cache."""

    folder: str
    width: int
    n_cells: int
    block_rows: int

    @classmethod
    def save(cls, coverage: Coverage, folder: str) -> "CoverageFile":
        from pathlib import Path

        Path(folder).mkdir(parents=True, exist_ok=True)
        for name in _COVERAGE_ARRAYS:
            np.save(Path(folder) / f"{name}.npy", getattr(coverage, name))
        return cls(str(folder), coverage.width, coverage.n_cells, coverage.block_rows)

    def load(self) -> Coverage:
        from pathlib import Path

        arrays = {name: np.load(Path(self.folder) / f"{name}.npy", mmap_mode="r") for name in _COVERAGE_ARRAYS}
        return Coverage(width=self.width, n_cells=self.n_cells, block_rows=self.block_rows, **arrays)


def zones_in_crs(zones_wkb: Sequence[bytes], crs_wkt: str, *, repair: bool = True):
    """Decode EPSG:4326 WKB polygons and reproject them to ``crs_wkt`` (a GeoSeries); invalid polygons are
    repaired first (``shapely.make_valid``) unless ``repair=False``: the caller knows them valid (checking
    costs as much as repairing, 0.03 s for 296 cities)."""
    import geopandas as gpd
    import shapely
    from pyproj import CRS

    geoms = shapely.from_wkb(list(zones_wkb))
    if repair:
        geoms = shapely.make_valid(geoms)
    series = gpd.GeoSeries(geoms, crs="EPSG:4326")
    target = CRS.from_wkt(crs_wkt)
    if not target.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        series = series.to_crs(target)
    return series


def coverage_matrix(zones, grid: Grid, *, block_rows: int | None = None) -> Coverage:
    """Exact cell coverage of each zone (a GeoSeries in the grid's CRS) via exactextract, grouped in
    blocks of ``block_rows`` rows (default: ``MAX_CELLS_PER_BLOCK`` cells per block)."""
    import shapely
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    # Coverage depends on the grid only, so a zero-stride dummy raster stands in for the values.
    dummy = np.broadcast_to(np.uint8(0), (grid.height, grid.width))
    raster = NumPyRasterSource(dummy, grid.west, grid.south, grid.east, grid.north, srs_wkt=grid.crs_wkt)
    geoms = np.asarray(zones.to_numpy() if hasattr(zones, "to_numpy") else zones, dtype=object)
    result = exact_extract(raster, _WkbFeatures(shapely.to_wkb(geoms), grid.crs_wkt), ["cell_id", "coverage"],
                           output="pandas")
    cell_type = np.int32 if grid.n_cells < 2**31 else np.int64
    lengths = np.fromiter((len(ids) for ids in result["cell_id"]), dtype=np.int64, count=len(result))
    zone = np.repeat(np.arange(len(geoms), dtype=np.int32), lengths)
    cell = np.concatenate([np.asarray(ids).astype(cell_type, copy=False) for ids in result["cell_id"]]
                          + [np.empty(0, cell_type)])
    fraction = np.concatenate([np.asarray(c, dtype=np.float64) for c in result["coverage"]] + [np.empty(0)])
    del result
    rows = block_rows or rows_per_block(grid)
    n_blocks = -(-grid.height // rows)
    if n_blocks > 1:
        # group entries by block with a linear-time radix sort on small block numbers
        block_of = (cell // (rows * grid.width)).astype(np.uint16 if n_blocks < 2**16 else np.int64)
        order = np.argsort(block_of, kind="stable")
        zone, cell, fraction = zone[order], cell[order], fraction[order]
        starts = np.searchsorted(block_of[order], np.arange(n_blocks + 1))
    else:
        starts = np.array([0, len(cell)])
    # planar area in the grid's CRS, the same measure as exactextract's coverage fractions
    zone_cells = shapely.area(geoms).astype(np.float64) / (grid.dx * grid.dy)
    return Coverage(zone, cell, fraction, zone_cells, grid.width, grid.n_cells, rows, starts)


class _WkbFeature(Feature):
    """A bare polygon for exactextract: WKB in, no attributes. About 5x faster than GeoDataFrame rows,
    which exactextract round-trips through GeoJSON text."""

    def __init__(self, wkb: bytes):
        Feature.__init__(self)
        self._wkb = wkb

    def geometry(self):
        return self._wkb

    def set_geometry_format(self):
        return "wkb"

    def fields(self):
        return []

    def get(self, name):
        raise KeyError(name)


class _WkbFeatures(FeatureSource):
    def __init__(self, wkbs, srs_wkt: str):
        super().__init__()
        self._wkbs = list(wkbs)
        self._srs_wkt = srs_wkt

    def count(self):
        return len(self._wkbs)

    def __iter__(self):
        for wkb in self._wkbs:
            yield _WkbFeature(wkb)

    def srs_wkt(self):
        return self._srs_wkt


# ------------------------------------------------------------------------------------------ statistics
# Bands are read and reduced in blocks of whole raster rows of about this many cells, so a 15 arc-second
# band over China (about 10^8 cells) never sits in memory as one float64 array.
MAX_CELLS_PER_BLOCK = 8_000_000


class ZoneMoments:
    """Per-zone running sums over blocks of cells: coverage weight, weighted total, the sum of weighted
    squared deviations (merged across blocks with Chan, Golub & LeVeque's pairwise update, so the
    standard deviation stays exact where sum-of-squares would cancel), and min / max."""

    def __init__(self, n_zones: int, stats: Sequence[str]):
        unknown = [s for s in stats if s not in STATS]
        if unknown:
            raise ValueError(f"unknown statistic(s) {unknown}; known: {STATS}")
        self.stats = tuple(stats)
        self.sums_only = not any(s in ("std", "min", "max", "range") for s in self.stats)
        self.weight = np.zeros(n_zones)
        self.total = np.zeros(n_zones)
        self.mean = np.zeros(n_zones)
        self.m2 = np.zeros(n_zones)
        self.low = np.full(n_zones, np.inf)
        self.high = np.full(n_zones, -np.inf)
        self.valid_cells = 0  # valid cells seen in the blocks, inside zones or not

    def add(self, cov: Coverage, block: int, values: np.ndarray) -> None:
        """Add block ``block`` of the coverage, whose cells hold ``values`` (flat, NaN = invalid; given
        over: its NaN cells may be overwritten)."""
        if self.sums_only and cov.zone_ordered[block]:  # entries in zone order, as coverage_matrix emits
            self._add_sums(cov, block, values)
        else:
            self._add_moments(cov, block, values)

    def _add_sums(self, cov: Coverage, block: int, values: np.ndarray) -> None:
        """``sum`` and ``mean`` only: each zone's weight and weighted total are two sparse matrix-vector
        products with the block's part of C, C_b m and C_b (m v): one pass over the entries each in
        compiled code, where gathering, masking and bincounting the entries take about ten."""
        c = cov.block_matrix(block)
        invalid = np.isnan(values)
        n_invalid = int(np.count_nonzero(invalid))
        w, zero_at = _block_weights(cov, block, c, invalid if n_invalid else None)
        if zero_at is not None:  # only the invalid cells C reads need a zero, not the sea around the cities
            values[zero_at] = 0.0  # the block's values are the caller's to give: last use
        elif n_invalid:
            np.putmask(values, invalid, 0.0)
        t = c @ values
        self.valid_cells += values.size - n_invalid
        self.weight += w
        self.total += t

    def _add_moments(self, cov: Coverage, block: int, values: np.ndarray) -> None:
        """The general path (standard deviation, min / max): per-entry gathers and bincounts."""
        n = self.weight.size
        zone, cell, cover = cov.block(block)
        v = values[cell]
        ok = ~np.isnan(v) & (cover > 0)
        zone, cover, v = zone[ok], cover[ok], v[ok]
        self.valid_cells += int(np.count_nonzero(~np.isnan(values)))
        w = np.bincount(zone, weights=cover, minlength=n)
        t = np.bincount(zone, weights=cover * v, minlength=n)
        seen = w > 0
        block_mean = np.divide(t, w, out=np.zeros(n), where=seen)
        if "std" in self.stats:
            dev = v - block_mean[zone]
            m2 = np.bincount(zone, weights=cover * dev * dev, minlength=n)
            first = seen & (self.weight == 0)
            both = seen & (self.weight > 0)
            delta = block_mean[both] - self.mean[both]
            merged = self.weight[both] + w[both]
            self.m2[both] += m2[both] + delta * delta * self.weight[both] * w[both] / merged
            self.mean[both] += delta * w[both] / merged
            self.m2[first], self.mean[first] = m2[first], block_mean[first]
        if any(s in ("min", "max", "range") for s in self.stats):
            np.minimum.at(self.low, zone, v)
            np.maximum.at(self.high, zone, v)
        self.weight += w
        self.total += t

    def finish(self, zone_cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(values[stat, zone], coverage[zone]); NaN for a zone without valid cells."""
        seen = self.weight > 0
        low = np.where(seen, self.low, np.nan)
        high = np.where(seen, self.high, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            columns = {
                "sum": np.where(seen, self.total, np.nan),
                "mean": np.where(seen, self.total / self.weight, np.nan),
                "std": np.where(seen, np.sqrt(self.m2 / self.weight), np.nan),
                "min": low, "max": high, "range": high - low,
            }
        out = np.stack([columns[s] for s in self.stats]) if self.stats else np.empty((0, seen.size))
        coverage = np.clip(np.divide(self.weight, zone_cells, out=np.zeros_like(self.weight),
                                     where=zone_cells > 0), 0, 1)
        return out, coverage


_WEIGHTS: "OrderedDict[tuple, tuple[object, tuple]]" = OrderedDict()  # (weakref to fraction, (weights, zero_at))
_WEIGHTS_KEPT = 64


def _block_weights(cov: Coverage, block: int, c: sp.csr_matrix,
                   invalid: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """C_b m: each zone's coverage weight over the block's valid cells; and the invalid cells that C_b
    reads (block-local indices; ``None`` when there are too many to list cheaply: then every invalid cell
    is zeroed). The nodata cells of a product are mostly the same every year (sea, the land mask), so
    both are kept per coverage, block and nodata pattern (its digest) and a band with the same pattern
    reuses them. The cache holds a weak reference to the coverage's fraction array: it keeps no coverage
    alive, and a key whose coverage is gone never matches (its id may be reused, the dead reference is not)."""
    digest = b"" if invalid is None else hashlib.blake2b(np.packbits(invalid)).digest()
    key = (id(cov.fraction), block, digest)
    hit = _WEIGHTS.get(key)
    if hit is not None and hit[0]() is cov.fraction:
        _WEIGHTS.move_to_end(key)
        return hit[1]
    zero_at = None
    if invalid is None:  # every cell valid: C_b's row sums
        w = np.zeros(c.shape[0])
        filled = np.diff(c.indptr) > 0  # reduceat over the rows with entries (their starts increase)
        if filled.any():
            w[filled] = np.add.reduceat(c.data, c.indptr[:-1][filled])
    else:
        w = c @ (~invalid).astype(np.float64)
        read = np.zeros(c.shape[1], dtype=bool)
        read[c.indices] = True
        listed = np.flatnonzero(read & invalid)
        if listed.size <= c.shape[1] // 64:  # kept small: at most half the size of the packed pattern
            zero_at = listed.astype(np.int32)
    _WEIGHTS[key] = (weakref.ref(cov.fraction), (w, zero_at))
    if len(_WEIGHTS) > _WEIGHTS_KEPT:
        _WEIGHTS.popitem(last=False)
    return w, zero_at


def summarise(cov: Coverage, values: np.ndarray, stats: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Zonal ``stats`` of one band held in memory (flat, NaN = invalid) -> (values[stat, zone], coverage[zone])."""
    if len(cov.block_starts) != 2:
        raise ValueError("summarise takes a coverage computed as one block (coverage_matrix(..., block_rows=height))")
    moments = ZoneMoments(cov.n_zones, stats)
    moments.add(cov, 0, np.array(values, dtype=np.float64))  # a copy: add may overwrite its nodata cells
    return moments.finish(cov.zone_cells)


# ------------------------------------------------------------------------------------------------ tasks
@dataclass(frozen=True)
class Stored:
    """One block as its file stores it, and the function that turns it into values (flat float64, NaN
    where invalid, in the canonical unit). A reader that yields these lets the reading (on the
    read-ahead thread) and the conversion (where the block is summarised) run side by side."""

    raw: np.ndarray
    values: Callable[[np.ndarray], np.ndarray]

    @property
    def nbytes(self) -> int:
        return self.raw.nbytes


def block_values(block: "np.ndarray | Stored") -> np.ndarray:
    """A reader's block as values: a ``Stored`` block converted, values as they are."""
    return block.values(block.raw) if isinstance(block, Stored) else block


# (band, blocks) -> per block, in order, one flat float64 array (NaN = invalid) or a ``Stored`` block.
# ``blocks`` are (first row within the band's window, the block's grid); a reader opens its file once
# for all blocks.
BandReader = Callable[["BandRef", Sequence[tuple[int, Grid]]], Iterator["np.ndarray | Stored"]]


@dataclass(frozen=True)
class BandRef:
    """One band to summarise: which file, how to read it, and what it means."""

    file: str  # path to open
    label: str  # the file as reported (relative to the sources folder)
    band: int  # 1-based band index within the file
    year: int
    variable: str
    reader: BandReader  # module-level generator function (band, blocks) -> values (or Stored) per block
    col_off: int = 0  # offset of the grid's window inside the file
    row_off: int = 0
    options: tuple = ()  # reader-specific settings, e.g. the NetCDF variable name


@dataclass(frozen=True)
class CoverageTask:
    grid: Grid
    zones_wkb: tuple[bytes, ...]  # EPSG:4326
    save_to: str | None = None  # folder: save the coverage there and return a CoverageFile reference
    repair: bool = True  # make the polygons valid first (False: known valid)


@dataclass(frozen=True)
class ValueChecks:
    """Checks on the cell values of a product: a valid range, and what a value outside it means."""

    valid_range: tuple[float, float] | None = None
    invalid_hint: str = ""


NONNEGATIVE = ValueChecks((0.0, np.inf), "emissions cannot be negative")


@dataclass(frozen=True)
class BandsTask:
    """All bands of one file (same grid): read each once and summarise it with the shared coverage."""

    bands: tuple[BandRef, ...]
    grid: Grid
    coverage: Coverage | CoverageFile
    stats: tuple[str, ...]
    checks: ValueChecks = ValueChecks()


@dataclass(frozen=True)
class BandsResult:
    values: np.ndarray  # (band, stat, zone)
    coverage: np.ndarray  # (band, zone)
    error: tuple | None = None  # IngestError fields (file, where, problem, fix): exceptions cross processes as data


def run_coverage_task(task: CoverageTask) -> Coverage | CoverageFile:
    coverage = coverage_matrix(zones_in_crs(task.zones_wkb, task.grid.crs_wkt, repair=task.repair), task.grid)
    return coverage if task.save_to is None else CoverageFile.save(coverage, task.save_to)


def rows_per_block(grid: Grid) -> int:
    return max(1, MAX_CELLS_PER_BLOCK // max(grid.width, 1))


def row_blocks(grid: Grid, rows: int):
    """(first row, sub-grid) for consecutive blocks of ``rows`` whole rows."""
    for r0 in range(0, grid.height, rows):
        height = min(rows, grid.height - r0)
        yield r0, Grid(grid.crs_wkt, grid.west, grid.north - r0 * grid.dy, grid.dx, grid.dy, grid.width, height)


def run_bands_task(task: BandsTask, blocks_of: Callable[[int], Iterator[np.ndarray]] | None = None) -> BandsResult:
    """Summarise every band of ``task``; ``blocks_of(b)`` gives band b's blocks (default: its own reader)."""
    cov = task.coverage.load() if isinstance(task.coverage, CoverageFile) else task.coverage
    values = np.full((len(task.bands), len(task.stats), cov.n_zones), np.nan)
    coverage = np.zeros((len(task.bands), cov.n_zones))
    blocks = list(row_blocks(task.grid, cov.block_rows))
    try:
        for b, band in enumerate(task.bands):
            moments = ZoneMoments(cov.n_zones, task.stats)
            read = band.reader(band, blocks) if blocks_of is None else blocks_of(b)
            try:
                for block, (r0, block_grid) in enumerate(blocks):
                    data = next(read, None)
                    data = None if data is None else block_values(data)
                    if data is None or data.shape != (block_grid.n_cells,):
                        size = 0 if data is None else data.size
                        raise IngestError(band.label, f"{describe_band(band)}, rows {band.row_off + r0}+",
                                          f"read {size} cells where the grid has {block_grid.n_cells}; the file "
                                          "is corrupt or truncated", "download the file again")
                    if task.checks.valid_range is not None:
                        check_range(data, band, block_grid, task.checks.valid_range, task.checks.invalid_hint)
                    moments.add(cov, block, data)
            finally:
                read.close()  # the reader's file is closed now, not when the generator is collected
            if moments.valid_cells == 0:
                raise IngestError(band.label, describe_band(band), "every cell over the cities is nodata or NaN",
                                  "check the file (an empty or failed export) and replace it")
            values[b], coverage[b] = moments.finish(cov.zone_cells)
    except IngestError as exc:
        return BandsResult(values, coverage, (exc.file, exc.where, exc.problem, exc.fix))
    return BandsResult(values, coverage)


def describe_band(band: BandRef) -> str:
    """How errors name a band: its index, and the variable and year when it has one."""
    return f"band {band.band} ({band.variable} {band.year})" if band.year else f"band {band.band}"


_CELL_AT = re.compile(r"cell at lat (-?[\d.]+), lon (-?[\d.]+)")


def cell_at(x: float, y: float) -> str:
    """How a message locates a cell: its centre (x, y in the grid's CRS; lat/lon on geographic grids)."""
    return f"cell at lat {y:.4f}, lon {x:.4f}"


def cell_of(where: str | None) -> tuple[float, float] | None:
    """The (x, y) that ``cell_at`` wrote into a message's location, if any (to name the tile of a mosaic)."""
    match = _CELL_AT.search(where or "")
    return (float(match.group(2)), float(match.group(1))) if match else None


def check_range(data: np.ndarray, band: BandRef, grid: Grid, valid_range: tuple[float, float], hint: str) -> None:
    """Reject values outside ``valid_range`` (negative emissions, undeclared nodata), naming the first cell."""
    low, high = valid_range
    if np.isinf(high):  # one comparison per cell where a bound is open (PM2.5, emissions: >= 0)
        outside = data < low
    elif np.isinf(low):
        outside = data > high
    else:
        outside = (data < low) | (data > high)
    if not outside.any():
        return
    bad = np.flatnonzero(outside)
    value = float(data[bad[0]])
    x, y = grid.cell_centre(bad[0])
    what = (f"negative value {value!r}" if low == 0 and value < 0
            else f"{band.variable} {value!r} outside the plausible range [{low:g}, {high:g}]")
    raise IngestError(
        band.label, f"{describe_band(band)}, {cell_at(x, y)}",
        f"{what} ({bad.size} such cell(s) in this block of rows over the cities); {hint}",
        "if the value marks missing data, declare it as the raster's nodata value (gdal_edit.py -a_nodata); "
        "else replace the file with the published product")


@dataclass(frozen=True)
class ZonalTable:
    """Zonal results of many bands: values[band, stat, zone] and coverage[band, zone]."""

    bands: tuple[BandRef, ...]
    stats: tuple[str, ...]
    values: np.ndarray
    coverage: np.ndarray
    grids: tuple[Grid, ...] = field(default=())


def zonal_stats(bands: Sequence[tuple[BandRef, Grid]], zones_wkb: Sequence[bytes], stats: Sequence[str], *,
                executor: Executor | None = None, nonnegative: bool = False, checks: ValueChecks | None = None,
                progress: bool = False, desc: str = "zonal statistics",
                read_ahead_bytes: int = READ_AHEAD_BYTES, zones_valid: bool = False) -> ZonalTable:
    """Summarise every band over every zone. Bands come with the grid (window) they are read on;
    one coverage matrix is computed per distinct grid and one task runs per file. ``checks`` (or
    ``nonnegative=True``, the same as ``checks=NONNEGATIVE``) rejects impossible cell values.
    ``zones_valid=True``: the polygons are known valid (the cities of raw.city_boundaries, repaired when
    the boundaries were loaded), so they are not repaired again.

    In this process (``SerialExecutor``) the coverage is passed in memory and the bands are read ahead
    on one thread (``ingestion.read_ahead``; at most ``read_ahead_bytes`` of blocks waiting, 0: no
    thread) while this thread computes each grid's coverage and the statistics: the same rows, about
    the time of the reads alone. For any other executor the coverage is saved once to a temporary
    folder and the tasks carry a ``CoverageFile`` reference."""
    import tempfile

    executor = resolve(executor)
    checks = checks or (NONNEGATIVE if nonnegative else ValueChecks())
    bands, stats = list(bands), tuple(stats)
    plan = _FilePlan.of(bands)
    if isinstance(executor, SerialExecutor):
        results = _serial_tasks(plan, zones_wkb, stats, checks, progress, desc, read_ahead_bytes, not zones_valid)
    else:
        with tempfile.TemporaryDirectory(prefix="dualcarbon_coverage_") as folder:
            results = _executor_tasks(plan, zones_wkb, stats, checks, executor, progress, desc, folder,
                                      not zones_valid)
    n_zones = len(zones_wkb)
    values = np.full((len(bands), len(stats), n_zones), np.nan)
    coverage = np.zeros((len(bands), n_zones))
    for members, result in zip(plan.members, results):
        if result.error is not None:
            raise IngestError(*result.error)
        values[members] = result.values
        coverage[members] = result.coverage
    return ZonalTable(tuple(b for b, _ in bands), stats, values, coverage, tuple(plan.grids.values()))


@dataclass(frozen=True)
class _FilePlan:
    """The distinct grids of the bands, and one task per (file, grid): all bands of a file in one pass."""

    grids: dict[tuple, Grid]
    files: list[tuple[tuple[BandRef, ...], tuple]]  # each task's bands and grid key
    members: list[list[int]]  # each task's positions in the bands' list

    @classmethod
    def of(cls, bands: list[tuple[BandRef, Grid]]) -> "_FilePlan":
        grids: dict[tuple, Grid] = {}
        groups: dict[tuple, list[int]] = {}
        for i, (band, grid) in enumerate(bands):
            grids.setdefault(grid.key(), grid)
            groups.setdefault((band.file, grid.key()), []).append(i)
        files = [(tuple(bands[i][0] for i in members), key) for (_, key), members in groups.items()]
        return cls(grids, files, list(groups.values()))

    def tasks(self, coverage_of: Callable[[tuple], Coverage | CoverageFile], stats, checks) -> Iterator[BandsTask]:
        for file_bands, key in self.files:
            yield BandsTask(file_bands, self.grids[key], coverage_of(key), stats, checks)


def _progress(total: int, progress: bool, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="file", disable=not progress)


def _serial_tasks(plan: _FilePlan, zones_wkb, stats, checks: ValueChecks, progress: bool, desc: str,
                  read_ahead_bytes: int, repair: bool) -> list[BandsResult]:
    """In this process: each grid's coverage when its first file is summarised, the reads ahead on a thread."""
    coverages: dict[tuple, Coverage] = {}

    def coverage_of(key: tuple) -> Coverage:
        if key not in coverages:
            with sharing_the_gil() if read_ahead_bytes > 0 else nullcontext():  # the reads go on meanwhile
                coverages[key] = run_coverage_task(CoverageTask(plan.grids[key], tuple(zones_wkb), repair=repair))
        return coverages[key]

    def open_band(t: int, b: int) -> Iterator[np.ndarray]:
        file_bands, key = plan.files[t]
        grid = plan.grids[key]
        return file_bands[b].reader(file_bands[b], list(row_blocks(grid, rows_per_block(grid))))

    ahead = (ReadAhead([len(bands) for bands, _ in plan.files], open_band, read_ahead_bytes)
             if read_ahead_bytes > 0 else None)
    results: list[BandsResult] = []
    with _progress(len(plan.files), progress, desc) as bar, ahead or nullcontext():
        for t, task in enumerate(plan.tasks(coverage_of, stats, checks)):
            results.append(run_bands_task(task, None if ahead is None else partial(ahead.band, t)))
            if ahead is not None:
                ahead.abandon(t)  # whatever of this file the summary did not take (a failed check)
            bar.update(1)
    return results


def _executor_tasks(plan: _FilePlan, zones_wkb, stats, checks: ValueChecks, executor: Executor, progress: bool,
                    desc: str, folder: str, repair: bool) -> list[BandsResult]:
    """On an executor's workers: the coverages first (saved to ``folder``), then one task per file."""
    keys = list(plan.grids)
    coverage_tasks = [CoverageTask(plan.grids[k], tuple(zones_wkb), f"{folder}/grid{g}", repair)
                      for g, k in enumerate(keys)]
    by_key = dict(zip(keys, executor.map(run_coverage_task, coverage_tasks)))
    tasks = list(plan.tasks(by_key.__getitem__, stats, checks))
    with _progress(len(tasks), progress, desc) as bar:
        return executor.map(run_bands_task, tasks, on_result=lambda _i: bar.update(1))

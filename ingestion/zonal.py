"""Zonal statistics of rasters over city polygons, with the cell coverage computed once per grid.

For every polygon k and raster cell i, c_ki is the exact fraction of the cell that lies inside the
polygon, computed from the polygon's edges (``zonal_kernels.polygon_cells``: the tests hold it to
shapely's cell-by-cell intersection areas to 1e-12, and to exactextract's own fractions, which it keeps
as float32). We keep these fractions, the sparse matrix C (polygons x cells), once per grid and reuse
it for every band and year on that grid, so a 21-year stack costs one polygon/grid intersection plus,
per band, one compiled pass over the covered cells (two for the standard deviation;
``ingestion.zonal_kernels``). C is kept compact (``Coverage``): runs
of the cells wholly inside a polygon and entries for the cells its boundary cuts, so its size follows
the boundaries, not the area. Bands are reduced in blocks of raster rows (``MAX_CELLS_PER_BLOCK``), so
memory stays bounded at the real products' resolutions. With v the band values and m_i = 1 for valid
cells (not nodata, not NaN):

    sum_k      = sum_i c_ki m_i v_i                        (extensive quantities: tonnes of CO2)
    mean_k     = sum_i c_ki m_i v_i / sum_i c_ki m_i       (intensive: PM2.5, night lights)
    std_k      = sqrt(sum_i c_ki m_i (v_i - mean_k)^2 / sum_i c_ki m_i)   (population, coverage-weighted)
    min/max_k  over valid cells with c_ki > 0;  range_k = max_k - min_k   (terrain relief)
    coverage_k = sum_i c_ki m_i * cell_area / polygon_area  (share of the polygon covered by valid cells)

These are exactly exactextract's own ``sum``, ``mean``, ``stdev``, ``min``, ``max`` definitions
(exactextract documentation, "Available operations"); the tests check the agreement to 1e-7, the
precision of its float32 fractions. Areas are planar in the raster's CRS, as exactextract's are.

Work is split into picklable tasks (``CoverageTask`` per grid, ``BandsTask`` per file) run through an
``ingestion.executor.Executor``: the coverage matrix is computed once per grid and shipped with each
file's task. How a band is read is a module-level function named in its ``BandRef``, so the tasks
stay plain data that any engine can run.
"""
from __future__ import annotations

import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Iterator, Sequence

import numpy as np
import scipy.sparse as sp

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

    The non-zeros of the sparse matrix C (zones x cells) come in two kinds: the cells wholly inside a
    zone (fraction exactly 1), kept as runs of consecutive cells (zone, first cell, length), and the
    cells a zone's boundary crosses, kept as entries (zone, cell, fraction). Both are grouped by block of
    ``block_rows`` raster rows (a run never crosses a block), so a band read block by block meets them
    as contiguous slices. The size follows the zones' boundaries, not their area or the grid's cell
    count: the 296 cities of the full world on the 15 arc-second VIIRS grid (10^8 cells, 34 million of
    them covered) are 177 thousand runs and 817 thousand entries, 15 MB, where an entry per covered
    cell took 542 MB.
    """

    run_zone: np.ndarray  # int32
    run_start: np.ndarray  # int64, the run's first cell (row-major index on the grid)
    run_length: np.ndarray  # int32, cells
    zone: np.ndarray  # int32, the entries of the cells a boundary crosses
    cell: np.ndarray  # int64, row-major index on the grid
    fraction: np.ndarray  # float64, in (0, 1)
    zone_cells: np.ndarray  # polygon area / cell area, both in the grid's CRS
    width: int  # grid columns
    n_cells: int
    block_rows: int
    run_block_starts: np.ndarray  # the runs of block b are run_block_starts[b]:run_block_starts[b + 1]
    block_starts: np.ndarray  # the entries of block b are block_starts[b]:block_starts[b + 1]

    @property
    def n_zones(self) -> int:
        return len(self.zone_cells)

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in _COVERAGE_ARRAYS)

    def block(self, b: int) -> tuple[np.ndarray, ...]:
        """Block ``b``'s runs (zone, first cell, length) and entries (zone, cell, fraction): views."""
        r0, r1 = self.run_block_starts[b], self.run_block_starts[b + 1]
        e0, e1 = self.block_starts[b], self.block_starts[b + 1]
        return (self.run_zone[r0:r1], self.run_start[r0:r1], self.run_length[r0:r1],
                self.zone[e0:e1], self.cell[e0:e1], self.fraction[e0:e1])

    def entries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every non-zero of C as (zone, cell, fraction), the runs expanded cell by cell."""
        lengths = self.run_length.astype(np.int64)
        offsets = np.cumsum(lengths) - lengths  # each run's position among the expanded cells
        within = np.arange(int(lengths.sum())) - np.repeat(offsets, lengths)
        cells = np.repeat(self.run_start, lengths) + within
        return (np.concatenate([np.repeat(self.run_zone, lengths), self.zone]),
                np.concatenate([cells, self.cell]),
                np.concatenate([np.ones(cells.size), self.fraction]))

    def matrix(self) -> sp.csr_matrix:
        """C as a sparse (zones x cells) matrix, for callers that want sparse algebra."""
        zone, cell, fraction = self.entries()
        return sp.csr_matrix((fraction, (zone, cell)), shape=(self.n_zones, self.n_cells))


_COVERAGE_ARRAYS = ("run_zone", "run_start", "run_length", "zone", "cell", "fraction", "zone_cells",
                    "run_block_starts", "block_starts")


@dataclass(frozen=True)
class CoverageFile:
    """A ``Coverage`` saved as .npy files in a folder. Tasks for worker processes (or another engine
    with a shared file system) carry this small reference instead of the arrays, which each worker reads
    once per task (15 MB for the full world's cities at 15 arc-seconds)."""

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

        arrays = {name: np.load(Path(self.folder) / f"{name}.npy") for name in _COVERAGE_ARRAYS}
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
    """Exact cell coverage of each zone (a GeoSeries in the grid's CRS), grouped in blocks of
    ``block_rows`` rows (default: ``MAX_CELLS_PER_BLOCK`` cells per block).

    The fractions are computed from the zones' edges (``zonal_kernels.polygon_cells``), so the cost
    follows the boundaries' cells and the zones' rows, not their bounding boxes. exactextract, the
    library this replaced, fills each zone's bounding box (about 30 ns a cell), which made the coverage of
    the 296 cities at 0.01 degree (0.34 s) seven times the read of the single-band DEM it serves; the
    tests hold these fractions to shapely's cell-by-cell intersection areas (1e-12) and to exactextract's
    (float32, 6e-8)."""
    import shapely

    from ingestion.zonal_kernels import polygon_cells

    geoms = np.asarray(zones.to_numpy() if hasattr(zones, "to_numpy") else zones, dtype=object)
    x, y, ring_starts, ring_signs, zone_rings = _rings(geoms, grid)
    rows = block_rows or rows_per_block(grid)
    block_cells = rows * grid.width
    run_zone, run_start, run_length, zone, cell, fraction = polygon_cells(
        x, y, ring_starts, ring_signs, zone_rings, grid.width, grid.height)
    n_blocks = -(-grid.height // rows)  # blocks are whole rows and a run lies in one row: none crosses a block
    (run_zone, run_start, run_length), run_starts = _by_block((run_zone, run_start, run_length), run_start,
                                                              block_cells, n_blocks)
    (zone, cell, fraction), starts = _by_block((zone, cell, fraction), cell, block_cells, n_blocks)
    # planar area in the grid's CRS, the same measure as the coverage fractions
    zone_cells = shapely.area(geoms).astype(np.float64) / (grid.dx * grid.dy)
    return Coverage(run_zone, run_start, run_length, zone, cell, fraction, zone_cells, grid.width, grid.n_cells,
                    rows, run_starts, starts)


def _rings(geoms: np.ndarray, grid: Grid):
    """The zones' polygon rings in grid units (x east from the west edge, y south from the north edge, in
    cells) for ``polygon_cells``: vertices, ring starts, +1 / -1 for exterior rings / holes, and each
    zone's rings. Parts without area (lines, points left by ``make_valid``) and empty zones have none."""
    import shapely

    parts, owner = shapely.get_parts(geoms, return_index=True)
    while True:  # collections may hold multipolygons
        types = shapely.get_type_id(parts)
        nested = (types == 6) | (types == 7)  # MultiPolygon, GeometryCollection
        if not nested.any():
            break
        inner, index = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], inner])
        owner = np.concatenate([owner[~nested], owner[nested][index]])
    polygon = (types == 3) & ~shapely.is_empty(parts)  # the loop left types of these parts
    parts, owner = parts[polygon], owner[polygon]
    order = np.argsort(owner, kind="stable")
    parts, owner = parts[order], owner[order]
    rings, part_of = shapely.get_rings(parts, return_index=True)  # each polygon's exterior, then its holes
    exterior = np.ones(len(rings), dtype=bool)
    exterior[1:] = part_of[1:] != part_of[:-1]
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    x = (coords[:, 0] - grid.west) / grid.dx
    y = (grid.north - coords[:, 1]) / grid.dy
    ring_starts = np.searchsorted(ring_of, np.arange(len(rings) + 1))
    zone_rings = np.searchsorted(owner[part_of], np.arange(len(geoms) + 1))
    return (np.ascontiguousarray(x), np.ascontiguousarray(y), ring_starts.astype(np.int64),
            np.where(exterior, 1.0, -1.0), zone_rings.astype(np.int64))


def _by_block(arrays: tuple[np.ndarray, ...], cells: np.ndarray, block_cells: int, n_blocks: int):
    """``arrays`` reordered by the block of ``cells`` (stable: zone order kept within a block), and each
    block's start."""
    if n_blocks == 1:
        return arrays, np.array([0, cells.size])
    block_of = cells // block_cells
    order = np.argsort(block_of, kind="stable")
    return tuple(a[order] for a in arrays), np.searchsorted(block_of[order], np.arange(n_blocks + 1))


# ------------------------------------------------------------------------------------------ statistics
# Bands are read and reduced in blocks of whole raster rows of about this many cells, so a 15 arc-second
# band over China (about 10^8 cells) never sits in memory as one float64 array.
MAX_CELLS_PER_BLOCK = 8_000_000


class ZoneMoments:
    """Per-zone running sums over blocks of cells: coverage weight, weighted total, the sum of weighted
    squared deviations (two passes per block, merged across blocks with Chan, Golub & LeVeque's pairwise
    update, so the standard deviation stays exact where sum-of-squares would cancel), and min / max.
    The passes are ``ingestion.zonal_kernels``' compiled loops over the block's runs and entries."""

    def __init__(self, n_zones: int, stats: Sequence[str]):
        from ingestion.zonal_kernels import empty_moments

        unknown = [s for s in stats if s not in STATS]
        if unknown:
            raise ValueError(f"unknown statistic(s) {unknown}; known: {STATS}")
        self.stats = tuple(stats)
        self.weight, self.total, self.low, self.high = empty_moments(n_zones)
        self.mean = np.zeros(n_zones)
        self.m2 = np.zeros(n_zones)
        self.any_valid = False  # a valid cell seen in the blocks, inside zones or not

    def add(self, cov: Coverage, block: int, values: "np.ndarray | Cells") -> None:
        """Add block ``block`` of the coverage, whose cells hold ``values``: flat float64 (NaN = invalid),
        or ``Cells`` as stored, converted cell by cell in the kernels."""
        from ingestion import zonal_kernels as kernels

        cells = values if isinstance(values, Cells) else Cells.of(values)
        data = cells.kernel_args
        parts = cov.block(block)
        first = block * cov.block_rows * cov.width
        self.any_valid = self.any_valid or bool(kernels.any_valid(*data))
        if cells.integers:
            first_moments = partial(kernels.first_moments_of_integers, cells.stored, cells.check_nodata, cells.nodata)
        else:
            first_moments = partial(kernels.first_moments, *data)
        if "std" not in self.stats:
            first_moments(first, *parts, self.weight, self.total, self.low, self.high)
            return
        n = self.weight.size
        w, t = np.zeros(n), np.zeros(n)
        first_moments(first, *parts, w, t, self.low, self.high)
        seen = w > 0
        block_mean = np.divide(t, w, out=np.zeros(n), where=seen)
        m2 = np.zeros(n)
        kernels.second_moments(*data, first, *parts, block_mean, m2)
        first_seen = seen & (self.weight == 0)
        both = seen & (self.weight > 0)
        delta = block_mean[both] - self.mean[both]
        merged = self.weight[both] + w[both]
        self.m2[both] += m2[both] + delta * delta * self.weight[both] * w[both] / merged
        self.mean[both] += delta * w[both] / merged
        self.m2[first_seen], self.mean[first_seen] = m2[first_seen], block_mean[first_seen]
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


def summarise(cov: Coverage, values: np.ndarray, stats: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Zonal ``stats`` of one band held in memory (flat, NaN = invalid) -> (values[stat, zone], coverage[zone])."""
    if len(cov.block_starts) != 2:
        raise ValueError("summarise takes a coverage computed as one block (coverage_matrix(..., block_rows=height))")
    moments = ZoneMoments(cov.n_zones, stats)
    moments.add(cov, 0, np.asarray(values, dtype=np.float64))
    return moments.finish(cov.zone_cells)


# ------------------------------------------------------------------------------------------------ tasks
@dataclass(frozen=True)
class Linear:
    """A block's values as the kernels can compute them from its stored numbers, cell by cell: NaN where
    the number is ``nodata``, else float64(number) * scale + offset; infinities are invalid too."""

    nodata: float | None
    scale: float = 1.0
    offset: float = 0.0


@dataclass(frozen=True)
class Stored:
    """One block as its file stores it, and the function that turns it into values (flat float64, NaN
    where invalid, in the canonical unit). A reader that yields these lets the reading (on the
    read-ahead thread) and the conversion (where the block is summarised) run side by side. With
    ``linear`` the conversion is that affine map, which the kernels apply as they go (``Cells``), so the
    block is never converted as a whole; ``values`` gives the same numbers for other callers."""

    raw: np.ndarray
    values: Callable[[np.ndarray], np.ndarray]
    linear: Linear | None = None

    @property
    def nbytes(self) -> int:
        return self.raw.nbytes


@dataclass(frozen=True)
class Cells:
    """A block for the kernels (``zonal_kernels._value``): flat stored numbers and their conversion."""

    stored: np.ndarray
    check_nodata: bool
    nodata: object  # a scalar of the stored type
    scale: float
    offset: float

    @classmethod
    def of(cls, block: "np.ndarray | Stored") -> "Cells":
        if not isinstance(block, Stored) or block.linear is None:
            values = np.ascontiguousarray(block_values(block), dtype=np.float64)
            return cls(values, False, np.float64(0.0), 1.0, 0.0)
        raw = np.ascontiguousarray(block.raw).ravel()
        nodata = _stored_nodata(block.linear.nodata, raw.dtype)
        return cls(raw, nodata is not None, raw.dtype.type(0) if nodata is None else nodata,
                   float(block.linear.scale), float(block.linear.offset))

    @property
    def size(self) -> int:
        return self.stored.size

    @property
    def kernel_args(self) -> tuple:
        """The kernels' leading arguments: (values, check_nodata, nodata, scale, offset)."""
        return self.stored, self.check_nodata, self.nodata, self.scale, self.offset

    @property
    def integers(self) -> bool:
        """Integers of at most 32 bits that are the values themselves (``first_moments_of_integers``)."""
        return (self.stored.dtype.kind in "iu" and self.stored.dtype.itemsize <= 4 and self.scale == 1.0
                and self.offset == 0.0)

    def value(self, i: int) -> float:
        """Cell ``i``'s value, by the kernels' own conversion (``zonal_kernels._value``)."""
        from ingestion.zonal_kernels import _value

        return float(_value(self.stored[i], *self.kernel_args[1:]))


def _stored_nodata(nodata: float | None, dtype: np.dtype):
    """``nodata`` in the stored type, or None when no stored number can equal it, with numpy's meaning of
    ``raw == nodata`` (the conversion in ``_raster._gdal_values``): a float type compares in its own
    precision; an integer type only matches an integer within its range; NaN is matched by the
    validity test (not finite), not as nodata."""
    if nodata is None or np.isnan(nodata):
        return None
    if dtype.kind == "f":
        return dtype.type(nodata)
    info = np.iinfo(dtype)
    if float(nodata).is_integer() and info.min <= nodata <= info.max:
        return dtype.type(int(nodata))
    return None


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
                    data = None if data is None else Cells.of(data)
                    if data is None or data.size != block_grid.n_cells:
                        size = 0 if data is None else data.size
                        raise IngestError(band.label, f"{describe_band(band)}, rows {band.row_off + r0}+",
                                          f"read {size} cells where the grid has {block_grid.n_cells}; the file "
                                          "is corrupt or truncated", "download the file again")
                    if task.checks.valid_range is not None:
                        check_range(data, band, block_grid, task.checks.valid_range, task.checks.invalid_hint)
                    moments.add(cov, block, data)
            finally:
                read.close()  # the reader's file is closed now, not when the generator is collected
            if not moments.any_valid:
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


def check_range(data: "np.ndarray | Cells", band: BandRef, grid: Grid, valid_range: tuple[float, float],
                hint: str) -> None:
    """Reject values outside ``valid_range`` (negative emissions, undeclared nodata), naming the first cell."""
    from ingestion import zonal_kernels as kernels

    cells = data if isinstance(data, Cells) else Cells.of(data)
    low, high = valid_range
    first, count = kernels.outside(*cells.kernel_args, float(low), float(high))
    if first < 0:
        return
    value = cells.value(first)
    x, y = grid.cell_centre(first)
    what = (f"negative value {value!r}" if low == 0 and value < 0
            else f"{band.variable} {value!r} outside the plausible range [{low:g}, {high:g}]")
    raise IngestError(
        band.label, f"{describe_band(band)}, {cell_at(x, y)}",
        f"{what} ({count} such cell(s) in this block of rows over the cities); {hint}",
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

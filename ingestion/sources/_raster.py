"""What the four raster sources (edgar_co2, pm25, ntl, dem) share: the ``raw.raster_zonal`` contract,
file inspection (layout, year, CRS, grid window over the cities), band readers and the checks on bad input.

A raster product is described by a small ``RasterProduct`` (canonical variable and unit, statistics, a
``recognise`` function naming each file's published layout, the quantity it needs);
``read_raster_product`` turns its files into rows of ``raw.raster_zonal``:

    recognise every file (name, NetCDF header)  ->  refuse other quantities, skip sibling layers
    ->  inspect (grid window over the cities; tiles mosaicked as one GDAL VRT)
    ->  zonal statistics (ingestion.zonal, tasks on ctx.executor; readers convert to canonical units)
    ->  reject cities the raster does not cover  ->  one long frame + each file's layout for raw._loads

What the readers normalise, so every layout reaches the same canonical grid:

* NetCDF latitude in either order and CHAP's uint16 with ``scale_factor`` / ``_FillValue`` (GDAL's
  netCDF driver: north-up rows, scale and nodata reported and applied here);
* longitudes 0 .. 360 (EDGAR up to v7.0): the grid is presented as -180 .. 180 by rotating columns;
* fluxes in kg m-2 s-1: tonnes per cell with the cell's area on the WGS84 ellipsoid and the seconds of
  that year (``ingestion.geodesy``, the one home of that rule);
* the EDGAR text grid's coordinates: lower-left cell corners (shifted by half a cell) or centres;
* gzipped GeoTIFFs (VIIRS VNL as served): read through GDAL's ``/vsigzip/``, never unzipped to disk;
* DEM tiles: mosaicked on the fly as one GDAL VRT (an in-memory XML document over the tile files).

Static rasters (the DEM) have no year; they are stored with ``year = 0`` because ``year`` is part of
the table's key (DuckDB keys cannot be NULL) -- read ``year = 0`` as "time-invariant".
"""
from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable, Iterator, Sequence
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from ingestion import geodesy
from ingestion.contract import Column, Contract
from ingestion.errors import IngestError
from ingestion.sources._layouts import Expected, Recognised, select
from ingestion.sources.base import FileLayout, LoadContext, ReadResult
from ingestion.zonal import BandRef, Grid, Linear, Stored, ValueChecks, cell_of, describe_band, window_over, zonal_stats

RASTER_ZONAL = Contract(
    table="raster_zonal",
    description="Zonal statistics of gridded products over city polygons, one row per "
                "(source, variable, city, year, statistic). year = 0 for time-invariant rasters (DEM).",
    columns=(
        Column("source", "varchar", "source module that wrote the row (edgar_co2, pm25, ntl, dem)"),
        Column("variable", "varchar", "co2 (tonnes), pm25 (ug/m3), ntl (nW/cm2/sr), elevation (m)"),
        Column("adcode", "varchar", "6-digit city adcode"),
        Column("year", "integer", "calendar year; 0 for time-invariant rasters", min=0, max=2100),
        Column("stat", "varchar", "sum (coverage-weighted), mean, std, range (max - min)"),
        Column("value", "double", "the statistic, in the variable's unit"),
        Column("coverage", "double", "share of the city's area covered by valid raster cells", min=0, max=1),
        Column("source_file", "varchar", "file(s) the value was computed from, relative to the sources folder"),
    ),
    key=("source", "variable", "adcode", "year", "stat"),
    shared=True,
)

# A city is "not covered" when less than this share of its area lies on valid cells of a band.
MIN_CITY_COVERAGE = 0.5
STATIC_YEAR = 0
YEAR_RANGE = (1970, 2100)

# EDGAR's gridded products are on a global 0.1-degree grid with cell edges on multiples of 0.1 degree.
EDGAR_TEXT_GRID = (-180.0, 90.0, 0.1, 3600, 1800)  # west, north, resolution, width, height
# GDAL settings for every read: no log noise (errors become our messages), and /vsigzip/ must not write
# a ".properties" index beside a gzipped input (the sources folder is read-only for us)
GDAL_ENV = {"CPL_LOG_ERRORS": "OFF", "CPL_VSIL_GZIP_WRITE_PROPERTIES": "NO"}


@dataclass(frozen=True)
class RasterProduct:
    """How one gridded product is recognised, read and summarised."""

    source: str
    variable: str
    unit: str  # the canonical unit of raw.raster_zonal.value
    stats: tuple[str, ...]  # ingestion.zonal.STATS; "range" is relief for the DEM
    recognise: Callable[[Path, str], Recognised]  # (path, label) -> the file's layout; raises IngestError
    # the quantity the product needs (None: any recognised file); a function when a setting chooses it
    expected: Expected | Callable[[], Expected] | None = None
    static: bool = False  # one time-invariant raster (year = 0)
    mosaic: bool = False  # several files are tiles of one raster, mosaicked on the fly
    checks: ValueChecks = ValueChecks()  # impossible cell values (negative emissions, undeclared nodata)
    complete: bool = False  # every cell has a value (zero included): NaN / nodata inside a city is an error
    file_example: str = ""  # a file name as the product publishes it (shown in error messages)


# ------------------------------------------------------------------------------------------------ years
def year_from_name(name: str) -> int | None:
    """The only standalone 4-digit year in a file name, if there is exactly one."""
    candidates = {int(t) for t in re.findall(r"(?<!\d)(\d{4})(?!\d)", name)
                  if YEAR_RANGE[0] <= int(t) <= YEAR_RANGE[1]}
    return candidates.pop() if len(candidates) == 1 else None


def checked_year(label: str, year: int) -> int:
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise IngestError(label, "file name", f"year {year} in the file name is outside {YEAR_RANGE[0]}-{YEAR_RANGE[1]}",
                          "name the file with the data year, as the product does")
    return year


def netcdf_time_years(path: Path) -> list[int] | None:
    """Years of the ``time`` coordinate of a NetCDF file (one per band), or None if it has none."""
    import netCDF4

    try:
        with netCDF4.Dataset(path) as ds:
            if "time" not in ds.variables:
                return None
            var = ds.variables["time"]
            units = getattr(var, "units", None)
            if units is None:
                return None
            dates = netCDF4.num2date(var[:], units, getattr(var, "calendar", "standard"))
            return [int(d.year) for d in np.atleast_1d(dates)]
    except (OSError, ValueError):
        return None


# -------------------------------------------------------------------------------------------- labels
def file_label(path: Path, source: str) -> str:
    """The file relative to the sources folder (``<source>/...``), as the manifest records it."""
    parts = path.parts
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == source:
            return Path(*parts[i:]).as_posix()
    return path.name


# --------------------------------------------------------------------------------------------- readers
@dataclass(frozen=True)
class GdalRead:
    """How to read a GDAL dataset into the canonical grid (a BandRef's ``options[0]``)."""

    open_name: str  # NETCDF:"f":var, /vsigzip/f, a path, or a VRT XML document
    file_width: int  # columns of the dataset
    rotate: int = 0  # canonical column c is dataset column (c + rotate) % file_width (0..360 -> -180..180)
    flux_year: int | None = None  # values are kg m-2 s-1: tonnes per cell with this year's seconds


@dataclass(frozen=True)
class TextRead:
    """How to read EDGAR's text grid (a BandRef's ``options[0]``)."""

    header_lines: int
    corners: bool  # coordinates are lower-left cell corners (the published files) rather than centres


Blocks = Sequence[tuple[int, Grid]]  # (first row within the band's window, the block's grid)


def _open_error(band: BandRef, exc: BaseException) -> IngestError:
    return IngestError(band.label, describe_band(band), f"cannot be read ({_first_line(exc)}); the file is "
                       "corrupt or truncated", "download the file again and check its size against the "
                       "provider's listing")


class _Handoff:
    """Datasets a gzipped file's inspection opened, kept open for its read in the same process.

    Opening a ``/vsigzip/`` GeoTIFF inflates the stream up to its header (tens of ms for a VIIRS file);
    inspecting and then reading would pay it twice. ``_open_info`` hands the open dataset over here and
    ``read_gdal_stored`` takes it (once: it closes it after the band). Only in the process that opened it
    (a forked pool worker or a Dask worker opens its own); at most ``LIMIT`` kept (the oldest closed);
    ``read_raster_product`` closes what no read took (e.g. when the reads ran on a cluster)."""

    LIMIT = 16

    def __init__(self):
        self.open: dict[str, tuple[int, object]] = {}

    def keeps(self, open_name: str) -> bool:
        return open_name.startswith("/vsigzip/")

    def give(self, open_name: str, ds) -> None:
        old = self.open.pop(open_name, None)
        if old is not None:
            self._close(old)
        self.open[open_name] = (os.getpid(), ds)
        while len(self.open) > self.LIMIT:
            self._close(self.open.pop(next(iter(self.open))))

    def take(self, open_name: str):
        entry = self.open.pop(open_name, None)
        if entry is None:
            return None
        if entry[0] != os.getpid():  # inherited through fork: not ours to use (nor to close)
            return None
        return entry[1]

    def clear(self) -> None:
        while self.open:
            self._close(self.open.pop(next(iter(self.open))))

    @staticmethod
    def _close(entry) -> None:
        if entry[0] == os.getpid():
            entry[1].close()


HANDOFF = _Handoff()


def read_gdal_stored(band: BandRef, blocks: Blocks) -> Iterator[Stored]:
    """One band of a GDAL-readable raster, block by block, in its stored type with the conversion to
    values to apply (``_gdal_values``). The dataset is opened once for all blocks, so a gzipped file is
    inflated in one pass (and not at all again when this process's inspection of it left it open:
    ``HANDOFF``). The raster products' bands use this reader, so a read-ahead thread only reads."""
    import rasterio

    spec: GdalRead = band.options[0]
    with rasterio.Env(**GDAL_ENV):
        ds = HANDOFF.take(spec.open_name)
        try:
            ds = ds if ds is not None else rasterio.open(spec.open_name)
        except Exception as exc:  # rasterio/GDAL raise several types for damaged files
            raise _open_error(band, exc) from None
        with ds:
            nodata = ds.nodata
            scale, offset = ds.scales[band.band - 1], ds.offsets[band.band - 1]
            for r0, grid in blocks:
                try:
                    raw = _read_columns(ds, band.band, band.col_off, band.row_off + r0, grid.width, grid.height,
                                        spec)
                except Exception as exc:
                    raise _open_error(band, exc) from None
                yield Stored(raw, partial(_gdal_values, nodata=nodata, scale=scale, offset=offset,
                                          flux_year=spec.flux_year, grid=grid),
                             None if spec.flux_year is not None else Linear(nodata, scale, offset))


def _gdal_values(raw: np.ndarray, *, nodata, scale: float, offset: float, flux_year: int | None,
                 grid: Grid) -> np.ndarray:
    """A block read in the stored type (GDAL's conversion to float64 costs as much as the decoding) ->
    flat float64 values: nodata and infinities are found in the stored type (NaN stays NaN through the
    conversion), then one pass converts and scales (float64(raw) * scale), fluxes become tonnes."""
    invalid = raw == nodata if nodata is not None and not np.isnan(nodata) else None
    if raw.dtype.kind == "f":
        infinite = np.isinf(raw)
        invalid = infinite if invalid is None else invalid | infinite
    data = np.multiply(raw, scale, dtype=np.float64) if scale != 1.0 else raw.astype(np.float64)
    if offset != 0.0:
        data += offset
    if invalid is not None and invalid.any():
        np.putmask(data, invalid, np.nan)  # faster than copyto(where=) or boolean indexing
    if flux_year is not None:
        areas = geodesy.row_areas_m2(grid.north, grid.dy, grid.height, grid.dx)
        data = geodesy.flux_to_tonnes(data, areas[:, None], flux_year)
    return data.ravel()


def _read_columns(ds, band: int, col_off: int, row_off: int, width: int, height: int, spec: GdalRead) -> np.ndarray:
    """Canonical columns ``col_off .. col_off + width`` of ``height`` rows, through the rotation (at most
    two dataset windows when the columns wrap around the dataset's last column)."""
    from rasterio.windows import Window

    start = (col_off + spec.rotate) % spec.file_width if spec.rotate else col_off
    first = min(width, spec.file_width - start) if spec.rotate else width
    parts = [ds.read(band, window=Window(start, row_off, first, height))]
    if first < width:
        parts.append(ds.read(band, window=Window(0, row_off, width - first, height)))
    return parts[0] if len(parts) == 1 else np.hstack(parts)


def read_edgar_text(band: BandRef, blocks: Blocks) -> Iterator[np.ndarray]:
    """EDGAR's ``lat;lon;emission YEAR (tons)`` text grid, block by block (parsed once).

    The text lists only cells with non-zero emissions. Cells inside the extent of the listed cells but
    absent from the file are zero; cells outside that extent are NaN (no data), so a file that stops
    short of some cities is reported as not covering them.
    """
    spec: TextRead = band.options[0]
    window = _text_window(band, blocks, spec)
    for r0, grid in blocks:
        yield window[r0:r0 + grid.height].ravel()


def _text_window(band: BandRef, blocks: Blocks, spec: TextRead) -> np.ndarray:
    path = Path(band.file)
    numbers = _parse_text_grid(path, band.label, spec.header_lines)
    lat, lon, value = numbers[:, 0], numbers[:, 1], numbers[:, 2]
    west, north, res, width, height = EDGAR_TEXT_GRID
    if spec.corners:  # (lat, lon) is the south-west corner of the cell
        col = np.round((lon - west) / res).astype(np.int64)
        row = np.round((north - lat) / res).astype(np.int64) - 1
        off = (np.abs(lon - (west + col * res)) > 0.01 * res) | (np.abs(lat - (north - (row + 1) * res)) > 0.01 * res)
        what = "the lower-left corner"
    else:
        col = np.floor((lon - west) / res).astype(np.int64)
        row = np.floor((north - lat) / res).astype(np.int64)
        off = (np.abs(lon - (west + (col + 0.5) * res)) > 0.01 * res) | \
              (np.abs(lat - (north - (row + 0.5) * res)) > 0.01 * res)
        what = "the centre"
    off |= (col < 0) | (col >= width) | (row < 0) | (row >= height)
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise IngestError(band.label, f"line {spec.header_lines + i + 1}",
                          f"lat {lat[i]}, lon {lon[i]} is not {what} of a 0.1-degree cell (as the file's first "
                          "lines are)", "use the EDGAR 0.1-degree .txt grid as published")
    negative = value < 0
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise IngestError(band.label, f"line {spec.header_lines + i + 1}, lat {lat[i]}, lon {lon[i]}",
                          f"negative emission {float(value[i])!r} ({int(negative.sum())} negative line(s)); "
                          "emissions cannot be negative", "replace the file with the published product")
    flat = row * width + col
    order = np.argsort(flat, kind="stable")
    repeated = np.flatnonzero(np.diff(flat[order]) == 0)
    if repeated.size:
        i = int(order[repeated[0] + 1])
        raise IngestError(band.label, f"line {spec.header_lines + i + 1}",
                          f"cell lat {lat[i]}, lon {lon[i]} is listed twice", "keep one line per cell")
    # the band's window inside the global grid
    first = blocks[0][1]
    n_rows = sum(g.height for _, g in blocks)
    col0 = int(round((first.west - west) / res))
    row0 = int(round((north - first.north) / res))
    out = np.full((n_rows, first.width), np.nan)
    if len(flat):
        r0, r1 = row.min() - row0, row.max() - row0 + 1
        c0, c1 = col.min() - col0, col.max() - col0 + 1
        out[max(r0, 0):max(min(r1, n_rows), 0), max(c0, 0):max(min(c1, first.width), 0)] = 0.0
        inside = (row >= row0) & (row < row0 + n_rows) & (col >= col0) & (col < col0 + first.width)
        out[row[inside] - row0, col[inside] - col0] = value[inside]
    return out


def _parse_text_grid(path: Path, label: str, header_rows: int) -> np.ndarray:
    """(n, 3) float array of lat, lon, value; a damaged line gives an error naming its line number."""
    try:
        frame = pd.read_csv(path, sep=";", header=None, skiprows=header_rows, names=["lat", "lon", "value"],
                            dtype=np.float64, skip_blank_lines=True, encoding="utf-8")
        numbers = frame.to_numpy()
        if not np.isnan(numbers).any():
            return numbers
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
        pass  # slow path below finds the offending line
    try:
        frame = pd.read_csv(path, sep=";", header=None, skiprows=header_rows, names=["lat", "lon", "value"],
                            dtype=str, skip_blank_lines=True, encoding="utf-8", keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise IngestError(label, "whole file", f"cannot be parsed as a lat;lon;value grid ({_first_line(exc)})",
                          "the file is damaged or not an EDGAR .txt grid; download it again") from None
    numbers = frame.apply(pd.to_numeric, errors="coerce")
    bad = numbers.isna().any(axis=1).to_numpy()
    i = int(np.flatnonzero(bad)[0])
    raw = ";".join("" if pd.isna(v) else str(v) for v in frame.iloc[i])
    last = i == len(frame) - 1
    raise IngestError(label, f"line {header_rows + i + 1}",
                      f"{raw!r} is not 'lat;lon;value' with three numbers ({int(bad.sum())} such line(s)"
                      + ("; the last line: the file is truncated)" if last else ")"), "download the file again")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def edgar_text_header(path: Path, label: str, year: int) -> tuple[int, bool]:
    """(lines before the data, whether coordinates are lower-left corners) of an EDGAR text grid.

    The published grids list lower-left corners (lat and lon on multiples of 0.1 degree; the release
    readme, and readers that shift them by 0.05); a grid with coordinates on the half-tenths lists cell
    centres (re-exports). The first data lines decide; every line is checked against that when read."""
    header = None
    try:
        with open(path, encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if line.strip().lower().startswith("lat;lon"):
                    years = {int(y) for y in re.findall(r"(?<!\d)(\d{4})(?!\d)", line)}
                    if years and year not in years:
                        raise IngestError(label, f"line {i + 1}", f"the column header says {sorted(years)} "
                                          f"but the file name says {year}", "rename the file or fix its header")
                    header = i + 1
                    break
                if i >= 50:
                    break
            sample = [line for _, line in zip(range(200), fh) if line.strip()]
    except UnicodeDecodeError:
        sample = []
    if header is None:
        raise IngestError(label, "lines 1-50", "no 'lat;lon;emission YEAR (tons)' header line in the first 50 lines",
                          "use the EDGAR .txt grid as downloaded (a few header lines, then lat;lon;value rows)")
    fractions = []
    for line in sample:
        try:
            lat, lon = (float(x) for x in line.split(";")[:2])
        except ValueError:
            continue  # reported with its line number when the grid is read
        fractions += [round((lat * 10) % 1, 3) % 1, round((lon * 10) % 1, 3) % 1]
    centres = sum(abs(f - 0.5) < 0.05 for f in fractions)
    return header, not (fractions and centres > len(fractions) / 2)


# ------------------------------------------------------------------------------------------ inspection
def _cities_bounds(cities_wkb: Sequence[bytes], crs) -> tuple[float, float, float, float]:
    from rasterio.warp import transform_bounds

    return transform_bounds("EPSG:4326", crs, *_bounds_4326(tuple(cities_wkb)), densify_pts=21)


@lru_cache(maxsize=4)
def _bounds_4326(cities_wkb: tuple[bytes, ...]) -> tuple[float, ...]:
    import shapely

    return tuple(shapely.total_bounds(shapely.from_wkb(list(cities_wkb))))


def canonical_wkt(crs) -> str:
    """One WKT per CRS (GDAL's and PROJ's spellings of EPSG:4326 differ), so equal grids group together."""
    return _canonical_wkt(crs.to_wkt() if hasattr(crs, "to_wkt") else str(crs))


@lru_cache(maxsize=32)
def _canonical_wkt(text: str) -> str:
    from pyproj import CRS

    parsed = CRS.from_user_input(text)
    code = parsed.to_epsg()
    return CRS.from_epsg(code).to_wkt() if code else parsed.to_wkt()


def inspect_file(path: Path, product: RasterProduct, cities_wkb: Sequence[bytes]) -> list[tuple[BandRef, Grid]]:
    """The bands of one file with the grid window (over the cities) each is read on."""
    path = Path(path)
    return inspect_recognised(product.recognise(path, file_label(path, product.source)), product, cities_wkb)


def inspect_recognised(rec: Recognised, product: RasterProduct,
                       cities_wkb: Sequence[bytes]) -> list[tuple[BandRef, Grid]]:
    if rec.open_name is None:  # the EDGAR text grid
        west, north, res, width, height = EDGAR_TEXT_GRID
        full = Grid(canonical_wkt("EPSG:4326"), west, north, res, res, width, height)
        window = window_over(full, _cities_bounds(cities_wkb, "EPSG:4326"))
        assert window is not None  # the global grid covers every city
        band = BandRef(str(rec.path), rec.label, 1, rec.year, product.variable, read_edgar_text,
                       options=(TextRead(rec.header_lines, rec.corners),))
        return [(band, window[0])]
    info = _open_info(rec, product)
    full, rotate = _canonical_grid(rec, info)
    window = window_over(full, _cities_bounds(cities_wkb, info.crs))
    if window is None:
        raise IngestError(rec.label, "raster bounds", "the raster does not cover any of the cities (raster bounds "
                          f"{full.west:.3f}, {full.south:.3f}, {full.east:.3f}, {full.north:.3f} in {_crs_name(info.crs)})",
                          "use the product's file for China (or the global file); if the bounds are in other "
                          "units than the CRS says, the file's CRS is wrong: fix it with gdal_edit.py -a_srs")
    grid, col_off, row_off = window
    years = _band_years(rec, product, info.count)
    spec = GdalRead(rec.open_name, info.width, rotate, None)
    bands = []
    for b in range(info.count):
        read = spec if not rec.flux else GdalRead(rec.open_name, info.width, rotate, years[b])
        bands.append((BandRef(rec.open_name, rec.label, b + 1, years[b], product.variable, read_gdal_stored,
                              col_off, row_off, options=(read,)), grid))
    return bands


@dataclass(frozen=True)
class _Info:
    crs: object
    transform: object
    width: int
    height: int
    count: int
    dtype: str
    nodata: float | None


def _open_info(rec: Recognised, product: RasterProduct) -> _Info:
    import rasterio
    from affine import Affine
    from rasterio.errors import NotGeoreferencedWarning

    if rec.grid is not None:  # a regular lat/lon NetCDF: its header gave the grid GDAL would present
        g, bands = rec.grid
        return _Info(rasterio.crs.CRS.from_epsg(4326), Affine(g.dx, 0.0, g.west, 0.0, -g.dy, g.north), g.width,
                     g.height, bands, "", rec.nodata)
    is_netcdf = rec.open_name.startswith("NETCDF:")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)  # reported below as our own error
            with rasterio.Env(**GDAL_ENV):
                ds = rasterio.open(rec.open_name)
                try:
                    info = _Info(ds.crs, ds.transform, ds.width, ds.height, ds.count, ds.dtypes[0], ds.nodata)
                    tags = ds.tags()
                except BaseException:
                    ds.close()
                    raise
                if HANDOFF.keeps(rec.open_name):
                    HANDOFF.give(rec.open_name, ds)  # the read of this file takes it (one inflate, not two)
                else:
                    ds.close()
    except Exception as exc:
        raise IngestError(rec.label, "whole file", f"cannot be opened as a raster ({_first_line(exc)}); the file "
                          "is corrupt, truncated or not a raster", "download the file again and check its size") from None
    crs = info.crs
    if is_netcdf and crs is None and not info.transform.is_identity and _has_lat_lon_degrees(tags):
        # CF: 1-D lat/lon coordinates in degrees without a grid_mapping are geographic (WGS84), as in
        # EDGAR's and ACAG's files; GDAL >= 3.9 leaves their CRS unset.
        crs = rasterio.crs.CRS.from_epsg(4326)
    if crs is None or info.transform.is_identity:
        if is_netcdf:
            raise IngestError(rec.label, "coordinates", "no lat/lon coordinates (the grid has no georeferencing)",
                              "use the product's NetCDF with its lat and lon coordinate variables")
        raise IngestError(rec.label, "CRS", "the raster has no coordinate reference system (CRS)",
                          "assign one, e.g. gdal_edit.py -a_srs EPSG:4326 FILE (the product's CRS)")
    t = info.transform
    if t.b != 0 or t.d != 0 or t.e >= 0:
        raise IngestError(rec.label, "geotransform", f"unsupported grid orientation {tuple(t)[:6]}",
                          "warp the raster to a north-up grid (gdalwarp)")
    if rec.tile is not None:
        _check_tile(rec, crs, t, info.width, info.height)
    if rec.flux and not crs.is_geographic:
        raise IngestError(rec.label, "CRS", f"a flux (kg m-2 s-1) on a projected grid ({_crs_name(crs)}); cell "
                          "areas are computed for longitude/latitude cells", "use the product's lat/lon NetCDF")
    return _Info(crs, t, info.width, info.height, info.count, info.dtype, info.nodata)


SRTM_TILE_DEGREES = 5.0  # CGIAR-CSI SRTM tiles: columns 1..72 east from -180, rows 1..24 south from 60 N


def srtm_tile_bounds(column: int, row: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of SRTM tile ``srtm_{column:02d}_{row:02d}``."""
    west = -180.0 + (column - 1) * SRTM_TILE_DEGREES
    north = 60.0 - (row - 1) * SRTM_TILE_DEGREES
    return west, north - SRTM_TILE_DEGREES, west + SRTM_TILE_DEGREES, north


def _check_tile(rec: Recognised, crs, t, width: int, height: int) -> None:
    """A tile named srtm_XX_YY must lie in that 5 x 5 degree box (within a cell: some tiles carry a
    half-cell border)."""
    w, s, e, n = srtm_tile_bounds(*rec.tile)
    west, north = t.c, t.f
    east, south = west + width * t.a, north + height * t.e
    tol = max(t.a, -t.e) * 1.01
    if not crs.is_geographic or west < w - tol or east > e + tol or south < s - tol or north > n + tol:
        raise IngestError(rec.label, "raster bounds", f"covers lon {west:.3f} .. {east:.3f}, lat {south:.3f} .. "
                          f"{north:.3f} ({_crs_name(crs)}), but an SRTM tile of that name covers lon {w:g} .. {e:g}, "
                          f"lat {s:g} .. {n:g}", "download the tile again (or give it the name of the area it covers)")


def _canonical_grid(rec: Recognised, info: _Info) -> tuple[Grid, int]:
    """The dataset's grid in canonical longitudes (-180 .. 180) and the column rotation that gets there.

    A global grid on 0 .. 360 is rotated so that its first column starts at -180; a grid wholly east of
    180 degrees is shifted by -360 degrees; anything else is kept as it is."""
    t = info.transform
    west, dx, width = t.c, t.a, info.width
    rotate = 0
    if info.crs.is_geographic and west + width * dx > 180 + 0.5 * dx:
        if abs(width * dx - 360) < 0.5 * dx:
            rotate = int(round(((-180 - west) % 360) / dx)) % width
            west = west + rotate * dx - 360
        elif west >= 180 - 0.5 * dx:
            west -= 360
    return Grid(canonical_wkt(info.crs), west, t.f, dx, -t.e, width, info.height), rotate


def _crs_name(crs) -> str:
    code = crs.to_epsg()
    return f"EPSG:{code}" if code else "its CRS"


def _has_lat_lon_degrees(tags: dict) -> bool:
    units = {k.split("#")[0].lower(): str(v).lower() for k, v in tags.items() if k.endswith("#units")}
    lat = next((u for n, u in units.items() if n in ("lat", "latitude")), "")
    lon = next((u for n, u in units.items() if n in ("lon", "longitude")), "")
    return lat.startswith("degree") and lon.startswith("degree")


def _band_years(rec: Recognised, product: RasterProduct, count: int) -> list[int]:
    if product.static:
        return [STATIC_YEAR] * count
    if count == 1 and rec.year is not None:
        return [rec.year]
    is_netcdf = rec.open_name is not None and rec.open_name.startswith("NETCDF:")
    time_years = netcdf_time_years(rec.path) if is_netcdf else None
    if time_years is not None and len(time_years) == count:
        return time_years
    if count == 1:
        raise no_year(rec.label, product)
    raise IngestError(rec.label, "bands", f"{count} bands but no time coordinate giving one year per band",
                      "use one file per year, or a NetCDF with a time coordinate")


def no_year(label: str, product: RasterProduct) -> IngestError:
    return IngestError(label, "file name", "no year can be read from the file name",
                       f"keep the product's file names (the year as in {product.file_example})")


# ---------------------------------------------------------------------------------------------- mosaics
@dataclass(frozen=True)
class Mosaic:
    """Tiles read as one raster: its band(s), the tiles under each city, and where each tile sits."""

    bands: list[tuple[BandRef, Grid]]
    tiles_of_city: list[list[str]]  # labels of the tiles each city's bounding box touches
    grid: Grid  # the whole mosaic
    tiles: list[tuple[str, tuple[int, int, int, int]]]  # label, (column, row, width, height) in the mosaic

    def tile_at(self, x: float, y: float) -> str | None:
        col, row = (x - self.grid.west) / self.grid.dx, (self.grid.north - y) / self.grid.dy
        return next((label for label, (c, r, w, h) in self.tiles if c <= col < c + w and r <= row < r + h), None)

    def name_tile(self, exc: IngestError) -> IngestError:
        """The error with the tile holding the cell it points at named as the file."""
        point = cell_of(exc.where)
        tile = self.tile_at(*point) if point else None
        return IngestError(tile or exc.file, exc.where, exc.problem, exc.fix)


def inspect_mosaic(recs: Sequence[Recognised], product: RasterProduct, cities_wkb: Sequence[bytes]) -> Mosaic:
    """Tiles of one raster as one band over a GDAL VRT.

    Tiles must share CRS, cell size and data type, sit on one grid and not overlap; the VRT places each
    tile at its offset (a ``gdalbuildvrt`` of them, built in memory) and gives gaps (tiles not published,
    e.g. over the sea) the tiles' nodata value."""
    infos = [(rec, _open_info(rec, product)) for rec in recs]
    rec0, first = infos[0]
    wkt0, dx, dy = canonical_wkt(first.crs), first.transform.a, -first.transform.e
    boxes = []
    for rec, info in infos:
        t = info.transform
        if canonical_wkt(info.crs) != wkt0 or abs(t.a - dx) > 1e-9 * dx or abs(-t.e - dy) > 1e-9 * dy:
            raise IngestError(rec.label, "grid", f"tile on another grid than {Path(rec0.label).name} (CRS "
                              f"{_crs_name(info.crs)} vs {_crs_name(first.crs)}, cell {t.a:g} x {-t.e:g} vs {dx:g} x {dy:g})",
                              "mosaic tiles of one product and resolution (or warp them to one grid first)")
        col, row = (t.c - first.transform.c) / dx, (first.transform.f - t.f) / dy
        if abs(col - round(col)) > 1e-6 or abs(row - round(row)) > 1e-6:
            raise IngestError(rec.label, "grid", f"tile not aligned with {Path(rec0.label).name}'s cells "
                              f"(offset {col:.3f} columns, {row:.3f} rows)", "resample the tiles to one grid")
        if info.dtype != first.dtype or info.nodata != first.nodata:
            undeclared = " (an undeclared nodata value?)" if None in (info.nodata, first.nodata) else ""
            raise IngestError(rec.label, "band 1", f"data type {info.dtype} / nodata {info.nodata} differ from "
                              f"{Path(rec0.label).name}'s {first.dtype} / nodata {first.nodata}{undeclared}",
                              "use tiles of one product; declare the nodata value (gdal_edit.py -a_nodata -32768)")
        boxes.append((round(col), round(row), info.width, info.height))
    _reject_overlaps(recs, boxes)
    c0, r0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    width = max(b[0] + b[2] for b in boxes) - c0
    height = max(b[1] + b[3] for b in boxes) - r0
    west, north = first.transform.c + c0 * dx, first.transform.f - r0 * dy
    offsets = [(c - c0, r - r0, w, h) for c, r, w, h in boxes]
    xml = vrt_xml(first.crs.to_wkt(), (west, dx, north, dy), (width, height), first.dtype, first.nodata,
                  [(str(rec.path.resolve()), off) for rec, off in zip(recs, offsets)])
    label = _mosaic_label(recs)
    whole = Recognised(rec0.path, label, rec0.product, rec0.release, rec0.layout, rec0.year, rec0.quantity,
                       open_name=xml)
    bands = inspect_recognised(whole, product, cities_wkb)
    grid = Grid(wkt0, west, north, dx, dy, width, height)
    tiles = [(rec.label, off) for rec, off in zip(recs, offsets)]
    return Mosaic(bands, _tiles_touched(tiles, grid, cities_wkb), grid, tiles)


def _mosaic_label(recs: Sequence[Recognised]) -> str:
    names = sorted(Path(r.label).name for r in recs)
    folder = Path(recs[0].label).parent.as_posix()
    return f"{folder}/{names[0]} .. {names[-1]} ({len(names)} tiles)"


def _reject_overlaps(recs: Sequence[Recognised], boxes: list[tuple[int, int, int, int]]) -> None:
    for i, (ci, ri, wi, hi) in enumerate(boxes):
        for j in range(i):
            cj, rj, wj, hj = boxes[j]
            if ci < cj + wj and cj < ci + wi and ri < rj + hj and rj < ri + hi:
                raise IngestError(recs[i].label, "raster bounds", f"overlaps {Path(recs[j].label).name}: the same "
                                  "cells twice (a tile beside a mosaic that contains it, or a duplicate)",
                                  "keep either the tiles or one mosaicked file, each cell once")


def vrt_xml(srs_wkt: str, geo: tuple[float, float, float, float], size: tuple[int, int], dtype: str,
            nodata: float | None, sources: Sequence[tuple[str, tuple[int, int, int, int]]]) -> str:
    """A GDAL VRT document placing each source file (whole, band 1) at its (column, row, width, height)."""
    gdal_type = {"int16": "Int16", "uint16": "UInt16", "int32": "Int32", "uint8": "Byte", "float32": "Float32",
                 "float64": "Float64", "uint32": "UInt32"}[dtype]
    west, dx, north, dy = geo
    parts = [f'<VRTDataset rasterXSize="{size[0]}" rasterYSize="{size[1]}">',
             f"<SRS>{escape(srs_wkt)}</SRS>",
             f"<GeoTransform>{west!r}, {dx!r}, 0.0, {north!r}, 0.0, {-dy!r}</GeoTransform>",
             f'<VRTRasterBand dataType="{gdal_type}" band="1">']
    if nodata is not None:
        parts.append(f"<NoDataValue>{nodata!r}</NoDataValue>")
    for path, (col, row, w, h) in sources:
        parts.append(f'<SimpleSource><SourceFilename relativeToVRT="0">{escape(path)}</SourceFilename>'
                     f'<SourceBand>1</SourceBand><SrcRect xOff="0" yOff="0" xSize="{w}" ySize="{h}"/>'
                     f'<DstRect xOff="{col}" yOff="{row}" xSize="{w}" ySize="{h}"/></SimpleSource>')
    parts.append("</VRTRasterBand></VRTDataset>")
    return "".join(parts)


def _tiles_touched(tiles, mosaic: Grid, cities_wkb) -> list[list[str]]:
    """For each city, the labels of the tiles its bounding box touches (in the mosaic's CRS)."""
    import shapely

    from ingestion.zonal import zones_in_crs

    bounds = shapely.bounds(zones_in_crs(cities_wkb, mosaic.crs_wkt, repair=False).to_numpy())  # boxes only
    out = []
    for w, s, e, n in bounds:
        c0, c1 = (w - mosaic.west) / mosaic.dx, (e - mosaic.west) / mosaic.dx
        r0, r1 = (mosaic.north - n) / mosaic.dy, (mosaic.north - s) / mosaic.dy
        out.append([label for label, (c, r, tw, th) in tiles if c < c1 and c0 < c + tw and r < r1 and r0 < r + th])
    return out


# ------------------------------------------------------------------------------------------------ read
def cities_frame(ctx: LoadContext) -> pd.DataFrame:
    cities = ctx.require_cities()
    missing = cities["geometry_wkb"].isna()
    if missing.any():
        row = cities.loc[missing].iloc[0]
        raise IngestError(None, f"city {row['adcode']}", "has no boundary geometry",
                          "reload the boundaries with a polygon for every city")
    return cities.reset_index(drop=True)


def read_raster_product(product: RasterProduct, files: Sequence[Path], ctx: LoadContext) -> ReadResult:
    """All files of one product -> raw.raster_zonal rows and each file's layout. Raises one IngestError
    on bad input, and on a file holding another quantity than the product needs."""
    try:
        return _read_raster_product(product, files, ctx)
    finally:
        HANDOFF.clear()  # what the reads did not take (a bad file refused, reads on a cluster)


def _read_raster_product(product: RasterProduct, files: Sequence[Path], ctx: LoadContext) -> ReadResult:
    cities = cities_frame(ctx)
    wkb = tuple(bytes(g) for g in cities["geometry_wkb"])
    files = [Path(f) for f in files]
    recognised = [product.recognise(f, file_label(f, product.source)) for f in files]
    expected = product.expected() if callable(product.expected) else product.expected
    used, skipped = select(recognised, expected) if expected else (recognised, {})
    mosaic = inspect_mosaic(used, product, wkb) if product.mosaic and len(used) > 1 else None
    if mosaic is not None:
        bands = mosaic.bands
    else:
        if product.static and len(used) > 1:
            raise IngestError(files[0].parent, "files", f"{len(used)} files for a single time-invariant raster "
                              f"({', '.join(r.path.name for r in used[:4])})", "keep one mosaicked file")
        bands = [b for rec in used for b in inspect_recognised(rec, product, wkb)]
    _reject_duplicate_years(bands)
    tiles_of_city = mosaic.tiles_of_city if mosaic is not None else None
    try:
        table = zonal_stats(bands, wkb, product.stats, executor=ctx.executor, checks=product.checks,
                            progress=ctx.progress, desc=product.source, zones_valid=True)  # LoadContext.cities
        _reject_uncovered(table, cities, complete=product.complete, tiles_of_city=tiles_of_city)
    except IngestError as exc:
        if mosaic is None:
            raise
        raise mosaic.name_tile(exc) from None
    frame = _long_frame(product, table, cities, tiles_of_city)
    layouts: dict[Path, FileLayout] = dict(skipped)
    for rec in used:
        layouts[rec.path] = rec.layout_record(product.unit)
    if mosaic is not None:
        rows_of = {rec.label: 0 for rec in used}
        for tiles in tiles_of_city:
            for label in tiles:
                rows_of[label] += len(product.stats)
        note = {"mosaic": f"GDAL VRT of {len(used)} tiles, built in memory"}
        for rec in used:
            facts = {**layouts[rec.path].facts, **note}
            layouts[rec.path] = (FileLayout(facts, rows=rows_of[rec.label]) if rows_of[rec.label] else
                                 FileLayout(facts, used=False, why="a tile of the mosaic that touches no city"))
    return ReadResult({"raster_zonal": frame}, layouts)


def _reject_duplicate_years(bands: list[tuple[BandRef, Grid]]) -> None:
    seen: dict[tuple[str, int], BandRef] = {}
    for band, _ in bands:
        key = (band.variable, band.year)
        if key in seen:
            first = seen[key]
            two_formats = Path(first.label).suffix != Path(band.label).suffix
            raise IngestError(band.label, f"band {band.band}",
                              f"year {band.year} of {band.variable} is already given by {first.label}"
                              + (" (same year in two formats)" if two_formats else ""), "keep one file per year")
        seen[key] = band


def _reject_uncovered(table, cities: pd.DataFrame, *, complete: bool = False,
                      tiles_of_city: list[list[str]] | None = None) -> None:
    """Cities with less than MIN_CITY_COVERAGE of their area on valid cells are not covered; for a
    complete product (a value in every cell, as EDGAR's sums need) any NaN / nodata cell in a city is.
    For a mosaic the error names the tiles under the first city not covered."""
    for b, band in enumerate(table.bands):
        low = np.flatnonzero(table.coverage[b] < MIN_CITY_COVERAGE)
        if low.size:
            named = ", ".join(f"{cities['name_zh'].iat[k]} ({cities['adcode'].iat[k]}) {table.coverage[b, k]:.0%}"
                              for k in low[:5])
            where = describe_band(band)
            under = tiles_of_city[int(low[0])] if tiles_of_city else []
            file = " + ".join(under) if under else band.label
            raise IngestError(file, where,
                              f"the raster does not cover {low.size} of {len(cities)} cities (less than "
                              f"{MIN_CITY_COVERAGE:.0%} of their area on valid cells): {named}",
                              "use a raster covering all of China (the product's full extent) without nodata over land")
        if complete:
            _reject_holes(table.coverage[b], band, cities)


def _reject_holes(coverage: np.ndarray, band: BandRef, cities: pd.DataFrame) -> None:
    holes = np.flatnonzero((coverage < 1 - 1e-6) & (coverage >= MIN_CITY_COVERAGE))
    if holes.size:
        k = int(holes[0])
        raise IngestError(band.label, f"{describe_band(band)}, city {cities['name_zh'].iat[k]} ({cities['adcode'].iat[k]})",
                          f"{1 - coverage[k]:.1%} of the city's area lies on NaN or nodata cells ({holes.size} "
                          "such city/cities): a missing cell is not zero, so the city sum would come out too low",
                          "replace the file with the published product (it gives every cell a value, zero included)")


def _long_frame(product: RasterProduct, table, cities: pd.DataFrame,
                tiles_of_city: list[list[str]] | None = None) -> pd.DataFrame:
    n_bands, n_stats, n_zones = table.values.shape
    shape = (n_bands, n_stats, n_zones)
    band_idx = np.broadcast_to(np.arange(n_bands)[:, None, None], shape).ravel()
    stat_idx = np.broadcast_to(np.arange(n_stats)[None, :, None], shape).ravel()
    zone_idx = np.broadcast_to(np.arange(n_zones)[None, None, :], shape).ravel()
    years = np.array([b.year for b in table.bands], dtype=np.int64)
    if tiles_of_city is None:
        labels = np.array([b.label for b in table.bands], dtype=object)[band_idx]
    else:  # a mosaic: each city's row names the tiles it was computed from
        folder = Path(tiles_of_city[0][0]).parent.as_posix() if tiles_of_city and tiles_of_city[0] else product.source
        per_zone = np.array([f"{folder}/" + "+".join(Path(t).name for t in tiles) for tiles in tiles_of_city],
                            dtype=object)
        labels = per_zone[zone_idx]
    return pd.DataFrame({
        "source": product.source,
        "variable": product.variable,
        "adcode": cities["adcode"].astype(str).to_numpy()[zone_idx],
        "year": years[band_idx],
        "stat": np.array(table.stats, dtype=object)[stat_idx],
        "value": table.values.ravel(),
        "coverage": np.broadcast_to(table.coverage[:, None, :], shape).ravel(),
        "source_file": labels,
    })

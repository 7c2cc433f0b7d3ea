"""What the four raster sources (edgar_co2, pm25, ntl, dem) share: the ``raw.raster_zonal`` contract,
file inspection (year, CRS, grid window over the cities), band readers and the checks on bad input.

A raster product is described by a small ``RasterProduct`` (variable, statistics, how the year is
named in its files); ``read_raster_product`` turns its files into rows of ``raw.raster_zonal``:

    inspect every file (cheap, here)  ->  zonal statistics (ingestion.zonal, tasks on ctx.executor)
    ->  reject cities the raster does not cover  ->  one long frame (source, variable, adcode, year, stat)

Static rasters (the DEM) have no year; they are stored with ``year = 0`` because ``year`` is part of
the table's key (DuckDB keys cannot be NULL) -- read ``year = 0`` as "time-invariant".
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ingestion.contract import Column, Contract
from ingestion.errors import IngestError
from ingestion.sources.base import LoadContext
from ingestion.zonal import BandRef, Grid, ValueChecks, describe_band, window_over, zonal_stats

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
        Column("source_file", "varchar", "file the value was computed from, relative to the sources folder"),
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


@dataclass(frozen=True)
class RasterProduct:
    """How one gridded product is named, read and summarised."""

    source: str
    variable: str
    unit: str
    stats: tuple[str, ...]  # ingestion.zonal.STATS; "range" is relief for the DEM
    year_patterns: tuple[str, ...] = ()  # regexes; each match's groups must all give the same year
    netcdf_variable: str | None = None  # the data variable inside NetCDF files
    netcdf_aliases: tuple[str, ...] = ()  # its names in other releases of the product, tried in order
    static: bool = False  # one time-invariant raster (year = 0)
    checks: ValueChecks = ValueChecks()  # impossible cell values (negative emissions, undeclared nodata)
    complete: bool = False  # every cell has a value (zero included): NaN / nodata inside a city is an error
    file_example: str = ""  # a file name as the product publishes it (shown in error messages)


# ------------------------------------------------------------------------------------------------ years
def year_from_name(path: Path, product: RasterProduct) -> int | None:
    """The year in a file name: the product's own pattern first, else the only standalone 4-digit year."""
    name = path.name
    for pattern in product.year_patterns:
        match = re.search(pattern, name)
        if match:
            years = {int(g) for g in match.groups() if g is not None}
            if len(years) != 1:
                raise IngestError(path, "file name", f"the file name spans several years {sorted(years)}",
                                  "use one file per calendar year (annual products)")
            return _checked_year(path, years.pop())
    candidates = {int(t) for t in re.findall(r"(?<!\d)(\d{4})(?!\d)", name)
                  if YEAR_RANGE[0] <= int(t) <= YEAR_RANGE[1]}
    if len(candidates) == 1:
        return candidates.pop()
    return None


def _checked_year(path: Path, year: int) -> int:
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise IngestError(path, "file name", f"year {year} in the file name is outside {YEAR_RANGE[0]}-{YEAR_RANGE[1]}",
                          "name the file with the data year, as the product does")
    return year


def netcdf_time_years(path: Path) -> list[int] | None:
    """Years of the ``time`` coordinate of a NetCDF file (one per band), or None if it has none."""
    try:
        import netCDF4
    except ImportError:  # pragma: no cover - netCDF4 is a pinned dependency
        return None
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
def read_gdal_band(band: BandRef, grid: Grid) -> np.ndarray:
    """One band of a GDAL-readable raster (GeoTIFF, NetCDF variable) over ``grid``; nodata -> NaN."""
    import rasterio
    from rasterio.windows import Window

    where = describe_band(band)
    try:
        with rasterio.Env(CPL_LOG_ERRORS="OFF"), rasterio.open(band.options[0]) as ds:
            window = Window(band.col_off, band.row_off, grid.width, grid.height)
            data = ds.read(band.band, window=window, out_dtype="float64")
            nodata = ds.nodata
            scale, offset = ds.scales[band.band - 1], ds.offsets[band.band - 1]
    except Exception as exc:  # rasterio/GDAL raise several types for damaged files
        raise IngestError(band.label, where, f"cannot be read ({_first_line(exc)}); the file is corrupt or truncated",
                          "download the file again and check its size against the provider's listing") from None
    if nodata is not None and not np.isnan(nodata):
        data[data == nodata] = np.nan
    data[~np.isfinite(data)] = np.nan
    if scale != 1.0 or offset != 0.0:
        data = data * scale + offset
    return data.ravel()


def read_edgar_text(band: BandRef, grid: Grid) -> np.ndarray:
    """EDGAR's ``lat;lon;emission YEAR (tons)`` text grid over ``grid`` (a window of the global 0.1-degree grid).

    The text lists only cells with non-zero emissions, at cell centres. Cells inside the extent of the
    listed cells but absent from the file are zero; cells outside that extent are NaN (no data), so a
    file that stops short of some cities is reported as not covering them.
    """
    path = Path(band.file)
    header_rows = band.options[0]
    numbers = _parse_text_grid(path, band.label, header_rows)
    lat, lon, value = numbers[:, 0], numbers[:, 1], numbers[:, 2]
    west, north, res, width, height = EDGAR_TEXT_GRID
    col = np.floor((lon - west) / res).astype(np.int64)
    row = np.floor((north - lat) / res).astype(np.int64)
    off_centre = (np.abs(lon - (west + (col + 0.5) * res)) > 0.01 * res) | \
                 (np.abs(lat - (north - (row + 0.5) * res)) > 0.01 * res) | \
                 (col < 0) | (col >= width) | (row < 0) | (row >= height)
    if off_centre.any():
        i = int(np.flatnonzero(off_centre)[0])
        raise IngestError(band.label, f"line {header_rows + i + 1}",
                          f"lat {lat[i]}, lon {lon[i]} is not the centre of a 0.1-degree cell",
                          "use the EDGAR 0.1-degree .txt grid (cell-centre coordinates)")
    negative = value < 0
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise IngestError(band.label, f"line {header_rows + i + 1}, lat {lat[i]}, lon {lon[i]}",
                          f"negative emission {float(value[i])!r} ({int(negative.sum())} negative line(s)); "
                          "emissions cannot be negative", "replace the file with the published product")
    flat = row * width + col
    order = np.argsort(flat, kind="stable")
    repeated = np.flatnonzero(np.diff(flat[order]) == 0)
    if repeated.size:
        i = int(order[repeated[0] + 1])
        raise IngestError(band.label, f"line {header_rows + i + 1}",
                          f"cell lat {lat[i]}, lon {lon[i]} is listed twice", "keep one line per cell")
    # grid window position inside the global grid
    col0 = int(round((grid.west - west) / res))
    row0 = int(round((north - grid.north) / res))
    out = np.full((grid.height, grid.width), np.nan)
    if len(flat):
        r0, r1 = row.min() - row0, row.max() - row0 + 1
        c0, c1 = col.min() - col0, col.max() - col0 + 1
        out[max(r0, 0):max(min(r1, grid.height), 0), max(c0, 0):max(min(c1, grid.width), 0)] = 0.0
        inside = (row >= row0) & (row < row0 + grid.height) & (col >= col0) & (col < col0 + grid.width)
        out[row[inside] - row0, col[inside] - col0] = value[inside]
    return out.ravel()


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


# ------------------------------------------------------------------------------------------ inspection
def _cities_bounds(cities_wkb: Sequence[bytes], crs) -> tuple[float, float, float, float]:
    from rasterio.warp import transform_bounds

    return transform_bounds("EPSG:4326", crs, *_bounds_4326(tuple(cities_wkb)), densify_pts=21)


@lru_cache(maxsize=4)
def _bounds_4326(cities_wkb: tuple[bytes, ...]) -> tuple[float, ...]:
    import shapely

    return tuple(shapely.total_bounds(shapely.from_wkb(list(cities_wkb))))


def _edgar_text_header(path: Path, label: str, year: int) -> int:
    """Number of lines before the data (the header lines up to and including ``lat;lon;...``)."""
    try:
        with open(path, encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if line.strip().lower().startswith("lat;lon"):
                    years = {int(y) for y in re.findall(r"(?<!\d)(\d{4})(?!\d)", line)}
                    if years and year not in years:
                        raise IngestError(label, f"line {i + 1}", f"the column header says {sorted(years)} "
                                          f"but the file name says {year}", "rename the file or fix its header")
                    return i + 1
                if i >= 50:
                    break
    except UnicodeDecodeError:
        pass
    raise IngestError(label, "lines 1-50", "no 'lat;lon;emission YEAR (tons)' header line in the first 50 lines",
                      "use the EDGAR .txt grid as downloaded (a few header lines, then lat;lon;value rows)")


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
    label = file_label(path, product.source)
    name_year = None if product.static else year_from_name(path, product)
    if path.suffix.lower() == ".txt":
        if name_year is None:
            raise _no_year(path, label, product)
        header = _edgar_text_header(path, label, name_year)
        west, north, res, width, height = EDGAR_TEXT_GRID
        full = Grid(canonical_wkt("EPSG:4326"), west, north, res, res, width, height)
        window = window_over(full, _cities_bounds(cities_wkb, "EPSG:4326"))
        assert window is not None  # the global grid covers every city
        grid = window[0]
        band = BandRef(str(path), label, 1, name_year, product.variable, read_edgar_text, options=(header,))
        return [(band, grid)]

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    is_netcdf = path.suffix.lower() in (".nc", ".nc4", ".cdf")
    if is_netcdf and product.netcdf_variable:
        candidates = [f'NETCDF:"{path}":{v}' for v in (product.netcdf_variable, *product.netcdf_aliases)]
    else:
        candidates = [str(path)]
    first_error: Exception | None = None
    for open_name in candidates:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)  # reported below as our own error
                with rasterio.Env(CPL_LOG_ERRORS="OFF"), rasterio.open(open_name) as ds:
                    crs, transform, width, height, count = ds.crs, ds.transform, ds.width, ds.height, ds.count
                    tags = ds.tags()
            break
        except Exception as exc:
            first_error = first_error or exc
    else:
        raise _unreadable(path, label, product, is_netcdf, first_error) from None
    if is_netcdf and crs is None and not transform.is_identity and _has_lat_lon_degrees(tags):
        # CF: 1-D lat/lon coordinates in degrees without a grid_mapping are geographic (WGS84), as in
        # EDGAR's and ACAG's files; GDAL >= 3.9 leaves their CRS unset.
        crs = rasterio.crs.CRS.from_epsg(4326)
    if crs is None or transform.is_identity:
        if is_netcdf:
            raise IngestError(label, "coordinates", "no lat/lon coordinates (the grid has no georeferencing)",
                              "use the product's NetCDF with its lat and lon coordinate variables")
        raise IngestError(label, "CRS", "the raster has no coordinate reference system (CRS)",
                          "assign one, e.g. gdal_edit.py -a_srs EPSG:4326 FILE (the product's CRS)")
    if transform.b != 0 or transform.d != 0 or transform.e >= 0:
        raise IngestError(label, "geotransform", f"unsupported grid orientation {tuple(transform)[:6]}",
                          "warp the raster to a north-up grid (gdalwarp)")
    full = Grid(canonical_wkt(crs), transform.c, transform.f, transform.a, -transform.e, width, height)
    window = window_over(full, _cities_bounds(cities_wkb, crs))
    if window is None:
        raise IngestError(label, "raster bounds", "the raster does not cover any of the cities (raster bounds "
                          f"{full.west:.3f}, {full.south:.3f}, {full.east:.3f}, {full.north:.3f} in {_crs_name(crs)})",
                          "use the product's file for China (or the global file); if the bounds are in other "
                          "units than the CRS says, the file's CRS is wrong: fix it with gdal_edit.py -a_srs")
    grid, col_off, row_off = window
    years = _band_years(path, label, product, name_year, count, is_netcdf)
    return [(BandRef(str(path), label, b + 1, years[b], product.variable, read_gdal_band, col_off, row_off,
                     options=(open_name,)), grid) for b in range(count)]


def _crs_name(crs) -> str:
    code = crs.to_epsg()
    return f"EPSG:{code}" if code else "its CRS"


def _has_lat_lon_degrees(tags: dict) -> bool:
    units = {k.split("#")[0].lower(): str(v).lower() for k, v in tags.items() if k.endswith("#units")}
    lat = next((u for n, u in units.items() if n in ("lat", "latitude")), "")
    lon = next((u for n, u in units.items() if n in ("lon", "longitude")), "")
    return lat.startswith("degree") and lon.startswith("degree")


def _band_years(path, label, product, name_year, count, is_netcdf) -> list[int]:
    if product.static:
        return [STATIC_YEAR] * count
    if count == 1 and name_year is not None:
        return [name_year]
    time_years = netcdf_time_years(path) if is_netcdf else None
    if time_years is not None and len(time_years) == count:
        return time_years
    if count == 1:
        raise _no_year(path, label, product)
    raise IngestError(label, "bands", f"{count} bands but no time coordinate giving one year per band",
                      "use one file per year, or a NetCDF with a time coordinate")


def _no_year(path: Path, label: str, product: RasterProduct) -> IngestError:
    return IngestError(label, "file name", "no year can be read from the file name",
                       f"keep the product's file names (the year as in {product.file_example})")


def _unreadable(path: Path, label: str, product: RasterProduct, is_netcdf: bool, exc: Exception) -> IngestError:
    reason = _first_line(exc)
    if is_netcdf and product.netcdf_variable:
        try:
            import netCDF4

            with netCDF4.Dataset(path) as ds:
                names = list(ds.variables)
        except Exception as nc_exc:  # netCDF4 says why ("Unknown file format", "HDF error"); GDAL only "No such file"
            reason = _first_line(nc_exc).replace(str(path), path.name)
        else:
            wanted = [product.netcdf_variable, *product.netcdf_aliases]
            if not names:
                reason = "the NetCDF header lists no variables at all"
            elif not set(wanted) & set(names):
                return IngestError(label, "variables", f"no variable {' or '.join(map(repr, wanted))} (found {names})",
                                   f"use the {product.source} NetCDF that holds {product.netcdf_variable!r}")
    return IngestError(label, "whole file", f"cannot be opened as a raster ({reason}); the file is corrupt, "
                       "truncated or not a raster", "download the file again and check its size")


# ------------------------------------------------------------------------------------------------ read
def cities_frame(ctx: LoadContext) -> pd.DataFrame:
    cities = ctx.cities
    if cities is None or cities.empty:
        ctx.resolver()  # raises the standard "load the boundaries first" error
    missing = cities["geometry_wkb"].isna()
    if missing.any():
        row = cities.loc[missing].iloc[0]
        raise IngestError(None, f"city {row['adcode']}", "has no boundary geometry",
                          "reload the boundaries with a polygon for every city")
    return cities.reset_index(drop=True)


def read_raster_product(product: RasterProduct, files: Sequence[Path], ctx: LoadContext) -> dict[str, pd.DataFrame]:
    """All files of one product -> {"raster_zonal": frame}. Raises one IngestError on bad input."""
    cities = cities_frame(ctx)
    wkb = tuple(bytes(g) for g in cities["geometry_wkb"])
    files = [Path(f) for f in files]
    if product.static and len(files) > 1:
        raise IngestError(files[0].parent, "files", f"{len(files)} files for a single time-invariant raster "
                          f"({', '.join(f.name for f in files[:4])})", "keep one mosaicked file (gdal_merge.py / gdalbuildvrt)")
    bands: list[tuple[BandRef, Grid]] = []
    for path in files:
        bands.extend(inspect_file(path, product, wkb))
    _reject_duplicate_years(bands)
    table = zonal_stats(bands, wkb, product.stats, executor=ctx.executor, checks=product.checks,
                        progress=ctx.progress, desc=product.source)
    _reject_uncovered(table, cities, complete=product.complete)
    return {"raster_zonal": _long_frame(product, table, cities)}


def _reject_duplicate_years(bands: list[tuple[BandRef, Grid]]) -> None:
    seen: dict[tuple[str, int], BandRef] = {}
    for band, _ in bands:
        key = (band.variable, band.year)
        if key in seen:
            first = seen[key]
            raise IngestError(band.label, f"band {band.band}",
                              f"year {band.year} of {band.variable} is already given by {first.label}"
                              + (" (same year in two formats)" if Path(first.file).suffix != Path(band.file).suffix else ""),
                              "keep one file per year")
        seen[key] = band


def _reject_uncovered(table, cities: pd.DataFrame, *, complete: bool = False) -> None:
    """Cities with less than MIN_CITY_COVERAGE of their area on valid cells are not covered; for a
    complete product (a value in every cell, as EDGAR's sums need) any NaN / nodata cell in a city is."""
    for b, band in enumerate(table.bands):
        low = np.flatnonzero(table.coverage[b] < MIN_CITY_COVERAGE)
        if low.size:
            named = ", ".join(f"{cities['name_zh'].iat[k]} ({cities['adcode'].iat[k]}) {table.coverage[b, k]:.0%}"
                              for k in low[:5])
            where = describe_band(band)
            raise IngestError(band.label, where,
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


def _long_frame(product: RasterProduct, table, cities: pd.DataFrame) -> pd.DataFrame:
    n_bands, n_stats, n_zones = table.values.shape
    shape = (n_bands, n_stats, n_zones)
    band_idx = np.broadcast_to(np.arange(n_bands)[:, None, None], shape).ravel()
    stat_idx = np.broadcast_to(np.arange(n_stats)[None, :, None], shape).ravel()
    zone_idx = np.broadcast_to(np.arange(n_zones)[None, None, :], shape).ravel()
    years = np.array([b.year for b in table.bands], dtype=np.int64)
    labels = np.array([b.label for b in table.bands], dtype=object)
    return pd.DataFrame({
        "source": product.source,
        "variable": product.variable,
        "adcode": cities["adcode"].astype(str).to_numpy()[zone_idx],
        "year": years[band_idx],
        "stat": np.array(table.stats, dtype=object)[stat_idx],
        "value": table.values.ravel(),
        "coverage": np.broadcast_to(table.coverage[:, None, :], shape).ravel(),
        "source_file": labels[band_idx],
    })

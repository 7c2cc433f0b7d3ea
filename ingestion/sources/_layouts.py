"""Which published layout a gridded file is, which quantity it holds, and whether that is the one wanted.

Researchers arrive with the products as published: several releases of EDGAR, ACAG and CHAP PM2.5,
VIIRS VNL composites with their companion layers, SRTM tiles. Each product module declares the
layouts it accepts and a ``recognise(path, label)`` function that names the file's layout from its
file name, its NetCDF variables and their attributes, and returns a :class:`Recognised`: product,
release, layout, year, variable, unit, the conversion the reader will apply, and the *quantity* the
file holds as a few facets (substance, sector, layer, statistic, period).

The product says which quantity it needs (``RasterProduct.expected``). A file of a known layout that
holds another quantity -- biogenic CO2, a single EDGAR sector, a VIIRS coverage count, a PM2.5 standard
deviation, a daily CHAP file -- is refused with one message naming the quantity found and the one
expected, never summed. Products published as several layers side by side (VIIRS VNL: ``cf_cvg``,
``lit_mask``, ``median`` beside ``average_masked``) skip the other layers of a year whose expected
layer is present, and record them in the manifest as not used.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from ingestion.errors import IngestError
from ingestion.sources.base import FileLayout
from ingestion.zonal import Grid


# ----------------------------------------------------------------------------------------- quantities
@dataclass(frozen=True)
class Facet:
    """One aspect of what a file holds: ``name`` (substance, sector, layer, statistic, period), a short
    ``code`` as the product writes it, and ``words`` for people."""

    name: str
    code: str
    words: str = ""

    def __str__(self) -> str:
        return f"{self.name} {self.code}" + (f" ({self.words})" if self.words and self.words != self.code else "")


def describe(facets: Iterable[Facet]) -> str:
    return ", ".join(str(f) for f in facets)


@dataclass(frozen=True)
class Expected:
    """The quantity a product needs, and how a researcher gets it."""

    facets: tuple[Facet, ...]
    fix: str  # e.g. "use the fossil CO2 TOTALS file of the release (EDGAR_2024_GHG_CO2_{YEAR}_TOTALS_emi.nc)"
    siblings: bool = False  # the product is served as several layers side by side (skip the others)

    def mismatches(self, found: Sequence[Facet]) -> list[tuple[Facet, Facet]]:
        have = {f.name: f for f in found}
        return [(have[f.name], f) for f in self.facets if f.name in have and have[f.name].code != f.code]


# ----------------------------------------------------------------------------------------- recognised
@dataclass(frozen=True)
class Recognised:
    """What one file is, as far as its name and header tell."""

    path: Path
    label: str  # the file relative to the sources folder
    product: str  # e.g. "EDGAR"
    release: str  # e.g. "EDGAR 2024 (v8 layout)"
    layout: str  # layout id, one of the product's LAYOUTS
    year: int | None  # None: from the NetCDF time coordinate (one year per band)
    quantity: tuple[Facet, ...]
    variable: str | None = None  # NetCDF variable or VNL layer
    unit: str | None = None  # as the file states it
    conversion: str = "none"  # what the reader does to reach the canonical unit, in words
    open_name: str | None = None  # GDAL dataset name (NETCDF:"f":var, /vsigzip/f); None: EDGAR text grid
    flux: bool = False  # values in kg m-2 s-1: tonnes per cell with the cell's area and the year's seconds
    corners: bool = False  # EDGAR text grid: coordinates are lower-left cell corners (else centres)
    header_lines: int = 0  # EDGAR text grid: lines before the data
    tile: tuple[int, int] | None = None  # SRTM 5 x 5 degree tile (column, row)
    grid: tuple[Grid, int] | None = None  # a NetCDF's regular lat/lon grid and bands from its header
    nodata: float | None = None  # the variable's _FillValue, with ``grid``
    recognised_by: str = "file name"  # where the quantity was read (for messages)
    facts: Mapping[str, object] = field(default_factory=dict)  # more for the manifest

    def layout_record(self, canonical_unit: str, **more) -> FileLayout:
        facts = {"product": self.product, "release": self.release, "layout": self.layout, "year": self.year,
                 "variable": self.variable, "unit": self.unit, "canonical_unit": canonical_unit,
                 "conversion": self.conversion, **{f.name: f.code for f in self.quantity}, **self.facts, **more}
        return FileLayout(facts)

    def sibling_record(self, used: "Recognised") -> FileLayout:
        facts = {"product": self.product, "release": self.release, "layout": self.layout, "year": self.year,
                 "variable": self.variable, **{f.name: f.code for f in self.quantity}}
        return FileLayout(facts, used=False, why=f"{describe(self.quantity)} is served beside the "
                          f"{describe(used.quantity)} used for {self.year} ({Path(used.label).name})")


def refuse_wrong_quantity(found: Recognised, expected: Expected) -> IngestError:
    """The one error for a file of a known layout that holds another quantity than the one expected."""
    wanted = ", ".join(str(e) for _, e in expected.mismatches(found.quantity))
    held = ", ".join(str(f) for f, _ in expected.mismatches(found.quantity))
    return IngestError(found.label, found.recognised_by,
                       f"the file is {found.release} ({found.layout}) but holds {held} where {wanted} is expected "
                       f"({describe(expected.facets)}); a different quantity is never summed in its place",
                       expected.fix)


def select(files: Sequence[Recognised], expected: Expected) -> tuple[list[Recognised], dict[Path, FileLayout]]:
    """The files holding the expected quantity, and a manifest record for each sibling layer skipped.

    Any other file is refused (``refuse_wrong_quantity``), except, for products served as layers side by
    side, another layer of a year (and release) whose expected layer is among the files."""
    used = [r for r in files if not expected.mismatches(r.quantity)]
    by_year = {(r.year, r.release): r for r in used}
    skipped: dict[Path, FileLayout] = {}
    for r in files:
        if not expected.mismatches(r.quantity):
            continue
        twin = by_year.get((r.year, r.release)) if expected.siblings else None
        if twin is None:
            raise refuse_wrong_quantity(r, expected)
        skipped[r.path] = r.sibling_record(twin)
    return used, skipped


# ------------------------------------------------------------------------------------------ file names
def match_name(name: str, patterns: Mapping[str, re.Pattern]) -> tuple[str, re.Match] | None:
    """The first (layout, match) whose pattern matches the whole file name."""
    for layout, pattern in patterns.items():
        m = pattern.fullmatch(name)
        if m:
            return layout, m
    return None


def gdal_name(path: Path, variable: str | None = None) -> str:
    """How GDAL opens a file: a NetCDF variable as NETCDF:"file":var, a gzipped file through /vsigzip/
    (read as served, never unzipped to disk)."""
    absolute = str(Path(path).resolve())
    if variable is not None:
        return f'NETCDF:"{absolute}":{variable}'
    if absolute.lower().endswith(".gz"):
        return f"/vsigzip/{absolute}"
    return absolute


def annual_period(label: str, start: str, end: str) -> tuple[int, Facet]:
    """Year and period facet of a ``YYYYMM-YYYYMM`` span (ACAG file names)."""
    y0, m0, y1, m1 = int(start[:4]), int(start[4:]), int(end[:4]), int(end[4:])
    if y0 != y1:
        raise IngestError(label, "file name", f"the file name spans several years [{y0}, {y1}]",
                          "use one file per calendar year (annual products)")
    if (m0, m1) == (1, 12):
        return y0, Facet("period", "annual", "annual mean")
    if m0 == m1:
        return y0, Facet("period", "monthly", f"monthly mean of {y0}-{m0:02d}")
    return y0, Facet("period", f"{start}-{end}", f"mean over months {m0}-{m1} of {y0}")


# -------------------------------------------------------------------------------------------- NetCDF
@dataclass(frozen=True)
class NcVariable:
    name: str
    dims: tuple[str, ...]
    dtype: str
    attrs: Mapping[str, object]

    def attr(self, key: str, default=None):
        for k, v in self.attrs.items():
            if k.lower() == key.lower():
                return v
        return default


@dataclass(frozen=True)
class NcHeader:
    variables: Mapping[str, NcVariable]
    attrs: Mapping[str, object]
    latitude_order: str | None  # "south to north" / "north to south"
    longitude_range: tuple[float, float] | None
    coordinates: Mapping[str, np.ndarray] = field(default_factory=dict)  # 1-D lat / lon in degrees, by dimension
    dimensions: Mapping[str, int] = field(default_factory=dict)  # dimension sizes

    def data_variables(self) -> list[NcVariable]:
        """Variables of two or more dimensions (the grids), in file order."""
        return [v for v in self.variables.values() if len(v.dims) >= 2]

    def grid(self, variable: NcVariable) -> tuple[Grid, int] | None:
        """(grid, bands): the variable's grid as GDAL presents it (north-up rows, cell edges, WGS84) when it
        lies on regular 1-D latitude and longitude coordinates in degrees, and the length of a leading
        (time) dimension read as bands; None when GDAL must work it out."""
        dims = variable.dims
        if len(dims) not in (2, 3) or dims[-2] not in self.coordinates or dims[-1] not in self.coordinates:
            return None
        lat, lon = self.coordinates[dims[-2]], self.coordinates[dims[-1]]
        if lat.size < 2 or lon.size < 2 or not (_regular(lat) and _regular(lon)):
            return None
        dx, dy = abs(lon[-1] - lon[0]) / (lon.size - 1), abs(lat[-1] - lat[0]) / (lat.size - 1)
        if lon[-1] < lon[0]:
            return None
        bands = self.dimensions.get(dims[0], 0) if len(dims) == 3 else 1
        if not bands:
            return None
        grid = Grid("EPSG:4326", float(lon.min() - dx / 2), float(lat.max() + dy / 2), float(dx), float(dy), lon.size,
                    lat.size)
        return grid, bands


def _regular(values: np.ndarray) -> bool:
    steps = np.diff(values)
    return bool(np.all(steps != 0) and np.max(np.abs(steps - steps.mean())) <= 1e-4 * abs(steps.mean()))


def netcdf_header(path: Path, label: str) -> NcHeader:
    """Variables, attributes and axis order of a NetCDF file, from its header only."""
    import netCDF4

    try:
        with netCDF4.Dataset(path) as ds:
            variables = {name: NcVariable(name, tuple(var.dimensions), str(var.dtype),
                                          {k: var.getncattr(k) for k in var.ncattrs()})
                         for name, var in ds.variables.items()}
            attrs = {k: ds.getncattr(k) for k in ds.ncattrs()}
            dimensions = {name: len(dim) for name, dim in ds.dimensions.items()}
            coordinates, order, lon_range = {}, None, None
            for names, axis in ((("lat", "latitude", "LAT", "Latitude"), "lat"), (("lon", "longitude", "LON", "Longitude"), "lon")):
                var = next((ds.variables[n] for n in names if n in ds.variables), None)
                if var is None or var.ndim != 1 or var.size == 0:
                    continue
                values = np.asarray(np.ma.filled(var[:], np.nan), dtype=np.float64)
                if str(getattr(var, "units", "")).lower().startswith("degree"):
                    coordinates[var.dimensions[0]] = values
                if axis == "lat" and values.size > 1:
                    order = "south to north" if values[-1] > values[0] else "north to south"
                if axis == "lon":
                    lon_range = (float(np.nanmin(values)), float(np.nanmax(values)))
    except (OSError, RuntimeError, ValueError, IndexError, KeyError, UnicodeDecodeError) as exc:
        # netCDF4 says why ("Unknown file format", "HDF error", truncated); programming errors propagate
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0].replace(str(path), path.name)
        raise IngestError(label, "whole file", f"cannot be opened as a raster ({reason}); the file is corrupt, "
                          "truncated or not a raster", "download the file again and check its size") from None
    if not variables:
        raise IngestError(label, "whole file", "cannot be opened as a raster (the NetCDF header lists no "
                          "variables at all); the file is corrupt, truncated or not a raster",
                          "download the file again and check its size")
    return NcHeader(variables, attrs, order, lon_range, coordinates, dimensions)


def fill_value(variable: NcVariable) -> float | None:
    """The variable's ``_FillValue`` (or ``missing_value``) as a number, if it declares one."""
    value = variable.attr("_FillValue", variable.attr("missing_value"))
    return None if value is None else float(np.asarray(value).ravel()[0])


def require_variable(header: NcHeader, label: str, names: Sequence[str], what: str) -> NcVariable:
    """The first of ``names`` present in the file, else one error listing what the file has."""
    for name in names:
        if name in header.variables:
            return header.variables[name]
    raise IngestError(label, "variables", f"no variable {' or '.join(map(repr, names))} (found "
                      f"{list(header.variables)})", f"use the {what} NetCDF as published (variable {names[0]!r})")


# statistic of a variable, from its name, long_name, standard_name and cell_methods
_STATISTICS = (
    ("standard deviation", re.compile(r"(standard[ _]deviation|(^|[^a-z])(sd|std|stdev|stddev)([^a-z]|$))", re.I)),
    ("uncertainty", re.compile(r"(uncertaint|(^|[^a-z])unc([^a-z]|$)|error)", re.I)),
    ("count", re.compile(r"((^|[^a-z])(count|n|n_obs|nobs|num|number of)([^a-z]|$)|observations)", re.I)),
    ("variance", re.compile(r"variance", re.I)),
    ("minimum", re.compile(r"(^|[^a-z])(min|minimum)([^a-z]|$)", re.I)),
    ("maximum", re.compile(r"(^|[^a-z])(max|maximum)([^a-z]|$)", re.I)),
)


def statistic_of(variable: NcVariable) -> Facet:
    """Which statistic a gridded variable holds: ``mean`` unless its name or attributes say otherwise."""
    texts = [variable.name, *(str(variable.attr(k, "")) for k in ("long_name", "standard_name", "cell_methods"))]
    for code, pattern in _STATISTICS:
        if any(pattern.search(t) for t in texts):
            return Facet("statistic", code, f"{code} of the quantity, not its mean")
    return Facet("statistic", "mean", "mean concentration")


def normal_unit(unit: object) -> str:
    """A unit string without spaces, case, superscripts and micro-sign variants, for comparison."""
    text = str(unit).strip().lower().replace("μ", "u").replace("µ", "u").replace("³", "3").replace("²", "2")
    return re.sub(r"[\s*^]", "", text)

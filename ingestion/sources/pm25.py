"""Annual mean surface PM2.5 (ug/m3), city means per year, from the releases researchers download.

Accepted layouts (``LAYOUTS``), recognised from the file name and the NetCDF variable:

* ``acag_v5`` -- ACAG / van Donkelaar V5.GL.0x (``V5GL02.HybridPM25.{Global,Asia}.{YEAR}01-{YEAR}12.nc``):
  variable ``GWRPM25`` (lat, lon) in ug/m3, NaN over water;
* ``acag_v6`` -- ACAG V6.GL.02.04 (``V6GL02.04.CNNPM25.AS.{YEAR}01-{YEAR}12.nc``): variable ``PM25``,
  latitude possibly north to south;
* ``chap``    -- ChinaHighPM2.5 (CHAP, Wei et al.; ``CHAP_PM2.5_Y1K_{YEAR}_V4.nc``): variable ``PM2.5``
  stored as uint16 with ``scale_factor`` and ``_FillValue`` 65535, latitude north to south
  (weijing-rs ``codes/nc2geotiff.py``).

A NetCDF under another name is recognised by its variable (``GWRPM25``, ``PM25``, ``PM2.5``) and its
year from the name or the ``time`` coordinate. GDAL orders rows north-up whatever the file's latitude
order and reports ``scale_factor`` and the fill value, which the reader applies.

Only annual means are used. A file of another statistic (a standard deviation, uncertainty or count
layer: the variable's name, ``long_name`` or ``cell_methods`` say so) or another period (CHAP's daily
``D1K`` and monthly ``M1K`` files, ACAG's monthly files) is refused, naming what it holds. A city's
value is the coverage-weighted mean of its valid cells; ``coverage`` says how much of the city lies on
valid (land) cells.
"""
from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import numpy as np

from ingestion.errors import IngestError
from ingestion.sources._layouts import (Expected, Facet, NcHeader, NcVariable, Recognised, annual_period,
                                        fill_value, gdal_name, netcdf_header, normal_unit, statistic_of)
from ingestion.sources._raster import RASTER_ZONAL, RasterProduct, checked_year, read_raster_product, year_from_name
from ingestion.sources.base import Source
from ingestion.zonal import ValueChecks

NAMES = {
    "acag_v5": re.compile(r"V5GL0(?P<minor>\d)(?:\.\d+)?\.HybridPM25(?:c|E)?(?:_0p\d+)?\.(?P<region>[A-Za-z]+)\."
                          r"(?P<start>\d{6})-(?P<end>\d{6})\.nc"),
    "acag_v6": re.compile(r"V6GL0(?P<minor>\d)(?P<patch>\.\d+)?\.CNNPM25(?:_0p\d+)?\.(?P<region>[A-Za-z]+)\."
                          r"(?P<start>\d{6})-(?P<end>\d{6})\.nc"),
    "chap": re.compile(r"CHAP_PM2\.5_(?P<period>[YMD])(?P<res>\d+K)_(?P<date>\d{4}(?:\d{2}){0,2})_V(?P<version>\d+)\.nc"),
}
LAYOUTS = {
    "acag_v5": "ACAG V5.GL.0x NetCDF `GWRPM25`, ug/m3, NaN over water",
    "acag_v6": "ACAG V6.GL.02.04 NetCDF `PM25`, ug/m3, latitude north to south",
    "chap": "ChinaHighPM2.5 (CHAP) NetCDF `PM2.5`, uint16 x scale_factor, _FillValue 65535, north to south",
}
FILE_NAMES = {
    "acag_v5": "V5GL02.HybridPM25.Asia.{year}01-{year}12.nc",
    "acag_v6": "V6GL02.04.CNNPM25.AS.{year}01-{year}12.nc",
    "chap": "CHAP_PM2.5_Y1K_{year}_V4.nc",
}
VARIABLES = {"acag_v5": "GWRPM25", "acag_v6": "PM25", "chap": "PM2.5"}
RELEASES = {"acag_v5": "ACAG V5.GL.0{minor}", "acag_v6": "ACAG V6.GL.0{minor}{patch}", "chap": "ChinaHighPM2.5 V{version}"}
_PERIODS = {"Y": ("annual", "annual mean"), "M": ("monthly", "monthly mean"), "D": ("daily", "daily mean")}
_UG_M3 = {"ug/m3", "ugm-3", "ug/m^3", "ugm^-3", "microgram/m3", "micrograms/m3", "microgrampercubicmeter",
          "microgramspercubicmeter", "ug/m**3"}
EXPECTED = Expected(
    (Facet("statistic", "mean", "mean concentration"), Facet("period", "annual", "annual mean")),
    "use the annual mean PM2.5 file (e.g. V6GL02.04.CNNPM25.AS.{YEAR}01-{YEAR}12.nc or "
    "CHAP_PM2.5_Y1K_{YEAR}_V4.nc)")


def recognise(path: Path, label: str) -> Recognised:
    header = netcdf_header(path, label) if path.suffix.lower() in (".nc", ".nc4") else None
    if header is None:
        raise IngestError(label, "file name", "not a NetCDF file (.nc)", "use the product's NetCDF files")
    for layout, pattern in NAMES.items():
        match = pattern.fullmatch(path.name)
        if match:
            return _recognised(path, label, header, layout, match)
    return _by_variable(path, label, header)


def _recognised(path: Path, label: str, header: NcHeader, layout: str, match: re.Match) -> Recognised:
    parts = {k: v or "" for k, v in match.groupdict().items()}
    release = RELEASES[layout].format(**parts)
    if layout == "chap":
        year = checked_year(label, int(parts["date"][:4]))
        code, words = _PERIODS[parts["period"]]
        period = Facet("period", code, words + ("" if code == "annual" else f" ({parts['date']})"))
    else:
        year, period = annual_period(label, parts["start"], parts["end"])
        checked_year(label, year)
    variable = _variable(header, label, VARIABLES[layout])
    return _result(path, label, header, layout, release, year, variable, period, "file name")


def _by_variable(path: Path, label: str, header: NcHeader) -> Recognised:
    """A NetCDF under another name: the layout its variable belongs to; the year from the name."""
    for layout in ("acag_v6", "acag_v5", "chap"):
        if VARIABLES[layout] in header.variables:
            break
    else:
        layout = None
    if layout is None:
        wanted = [VARIABLES[k] for k in ("acag_v6", "acag_v5", "chap")]
        raise IngestError(label, "variables", f"no variable {' or '.join(map(repr, wanted))} (found "
                          f"{list(header.variables)})", "use the PM2.5 NetCDF as published (ACAG's GWRPM25 / PM25, "
                          "CHAP's PM2.5)")
    span = re.search(r"(?<!\d)(\d{4})(\d{2})-(\d{4})(\d{2})(?!\d)", path.name)
    if span:
        year, period = annual_period(label, span.group(1) + span.group(2), span.group(3) + span.group(4))
    else:
        year, period = year_from_name(path.name), Facet("period", "annual", "annual mean")
    if year is not None:
        checked_year(label, year)
    variable = header.variables[VARIABLES[layout]]
    release = {"acag_v5": "ACAG V5 (by variable GWRPM25)", "acag_v6": "ACAG V6 (by variable PM25)",
               "chap": "ChinaHighPM2.5 (by variable PM2.5)"}[layout] + "; the file name is not a published one"
    return _result(path, label, header, layout, release, year, variable, period, f"variable {variable.name!r}")


def _variable(header: NcHeader, label: str, name: str) -> NcVariable:
    """The layout's variable; failing that, a grid named after it that holds another statistic
    (``GWRPM25_SD``, ``PM25_count``), so that the refusal can say what the file holds."""
    if name in header.variables:
        return header.variables[name]
    stem = re.sub(r"[^a-z0-9]", "", name.lower())
    related = [v for v in header.data_variables() if re.sub(r"[^a-z0-9]", "", v.name.lower()).startswith(stem)
               and statistic_of(v).code != "mean"]
    if related:
        return related[0]
    raise IngestError(label, "variables", f"no variable {name!r} (found {list(header.variables)})",
                      f"use the PM2.5 NetCDF as published (variable {name!r})")


def _result(path, label, header: NcHeader, layout, release, year, variable: NcVariable, period: Facet,
            where: str) -> Recognised:
    statistic = statistic_of(variable)
    if statistic.code != "mean":
        where = f"variable {variable.name!r}"
    unit = variable.attr("units")
    if unit is not None and normal_unit(unit) not in _UG_M3 and statistic.code == "mean":
        raise IngestError(label, f"variable {variable.name!r}, attribute units", f"unit {unit!r} where ug/m3 is "
                          "expected", "use the product's file as published (PM2.5 in ug/m3)")
    conversion, facts = "none", {"latitude": header.latitude_order}
    scale, offset = variable.attr("scale_factor"), variable.attr("add_offset")
    fill = variable.attr("_FillValue")
    if scale is not None or offset is not None:
        conversion = (f"{variable.dtype} x scale_factor {float(scale if scale is not None else 1):g} + add_offset "
                      f"{float(offset if offset is not None else 0):g}")
    if fill is not None:
        conversion += f"; _FillValue {np.asarray(fill).item()!r} -> no data"
    elif layout == "acag_v5":
        conversion += "; NaN over water -> no data"
    return Recognised(path, label, "PM2.5", release, layout, year, (statistic, period), variable=variable.name,
                      unit=str(unit) if unit is not None else None, conversion=conversion,
                      open_name=gdal_name(path, variable.name), recognised_by=where, facts=facts,
                      grid=header.grid(variable), nodata=fill_value(variable))


PRODUCT = RasterProduct(
    source="pm25",
    variable="pm25",
    unit="ug/m3",
    stats=("mean",),
    recognise=recognise,
    expected=EXPECTED,
    file_example=FILE_NAMES["acag_v6"].format(year=2019),
    checks=ValueChecks((0.0, np.inf), "concentrations cannot be negative: an undeclared nodata value (_FillValue)?"),
)

SOURCE = Source(
    name="pm25",
    description="City annual mean PM2.5 (ug/m3): coverage-weighted means of the gridded product",
    product="annual mean PM2.5 NetCDF per year (ACAG V5 GWRPM25, ACAG V6 PM25, ChinaHighPM2.5 Y1K)",
    contracts=(RASTER_ZONAL,),
    patterns=("*.nc",),
    read=partial(read_raster_product, PRODUCT),
    version="2",
    resolves_names=False,  # polygons only: zonal statistics over raw.city_boundaries
)

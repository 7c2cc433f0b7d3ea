"""EDGAR gridded fossil CO2 emissions (0.1 degree), city totals per year (tonnes).

The releases and layouts researchers download, all accepted (``LAYOUTS``):

* ``v8_emi``  -- 2024 release and v8.0 (``EDGAR_2024_GHG_CO2_{YEAR}_TOTALS_emi.nc``): variable
  ``emissions`` in ``Tonnes`` per cell, cell centres, latitude ascending; attributes ``substance`` and
  ``year`` are checked against the file name (C2SM-RCM/emiproc ``EDGARv8``);
* ``v8_flx``  -- its flux twin (``..._TOTALS_flx.nc``): variable ``fluxes`` in kg m-2 s-1;
* ``v6_flux`` -- v4.3.2 .. v7.0 (``v6.0_CO2_excl_short-cycle_org_C_{YEAR}_TOTALS.0.1x0.1.nc``):
  variable ``emi_co2`` in kg m-2 s-1 on longitudes 0 .. 360 (emiproc ``EDGAR_Inventory``, X-STILT
  ``load_eco2``);
* ``text``    -- the ``.txt`` grid of any release: header lines, then ``lat;lon;emission YEAR (tons)``
  rows of the non-zero cells, coordinates at the cells' lower-left corners (shifted by half a cell;
  files listing centres are recognised and read as such).

Fluxes become tonnes per cell with the cell's area on the WGS84 ellipsoid and the seconds of that
year (``ingestion.geodesy``). A city's emission is the coverage-weighted sum of its cells.

Only fossil CO2 of all sectors is summed: ``CO2`` (v8, 2024) or ``CO2_excl_short-cycle_org_C`` (up to
v7.0), sector ``TOTALS``. The same layouts hold other substances (``CO2bio`` /
``CO2_org_short-cycle_C``, ``CH4``, ``N2O``, ``GWP_100_AR5_GHG``) and single sectors (``ENE``, ``IND``,
``TRO``, ...): such a file is refused, naming the quantity found and the one expected. The same year
in two files, negative emissions and NaN cells inside a city (a missing cell is not zero) are errors.
"""
from __future__ import annotations

import re
from functools import partial
from pathlib import Path

from ingestion.errors import IngestError
from ingestion.sources._layouts import (Expected, Facet, NcHeader, Recognised, fill_value, gdal_name,
                                        netcdf_header, normal_unit, require_variable)
from ingestion.sources._raster import (RASTER_ZONAL, RasterProduct, checked_year, edgar_text_header,
                                       read_raster_product)
from ingestion.sources.base import Source
from ingestion.zonal import NONNEGATIVE

PRODUCT_NAME = "EDGAR"
# release prefix _ substance _ year _ sector [_emi|_flx] [.0.1x0.1] .nc|.txt
NAME = re.compile(
    r"(?P<release>.+?)_(?P<substance>CO2bio|CO2_excl_short-cycle_org_C|CO2_org_short-cycle_C|CO2|CH4|N2O|"
    r"GWP_100_AR[45]_GHG|[A-Za-z0-9.]+?)_(?P<year>(?:19|20)\d{2})_(?P<sector>[A-Za-z0-9_]+?)"
    r"(?:_(?P<kind>emi|flx))?(?:\.0\.1x0\.1)?\.(?P<ext>nc|txt)")

LAYOUTS = {
    "v8_emi": "NetCDF `emissions`, Tonnes per cell (2024 release, v8.0)",
    "v8_flx": "NetCDF `fluxes`, kg m-2 s-1 (2024 release, v8.0)",
    "v6_flux": "NetCDF `emi_co2`, kg m-2 s-1, longitudes 0..360 (v4.3.2 .. v7.0)",
    "text": "`lat;lon;emission YEAR (tons)` text grid, lower-left corners (any release)",
}
# file names as published, by layout (the sample world writes these; {year})
FILE_NAMES = {
    "v8_emi": "EDGAR_2024_GHG_CO2_{year}_TOTALS_emi.nc",
    "v8_flx": "EDGAR_2024_GHG_CO2_{year}_TOTALS_flx.nc",
    "v6_flux": "v6.0_CO2_excl_short-cycle_org_C_{year}_TOTALS.0.1x0.1.nc",
    "text": "v8.0_FT2022_GHG_CO2_{year}_TOTALS.txt",
}
VARIABLES = {"v8_emi": "emissions", "v8_flx": "fluxes", "v6_flux": "emi_co2"}
UNITS = {"v8_emi": "Tonnes", "v8_flx": "kg m-2 s-1", "v6_flux": "kg m-2 s-1", "text": "tons"}
_TONNES = {"tonnes", "tonne", "t", "tons", "mg", "tonnes/year", "t/year"}
_FLUX = {"kgm-2s-1", "kg/m2/s", "kgm-2.s-1", "kg/(m2s)", "kg/m^2/s", "kgm**-2s**-1"}

SUBSTANCES = {
    "CO2": ("CO2", "fossil CO2"),
    "CO2_excl_short-cycle_org_C": ("CO2", "fossil CO2"),
    "CO2bio": ("CO2bio", "biogenic CO2 (short-cycle organic carbon)"),
    "CO2_org_short-cycle_C": ("CO2bio", "biogenic CO2 (short-cycle organic carbon)"),
    "CH4": ("CH4", "methane"),
    "N2O": ("N2O", "nitrous oxide"),
    "GWP_100_AR5_GHG": ("GWP_100_AR5_GHG", "all greenhouse gases in CO2 equivalents"),
    "GWP_100_AR4_GHG": ("GWP_100_AR4_GHG", "all greenhouse gases in CO2 equivalents"),
}
EXPECTED = Expected(
    (Facet("substance", "CO2", "fossil CO2"), Facet("sector", "TOTALS", "all sectors")),
    "use the fossil CO2 TOTALS file of the release (EDGAR_2024_GHG_CO2_{YEAR}_TOTALS_emi.nc, or "
    "v6.0_CO2_excl_short-cycle_org_C_{YEAR}_TOTALS.0.1x0.1.nc in older releases)")


def _substance(code: str) -> Facet:
    canonical, words = SUBSTANCES.get(code, (code, code))
    return Facet("substance", canonical, words)


def _sector(code: str) -> Facet:
    return Facet("sector", code, "all sectors" if code == "TOTALS" else f"the {code} sector only")


def _release(prefix: str) -> str:
    if prefix.startswith("EDGAR_2024"):
        return "EDGAR 2024 (v8 layout)"
    match = re.match(r"v?(\d)\.?(\d)\.?(\d?)", prefix)
    if match:
        version = ".".join(g for g in match.groups() if g)
        fast_track = re.search(r"FT(\d{4})", prefix)
        return f"EDGAR v{version}" + (f" (FT{fast_track.group(1)})" if fast_track else "")
    return f"EDGAR ({prefix})"


def recognise(path: Path, label: str) -> Recognised:
    """The EDGAR layout of ``path`` from its name, then its NetCDF header (variables and attributes)."""
    match = NAME.fullmatch(path.name)
    if match is None:
        raise IngestError(label, "file name", "not an EDGAR grid file name (release_substance_YEAR_sector"
                          "[_emi|_flx].nc or .txt)", "keep the published names, e.g. "
                          + " or ".join(FILE_NAMES[k].format(year=2019) for k in ("v8_emi", "v6_flux", "text")))
    year = checked_year(label, int(match["year"]))
    quantity = (_substance(match["substance"]), _sector(match["sector"]))
    release = _release(match["release"])
    if match["ext"] == "txt":
        header_lines, corners = edgar_text_header(path, label, year)
        where = "lower-left cell corners, shifted by half a cell (0.05 degree) to the centres" if corners \
            else "cell centres"
        return Recognised(path, label, PRODUCT_NAME, release, "text", year, quantity, variable="emission (tons)",
                          unit=UNITS["text"], conversion=f"none; coordinates are {where}", corners=corners,
                          header_lines=header_lines, facts={"coordinates": where})
    header = netcdf_header(path, label)
    variable = _variable(header, label, match["kind"])
    layout = next(k for k, v in VARIABLES.items() if v == variable.name)
    quantity, where = _checked_attributes(header, variable, label, year, quantity)
    unit = str(variable.attr("units", UNITS[layout]))
    flux = layout in ("v8_flx", "v6_flux")
    if normal_unit(unit) not in (_FLUX if flux else _TONNES):
        raise IngestError(label, f"variable {variable.name!r}, attribute units",
                          f"unit {unit!r} where {UNITS[layout]} is expected for {LAYOUTS[layout].split(',')[0]}",
                          "use the file as published (the unit decides the conversion to tonnes)")
    conversion = ("kg m-2 s-1 x cell area on the WGS84 ellipsoid x seconds of the year / 1000 -> t per cell"
                  if flux else "none (tonnes per cell)")
    facts = {"latitude": header.latitude_order}
    if header.longitude_range and header.longitude_range[1] > 180:
        conversion += "; longitudes 0..360 read as -180..180"
        facts["longitude"] = "0..360"
    return Recognised(path, label, PRODUCT_NAME, release, layout, year, quantity, variable=variable.name,
                      unit=unit, conversion=conversion, open_name=gdal_name(path, variable.name), flux=flux,
                      recognised_by=where, facts=facts, grid=header.grid(variable),
                      nodata=fill_value(variable))


def _variable(header: NcHeader, label: str, kind: str | None):
    """The grid variable: ``emissions`` (emi), ``fluxes`` (flx) or ``emi_co2`` (older releases)."""
    wanted = {"emi": ["emissions", "emi_co2"], "flx": ["fluxes"]}.get(kind, ["emissions", "fluxes", "emi_co2"])
    return require_variable(header, label, wanted, "EDGAR")


def _checked_attributes(header: NcHeader, variable, label: str, year: int, quantity):
    """The quantity as the variable's attributes state it (they win over a renamed file) and the year."""
    where = "file name"
    substance = variable.attr("substance")
    if substance is not None:
        attr = _substance(str(substance))
        if attr.code != quantity[0].code:
            quantity = (attr, *quantity[1:])
            where = f"variable {variable.name!r}, attribute substance"
    sector = variable.attr("sector")
    if sector is not None and str(sector) != quantity[1].code:
        quantity = (quantity[0], _sector(str(sector)))
        where = f"variable {variable.name!r}, attribute sector"
    stated = variable.attr("year", header.attrs.get("year"))
    if stated is not None and str(stated).strip().isdigit() and int(str(stated).strip()) != year:
        raise IngestError(label, f"variable {variable.name!r}, attribute year",
                          f"the file says year {int(str(stated).strip())} but its name says {year}",
                          "rename the file with its data year")
    return quantity, where


PRODUCT = RasterProduct(
    source="edgar_co2",
    variable="co2",
    unit="t",
    stats=("sum",),
    recognise=recognise,
    expected=EXPECTED,
    checks=NONNEGATIVE,
    complete=True,
    file_example=FILE_NAMES["v8_emi"].format(year=2019),
)

SOURCE = Source(
    name="edgar_co2",
    description="City CO2 emissions (tonnes per year): coverage-weighted sums of EDGAR's 0.1-degree grid",
    product="EDGAR gridded fossil CO2 TOTALS (NetCDF emi/flx per year, v4.3.2-v7.0 emi_co2, or the .txt grid)",
    contracts=(RASTER_ZONAL,),
    patterns=("*.nc", "*.txt"),
    read=partial(read_raster_product, PRODUCT),
    version="2",
    resolves_names=False,  # polygons only: zonal statistics over raw.city_boundaries
)

"""EDGAR gridded fossil CO2 emissions (0.1 degree), city totals per year.

Two published formats are read: the NetCDF per year (``EDGAR_2024_GHG_CO2_{year}_TOTALS_emi.nc``,
variable ``emissions`` in tonnes per cell, ascending latitude) and the semicolon text grid
(``v8.0_FT2022_GHG_CO2_{year}_TOTALS.txt``: header lines, then ``lat;lon;emission YEAR (tons)`` rows of
non-zero cells at cell centres). A city's emission is the coverage-weighted sum of its cells (tonnes).
The same year in both formats, negative emissions and NaN cells inside a city (a missing cell is not
zero) are errors.
"""
from __future__ import annotations

from functools import partial

from ingestion.sources._raster import RASTER_ZONAL, RasterProduct, read_raster_product
from ingestion.sources.base import Source
from ingestion.zonal import NONNEGATIVE

PRODUCT = RasterProduct(
    source="edgar_co2",
    variable="co2",
    unit="t",
    stats=("sum",),
    year_patterns=(r"CO2(?:bio|_excl_short-cycle_org_C)?_(\d{4})_",),
    netcdf_variable="emissions",
    checks=NONNEGATIVE,
    complete=True,
    file_example="EDGAR_2024_GHG_CO2_2019_TOTALS_emi.nc or v8.0_FT2022_GHG_CO2_2020_TOTALS.txt",
)

SOURCE = Source(
    name="edgar_co2",
    description="City CO2 emissions (tonnes per year): coverage-weighted sums of EDGAR's 0.1-degree grid",
    product="EDGAR gridded CO2 totals (NetCDF per year, or the lat;lon;value .txt grid)",
    contracts=(RASTER_ZONAL,),
    patterns=("*.nc", "*.txt"),
    read=partial(read_raster_product, PRODUCT),
    version="1",
)

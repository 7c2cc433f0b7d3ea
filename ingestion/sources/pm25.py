"""Annual mean surface PM2.5 (ACAG / van Donkelaar et al. V6.GL.02 style NetCDF), city means per year.

One NetCDF per year (``CHN_PM25_V6GL02_{year}01-{year}12.nc``), variable ``PM25`` (``GWRPM25`` in
earlier releases) in ug/m3 on a regular lat/lon grid, ``_FillValue`` over sea. A city's value is the
coverage-weighted mean of its valid cells; ``coverage`` says how much of the city lies on valid (land)
cells.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from ingestion.sources._raster import RASTER_ZONAL, RasterProduct, read_raster_product
from ingestion.sources.base import Source
from ingestion.zonal import ValueChecks

PRODUCT = RasterProduct(
    source="pm25",
    variable="pm25",
    unit="ug/m3",
    stats=("mean",),
    year_patterns=(r"(?<!\d)(\d{4})\d{2}-(\d{4})\d{2}(?!\d)",),
    netcdf_variable="PM25",
    netcdf_aliases=("GWRPM25",),  # the V4/V5 China releases
    file_example="CHN_PM25_V6GL02_201901-201912.nc",
    checks=ValueChecks((0.0, np.inf), "concentrations cannot be negative: an undeclared nodata value (_FillValue)?"),
)

SOURCE = Source(
    name="pm25",
    description="City annual mean PM2.5 (ug/m3): coverage-weighted means of the gridded product",
    product="ACAG / van Donkelaar annual PM2.5 (NetCDF per year, variable PM25)",
    contracts=(RASTER_ZONAL,),
    patterns=("*.nc",),
    read=partial(read_raster_product, PRODUCT),
    version="1",
)

"""Terrain relief of each city from one elevation raster (GeoTIFF, metres, nodata set).

Two statistics of elevation over the city's cells: ``std`` (coverage-weighted standard deviation) and
``range`` (max - min over cells touching the city), the usual relief measures used as instruments and
controls. The raster is time-invariant, so rows carry ``year = 0`` (the key cannot hold NULL).
"""
from __future__ import annotations

from functools import partial

from ingestion.sources._raster import RASTER_ZONAL, RasterProduct, read_raster_product
from ingestion.sources.base import Source

PRODUCT = RasterProduct(
    source="dem",
    variable="elevation",
    unit="m",
    stats=("std", "range"),
    static=True,
    file_example="china_dem.tif",
)

SOURCE = Source(
    name="dem",
    description="City terrain relief: std and range (max - min) of elevation in metres; year 0 (static)",
    product="elevation GeoTIFF (e.g. SRTM / GMTED mosaic of China), metres, nodata set",
    contracts=(RASTER_ZONAL,),
    patterns=("*.tif", "*.tiff"),
    read=partial(read_raster_product, PRODUCT),
    version="1",
)

"""Terrain relief of each city from one elevation raster (GeoTIFF, metres, nodata set).

Two statistics of elevation over the city's cells: ``std`` (coverage-weighted standard deviation) and
``range`` (max - min over cells touching the city), the usual relief measures used as instruments and
controls. The raster is time-invariant, so rows carry ``year = 0`` (the key cannot hold NULL).
"""
from __future__ import annotations

from functools import partial

from ingestion.sources._raster import RASTER_ZONAL, RasterProduct, read_raster_product
from ingestion.sources.base import Source
from ingestion.zonal import ValueChecks

PRODUCT = RasterProduct(
    source="dem",
    variable="elevation",
    unit="m",
    stats=("std", "range"),
    static=True,
    file_example="china_dem.tif",
    # no land lies outside it (Turpan -154 m, Everest 8849 m): such values are an undeclared nodata value
    checks=ValueChecks((-500.0, 9000.0), "no land lies outside it: an undeclared nodata value "
                                         "(SRTM voids are -32768)?"),
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

"""VIIRS annual night-time lights (EOG VNL V2 ``average_masked``), city means per year.

One GeoTIFF per year (``VNL_npp_{year}_average_masked.tif``; the published names such as
``VNL_v21_npp_2016_global_vcmslcfg_c202205302300.average_masked.dat.tif`` work too), EPSG:4326, float32,
nodata set. VIIRS starts in 2012. A city's value is the coverage-weighted mean radiance (nW/cm2/sr).
"""
from __future__ import annotations

from functools import partial

from ingestion.sources._raster import RASTER_ZONAL, RasterProduct, read_raster_product
from ingestion.sources.base import Source

PRODUCT = RasterProduct(
    source="ntl",
    variable="ntl",
    unit="nW/cm2/sr",
    stats=("mean",),
    year_patterns=(r"npp_(\d{4})(?!\d)",),
    file_example="VNL_npp_2019_average_masked.tif",
)

SOURCE = Source(
    name="ntl",
    description="City mean night-time light radiance (nW/cm2/sr) from VIIRS annual composites",
    product="VIIRS VNL annual average_masked GeoTIFF per year (15 arc-second)",
    contracts=(RASTER_ZONAL,),
    patterns=("*.tif", "*.tiff"),
    read=partial(read_raster_product, PRODUCT),
    version="1",
)

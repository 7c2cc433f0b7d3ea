"""Terrain relief of each city from elevation (metres): SRTM tiles mosaicked on the fly, or one DEM file.

Accepted layouts (``LAYOUTS``):

* ``srtm_tiles`` -- CGIAR-CSI SRTM 90 m v4.1 5 x 5 degree tiles as downloaded (``srtm_59_05.tif``: column
  59 of 72 east from 180 W, row 5 of 24 south from 60 N; int16, nodata -32768). Every tile of the folder
  is placed into one GDAL VRT built in memory (what ``gdalbuildvrt`` writes), so the tiles are read as
  one raster without writing a mosaic; missing tiles (sea) are nodata. A tile whose bounds disagree
  with its name, tiles on different grids and overlapping tiles are errors;
* ``single``     -- one elevation GeoTIFF in any CRS, e.g. an Albers equal-area 1 km DEM of China (the
  city polygons are reprojected to the raster's CRS; several aligned files are mosaicked the same way).

Two statistics of elevation over the city's cells: ``std`` (coverage-weighted standard deviation) and
``range`` (max - min over cells touching the city), the usual relief measures used as instruments and
controls. The raster is time-invariant, so rows carry ``year = 0`` (the key cannot hold NULL); each
city's ``source_file`` names the tiles it was computed from.
"""
from __future__ import annotations

import re
from functools import partial
from pathlib import Path

from ingestion.errors import IngestError
from ingestion.sources._layouts import Facet, Recognised, gdal_name
from ingestion.sources._raster import RASTER_ZONAL, RasterProduct, read_raster_product, srtm_tile_bounds
from ingestion.sources.base import Source
from ingestion.zonal import ValueChecks

SRTM_NAME = re.compile(r"srtm_(?P<column>\d{2})_(?P<row>\d{2})\.tiff?", re.IGNORECASE)
LAYOUTS = {
    "srtm_tiles": "CGIAR-CSI SRTM v4.1 5 x 5 degree tiles srtm_XX_YY.tif (int16, nodata -32768), mosaicked as a VRT",
    "single": "one elevation GeoTIFF in any CRS (e.g. Albers equal-area 1 km), metres, nodata set",
}
FILE_NAMES = {"srtm_tiles": "srtm_{column:02d}_{row:02d}.tif", "single": "china_dem_albers_1km.tif"}
ELEVATION = (Facet("quantity", "elevation", "elevation above sea level (m)"),)


def srtm_tile(lon: float, lat: float) -> tuple[int, int]:
    """(column, row) of the SRTM tile holding the point (lon, lat)."""
    return int((lon + 180.0) // 5) + 1, int((60.0 - lat) // 5) + 1


def recognise(path: Path, label: str) -> Recognised:
    if path.suffix.lower() not in (".tif", ".tiff"):
        raise IngestError(label, "file name", "not a GeoTIFF", "use the DEM GeoTIFF (tiles srtm_XX_YY.tif)")
    match = SRTM_NAME.fullmatch(path.name)
    if match:
        column, row = int(match["column"]), int(match["row"])
        if not (1 <= column <= 72 and 1 <= row <= 24):
            raise IngestError(label, "file name", f"no SRTM tile {column:02d}_{row:02d} (columns 1-72, rows 1-24)",
                              "keep the tile names as downloaded")
        w, s, e, n = srtm_tile_bounds(column, row)
        return Recognised(path, label, "SRTM", "CGIAR-CSI SRTM v4.1 (5 x 5 degree tiles)", "srtm_tiles", None,
                          ELEVATION, unit="m", conversion="none; tiles mosaicked on the fly (GDAL VRT)",
                          open_name=gdal_name(path), tile=(column, row),
                          facts={"tile": f"lon {w:g}..{e:g}, lat {s:g}..{n:g}"})
    return Recognised(path, label, "DEM", "single file (any CRS)", "single", None, ELEVATION, unit="m",
                      open_name=gdal_name(path))


PRODUCT = RasterProduct(
    source="dem",
    variable="elevation",
    unit="m",
    stats=("std", "range"),
    recognise=recognise,
    static=True,
    mosaic=True,
    file_example="srtm_59_05.tif",
    # no land lies outside it (Turpan -154 m, Everest 8849 m): such values are an undeclared nodata value
    checks=ValueChecks((-500.0, 9000.0), "no land lies outside it: an undeclared nodata value "
                                         "(SRTM voids are -32768)?"),
)

SOURCE = Source(
    name="dem",
    description="City terrain relief: std and range (max - min) of elevation in metres; year 0 (static)",
    product="elevation GeoTIFF: SRTM 5 x 5 degree tiles (mosaicked on the fly) or one DEM in any CRS",
    contracts=(RASTER_ZONAL,),
    patterns=("*.tif", "*.tiff"),
    read=partial(read_raster_product, PRODUCT),
    version="2",
    resolves_names=False,  # polygons only: zonal statistics over raw.city_boundaries
)

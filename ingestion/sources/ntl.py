"""VIIRS annual night-time lights (Earth Observation Group VNL v2), city mean radiance per year.

The annual composites as served (``LAYOUTS``), each a GeoTIFF in EPSG:4326 at 15 arc-seconds, plain
or gzipped (``.tif.gz``, read through GDAL's ``/vsigzip/``: never unzipped to disk):

* ``vnl_v21_2012`` -- v2.1, the 2012 composite (April to December, ``vcmcfg``):
  ``VNL_v21_npp_201204-201212_global_vcmcfg_c{STAMP}.average_masked.dat.tif.gz``;
* ``vnl_v21``      -- v2.1, 2013 on: ``VNL_v21_npp_{YEAR}_global_vcmslcfg_c{STAMP}.average_masked.dat.tif.gz``;
* ``vnl_v22``      -- v2.2, from 2022: ``VNL_v22_npp-j01_{YEAR}_global_vcmslcfg_c{STAMP}.average_masked.dat.tif.gz``
  and the later ``VNL_npp_{YEAR}_global_vcmslcfg_v2_c{STAMP}.average_masked.dat.tif.gz``.

Each release serves several layers per year beside the radiance: ``cf_cvg`` (cloud-free coverage
counts), ``cvg``, ``lit_mask``, ``median``/``median_masked``, ``average`` (unmasked), ``minimum``,
``maximum``. The radiance summed here (nW/cm2/sr) is ``average_masked``, or another radiance layer
(``average``, ``median_masked``, ``median``) when ``$DUALCARBON_NTL_LAYER`` asks for it
(``ingestion.settings.ntl_layer``). The other layers of a year whose chosen layer is in the folder are
skipped (recorded in the manifest as not used); a year given only by another layer is refused, naming
the layer found and the one expected. A city's value is the coverage-weighted mean radiance.
"""
from __future__ import annotations

import re
from functools import partial
from pathlib import Path

from ingestion import settings
from ingestion.errors import IngestError
from ingestion.sources._layouts import Expected, Facet, Recognised, gdal_name
from ingestion.sources._raster import RASTER_ZONAL, RasterProduct, checked_year, read_raster_product
from ingestion.sources.base import Source

NAME = re.compile(
    r"VNL_(?:(?P<version>v2\d?)_)?npp(?P<satellite>-j01)?_(?P<period>\d{4}(?:\d{2}-\d{6})?)_global_"
    r"(?P<config>vcm[a-z]*cfg)(?:_(?P<version2>v2))?_c(?P<stamp>\d{8,12})\.(?P<layer>[a-z_]+?)"
    r"(?:\.dat)?\.tif(?P<gz>\.gz)?")
LAYERS = {
    "average_masked": "average radiance, background and outliers masked (nW/cm2/sr)",
    "average": "average radiance, unmasked",
    "median_masked": "median radiance, masked",
    "median": "median radiance, unmasked",
    "minimum": "minimum radiance",
    "maximum": "maximum radiance",
    "cf_cvg": "cloud-free coverage: a count of observations, not radiance",
    "cvg": "coverage: a count of observations, not radiance",
    "lit_mask": "lit mask (0/1), not radiance",
    "pct_lit": "share of lit observations, not radiance",
}
LAYOUTS = {
    "vnl_v21_2012": "VNL v2.1 2012 composite (201204-201212, vcmcfg) GeoTIFF, plain or .tif.gz",
    "vnl_v21": "VNL v2.1 annual GeoTIFF (2013 on), plain or .tif.gz",
    "vnl_v22": "VNL v2.2 annual GeoTIFF (2022 on; v22_npp-j01 and _v2_c names), plain or .tif.gz",
}
FILE_NAMES = {
    "vnl_v21_2012": "VNL_v21_npp_201204-201212_global_vcmcfg_c202205302300.{layer}.dat.tif",
    "vnl_v21": "VNL_v21_npp_{year}_global_vcmslcfg_c202205302300.{layer}.dat.tif",
    "vnl_v22": "VNL_v22_npp-j01_{year}_global_vcmslcfg_c{stamp}.{layer}.dat.tif",
}
def expected() -> Expected:
    """The radiance layer asked for (``ingestion.settings.ntl_layer``; average_masked by default)."""
    layer = settings.ntl_layer()
    return Expected((Facet("layer", layer, LAYERS[layer]),),
                    f"use the year's {layer} file (VNL_v21_npp_{{YEAR}}_global_vcmslcfg_c{{STAMP}}.{layer}.dat.tif.gz); "
                    f"another radiance layer is read when {settings.NTL_LAYER_ENV} names it", siblings=True)


def recognise(path: Path, label: str) -> Recognised:
    match = NAME.fullmatch(path.name)
    if match is None:
        raise IngestError(label, "file name", "no year can be read from the file name: it is not a VIIRS VNL "
                          "annual composite name (VNL_v21_npp_YEAR_global_vcmslcfg_cSTAMP.LAYER.dat.tif[.gz])",
                          "keep the published names, e.g. "
                          + FILE_NAMES["vnl_v21"].format(year=2019, layer="average_masked") + ".gz")
    period = match["period"]
    if "-" in period:
        start, end = period.split("-")
        if start[:4] != end[:4] or end[4:] != "12":
            raise IngestError(label, "file name", f"the composite spans {start}-{end}, not one calendar year",
                              "use the annual composite of the year (the 2012 one spans 201204-201212)")
    year = checked_year(label, int(period[:4]))
    version = match["version"] or ("v22" if match["version2"] else None)
    layout = ("vnl_v22" if version == "v22" else "vnl_v21_2012" if "-" in period else "vnl_v21")
    release = {"v21": "VNL v2.1", "v22": "VNL v2.2", "v2": "VNL v2.0", None: "VNL (release not in the name)"}[version]
    layer = match["layer"]
    gz = bool(match["gz"])
    conversion = "none" + ("; read through GDAL /vsigzip/ (no unzip)" if gz else "")
    return Recognised(path, label, "VIIRS VNL", release, layout, year,
                      (Facet("layer", layer, LAYERS.get(layer, "an unknown VNL layer")),),
                      variable=layer, unit="nW/cm2/sr" if layer in ("average_masked", "average", "median",
                                                                      "median_masked", "minimum", "maximum") else None,
                      conversion=conversion, open_name=gdal_name(path),
                      facts={"satellite": "Suomi NPP + NOAA-20 (npp-j01)" if match["satellite"] else "Suomi NPP",
                             "configuration": match["config"], "compressed": "gzip" if gz else None})


PRODUCT = RasterProduct(
    source="ntl",
    variable="ntl",
    unit="nW/cm2/sr",
    stats=("mean",),
    recognise=recognise,
    expected=expected,
    file_example=FILE_NAMES["vnl_v21"].format(year=2019, layer="average_masked") + ".gz",
)

SOURCE = Source(
    name="ntl",
    description="City mean night-time light radiance (nW/cm2/sr) from VIIRS VNL annual composites",
    product="VIIRS VNL v2.1 / v2.2 annual average_masked GeoTIFF per year (plain or .tif.gz, 15 arc-second)",
    contracts=(RASTER_ZONAL,),
    patterns=("*.tif", "*.tiff", "*.tif.gz"),
    read=partial(read_raster_product, PRODUCT),
    version="2",
    resolves_names=False,  # polygons only: zonal statistics over raw.city_boundaries
    settings=(settings.NTL_LAYER_ENV,),  # the radiance layer summed: a changed layer reloads the lights
)

"""Each raster source's serial load against reading its files, at the full world's native resolutions
(not a test).

    .venv/bin/python bench/bench_full_sources.py [--years 2016 2019] [--provinces 31 32 33 34 | all]
        [--sources edgar_co2 pm25 ntl dem] [--dem-arcsec 3] [--out DIR [--reuse]]

By default this benchmarks a representative subset, quick to write: the full world's resolutions
(EDGAR 0.1, PM2.5 0.01, VIIRS 15", DEM 0.01 degree) and its polygons (simplified 0.002 degree) for the
cities of a few provinces (default: Shanghai, Jiangsu, Zhejiang, Anhui), over a span of years whose
layouts include the float and uint16 PM2.5 NetCDFs and plain and gzipped lights (``rasters.LAYOUT_PLAN``),
written by the sample writer.
``--provinces all`` takes every city of the full world, and ``--sources`` writes and measures only the
products named (each product's files are the same whether written alone or with the others), so the
whole full world can be written and measured one product at a time (``--provinces all --years 2003
2023``: 296 cities; EDGAR, PM2.5 and DEM wrote in about a minute at 4.5 GB peak, 0.33 GB on disk, VIIRS's
12 years in about 4 minutes at 8 GB peak, 1.7 GB; 5 Dec 2026). The full world's DEM is 0.01 degree tiles in
SRTM's layout, a single band whose read (0.05 s) is smaller than the fixed costs of any load; ``--dem-arcsec
3`` writes the tiles at SRTM's own 3 arc-seconds (6000 x 6000 cells a tile), one row of tiles at a time.

Per source, in the same run: ``load`` is the source's read (recognise, inspect, coverage, zonal
statistics, long frame) with the serial executor; ``read`` is opening each file and reading its bands
over the same window in their stored type with rasterio (the floor). The ratio load / read is the
target of issue 19 (at most 1.5).
"""
from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import Bench, peak_rss_mb

SOURCES = ("edgar_co2", "pm25", "ntl", "dem")


def write_subset(out: Path, provinces, years, sources=SOURCES, *, reuse: bool = False,
                 dem_arcsec: float | None = None) -> "object":
    from ingestion.sample.geography import WORLDS, World, build_world
    from ingestion.sample.rasters import write_rasters
    from tests.ingestion._rasters import fake_panel

    full = build_world("full")
    keep = full.cities["adcode"].str[:2].isin(provinces)
    cities = full.cities if list(provinces) == ["all"] else full.cities[keep].reset_index(drop=True)
    spec = dataclasses.replace(WORLDS["full"], years=tuple(years))
    if dem_arcsec:
        spec = dataclasses.replace(spec, dem_res=dem_arcsec / 3600)
    world = World(spec=spec, cities=cities, native=cities)
    if not (reuse and all((out / name).is_dir() for name in sources)):
        write_rasters(world, fake_panel(world), out, seed=1, products=tuple(sources))
    elif "dem" in sources:
        _check_dem_resolution(out / "dem", spec.dem_res)
    return world


def _check_dem_resolution(folder: Path, res: float) -> None:
    """--reuse of DEM tiles written at another resolution would measure the wrong thing."""
    import rasterio

    tile = next(folder.glob("srtm_*.tif"), None)
    if tile is None:
        return
    with rasterio.open(tile) as ds:
        if abs(ds.res[0] - res) > 1e-9 * res:
            raise SystemExit(f"{tile} is at {ds.res[0] * 3600:g} arc-seconds, not {res * 3600:g}: give --dem-arcsec "
                             "its resolution, or another --out")


def read_floor(bands) -> tuple[float, int]:
    """Seconds to open each band's dataset and read its window in the stored type; cells read."""
    import rasterio
    from rasterio.windows import Window

    from ingestion.sources._raster import GDAL_ENV

    t0 = time.perf_counter()
    cells = 0
    with rasterio.Env(**GDAL_ENV):
        for band, grid in bands:
            spec = band.options[0]
            if not hasattr(spec, "open_name"):  # the EDGAR text grid: parsing is its read
                from ingestion.sources._raster import _parse_text_grid

                _parse_text_grid(Path(band.file), band.label, spec.header_lines)
                continue
            with rasterio.open(spec.open_name) as ds:
                data = ds.read(band.band, window=Window(band.col_off, band.row_off, grid.width, grid.height))
                cells += data.size
    return time.perf_counter() - t0, cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs=2, default=(2016, 2019))
    parser.add_argument("--provinces", nargs="+", default=["31", "32", "33", "34"],
                        help="two-digit province codes of the cities kept, or `all` (every city)")
    parser.add_argument("--sources", nargs="+", choices=SOURCES, default=list(SOURCES),
                        help="the raster products written and measured (default: all four)")
    parser.add_argument("--dem-arcsec", type=float, help="write the DEM tiles at this resolution (SRTM's own: "
                        "3) instead of the full world's 0.01 degree (36)")
    parser.add_argument("--out", type=Path, help="keep the written rasters here (default: a temporary folder)")
    parser.add_argument("--reuse", action="store_true", help="read the rasters already under --out (same subset)")
    parser.add_argument("--repeat", type=int, default=3, help="load and read alternately this many times; the "
                        "minimum of each is kept (the machine is shared)")
    args = parser.parse_args()
    bench = Bench("full_sources", args=args, baseline="opening and reading each file's bands over the same "
                  "window in their stored type (rasterio), same run")
    from ingestion import registry
    from ingestion.executor import SerialExecutor
    from ingestion.sources._raster import inspect_recognised, file_label
    from ingestion.sources.base import LoadContext
    from tests.ingestion._rasters import city_table

    with tempfile.TemporaryDirectory(prefix="bench_full_sources_") as tmp:
        out = args.out or Path(tmp)
        t0 = time.perf_counter()
        world = write_subset(out, args.provinces, range(args.years[0], args.years[1] + 1), args.sources,
                             reuse=args.reuse, dem_arcsec=args.dem_arcsec)
        bench.value("write_s", time.perf_counter() - t0, "s")
        bench.note("subset", f"{len(world.cities)} cities of provinces {args.provinces}, years {args.years[0]}-"
                   f"{args.years[1]}, full-world resolutions")
        ctx = LoadContext(cities=city_table(world), executor=SerialExecutor(), progress=False)
        wkb = tuple(bytes(g) for g in ctx.cities["geometry_wkb"])
        for name in args.sources:
            module = __import__(f"ingestion.sources.{name}", fromlist=["PRODUCT"])
            source = registry.get(name)
            files = source.find_files(out)
            product = module.PRODUCT
            recs = [product.recognise(f, file_label(f, name)) for f in files]
            expected = product.expected() if callable(product.expected) else product.expected
            from ingestion.sources._layouts import select

            used = select(recs, expected)[0] if expected else recs
            if product.mosaic and len(used) > 1:
                from ingestion.sources._raster import inspect_mosaic

                bands = inspect_mosaic(used, product, wkb).bands
            else:
                bands = [b for r in used for b in inspect_recognised(r, product, wkb)]
            load_s = read_s = np.inf
            for _ in range(args.repeat):  # alternate, keep the minimum: other jobs share the cores
                t0 = time.perf_counter()
                source.read(files, ctx)
                load_s = min(load_s, time.perf_counter() - t0)
                seconds, cells = read_floor(bands)
                read_s = min(read_s, seconds)
            bench.ratio(f"{name}_load_over_read", load_s / read_s, baseline="load s / read s (same run); target 1.5")
            bench.value(f"{name}_load_s", load_s, "s")
            bench.value(f"{name}_read_s", read_s, "s")
            bench.value(f"{name}_cells", cells, "cells")
    if "dem" in args.sources:
        bench.note("dem_resolution", f"{(args.dem_arcsec or world.spec.dem_res * 3600):g} arc-seconds")
    bench.value("peak_rss_mb", peak_rss_mb(), "MB")
    bench.emit()


if __name__ == "__main__":
    main()

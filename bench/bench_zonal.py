"""Zonal statistics speed on the default world, as ratios against baselines measured in the same run.

    .venv/bin/python bench/bench_zonal.py [--product pm25|edgar_co2|ntl] [--world default] [--workers 2]

Prints, for one raster product's yearly files over all cities:

  (a) read      reading the rasters alone (every band's window over the cities, rasterio)
  (b) ours      ingestion's zonal statistics (coverage matrix once per grid, one weighted bincount per band),
                serial and on a local process pool
  (c) baseline  a pure-Python rasterstats-style loop: per polygon, read its window and rasterize it with
                rasterio.features.geometry_mask, then take the masked mean / sum; one polygon at a time
  (d) exactextract's own "mean"/"sum" op, called once per file (reads and intersects per band)

and the ratios b/a (how close to the raster read rate), c/b (how far ahead of the baseline) and d/b.
Not a test: timings depend on the machine; the ratios are what SPEC section 9 asks for.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingestion.executor import LocalProcessExecutor, SerialExecutor  # noqa: E402
from ingestion.sample.geography import build_world  # noqa: E402
from ingestion.sample.rasters import write_rasters  # noqa: E402
from ingestion.sources import edgar_co2, ntl, pm25  # noqa: E402
from ingestion.sources._raster import inspect_file, read_raster_product  # noqa: E402
from ingestion.sources.base import LoadContext  # noqa: E402

PRODUCTS = {"pm25": pm25.PRODUCT, "edgar_co2": edgar_co2.PRODUCT, "ntl": ntl.PRODUCT}


def panel_for(world, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for adcode in world.cities.adcode:
        co2, pm, light = rng.uniform(1e6, 1e8), rng.uniform(20, 90), rng.uniform(0.5, 30)
        for year in world.years:
            rows.append({"adcode": adcode, "year": year, "co2_t": co2, "pm25_ugm3": pm,
                         "ntl_nw": light if year >= 2012 else np.nan})
    return pd.DataFrame(rows)


def timed(fn, repeat: int = 1):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def read_only(bands) -> float:
    total = 0.0
    for band, grid in bands:
        total += float(np.nansum(band.reader(band, grid)))
    return total


def rasterstats_style(files, product, cities) -> np.ndarray:
    """Per file, per polygon: window read + geometry_mask + masked statistic (cell-centre rule)."""
    import rasterio
    from rasterio.features import geometry_mask
    from rasterio.windows import Window, from_bounds

    stat = product.stats[0]
    out = np.full((len(files), len(cities)), np.nan)
    for f, path in enumerate(files):
        name = f'NETCDF:"{path}":{product.netcdf_variable}' if path.suffix == ".nc" else str(path)
        with rasterio.open(name) as ds:
            nodata = ds.nodata
            for k, geom in enumerate(cities):
                raw = from_bounds(*geom.bounds, transform=ds.transform)
                col0, row0 = int(np.floor(raw.col_off)), int(np.floor(raw.row_off))
                col1 = int(np.ceil(raw.col_off + raw.width))
                row1 = int(np.ceil(raw.row_off + raw.height))
                window = Window(col0, row0, col1 - col0, row1 - row0)
                data = ds.read(1, window=window, boundless=False).astype(np.float64)
                transform = ds.window_transform(window)
                outside = geometry_mask([geom], out_shape=data.shape, transform=transform)
                valid = ~outside & np.isfinite(data) & (data != nodata if nodata is not None else True)
                values = data[valid]
                if values.size:
                    out[f, k] = values.sum() if stat == "sum" else values.mean()
    return out


def exactextract_per_file(files, product, frame) -> float:
    import rasterio
    from exactextract import exact_extract

    total = 0.0
    for path in files:
        name = f'NETCDF:"{path}":{product.netcdf_variable}' if path.suffix == ".nc" else str(path)
        with rasterio.open(name) as ds:
            result = exact_extract(ds, frame, [product.stats[0]], output="pandas")
        total += float(result.iloc[:, 0].sum())
    return total


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--product", choices=sorted(PRODUCTS), default="pm25")
    parser.add_argument("--world", default="default")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="reuse/write the rasters here (default: a temp dir)")
    args = parser.parse_args(argv)
    product = PRODUCTS[args.product]

    t0 = time.perf_counter()
    world = build_world(args.world)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_zonal_"))
    if not (out / args.product).is_dir():
        write_rasters(world, panel_for(world), out, seed=1)
    print(f"world {args.world}: {len(world.cities)} cities, rasters ready in {time.perf_counter() - t0:.1f}s ({out})")

    source = {"pm25": pm25, "edgar_co2": edgar_co2, "ntl": ntl}[args.product].SOURCE
    files = source.find_files(out)
    cities = world.cities.reset_index(drop=True)
    ctx_cities = pd.DataFrame({"adcode": cities["adcode"], "name_zh": cities["name_zh"],
                               "geometry_wkb": list(shapely.to_wkb(cities.geometry.to_numpy()))})
    wkb = tuple(ctx_cities["geometry_wkb"])
    bands = [b for path in files for b in inspect_file(path, product, wkb)]
    n_cells = sum(g.n_cells for _, g in bands)
    print(f"{args.product}: {len(files)} files, {len(bands)} bands, {n_cells / len(bands):,.0f} cells per band window")

    def ours(executor):
        ctx = LoadContext(cities=ctx_cities, executor=executor, progress=False)
        return read_raster_product(product, files, ctx)["raster_zonal"]

    read_s, _ = timed(lambda: read_only(bands), repeat=3)
    ours_s, frame = timed(lambda: ours(SerialExecutor()), repeat=3)
    pool_s, _ = timed(lambda: ours(LocalProcessExecutor(args.workers)), repeat=2)
    base_s, baseline = timed(lambda: rasterstats_style(files, product, list(cities.geometry)))
    ee_s, _ = timed(lambda: exactextract_per_file(files, product, cities[["geometry"]]))

    ours_values = frame.pivot(index="year", columns="adcode", values="value").loc[:, list(cities["adcode"])].to_numpy()
    rel = np.abs(baseline / ours_values - 1)
    print(f"(a) read rasters alone            {read_s:8.2f} s")
    print(f"(b) ours, serial                  {ours_s:8.2f} s    b/a = {ours_s / read_s:6.2f}")
    print(f"    ours, {args.workers} processes           {pool_s:8.2f} s    pool/serial = {pool_s / ours_s:6.2f}")
    print(f"(c) rasterstats-style baseline    {base_s:8.2f} s    c/b = {base_s / ours_s:6.1f}")
    print(f"(d) exactextract op per file      {ee_s:8.2f} s    d/b = {ee_s / ours_s:6.1f}")
    print(f"baseline (cell-centre rule) vs exact coverage: median |rel diff| {np.nanmedian(rel):.2%}, "
          f"max {np.nanmax(rel):.2%}")


if __name__ == "__main__":
    main()

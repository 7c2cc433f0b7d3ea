"""Zonal statistics: ours against the raster read alone (the floor) and a pure-Python baseline, same run.

    .venv/bin/python bench/bench_zonal.py [--product pm25|edgar_co2|ntl] [--world default] [--workers 2]
                                          [--full-years 3] [--full-baseline-sample 40] [--quick]

Two parts, each over one raster product's yearly files and all cities of a world:

``default``  the default world's rasters as `dualcarbon sample` writes them (PM2.5 at 0.1 degree);
             ``--world tiny``: the tiny world's, records named ``tiny.*``.
``full``     the ``full`` world's resolution: 0.01-degree China-extent PM2.5 bands (5,300 x 3,524 cells,
             18.7 Mcells each) over the full world's 296 city polygons. Writing the whole full world
             takes several GB and a long time, so this part writes only ``--full-years`` yearly files
             (default 3) into a temporary folder with the sample world's own NetCDF writer: a smooth
             random field over land, fill value over sea (values not planted from a panel: only the
             speed is measured here, the agreement of the statistics is a test of its own).

Per part, measured in the same run:

  read      reading the rasters alone: every band's window over the cities, decoded (rasterio) -- the floor
  ours      ingestion's zonal statistics (the exact coverage once per grid, one compiled pass per band),
            serial; and on a local pool of ``--workers`` processes
  baseline  pure-Python rasterstats-style loop: per polygon, read its window, rasterise it with
            rasterio.features.geometry_mask (cell-centre rule), masked mean/sum in numpy. On the full
            part it runs on a random sample of ``--full-baseline-sample`` polygons and is extrapolated
            to all polygons in proportion to their window cells (the loop's cost is per window cell)
  exactextract's own "mean"/"sum" operation called once per file (reads and intersects per band)

``gz``       reading VIIRS VNL lights served gzipped (``.tif.gz``, through GDAL's ``/vsigzip/``) against
             their uncompressed twins (the same GeoTIFFs, not gzipped), in the same run: the read
             alone and ours. The default part uses the world's VNL years (0.05 degree); the full part
             adds a 0.01-degree China-extent twin (18.6 Mcells) written as the sample world writes
             lights (float32, deflate-compressed 256 x 256 tiles, then gzipped). A twin whose inner
             GeoTIFF is not compressed is timed too, as a value: there gzip is the only compression and
             /vsigzip/ must inflate every byte that the plain file merely copies.

Ratios (printed first): ours / read (1 would be the floor), baseline / ours and exactextract / ours
(speed-ups), pool / serial, gz / plain (budget 1.5). With only 3 bands the full part's once-per-grid coverage matrix weighs
more than over a product's 21 years, so it also times ours on one file, splits ours into a fixed and
a per-band cost, and prints the speed-up over the loop extrapolated to 21 bands (labelled as such).
Mcells/s count every band's window cells, the same count for each method.
``--quick``: the default part only, single repetitions (use ``--world tiny`` for a smoke run).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from _common import Bench, timed

from ingestion.executor import LocalProcessExecutor, SerialExecutor
from ingestion.sample.geography import build_world
from ingestion.sample.rasters import (PM25_FILL, _write_geotiff, _write_netcdf, land_cells, smooth_field,
                                      write_rasters)
from ingestion.sources import edgar_co2, ntl, pm25
from ingestion.sources._raster import file_label, inspect_file, read_raster_product
from ingestion.sources.base import LoadContext
from ingestion.zonal import block_values

SOURCES = {"pm25": pm25, "edgar_co2": edgar_co2, "ntl": ntl}


def panel_for(world, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for adcode in world.cities.adcode:
        co2, pm, light = rng.uniform(1e6, 1e8), rng.uniform(20, 90), rng.uniform(0.5, 30)
        for year in world.years:
            rows.append({"adcode": adcode, "year": year, "co2_t": co2, "pm25_ugm3": pm,
                         "ntl_nw": light if year >= 2012 else np.nan})
    return pd.DataFrame(rows)


def write_full_pm25(world, out: Path, years: list[int], seed: int = 1) -> list[Path]:
    """PM2.5 NetCDF files on the full world's 0.01-degree grid (smooth field on land, fill over sea)."""
    grid = world.grid(world.spec.pm25_res)
    rng = np.random.default_rng(seed)
    land = land_cells(world, grid)
    base = 35.0 + 10.0 * smooth_field(grid, rng)
    folder = out / "pm25"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for year in years:
        data = np.where(land, base * (1.0 + 0.05 * smooth_field(grid, rng)), np.nan)
        path = folder / pm25.FILE_NAMES["acag_v6"].format(year=year)
        _write_netcdf(path, grid, "PM25", data, fill_value=PM25_FILL, var_attrs={"units": "ug/m3"},
                      global_attrs={"title": f"bench: 0.01-degree PM2.5 {year}"})
        files.append(path)
    return files


def read_only(bands) -> float:
    """Every band's window read and decoded by its reader in one block (the floor for ours)."""
    total = 0.0
    for band, grid in bands:
        for block in band.reader(band, [(0, grid)]):
            total += float(np.nansum(block_values(block)))
    return total


def _open_name(path: Path, product) -> str:
    """The GDAL name the loader opens the file by (NetCDF variable, /vsigzip/ for .gz)."""
    return product.recognise(Path(path), file_label(Path(path), product.source)).open_name


def _pixel_window(geom, ds):
    from rasterio.windows import Window, from_bounds

    raw = from_bounds(*geom.bounds, transform=ds.transform)
    col0, row0 = int(np.floor(raw.col_off)), int(np.floor(raw.row_off))
    col1, row1 = int(np.ceil(raw.col_off + raw.width)), int(np.ceil(raw.row_off + raw.height))
    return Window(col0, row0, col1 - col0, row1 - row0)


def window_cells(path: Path, product, geoms) -> np.ndarray:
    """Cells in each polygon's bounding window (what the rasterstats-style loop reads and masks)."""
    import rasterio

    with rasterio.open(_open_name(path, product)) as ds:
        return np.array([int(w.width) * int(w.height) for w in (_pixel_window(g, ds) for g in geoms)])


def rasterstats_style(files, product, geoms) -> np.ndarray:
    """Per file, per polygon: window read + geometry_mask + masked statistic (cell-centre rule)."""
    import rasterio
    from rasterio.features import geometry_mask

    stat = product.stats[0]
    out = np.full((len(files), len(geoms)), np.nan)
    for f, path in enumerate(files):
        with rasterio.open(_open_name(path, product)) as ds:
            nodata = ds.nodata
            for k, geom in enumerate(geoms):
                window = _pixel_window(geom, ds)
                data = ds.read(1, window=window, boundless=False).astype(np.float64)
                valid_raw = np.isfinite(data) & (data != nodata if nodata is not None else True)
                data = data * ds.scales[0] + ds.offsets[0]  # CHAP's uint16 steps
                outside = geometry_mask([geom], out_shape=data.shape, transform=ds.window_transform(window))
                valid = ~outside & valid_raw
                values = data[valid]
                if values.size:
                    out[f, k] = values.sum() if stat == "sum" else values.mean()
    return out


def exactextract_per_file(files, product, frame) -> float:
    import rasterio
    from exactextract import exact_extract

    total = 0.0
    for path in files:
        with rasterio.open(_open_name(path, product)) as ds:
            result = exact_extract(ds, frame, [product.stats[0]], output="pandas")
        total += float(result.iloc[:, 0].sum())
    return total


def measure(bench: Bench, part: str, world, files, product, *, workers: int, repeat: int,
            baseline_sample: int | None, extrapolate_to: int | None = None) -> None:
    cities = world.cities.reset_index(drop=True)
    ctx_cities = pd.DataFrame({"adcode": cities["adcode"], "name_zh": cities["name_zh"],
                               "geometry_wkb": list(shapely.to_wkb(cities.geometry.to_numpy()))})
    bands = [b for path in files for b in inspect_file(path, product, tuple(ctx_cities["geometry_wkb"]))]
    mcells = sum(g.n_cells for _, g in bands) / 1e6

    def ours(executor, some=files):
        ctx = LoadContext(cities=ctx_cities, executor=executor, progress=False)
        return read_raster_product(product, some, ctx)["raster_zonal"]

    read_s, _ = timed(lambda: read_only(bands), repeat=repeat)
    ours_s, frame = timed(lambda: ours(SerialExecutor()), repeat=repeat)
    geoms = list(cities.geometry)
    chosen = np.arange(len(geoms))
    if baseline_sample and baseline_sample < len(geoms):
        chosen = np.sort(np.random.default_rng(0).choice(len(geoms), baseline_sample, replace=False))
    base_sample_s, baseline = timed(lambda: rasterstats_style(files, product, [geoms[k] for k in chosen]))
    cells = window_cells(files[0], product, geoms)
    scale = cells.sum() / cells[chosen].sum()
    base_s = base_sample_s * scale
    ee_s, _ = timed(lambda: exactextract_per_file(files, product, cities[["geometry"]]))

    bench.ratio(f"{part}.ours_over_read", ours_s / read_s, baseline="ours serial s / read-alone s (floor = 1)")
    bench.ratio(f"{part}.speedup_vs_rasterstats", base_s / ours_s,
                baseline="rasterstats-style loop s / ours serial s" + (" (loop extrapolated)" if scale > 1 else ""))
    bench.ratio(f"{part}.speedup_vs_exactextract_op", ee_s / ours_s,
                baseline="exactextract mean/sum op per file s / ours serial s")
    if extrapolate_to and len(files) > 1:
        # ours = fixed (coverage matrix, once per grid) + per band; the loop's cost is per band only
        one_s, _ = timed(lambda: ours(SerialExecutor(), files[:1]), repeat=repeat)
        first = len(inspect_file(files[0], product, tuple(ctx_cities["geometry_wkb"])))
        per_band = max(ours_s - one_s, 0.0) / (len(bands) - first)
        fixed = max(one_s - first * per_band, 0.0)
        bench.ratio(f"{part}.speedup_vs_rasterstats_{extrapolate_to}_bands", base_s / len(bands) * extrapolate_to
                    / (fixed + extrapolate_to * per_band), baseline=f"both extrapolated to {extrapolate_to} bands "
                    "(a product's 21 years): loop s per band x n / (ours fixed s + ours s per band x n)")
        bench.value(f"{part}.ours_fixed_s", fixed, "s", baseline="coverage matrix and setup, from 1 file vs all files")
        bench.value(f"{part}.ours_per_band_s", per_band, "s")
        bench.value(f"{part}.read_per_band_s", read_s / len(bands), "s")
    if workers > 1:
        pool_s, _ = timed(lambda: ours(LocalProcessExecutor(workers)), repeat=max(1, repeat - 1))
        bench.ratio(f"{part}.pool_over_serial", pool_s / ours_s, baseline=f"ours on {workers} processes s / serial s")
        bench.value(f"{part}.ours_pool_s", pool_s, "s")
    bench.value(f"{part}.read_s", read_s, "s")
    bench.value(f"{part}.ours_s", ours_s, "s")
    bench.value(f"{part}.rasterstats_s", base_s, "s")
    bench.value(f"{part}.exactextract_op_s", ee_s, "s")
    bench.value(f"{part}.read_mcells_per_s", mcells / read_s, "Mcells/s")
    bench.value(f"{part}.ours_mcells_per_s", mcells / ours_s, "Mcells/s")
    bench.value(f"{part}.rasterstats_mcells_per_s", mcells / base_s, "Mcells/s")
    bench.value(f"{part}.mcells_per_band", mcells / len(bands), "Mcells")
    bench.value(f"{part}.bands", len(bands), "bands")
    bench.value(f"{part}.cities", len(geoms), "polygons")
    ours_values = frame.pivot(index="year", columns="adcode", values="value").loc[:, list(cities["adcode"])]
    rel = np.abs(baseline / ours_values.to_numpy()[:, chosen] - 1)
    bench.value(f"{part}.rasterstats_median_rel_diff", 100 * float(np.nanmedian(rel)), "%",
                baseline="cell-centre rule vs exact coverage, same polygons")
    if scale > 1:
        bench.note(f"{part}.rasterstats_sample", f"{len(chosen)} of {len(geoms)} polygons timed "
                   f"({base_sample_s:.1f} s), extrapolated x{scale:.2f} by window cells")


def gz_twins(files: list[Path], folder: Path) -> list[Path]:
    """The uncompressed twin of each gzipped file (the GeoTIFF the .gz holds), written under ``folder``."""
    import gzip
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    twins = []
    for path in files:
        twin = folder / path.name[: -len(".gz")]
        with gzip.open(path, "rb") as src, open(twin, "wb") as dst:
            shutil.copyfileobj(src, dst)
        twins.append(twin)
    return twins


def measure_gz(bench: Bench, part: str, world, gz_files: list[Path], plain_files: list[Path], *, repeat: int,
               label: str = "gz_over_plain") -> None:
    """Reading gzipped VNL files against their uncompressed twins: the read alone and ours."""
    cities = world.cities.reset_index(drop=True)
    ctx_cities = pd.DataFrame({"adcode": cities["adcode"], "name_zh": cities["name_zh"],
                               "geometry_wkb": list(shapely.to_wkb(cities.geometry.to_numpy()))})
    wkb = tuple(ctx_cities["geometry_wkb"])
    product = ntl.PRODUCT

    def bands(files):
        return [b for path in files for b in inspect_file(path, product, wkb)]

    def ours(files):
        ctx = LoadContext(cities=ctx_cities, executor=SerialExecutor(), progress=False)
        return read_raster_product(product, files, ctx)["raster_zonal"]

    gz_bands, plain_bands = bands(gz_files), bands(plain_files)
    read_plain, total_plain = timed(lambda: read_only(plain_bands), repeat=repeat)
    read_gz, total_gz = timed(lambda: read_only(gz_bands), repeat=repeat)
    assert total_gz == total_plain  # the same cells
    if label == "gz_over_plain":
        ours_plain, _ = timed(lambda: ours(plain_files), repeat=repeat)
        ours_gz, _ = timed(lambda: ours(gz_files), repeat=repeat)
        bench.ratio(f"{part}.{label}_read", read_gz / read_plain, baseline="read alone: .tif.gz via /vsigzip/ s / "
                    "its uncompressed twin s (budget 1.5)")
        bench.ratio(f"{part}.{label}_ours", ours_gz / ours_plain, baseline="ours: .tif.gz s / uncompressed twin s")
        bench.value(f"{part}.gz_ours_s", ours_gz, "s")
        bench.value(f"{part}.plain_ours_s", ours_plain, "s")
    else:
        bench.value(f"{part}.{label}_read", read_gz / read_plain, "x", baseline="read alone: .tif.gz s / twin s, "
                    "inner GeoTIFF not compressed (gzip is then the only compression)")
    bench.value(f"{part}.{label}_gz_read_s", read_gz, "s")
    bench.value(f"{part}.{label}_plain_read_s", read_plain, "s")
    bench.value(f"{part}.{label}_mcells", sum(g.n_cells for _, g in gz_bands) / 1e6, "Mcells")


def write_full_vnl(world, out: Path, *, compress: bool) -> Path:
    """A VNL average_masked GeoTIFF of China at 0.01 degree (smooth lights over land), gzipped as served."""
    grid = world.grid(world.spec.pm25_res)
    rng = np.random.default_rng(2)
    data = np.where(land_cells(world, grid), np.exp(1.5 * smooth_field(grid, rng)), 0.0)
    name = ntl.FILE_NAMES["vnl_v21"].format(year=2019, layer="average_masked")
    out.mkdir(parents=True, exist_ok=True)
    if compress:
        return _write_geotiff(out / name, grid, data, nodata=-999.0, tags={}, gz=True)
    import gzip
    import shutil

    import rasterio

    plain = out / ("raw_" + name)
    with rasterio.open(plain, "w", driver="GTiff", width=grid.width, height=grid.height, count=1, dtype="float32",
                       crs="EPSG:4326", transform=grid.transform(), nodata=-999.0, tiled=True, blockxsize=256,
                       blockysize=256) as ds:
        ds.write(data.astype(np.float32), 1)
    target = out / (name + ".gz")
    with open(plain, "rb") as src, gzip.GzipFile(target, "wb", mtime=0) as dst:
        shutil.copyfileobj(src, dst)
    plain.unlink()
    return target


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--product", choices=sorted(SOURCES), default="pm25")
    parser.add_argument("--world", default="default", choices=("tiny", "default"),
                        help="world of the first part (tiny for a smoke run)")
    parser.add_argument("--workers", type=int, default=2, help="processes of the pool timing (1: no pool)")
    parser.add_argument("--full-years", type=int, default=3, help="0.01-degree yearly files of the full part")
    parser.add_argument("--full-baseline-sample", type=int, default=40, help="polygons the full-part loop times")
    parser.add_argument("--quick", action="store_true", help="the first part only, one repetition each")
    parser.add_argument("--out", type=Path, default=None, help="reuse/write the rasters here (default: a temp dir)")
    args = parser.parse_args(argv)
    product = SOURCES[args.product].PRODUCT
    bench = Bench("zonal", args=args, baseline=(
        "the raster read alone (floor), a pure-Python rasterstats-style loop and exactextract's own op, "
        "on the same rasters and polygons in the same run"))

    with tempfile.TemporaryDirectory(prefix="bench_zonal_") as tmp:
        out = args.out or Path(tmp)
        t0 = time.perf_counter()
        world = build_world(args.world)
        if not (out / args.product).is_dir():
            write_rasters(world, panel_for(world), out, seed=1)
        bench.value(f"{args.world}.setup_s", time.perf_counter() - t0, "s")
        files = SOURCES[args.product].SOURCE.find_files(out)
        measure(bench, args.world, world, files, product, workers=args.workers, repeat=1 if args.quick else 3,
                baseline_sample=None)
        bench.note(f"{args.world}.rasters", f"{args.product}: {len(files)} files of the {args.world} world")
        if not (out / "ntl").is_dir():
            write_rasters(world, panel_for(world), out, seed=1)
        gz = sorted((out / "ntl").glob("*average_masked.dat.tif.gz"))
        measure_gz(bench, args.world, world, gz, gz_twins(gz, out / "ntl_twins" / "ntl"), repeat=3 if args.quick else 5)
        bench.note(f"{args.world}.gz", f"{len(gz)} gzipped VNL years of the {args.world} world and their twins")

    if not args.quick:
        with tempfile.TemporaryDirectory(prefix="bench_zonal_full_") as tmp:
            t0 = time.perf_counter()
            full = build_world("full")
            years = list(full.years[-args.full_years:])
            full_files = write_full_pm25(full, Path(tmp), years)
            bench.value("full.setup_s", time.perf_counter() - t0, "s")
            measure(bench, "full", full, full_files, pm25.PRODUCT, workers=args.workers, repeat=2,
                    baseline_sample=args.full_baseline_sample, extrapolate_to=len(full.years))
        bench.note("full.rasters", f"pm25: {len(full_files)} files at 0.01 degree (years {years}) over the full "
                   "world's polygons")
        with tempfile.TemporaryDirectory(prefix="bench_zonal_gz_") as tmp:
            for compress, label in ((True, "gz_over_plain"), (False, "gz_over_plain_raw_inner")):
                folder = Path(tmp) / label
                gz = [write_full_vnl(full, folder / "ntl", compress=compress)]
                measure_gz(bench, "full", full, gz, gz_twins(gz, folder / "twins" / "ntl"), repeat=3, label=label)
        bench.note("full.gz", "one 0.01-degree VNL file over China, gzipped, against its uncompressed twin")
    bench.emit()


if __name__ == "__main__":
    main()

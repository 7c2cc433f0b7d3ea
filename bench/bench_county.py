"""County world: daily PM2.5 zonal statistics serially (per-raster cost) and the two-way SDM with effects
at the county N (not a test).

    .venv/bin/python bench/bench_county.py --sources work/county/sources --warehouse work/county/w.duckdb

``--sources``: a county world (``dualcarbon sample --world county``); written into a temporary folder
when not given. ``--warehouse``: a county warehouse built from it (``dualcarbon ingest`` of boundaries
and the raster sources, then ``dualcarbon build``); built here when not given.

1. Daily PM2.5 (``pm25_daily``, one ChinaHighPM2.5 D1K file per day): the loader's read (recognise,
   inspect, coverage once, zonal means per day, annual means) serially, against reading the same files'
   bands alone (GDAL window reads, the floor); the cost per raster and per million cells, from which the
   README projects the 23-year daily run. The compiled zonal kernels are loaded first and timed on their
   own (``kernels_load_s``, about 0.5 s once per process: numba's import and its cache).
   On Dask (unless ``--no-dask``): the same ``pm25_daily.read`` serially and on a
   ``DaskExecutor("local:1")`` and ``("local:2")`` in the same run (``bench_dask.compare_executors``: rows
   compared, ratios against that serial run, Dask's extra seconds per task, peak memory per worker) and
   Dask's overhead per no-op task (``bench_dask.overhead_per_task``).
2. Two-way (individual + time) Lee-Yu SDM with LeSage-Pace effects (1,000 draws) on mart_county_year
   with the k-nearest W of mart_county_spatial_weights at N = all county-level units: budget 5 s.
3. The log-determinant backends at a smaller N (the first 600 units' knn W) against the exact value
   from the eigenvalues: max relative error of sparse LU and Chebyshev over rho in [-0.9, 0.95].
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

from _common import Bench, peak_rss_mb

ROOT = Path(__file__).resolve().parents[1]


def sample_and_build(sources: Path | None, warehouse: Path | None, tmp: Path) -> tuple[Path, Path]:
    python = sys.executable
    if sources is None:
        sources = tmp / "sources"
        subprocess.run([python, "-m", "dualcarbon", "sample", "--world", "county", "--out", str(sources)], check=True,
                       cwd=ROOT)
    if warehouse is None:
        warehouse = tmp / "county.duckdb"
        subprocess.run([python, "-m", "dualcarbon", "ingest", "--quiet", "--sources", str(sources), "--warehouse",
                        str(warehouse), "--only", "boundaries", "edgar_co2", "pm25", "pm25_daily", "ntl", "dem"],
                       check=True, cwd=ROOT)
        subprocess.run([python, "-m", "dualcarbon", "build", "--warehouse", str(warehouse)], check=True, cwd=ROOT)
    return sources, warehouse


def bench_daily(bench: Bench, sources: Path, warehouse: Path) -> None:
    import rasterio

    from ingestion.executor import SerialExecutor
    from ingestion.sources import pm25_daily
    from ingestion.sources.base import LoadContext

    con = duckdb.connect(str(warehouse), read_only=True)
    cities = con.execute("select * from raw.city_boundaries order by adcode").df()
    con.close()
    files = pm25_daily.SOURCE.find_files(sources)
    ctx = LoadContext(cities=cities, executor=SerialExecutor(), progress=False)
    from bench_dask import load_kernels

    t0 = time.perf_counter()
    load_kernels()
    bench.value("kernels_load_s", time.perf_counter() - t0, "s",
                baseline="importing numba and loading the compiled zonal kernels from its cache, once per process")
    t0 = time.perf_counter()
    frame = pm25_daily.read(files, ctx).tables["raster_zonal"]
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    cells = 0
    for path in files:
        with rasterio.open(f'NETCDF:"{path}":PM2.5') as ds:
            band = ds.read(1, out_dtype="float64")
            cells += band.size
    read_s = time.perf_counter() - t0
    n = len(files)
    bench.ratio("daily_load_over_read", load_s / read_s, baseline="pm25_daily read s / GDAL band reads of the same "
                "files s (same run)")
    bench.value("daily_files", n, "rasters")
    bench.value("daily_units", len(cities), "units")
    bench.value("daily_load_s", load_s, "s")
    bench.value("daily_read_s", read_s, "s")
    bench.value("daily_cost_per_raster_s", load_s / n, "s")
    bench.value("daily_cells_per_raster", cells // n, "cells")
    bench.value("daily_cost_per_mcell_s", load_s / (cells / 1e6), "s per million cells")
    bench.value("daily_rows", len(frame), "rows")


def bench_daily_dask(bench: Bench, sources: Path, warehouse: Path, *, repeat: int) -> None:
    from bench_dask import compare_executors, overhead_per_task

    from ingestion.sources import pm25_daily
    from ingestion.sources.base import LoadContext

    con = duckdb.connect(str(warehouse), read_only=True)
    cities = con.execute("select * from raw.city_boundaries order by adcode").df()
    con.close()
    files = pm25_daily.SOURCE.find_files(sources)

    def ours(executor):
        ctx = LoadContext(cities=cities, executor=executor, progress=False)
        return pm25_daily.read(files, ctx).tables["raster_zonal"].reset_index(drop=True)

    overhead_per_task(bench)
    compare_executors(bench, "daily_dask", ours, tasks=len(files) + 1, repeat=repeat)  # + the coverage task
    bench.note("daily_dask.rasters", f"pm25_daily: {len(files)} ChinaHighPM2.5 D1K files over {len(cities)} units")


def bench_sdm(bench: Bench, warehouse: Path) -> None:
    from analysis.estimators.spatial import fit_spatial_panel, impacts, weights_from_edges

    con = duckdb.connect(str(warehouse), read_only=True)
    panel = con.execute("select adcode, year, pm25_ugm3, night_lights_nw, co2_edgar_t from marts.mart_county_year "
                        "where year >= 2012 order by adcode, year").df()
    edges = con.execute("select * from marts.mart_county_spatial_weights").df()
    con.close()
    panel = panel.dropna()
    counts = panel.groupby("adcode").size()
    panel = panel[panel["adcode"].isin(counts[counts == counts.max()].index)]
    panel = panel.assign(ln_pm25=np.log(panel["pm25_ugm3"]), ln_ntl=np.log(panel["night_lights_nw"]),
                         ln_co2=np.log(panel["co2_edgar_t"]))
    ids = sorted(panel["adcode"].unique())
    t0 = time.perf_counter()
    W = weights_from_edges(edges, ids, matrix="knn")
    res = fit_spatial_panel(panel, y="ln_pm25", x=["ln_ntl", "ln_co2"], w=W, w_ids=ids, entity="adcode",
                            time="year", model="sdm", effects="twoways", logdet="sparse_lu")
    effects = impacts(res, n_draws=1000, seed=1)
    seconds = time.perf_counter() - t0
    bench.over_budget("sdm_twoways_effects_budget", seconds, 5.0, target="two-way SDM with effects at the county N")
    bench.value("sdm_n", len(ids), "units")
    bench.value("sdm_t", panel["year"].nunique(), "years")
    bench.value("sdm_seconds", seconds, "s")
    bench.value("sdm_rho", float(res.params["rho"]), "")
    bench.note("sdm_effects", str(effects.table().round(4).to_dict()) if hasattr(effects, "table") else "")
    bench_logdet(bench, edges, ids[:600])


def bench_logdet(bench: Bench, edges, ids) -> None:
    from analysis.estimators.spatial import weights_from_edges
    from analysis.estimators.spatial.logdet import LogDet

    knn = edges[edges["matrix"] == "knn"]
    ids = set(ids)
    while True:  # units whose neighbours all fall outside the subset have no row: drop them
        inside = knn[knn["adcode_i"].isin(ids) & knn["adcode_j"].isin(ids)]
        keep = set(inside["adcode_i"])
        if keep == ids:
            break
        ids = keep
    ids = sorted(ids)
    W = weights_from_edges(edges, ids, matrix="knn")
    exact = LogDet(W, method="eigen")
    rhos = np.linspace(-0.9, 0.95, 38)
    truth = np.array([exact(r) for r in rhos])
    for method in ("sparse_lu", "chebyshev"):
        approx = LogDet(W, method=method)
        got = np.array([approx(r) for r in rhos])
        scale = np.maximum(np.abs(truth), 1.0)
        bench.value(f"logdet_{method}_max_rel_err", float(np.max(np.abs(got - truth) / scale)), "",
                    baseline=f"exact eigenvalue log-determinant at N = {len(ids)}, rho in [-0.9, 0.95]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path)
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--no-dask", action="store_true", help="skip the daily part on local:1 / local:2")
    parser.add_argument("--repeat", type=int, default=2, help="runs per executor in the Dask part (best kept)")
    args = parser.parse_args()
    bench = Bench("county", args=args, baseline="GDAL band reads of the same daily files (floor); the serial daily "
                  "read of the same run (Dask); the 5 s budget of the SDM; the exact eigenvalue log-determinant")
    with tempfile.TemporaryDirectory(prefix="bench_county_") as tmp:
        sources, warehouse = sample_and_build(args.sources, args.warehouse, Path(tmp))
        bench_daily(bench, sources, warehouse)
        if not args.no_dask:
            bench_daily_dask(bench, sources, warehouse, repeat=args.repeat)
        bench_sdm(bench, warehouse)
    bench.value("peak_rss_mb", peak_rss_mb(), "MB")
    bench.emit()


if __name__ == "__main__":
    main()

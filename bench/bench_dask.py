"""Zonal statistics on Dask: serial against a LocalCluster of 1 and of 2 worker processes, same run.

    .venv/bin/python bench/bench_dask.py [--product pm25] [--world default] [--full-years 4] [--quick]

Parts (as in bench_zonal):

``default``  the default world's yearly rasters of ``--product`` over its cities (``--world tiny``: smoke run).
``full``     ``--full-years`` PM2.5 files at 0.01 degree over China (5,300 x 3,524 = 18.7 Mcells a band, the
             size of one ChinaHighPM2.5 daily 1 km grid) over the full world's polygons, written with the
             sample world's NetCDF writer (bench_zonal.write_full_pm25). Skipped by ``--quick``.

Per part, in the same run: ``serial`` (``SerialExecutor``, the default of ``dualcarbon ingest``) and
``local1`` / ``local2`` (``ingestion.cluster.DaskExecutor("local:N")``, the cluster started before the
clock and its start-up time reported on its own): the same ``read_raster_product`` call, so the rows are
compared too (``*.rows_equal`` must be 1). Ratios: local1 / serial (the price of Dask on one worker),
local2 / serial and local2 / local1 (the speed-up of a second worker; the machine has 2 cores shared
with other jobs). Dask's overhead per task: a no-op task mapped 400 times on one worker (seconds per
task), and (local1 - serial) / tasks of the part. Peak memory per worker: the largest high-water mark
(``VmHWM``, ``worker_rss_mb``) of the workers of a cluster started for that part, reset once the worker has
loaded the compiled zonal kernels (``*_kernels_mb_per_worker``: numba and LLVM, a fixed size once per
process); ``*_growth_mb_per_worker``, that peak over the worker's size before the load (the imports of the
readers, the coverage task, then one block of ``zonal.MAX_CELLS_PER_BLOCK`` float64 cells a band plus the
coverage, held whole: its runs and entries).
``full.bands_only_*``: the coverage computed in this process (timed), then only the band tasks on a fresh
worker, its high-water mark reset after a first band task: the growth while it streams bands.
Projection: the 23-year daily run (23 x 365 bands) from one coverage plus the full part's serial cost per
band (coverage excluded) and the overhead per task, on 1, 8 and 64 workers, assuming the per-band cost
does not grow with the number of polygons (it is the band's read and one pass over the coverage's runs and
cut cells).
"""
from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path
from typing import Callable

import pandas as pd
import shapely

from _common import Bench, timed

from bench_zonal import SOURCES, panel_for, write_full_pm25
from ingestion.cluster import DaskExecutor
from ingestion.executor import SerialExecutor
from ingestion.sample.geography import build_world
from ingestion.sample.rasters import write_rasters
from ingestion.sources import pm25
from ingestion.sources._raster import inspect_file, read_raster_product
from ingestion.sources.base import LoadContext

DAILY_BANDS = 23 * 365


def worker_rss_mb() -> float:
    """Peak resident set size of the calling process (a worker), MB: the kernel's high-water mark of its own
    address space (``VmHWM``). Not ``ru_maxrss``: a process forked and then exec'd (how multiprocessing's
    spawn starts a worker) keeps the parent's size at the fork as its ``ru_maxrss``, so it reported the
    bench process's size, not the worker's."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024


def reset_peak() -> float:
    """Start the calling process's high-water mark afresh (Linux: writing 5 to ``/proc/self/clear_refs``),
    so that the next ``worker_rss_mb`` is the peak of what ran since; returns the size now, MB."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return current_rss_mb()


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1024**2


def load_kernels() -> None:
    """Import and run the compiled zonal kernels once in the calling process (a worker): numba and LLVM are
    a fixed cost per process, paid by the first band task, not memory that grows with the bands."""
    import numpy as np
    import shapely

    from ingestion.zonal import Cells, Grid, Linear, Stored, ZoneMoments, coverage_matrix

    grid = Grid("EPSG:4326", 0.0, 2.0, 1.0, 1.0, 2, 2)
    cov = coverage_matrix(np.array([shapely.box(0.2, 0.2, 2.0, 2.0)], dtype=object), grid)
    # float64 (EDGAR's tonnes) and the stored types of the products' files: one compiled version each
    for raw in (np.zeros(4), np.zeros(4, np.float32), np.zeros(4, np.uint16), np.zeros(4, np.int16)):
        ZoneMoments(1, ("mean", "std")).add(cov, 0, Cells.of(Stored(raw, lambda r: r, Linear(-1.0, 0.5, 1.0))))


def no_op(task: int) -> int:
    return task


def measure(bench: Bench, part: str, world, files, product, *, repeat: int) -> float:
    """Time the part serially and on local:1 / local:2; returns the serial seconds per file."""
    cities = world.cities.reset_index(drop=True)
    ctx_cities = pd.DataFrame({"adcode": cities["adcode"], "name_zh": cities["name_zh"],
                               "geometry_wkb": list(shapely.to_wkb(cities.geometry.to_numpy()))})

    def ours(executor):
        ctx = LoadContext(cities=ctx_cities, executor=executor, progress=False)
        return read_raster_product(product, files, ctx)["raster_zonal"].reset_index(drop=True)

    serial_s = compare_executors(bench, part, ours, tasks=len(files) + 1, repeat=repeat)  # + the coverage task
    return serial_s / len(files)


def compare_executors(bench: Bench, part: str, ours: Callable, *, tasks: int, repeat: int) -> float:
    """``ours(executor)`` (a frame of rows) timed serially and on local:1 / local:2, its rows compared with
    the serial ones; the ratios, Dask's extra seconds per task and the peak memory per worker. Returns the
    serial seconds."""
    serial_s, serial_rows = timed(lambda: ours(SerialExecutor()), repeat)
    bench.value(f"{part}.serial_s", serial_s, "s")
    seconds = {}
    for n in (1, 2):
        t0 = time.perf_counter()
        with DaskExecutor(f"local:{n}") as executor:
            bench.value(f"{part}.local{n}_startup_s", time.perf_counter() - t0, "s")
            started = executor.client.run(current_rss_mb)
            executor.client.run(load_kernels)
            before = executor.client.run(reset_peak)
            seconds[n], rows = timed(lambda: ours(executor), repeat)
            peaks = executor.client.run(worker_rss_mb)
        bench.value(f"{part}.local{n}_s", seconds[n], "s")
        bench.value(f"{part}.local{n}_rows_equal", int(rows.equals(serial_rows)), "bool")
        bench.value(f"{part}.local{n}_peak_mb_per_worker", max(peaks.values()), "MB")
        bench.value(f"{part}.local{n}_kernels_mb_per_worker", max(before[w] - started[w] for w in before), "MB",
                    baseline="the worker's size after loading the compiled zonal kernels - before (fixed)")
        bench.value(f"{part}.local{n}_growth_mb_per_worker", max(peaks[w] - before[w] for w in peaks), "MB",
                    baseline="peak during the load - the worker's size before it (kernels loaded)")
    bench.ratio(f"{part}.local1_over_serial", seconds[1] / serial_s, baseline="local:1 s / serial s")
    bench.ratio(f"{part}.local2_over_serial", seconds[2] / serial_s, baseline="local:2 s / serial s")
    bench.ratio(f"{part}.local2_over_local1", seconds[2] / seconds[1], baseline="local:2 s / local:1 s")
    bench.value(f"{part}.tasks", tasks, "tasks")
    bench.value(f"{part}.local1_extra_s_per_task", (seconds[1] - serial_s) / tasks, "s",
                baseline="(local:1 s - serial s) / tasks")
    return serial_s


def bands_only(bench: Bench, part: str, world, files, product, folder: Path) -> tuple[float, float]:
    """The coverage computed here (timed), then only the band tasks on a fresh local:1: the worker's memory
    while it streams bands (the bound the README states); returns (coverage s, serial band s per file)."""
    from ingestion.zonal import BandsTask, CoverageTask, run_bands_task, run_coverage_task

    wkb = tuple(shapely.to_wkb(world.cities.geometry.to_numpy()))
    per_file = [inspect_file(path, product, wkb) for path in files]
    grid = per_file[0][0][1]
    coverage_s, coverage = timed(lambda: run_coverage_task(CoverageTask(grid, wkb, save_to=str(folder / "cov"))))
    tasks = [BandsTask(tuple(b for b, _ in bands), grid, coverage, product.stats, product.checks)
             for bands in per_file]
    serial_s, _ = timed(lambda: [run_bands_task(t) for t in tasks])
    with DaskExecutor("local:1") as executor:
        executor.map(run_bands_task, tasks[:1])   # the worker imports the readers: not the bands' memory
        before = executor.client.run(reset_peak)
        executor.map(run_bands_task, tasks)
        peaks = executor.client.run(worker_rss_mb)
    bench.value(f"{part}.coverage_s", coverage_s, "s", baseline="the coverage task alone, in this process")
    bench.value(f"{part}.bands_only_growth_mb_per_worker", max(peaks[w] - before[w] for w in peaks), "MB",
                baseline="band tasks only (coverage precomputed): peak since a first band task - size after it")
    return coverage_s, serial_s / len(files)


def overhead_per_task(bench: Bench, n_tasks: int = 400) -> float:
    with DaskExecutor("local:1") as executor:
        executor.map(no_op, list(range(20)))   # warm
        seconds, _ = timed(lambda: executor.map(no_op, list(range(n_tasks))), 3)
    return bench.value("overhead_s_per_task", seconds / n_tasks, "s", baseline=f"{n_tasks} no-op tasks on local:1")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--product", choices=sorted(SOURCES), default="pm25")
    parser.add_argument("--world", default="default", choices=("tiny", "default"))
    parser.add_argument("--full-years", type=int, default=4, help="0.01-degree PM2.5 files of the full part")
    parser.add_argument("--quick", action="store_true", help="the first part only, one repetition")
    args = parser.parse_args(argv)
    bench = Bench("dask", args=args, baseline="the serial zonal statistics of the same files, same run")
    overhead = overhead_per_task(bench)
    with tempfile.TemporaryDirectory(prefix="bench_dask_") as tmp:
        world = build_world(args.world)
        write_rasters(world, panel_for(world), Path(tmp), seed=1)
        files = SOURCES[args.product].SOURCE.find_files(Path(tmp))
        measure(bench, args.world, world, files, SOURCES[args.product].PRODUCT, repeat=1 if args.quick else 2)
        bench.note(f"{args.world}.rasters", f"{args.product}: {len(files)} files of the {args.world} world, "
                   f"{len(world.cities)} polygons")
    if not args.quick:
        with tempfile.TemporaryDirectory(prefix="bench_dask_full_") as tmp:
            full = build_world("full")
            files = write_full_pm25(full, Path(tmp), list(full.years[-args.full_years:]))
            measure(bench, "full", full, files, pm25.PRODUCT, repeat=2)
            coverage_s, per_band = bands_only(bench, "full", full, files, pm25.PRODUCT, Path(tmp))
        bench.note("full.rasters", f"pm25: {len(files)} files at 0.01 degree (18.7 Mcells a band) over "
                   f"{len(full.cities)} polygons")
        for workers in (1, 8, 64):
            hours = (coverage_s + DAILY_BANDS * (per_band + overhead) / workers) / 3600
            bench.value(f"projection.daily_23y_{workers}_workers_h", hours, "h",
                        baseline=f"one coverage + {DAILY_BANDS} bands x (serial s per 0.01-degree band + overhead "
                        "per task) / workers")
    bench.emit()


if __name__ == "__main__":
    main()

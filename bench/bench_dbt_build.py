"""Benchmark: `dbt build` on the default world (target: under a minute on 2 cores).

Baseline measured in the same run: reading every raw table into memory once (the floor for any
transformation of the raw layer). Ratios: build / baseline and build / 60 s; then the seconds and the
slowest nodes. dbt's target and logs go to a temporary folder; its output goes to stderr.

    python bench/bench_dbt_build.py                       # samples and ingests the default world first
    python bench/bench_dbt_build.py --warehouse FILE      # a warehouse whose raw schema is loaded (copied;
                                                          # default $BENCH_WAREHOUSE; built marts are rebuilt)
"""
from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from _common import Bench, default_warehouse

from dualcarbon.dbt import run_dbt
from ingestion.warehouse import ensure_spatial_installed

BUDGET_SECONDS = 60.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", default=default_warehouse(),
                        help="a loaded warehouse to copy (default: $BENCH_WAREHOUSE, else sample + ingest the world)")
    parser.add_argument("--world", default="default")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    ensure_spatial_installed()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        warehouse = tmp / "bench.duckdb"
        if args.warehouse:
            shutil.copy(args.warehouse, warehouse)
        else:
            from ingestion.load import ingest
            from ingestion.sample import generate

            with contextlib.redirect_stdout(sys.stderr):
                generate(args.world, args.seed, tmp / "sources", progress=False)
                ingest(tmp / "sources", warehouse, progress=False)

        con = duckdb.connect(str(warehouse), read_only=True)
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()]
        t0 = time.perf_counter()
        rows = sum(con.execute(f"select * from raw.{t}").to_arrow_table().num_rows for t in tables)
        baseline = time.perf_counter() - t0
        con.close()

        t0 = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):
            code = run_dbt(warehouse, "build", "--quiet", "--target-path", str(tmp / "target"),
                            "--log-path", str(tmp / "logs"))
        build = time.perf_counter() - t0
        if code != 0:
            print(f"dbt build failed (exit {code})", file=sys.stderr)
            return code
        results = json.loads((tmp / "target" / "run_results.json").read_text())["results"]
    bench = Bench("dbt_build", args=args, baseline=(
        "reading every raw table into memory once (the floor of any transformation), same run; the 60 s target"))
    bench.ratio("build.over_raw_read", build / baseline, baseline="dbt build s / read every raw table s")
    bench.over_budget("build.over_budget", build, BUDGET_SECONDS, target="dbt build on the default world")
    bench.value("build_s", build, "s")
    bench.value("raw_read_s", baseline, "s")
    bench.value("raw_tables", len(tables), "tables")
    bench.value("raw_rows", rows, "rows")
    bench.value("nodes", len(results), "nodes", baseline="models, seeds, data and unit tests")
    for r in sorted(results, key=lambda r: -r["execution_time"])[:8]:
        kind, *_, node = r["unique_id"].split(".")
        bench.value(f"node.{kind}.{node}.s", r["execution_time"], "s", baseline="slowest nodes")
    bench.emit()
    return 0


if __name__ == "__main__":
    sys.exit(main())

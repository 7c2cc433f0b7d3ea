"""Benchmark: `dbt build` on the default world (target: under a minute on 2 cores).

Baseline measured in the same run: reading every raw table into memory once (the floor for any
transformation of the raw layer). Prints seconds and the ratio build / baseline.

    python bench/bench_dbt_build.py                       # samples and ingests the default world first
    python bench/bench_dbt_build.py --warehouse FILE      # a warehouse whose raw schema is loaded (copied)
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingestion.cli import _run_dbt  # noqa: E402
from ingestion.warehouse import ensure_spatial_installed  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", help="a loaded warehouse to copy (default: sample + ingest the default world)")
    parser.add_argument("--world", default="default")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    ensure_spatial_installed()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        warehouse = tmp / "bench.duckdb"
        if args.warehouse:
            shutil.copy(args.warehouse, warehouse)
        else:
            from ingestion.load import ingest
            from ingestion.sample import generate

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
        code = _run_dbt(warehouse, "build", "--quiet", "--target-path", str(tmp / "target"),
                        "--log-path", str(tmp / "logs"))
        build = time.perf_counter() - t0
        if code != 0:
            print(f"dbt build failed (exit {code})")
            return code
        results = json.loads((tmp / "target" / "run_results.json").read_text())["results"]
    slowest = sorted(results, key=lambda r: -r["execution_time"])[:8]
    print("\nslowest nodes: " + ", ".join(f"{r['unique_id'].split('.')[-1]} {r['execution_time']:.1f}s" for r in slowest))
    print(f"raw tables read: {len(tables)} tables, {rows:,} rows in {baseline:.2f}s (baseline)")
    print(f"dbt build: {build:.1f}s  = {build / baseline:.1f} x baseline;  {build / 60:.2f} of the 60 s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())

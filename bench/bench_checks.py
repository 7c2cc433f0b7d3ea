"""Benchmark: every expectation suite on the default world (issue 4: under 30 seconds on 2 cores).

Runs ``expectations.runner.check_warehouse`` on a built warehouse (default: the one `make run`
leaves, ``warehouse/dualcarbon.duckdb``; `make bench` passes the one bench_end_to_end builds through
``$BENCH_WAREHOUSE``) in a fresh process, as `dualcarbon check` does, and times:

- reading every mart into pandas (the floor: no validation at all);
- the whole check (read + GX validation of every suite, drift against a baseline of the same data,
  data docs), wall and CPU;
- the baseline measured in the same run: the straightforward GX way, every suite validated in one
  pass with ``SUMMARY`` results and offending-row keys (what the runner's two-pass scheme avoids).

    .venv/bin/python bench/bench_checks.py [--warehouse FILE]

Ratios: check / read (the floor), check / budget (30 s), baseline / check; then per-suite seconds.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import Bench, default_warehouse

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

BUDGET_SECONDS = 30.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", default=default_warehouse() or os.environ.get("DUALCARBON_WAREHOUSE",
                                                                                   "warehouse/dualcarbon.duckdb"))
    args = parser.parse_args(argv)
    warehouse = Path(args.warehouse)
    if not warehouse.exists():
        print(f"{warehouse}: no warehouse; build the default world first (make run)", file=sys.stderr)
        return 2

    t_import = time.perf_counter()
    import great_expectations as gx  # noqa: F401 - timed: part of every `dualcarbon check`
    from expectations.drift import BASELINE_FILE, summarise, write_baseline
    from expectations.runner import check_warehouse, gx_context, read_mart
    from expectations.suites import SUITES
    from ingestion.warehouse import connect
    t_import = time.perf_counter() - t_import

    t0 = time.perf_counter()
    con = connect(warehouse, read_only=True)
    frames = {mart: read_mart(con, suite) for mart, suite in SUITES.items()}
    con.close()
    t_read = time.perf_counter() - t0
    rows = sum(len(f) for f in frames.values())

    with tempfile.TemporaryDirectory() as tmp:
        # steady state: a previous successful build exists, so the drift expectations run too
        docs = Path(tmp) / "docs"
        write_baseline(docs / BASELINE_FILE, {m: summarise(f, SUITES[m].drift_columns) for m, f in frames.items()},
                       warehouse)
        lines: list[str] = []
        w0, c0 = time.perf_counter(), time.process_time()
        report = check_warehouse(warehouse, docs_dir=docs, echo=lines.append)
        t_check, cpu_check = time.perf_counter() - w0, time.process_time() - c0

    # baseline: one SUMMARY pass per suite with the offending rows' keys
    context = gx_context(None)
    source = context.data_sources.add_pandas("bench")
    b0 = time.perf_counter()
    for mart, suite in SUITES.items():
        checks = suite.all_checks(None)
        prepared = suite.prepare(frames[mart], checks)
        batch = source.add_dataframe_asset(name=mart).add_batch_definition_whole_dataframe(name="whole")
        definition = context.validation_definitions.add(gx.ValidationDefinition(
            name=mart, data=batch, suite=context.suites.add(suite.expectation_suite(checks))))
        definition.run(batch_parameters={"dataframe": prepared}, result_format={
            "result_format": "SUMMARY", "partial_unexpected_count": 5,
            "unexpected_index_column_names": [c for c in suite.sample_columns if c in prepared.columns]})
    t_baseline = time.perf_counter() - b0

    bench = Bench("checks", args=args, baseline=(
        "reading every mart alone (floor); the straightforward GX way (one SUMMARY pass per suite with "
        "offending-row keys); the 30 s budget; all in the same run"))
    bench.ratio("check.over_read", t_check / t_read, baseline="check s / read marts s (floor)")
    bench.over_budget("check.over_budget", t_check, BUDGET_SECONDS, target="issue 4: every suite")
    bench.ratio("check.speedup_vs_one_pass_summary", t_baseline / t_check,
                baseline="one SUMMARY pass per suite s (no docs, no drift) / check s")
    bench.value("import_gx_s", t_import, "s")
    bench.value("read_s", t_read, "s")
    bench.value("check_s", t_check, "s", baseline="incl. read, drift and data docs")
    bench.value("check_cpu_s", cpu_check, "s")
    bench.value("one_pass_summary_s", t_baseline, "s")
    bench.value("marts", len(SUITES), "marts")
    bench.value("rows", rows, "rows")
    bench.value("expectations", sum(r.evaluated for r in report.results), "expectations")
    for r in report.results:
        bench.value(f"suite.{r.mart}.s", r.seconds, "s", baseline=f"{r.rows} rows, {r.evaluated} expectations, "
                    f"{'pass' if r.success else 'FAIL'}")
    bench.emit()
    return 0


if __name__ == "__main__":
    sys.exit(main())

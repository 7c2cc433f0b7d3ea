"""Benchmark: every expectation suite on the default world (issue 4: under 30 seconds on 2 cores).

Runs ``expectations.runner.check_warehouse`` on a built warehouse (default: the one `make run`
leaves, ``warehouse/dualcarbon.duckdb``) in a fresh process, as `dualcarbon check` does, and times:

- reading every mart into pandas (the floor: no validation at all);
- the whole check (read + GX validation of every suite, drift against a baseline of the same data,
  data docs), wall and CPU;
- the baseline measured in the same run: the straightforward GX way, every suite validated in one
  pass with ``SUMMARY`` results and offending-row keys (what the runner's two-pass scheme avoids).

    .venv/bin/python bench/bench_checks.py [--warehouse FILE]

Prints per-suite seconds and the ratios check / read, check / budget (30 s), baseline / check.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BUDGET_SECONDS = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", default=os.environ.get("DUALCARBON_WAREHOUSE", "warehouse/dualcarbon.duckdb"))
    args = parser.parse_args()
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

    print(f"warehouse {warehouse}: {len(SUITES)} marts, {rows:,} rows; "
          f"{sum(r.evaluated for r in report.results)} expectations; {os.cpu_count()} cores")
    print(f"{'suite':<30} {'rows':>9} {'exp':>4} {'seconds':>8}  status")
    for r in report.results:
        print(f"{r.mart:<30} {r.rows:>9,} {r.evaluated:>4} {r.seconds:>8.2f}  {'pass' if r.success else 'FAIL'}")
    print(f"\nimport GX              {t_import:7.2f} s")
    print(f"read marts (floor)     {t_read:7.2f} s")
    print(f"check (all suites)     {t_check:7.2f} s wall, {cpu_check:.2f} s CPU (incl. read and data docs)")
    print(f"baseline (1 pass, SUMMARY, no docs) {t_baseline:7.2f} s")
    print(f"ratios: check / read {t_check / t_read:.1f}x; check / budget {t_check / BUDGET_SECONDS:.2f} "
          f"(< 1 meets the 30 s target); baseline validation / check {t_baseline / t_check:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: every replicated table on a warehouse, timed per table and per study, with the study's own
draw counts, against a baseline measured in the same run (loading the city panel once).

Budget (issue 9): all available studies on the default world "within a few minutes". The ratio column
shows each study's time as a multiple of the panel load, so the figures stay comparable on a loaded
machine. Run: ``.venv/bin/python bench/bench_replicate.py --warehouse work/warehouse.duckdb [--study 004]``
(default ``$BENCH_WAREHOUSE``; writes into a temporary folder, nothing is kept). Per-table lines of the
replications go to stderr; the records are the studies' seconds and ratios to the panel load.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _common import Bench, default_warehouse


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", default=default_warehouse(), help="a built warehouse (default $BENCH_WAREHOUSE)")
    ap.add_argument("--study", default="all")
    args = ap.parse_args(argv)
    if not args.warehouse:
        print("no warehouse: pass --warehouse FILE or set BENCH_WAREHOUSE (make bench does)", file=sys.stderr)
        return 2

    from analysis.marts import load_city_panel
    from analysis.replications import available_studies, replicate

    bench = Bench("replicate", args=args, baseline="loading the city panel once (load_city_panel), same run")
    t0 = time.perf_counter()
    panel = load_city_panel(args.warehouse)
    base = time.perf_counter() - t0
    bench.value("panel_load_s", base, "s", baseline=f"load_city_panel, {len(panel):,} rows")
    studies = available_studies() if args.study == "all" else [args.study]
    total = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for s in studies:
            lines: list[str] = []
            t0 = time.perf_counter()
            replicate(s, warehouse=Path(args.warehouse), out=Path(tmp), echo=lines.append)
            dt = time.perf_counter() - t0
            total += dt
            for line in lines:
                if line.startswith("  "):
                    print(line, file=sys.stderr)
            bench.ratio(f"study_{s}.over_panel_load", dt / base, baseline="study s / load_city_panel s")
            bench.value(f"study_{s}.s", dt, "s")
    bench.ratio("total.over_panel_load", total / base, baseline="all studies s / load_city_panel s")
    bench.value("total_s", total, "s", baseline=f"{len(studies)} studies")
    bench.emit()
    return 0


if __name__ == "__main__":
    sys.exit(main())

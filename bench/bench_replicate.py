"""Benchmark: every replicated table on a warehouse, timed per table and per study, with the study's own
draw counts, against a baseline measured in the same run (loading the city panel once).

Budget (issue 9): all available studies on the default world "within a few minutes". The ratio column
shows each study's time as a multiple of the panel load, so the figures stay comparable on a loaded
machine. Run: ``.venv/bin/python bench/bench_replicate.py --warehouse work/warehouse.duckdb [--study 004]``
(writes into a temporary folder; nothing is kept).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", required=True)
    ap.add_argument("--study", default="all")
    args = ap.parse_args()

    from analysis.marts import load_city_panel
    from analysis.replications import available_studies, replicate

    t0 = time.perf_counter()
    panel = load_city_panel(args.warehouse)
    base = time.perf_counter() - t0
    print(f"baseline: load_city_panel {len(panel):,} rows in {base:.2f} s")
    studies = available_studies() if args.study == "all" else [args.study]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for s in studies:
            lines: list[str] = []
            t0 = time.perf_counter()
            replicate(s, warehouse=Path(args.warehouse), out=Path(tmp), echo=lines.append)
            dt = time.perf_counter() - t0
            rows.append((s, dt))
            for line in lines:
                if line.startswith("  "):
                    print(line)
            print(f"study {s}: {dt:7.1f} s  ({dt / base:6.1f} x the panel load)")
    total = sum(dt for _, dt in rows)
    print(f"total: {total:.1f} s for {len(rows)} studies ({total / 60:.1f} min)")


if __name__ == "__main__":
    main()

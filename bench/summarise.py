"""Markdown summary of the latest benchmark records (bench/results/*.json), for the README.

    .venv/bin/python bench/summarise.py [--results DIR]

Prints two tables: every ratio with the baseline it was measured against (and the script's commit and
load average, since the machine is shared), and the end-to-end run's seconds and peak memory per stage.
Not a benchmark itself (no ``bench_`` prefix, so `make bench` does not run it).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from _common import RESULTS_ENV, ROOT, format_number

STAGES = ("sample", "ingest", "build", "check", "replicate", "report")


def load(folder: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}


def _values(payload: dict) -> dict[str, float | str | None]:
    return {r["name"]: r["value"] for r in payload["records"]}


def ratios_table(results: dict[str, dict]) -> list[str]:
    lines = ["| area | ratio | value | baseline (same run) |", "|---|---|---|---|"]
    for script, payload in results.items():
        for r in payload["records"]:
            if r["kind"] != "ratio":
                continue
            value = "skipped" if r["value"] is None else f"{format_number(r['value'])}x"
            why = r["baseline"] or r.get("reason") or ""
            lines.append(f"| {script} | `{r['name']}` | {value} | {why} |")
    return lines


def stages_table(payload: dict) -> list[str]:
    values = _values(payload)
    lines = ["| stage | seconds | share of total | peak RSS of the process tree (MB) | largest process (MB) |",
             "|---|---|---|---|---|"]
    for stage in STAGES:
        if f"{stage}.seconds" not in values:
            continue
        share = values.get(f"{stage}.share_of_total")
        lines.append(f"| {stage} | {values[f'{stage}.seconds']:.1f} | "
                     f"{'' if share is None else f'{share:.0%}'} | {values[f'{stage}.peak_rss_tree_mb']:.0f} | "
                     f"{values[f'{stage}.max_process_rss_mb']:.0f} |")
    if "total.seconds" in values:
        lines.append(f"| total | {values['total.seconds']:.1f} | 100% | {values['total.peak_rss_tree_mb']:.0f} | |")
    return lines


def markdown(results: dict[str, dict]) -> str:
    out = ["Ratios (each against a baseline measured in the same run):", "", *ratios_table(results), ""]
    if "end_to_end" in results:
        out += ["End to end (`make run` stages on the default world, one `dualcarbon` process each):", "",
                *stages_table(results["end_to_end"]), ""]
    runs = ", ".join(f"{s} {p['timestamp']} load {p['machine']['load_average_1min']}" for s, p in results.items())
    out.append(f"Runs: {runs}.")
    return "\n".join(out)


def main(argv=None) -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path,
                        default=Path(os.environ.get(RESULTS_ENV) or ROOT / "bench" / "results"))
    args = parser.parse_args(argv)
    print(markdown(load(args.results)))


if __name__ == "__main__":
    main()

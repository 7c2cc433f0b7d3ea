"""The benchmark harness (bench/_common.py): `name: value` lines with ratios first, and the JSON record.

One real script runs too: bench_zonal in --quick mode on the tiny world (a few seconds), in a
subprocess as `make bench` runs it, writing into a temporary results folder.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
_spec = importlib.util.spec_from_file_location("bench_common", BENCH / "_common.py")
bench_common = sys.modules.setdefault("bench_common", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(bench_common)  # registered first: dataclasses look their module up
Bench = bench_common.Bench

LINE = re.compile(r"^[^\s:]+: \S.*$")
ORDER = {"ratio": 0, "value": 1, "note": 2}


def check_output(lines: list[str], payload: dict) -> None:
    """Every line is `name: value`, one per record, and the kinds come ratios, values, notes."""
    assert lines, "nothing printed"
    bad = [line for line in lines if not LINE.match(line)]
    assert not bad, f"lines not of the form `name: value`: {bad}"
    kinds = {r["name"]: r["kind"] for r in payload["records"]}
    printed = [line.split(": ", 1)[0] for line in lines]
    assert sorted(printed) == sorted(kinds), "printed names differ from the JSON records"
    order = [ORDER[kinds[name]] for name in printed]
    assert order == sorted(order), f"ratios must come first, then values, then notes: {printed}"
    assert order[0] == 0, "no ratio printed"
    for r in payload["records"]:
        if r["kind"] == "ratio" and r["value"] is not None:
            assert r["baseline"], f"ratio {r['name']} does not say its baseline"


def test_emit_prints_ratios_first_and_writes_json(tmp_path, capsys):
    bench = Bench("fake", baseline="a loop measured in the same run", args={"quick": True})
    bench.value("ours_s", 1.5, "s")
    bench.note("panel", "3 cities x 2 years")
    bench.ratio("speedup", 12.345678, baseline="loop s / ours s")
    bench.value("rows", 3692, "rows")
    bench.skip("over_budget", "--quick: not the budget's draw count")
    bench.ratio("ours_over_read", 1.25, baseline="ours s / read s")

    path = bench.emit(results_dir=tmp_path)
    lines = capsys.readouterr().out.splitlines()
    payload = json.loads(path.read_text())

    assert path == tmp_path / "fake.json"
    assert lines == ["speedup: 12.35 x", "over_budget: skipped", "ours_over_read: 1.25 x",
                     "ours_s: 1.5 s", "rows: 3692 rows", "panel: 3 cities x 2 years"]
    check_output(lines, payload)
    assert payload["script"] == "fake" and payload["baseline"] == "a loop measured in the same run"
    assert {"timestamp", "git_commit", "machine", "args", "records"} <= set(payload)
    assert {"cpu_count", "python", "duckdb"} <= set(payload["machine"])
    assert payload["machine"]["cpu_count"] == os.cpu_count()
    skipped = next(r for r in payload["records"] if r["name"] == "over_budget")
    assert skipped["value"] is None and "quick" in skipped["reason"]
    speedup = next(r for r in payload["records"] if r["name"] == "speedup")
    assert speedup["value"] == pytest.approx(12.345678) and speedup["unit"] == "x"


def test_record_names_are_checked():
    bench = Bench("fake", baseline="-")
    bench.value("a", 1.0, "s")
    with pytest.raises(ValueError, match="duplicate"):
        bench.ratio("a", 2.0, baseline="-")
    with pytest.raises(ValueError, match="colon or whitespace"):
        bench.value("two words", 1.0, "s")
    with pytest.raises(ValueError, match="colon or whitespace"):
        bench.value("a:b", 1.0, "s")


def test_zonal_quick_on_the_tiny_world(tmp_path):
    env = dict(os.environ, BENCH_RESULTS_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, str(BENCH / "bench_zonal.py"), "--quick", "--world", "tiny",
                           "--workers", "1"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    payload = json.loads((tmp_path / "zonal.json").read_text())
    lines = proc.stdout.splitlines()
    check_output(lines, payload)
    values = {r["name"]: r["value"] for r in payload["records"]}
    assert values["tiny.cities"] == 20
    assert values["tiny.ours_s"] > 0 and values["tiny.read_s"] > 0
    assert values["tiny.speedup_vs_rasterstats"] == pytest.approx(values["tiny.rasterstats_s"] / values["tiny.ours_s"])
    assert payload["args"]["quick"] is True


def test_summary_tables_from_records():
    _spec2 = importlib.util.spec_from_file_location("bench_summarise", BENCH / "summarise.py")
    sys.path.insert(0, str(BENCH))  # summarise imports _common as the scripts do
    try:
        summarise = importlib.util.module_from_spec(_spec2)
        _spec2.loader.exec_module(summarise)
    finally:
        sys.path.remove(str(BENCH))
    e2e = Bench("end_to_end", baseline="stage share of total")
    for stage, seconds, mb in (("sample", 30.0, 100.0), ("ingest", 10.0, 250.0)):
        e2e.ratio(f"{stage}.share_of_total", seconds / 40.0, baseline="stage s / total s")
        e2e.value(f"{stage}.seconds", seconds, "s")
        e2e.value(f"{stage}.peak_rss_tree_mb", mb, "MB")
        e2e.value(f"{stage}.max_process_rss_mb", mb - 1, "MB")
    e2e.value("total.seconds", 40.0, "s")
    e2e.value("total.peak_rss_tree_mb", 250.0, "MB")
    zonal = Bench("zonal", baseline="read alone")
    zonal.ratio("default.ours_over_read", 1.8, baseline="ours s / read s")
    zonal.skip("full.speedup", "not run")
    text = summarise.markdown({"end_to_end": e2e.payload(), "zonal": zonal.payload()})
    assert "| sample | 30.0 | 75% | 100 | 99 |" in text
    assert "| ingest | 10.0 | 25% | 250 | 249 |" in text
    assert "| total | 40.0 | 100% | 250 | |" in text
    assert "| zonal | `default.ours_over_read` | 1.8x | ours s / read s |" in text
    assert "| zonal | `full.speedup` | skipped | not run |" in text

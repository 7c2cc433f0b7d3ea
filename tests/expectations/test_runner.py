"""`dualcarbon check` end to end: read-only, one line per suite, data docs, drift baseline, exit codes."""
from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from expectations.drift import BASELINE_FILE, summarise
from expectations.runner import run_checks, validate_frame
from expectations.suites import SUITES
from tests.expectations.conftest import sha256
from tests.expectations.test_suites import KNOWN_MART_DEFECTS


def test_check_reads_the_warehouse_read_only(tiny_marts, tiny_check):
    assert sha256(tiny_marts) == tiny_check[3]


def test_one_summary_line_per_suite_and_data_docs(tiny_check):
    report, lines, docs, _ = tiny_check
    for mart in SUITES:
        assert sum(line.split()[1:2] == [mart] and line[:4] in ("PASS", "FAIL") for line in lines) == 1, mart
    assert report.docs_index == docs / "index.html" and report.docs_index.exists()
    assert f"data docs: {docs / 'index.html'}" in lines
    index = report.docs_index.read_text(encoding="utf-8")
    assert all(mart in index for mart in SUITES)
    assert list((docs / "validations").iterdir())


def test_baseline_written_after_a_clean_run_and_used_by_the_next(tiny_marts, tiny_check, tmp_path):
    from expectations.runner import check_warehouse

    report, lines, docs, _ = tiny_check
    baseline = docs / BASELINE_FILE
    if not report.success:  # a known mart defect fails the run: no baseline from a failing build
        assert set(r.mart for r in report.results if not r.success) <= set(KNOWN_MART_DEFECTS)
        assert not baseline.exists()
        return
    data = json.loads(baseline.read_text(encoding="utf-8"))
    assert set(data["marts"]) == set(SUITES) and data["marts"]["dim_city"]["rows"] > 0
    assert f"drift baseline updated: {baseline}" in lines
    # the next run compares with it (same data: no drift), on two marts to stay quick
    shutil.copy(baseline, tmp_path / BASELINE_FILE)
    again = check_warehouse(tiny_marts, docs_dir=tmp_path, echo=lambda *_: None, marts=["mart_ai", "dim_city"])
    assert again.success
    assert any(f"drift:mean:{c}" in {ch.name for ch in SUITES["mart_ai"].all_checks(data["marts"]["mart_ai"])}
               for c in SUITES["mart_ai"].drift_columns)
    assert again["mart_ai"].evaluated > report["mart_ai"].evaluated   # the drift expectations ran


def test_drift_against_the_previous_build(tiny_frames):
    frame = tiny_frames["mart_emissions_intensity"]
    previous = summarise(frame, SUITES["mart_emissions_intensity"].drift_columns)
    same = validate_frame("mart_emissions_intensity", frame, previous=previous)
    assert same.success and any(True for _ in same.failures) is False

    drifted = frame.copy()
    drifted["co2_edgar_t"] = drifted["co2_edgar_t"] * 3          # a unit slip, still within the ranges
    result = validate_frame("mart_emissions_intensity", drifted, previous=previous)
    assert result.failed_checks() == ["drift:mean:co2_edgar_t"]
    assert result.critical[0].expectation_type == "expect_column_mean_to_be_between"

    half = frame[frame["adcode"].isin(sorted(frame["adcode"].unique())[::2])]
    shrunk = validate_frame("mart_emissions_intensity", half, previous=previous)
    assert "drift:row_count" in shrunk.failed_checks()

    warned = validate_frame("mart_emissions_intensity", drifted, previous=previous, drift="warn")
    assert warned.success and [f.check for f in warned.warnings] == ["drift:mean:co2_edgar_t"]


def test_corrupted_warehouse_copy_fails_the_cli(tiny_marts, tmp_path, capsys):
    from dualcarbon.cli import main

    copy = tmp_path / "wh" / "corrupt.duckdb"
    copy.parent.mkdir()
    shutil.copy(tiny_marts, copy)
    con = duckdb.connect(str(copy))
    row = con.execute("select matrix, adcode_i from marts.mart_spatial_weights where matrix = 'knn' "
                      "order by adcode_i limit 1").fetchone()
    con.execute("update marts.mart_spatial_weights set weight = weight * 0.9 where matrix = ? and adcode_i = ?", row)
    con.close()

    code = main(["check", "--warehouse", str(copy)])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  mart_spatial_weights" in out
    assert "FAILED mart_spatial_weights: row_stochastic: expect_column_values_to_be_between(" in out
    assert f"adcode_i: '{row[1]}'" in out                    # sample offending rows name the city
    assert (copy.parent / "data_docs" / "index.html").exists()   # default docs dir: next to the warehouse


def test_a_warehouse_without_marts_fails_every_suite(tiny_warehouse, tmp_path):
    lines: list[str] = []
    code = run_checks(tiny_warehouse, docs_dir=tmp_path / "docs", echo=lines.append, marts=["dim_city", "mart_ai"])
    assert code == 1
    assert any("FAIL  dim_city" in line and "run `dualcarbon build` first" in line for line in lines)


def test_unknown_mart_or_drift_mode_is_refused(tiny_marts, tmp_path):
    with pytest.raises(ValueError, match="no suite for"):
        run_checks(tiny_marts, docs_dir=tmp_path, marts=["mart_nope"])
    with pytest.raises(ValueError, match="drift mode"):
        run_checks(tiny_marts, docs_dir=tmp_path, drift="sometimes")

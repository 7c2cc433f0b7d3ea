"""The bad-input corpus: every broken variant is rejected with one clear message (file, location,
problem, fix) and leaves every raw table and the manifest as they were; real-world spellings the
parsers accept ('2019年', '1,234', units the header converts, GBK exports) load the expected values.

The corpus is generated once per session from the tiny world (tests/badinput/make_corpus.py); each case
loads its one broken source into a copy of the loaded tiny warehouse.
"""
from __future__ import annotations

import json
import filecmp
import shutil
from pathlib import Path

import pytest

from ingestion import registry
from dualcarbon.cli import main
from ingestion.errors import IngestError
from ingestion.load import ingest
from tests.badinput.cases import CASES, ISSUES
from tests.badinput.harness import run_case, summarise
from tests.badinput.make_corpus import make_corpus

OUTCOMES: dict = {}  # case id -> Outcome, kept for the summary test at the end of this module


@pytest.fixture(scope="session")
def corpus(tiny_sources, tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    out = tmp_path_factory.mktemp("badinput") / "corpus"
    records = make_corpus(tiny_sources, out)
    return out, {r["id"]: r for r in records}


@pytest.mark.parametrize("case_id", [c.id for c in CASES])
def test_case(case_id, corpus, tiny_warehouse, tmp_path):
    out, records = corpus
    outcome = run_case(records[case_id], out, tiny_warehouse, tmp_path)
    OUTCOMES[case_id] = outcome
    assert outcome.ok, f"{'; '.join(outcome.problems)}\nmessage: {outcome.message}"
    assert outcome.rows_lost == 0


def test_every_loader_has_five_broken_variants_and_every_issue_a_case():
    broken = {name: sum(1 for c in CASES if c.source == name and not c.accepted) for name in registry.SOURCE_MODULES}
    assert min(broken.values()) >= 5, broken
    assert {c.source for c in CASES} == set(registry.SOURCE_MODULES)
    assert {c.issue for c in CASES} == set(ISSUES)
    accepted = {c.issue for c in CASES if c.accepted}
    assert {"formats", "unit", "encoding", "excel"} <= accepted  # accepted spellings sit beside the rejections


def test_cases_json_describes_every_case(corpus):
    out, records = corpus
    listed = json.loads((out / "cases.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in listed] == [c.id for c in CASES]
    for r in listed:
        assert (out / r["id"] / r["source"]).is_dir()
        assert r["words"] if r["expect"] == "rejected" else r["values"], r


# one representative case per format: GeoJSON, NetCDF, GeoTIFF, EDGAR text grid, xlsx, CSV, text report
CLI_CASES = ["boundaries-truncated", "pm25-truncated", "ntl-no-crs", "edgar-txt-negative", "ceads-negative",
             "baidu-unknown-city", "gov-report-gbk-labelled-utf8"]


@pytest.mark.parametrize("case_id", CLI_CASES)
def test_cli_prints_one_line_and_exits_2(case_id, corpus, tiny_warehouse, tmp_path, capfd):
    out, records = corpus
    record = records[case_id]
    warehouse = tmp_path / "copy.duckdb"
    shutil.copy(tiny_warehouse, warehouse)
    capfd.readouterr()
    code = main(["ingest", "--sources", str(out / case_id), "--only", record["source"], "--warehouse",
                 str(warehouse), "--workers", "1", "--force", "--quiet"])
    captured = capfd.readouterr()
    lines = captured.err.splitlines()
    assert code == 2, captured
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("dualcarbon ingest: error: ") and Path(record["file"]).name in lines[0]
    assert filecmp.cmp(tiny_warehouse, warehouse, shallow=False)


def test_the_judge_fails_what_it_should(corpus, tiny_sources, tiny_warehouse, tmp_path):
    """The judging is not a tautology: an intact file, a missing word and a wrong value each fail."""
    out, records = corpus
    intact = tmp_path / "intact"
    shutil.copytree(tiny_sources / "baidu_index", intact / "baidu-negative" / "baidu_index")
    outcome = run_case(records["baidu-negative"], intact, tiny_warehouse, tmp_path / "w1")
    assert not outcome.ok and "was accepted" in outcome.problems
    wrong_words = {**records["baidu-negative"], "words": ["a phrase no message has"]}
    outcome = run_case(wrong_words, out, tiny_warehouse, tmp_path / "w2")
    assert not outcome.ok and any("lacks" in p for p in outcome.problems)
    value = records["baidu-year-and-thousands"]["values"][0]
    wrong_value = {**records["baidu-year-and-thousands"], "values": [{**value, "value": value["value"] + 1}]}
    outcome = run_case(wrong_value, out, tiny_warehouse, tmp_path / "w3")
    assert not outcome.ok and any("expected" in p for p in outcome.problems)


def test_loading_before_boundaries_says_what_to_do(tiny_sources, tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(tiny_sources / "yearbook", sources / "yearbook")
    with pytest.raises(IngestError, match="load the boundaries first"):
        ingest(sources, tmp_path / "empty.duckdb", only=["yearbook"], progress=False, echo=lambda *_: None)


def test_a_file_linking_outside_the_sources_folder_is_refused(tiny_sources, tmp_path, warehouse_copy):
    sources = tmp_path / "sources"
    (sources / "baidu_index").mkdir(parents=True)
    outside = tmp_path / "elsewhere.csv"
    shutil.copy(sorted((tiny_sources / "baidu_index").glob("*.csv"))[0], outside)
    (sources / "baidu_index" / "linked.csv").symlink_to(outside)
    with pytest.raises(IngestError, match="outside the sources folder"):
        ingest(sources, warehouse_copy, only=["baidu_index"], progress=False, echo=lambda *_: None)


def test_summary_figures(corpus, tiny_warehouse, tmp_path_factory):
    """Cases tried, rejected and accepted correctly, rows lost (zero): the README's reliability figures.
    Uses the outcomes of test_case when it ran in this session, else runs the cases itself."""
    out, records = corpus
    work = tmp_path_factory.mktemp("summary")
    outcomes = [OUTCOMES.get(cid) or run_case(records[cid], out, tiny_warehouse, work) for cid in records]
    summary = summarise(outcomes)
    (work / "badinput_summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    total = summary["total"]
    assert total["cases"] == len(CASES)
    assert total["rejected_correctly"] == total["expected_rejections"], summary["failures"]
    assert total["accepted_correctly"] == total["expected_acceptances"], summary["failures"]
    assert total["rows_lost"] == 0

"""Replications on the tiny world: every implemented study's tables have the printed rows, columns and
statistics; the CLI writes the files; the report builds.

Draw counts: ``fast=FAST`` (bootstrap, permutation, placebo and effect draws, RF trees) is passed ONLY here, to keep the
suite quick; the CLI and ``dualcarbon run`` use each study's own numbers (300 threshold bootstraps,
1,000 permutations, ...).
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.replications import available_studies, load_study
from analysis.replications.rows import N_ROWS
from analysis.tables import published_table

FAST = {"n_boot": 20, "n_perm": 50, "n_draws": 50, "n_trees": 20}


@pytest.fixture(scope="module")
def replicated(tiny_marts, tiny_sources, tmp_path_factory) -> Path:
    from analysis.replications import replicate

    out = tmp_path_factory.mktemp("replications")
    code = replicate("all", warehouse=tiny_marts, out=out, echo=lambda *_: None, fast=FAST,
                     truth=tiny_sources / "truth.json")
    assert code == 0
    return out


def _cases():
    return [(s, t.id) for s in available_studies() for t in load_study(s).tables]


@pytest.mark.parametrize("study,table_id", _cases())
def test_table_has_the_printed_structure(replicated, study, table_id):
    spec = next(t for t in load_study(study).tables if t.id == table_id)
    stem = table_id.lower().replace(" ", "_")
    folder = replicated / study
    for ext in (".csv", ".md", ".html"):
        assert (folder / f"{stem}{ext}").is_file(), f"{study} {table_id}: no {ext}"
    df = pd.read_csv(folder / f"{stem}.csv")
    pub = published_table(study, table_id)
    assert pub is not None, f"{study} {table_id} is not in the study's YAML"
    # same number of columns as printed (custom layouts build their columns themselves)
    assert df["column"].nunique() == len(pub["columns"])
    if spec.build is None:
        assert len(spec.columns) == len(pub["columns"])
    # every printed coefficient row and statistic row is present
    rows = set(df["row"])
    assert {str(r["term"]) for r in pub["rows"]} <= rows
    assert {s["name"] for s in pub.get("stats", [])} <= rows
    # every printed coefficient has our number, unless the column is reported as not estimable on
    # this world's coverage (e.g. a zone with fewer cities than DML folds), and N is filled everywhere
    est = df[df["statistic"] == "estimate"].dropna(subset=["published"])
    notes = (folder / f"{stem}.md").read_text(encoding="utf-8")
    for _, cell in est[est["ours"].isna()].iterrows():
        assert f"{cell['column']}: not estimable" in notes or f"{cell['row']}: not in this world" in notes, \
            f"{study} {table_id} {cell['column']} / {cell['row']}: empty cell without a reason"
    # sample sizes: filled everywhere, and where ours differs from the printed N the notes say why
    # (this world's units x years); N may differ only where the coverage says so
    n_rows = df[df["row"].astype(str).str.strip().str.lower().isin(N_ROWS) & (df["statistic"] == "stat")]
    assert len(n_rows) or not any(str(s["name"]).strip().lower() in N_ROWS for s in pub.get("stats", [])), \
        f"{study} {table_id}: the printed N row is missing"
    for _, cell in n_rows.iterrows():
        if f"{cell['column']}: not estimable" in notes:
            continue
        assert pd.notna(cell["ours"]), f"{study} {table_id} {cell['column']}: no N"
        ours = int(float(cell["ours"]))
        assert ours > 0, f"{study} {table_id} {cell['column']}: N = {ours}"
        if pd.notna(cell["published"]) and ours != int(float(cell["published"])):
            assert f"{cell['column']}: N {ours:,} vs printed {int(float(cell['published'])):,}" in notes, \
                f"{study} {table_id} {cell['column']}: N {ours} differs from the printed {cell['published']} unexplained"


def test_tables_render_ours_beside_published(replicated):
    md = (replicated / "004" / "table_1.md").read_text(encoding="utf-8")
    assert "(1) Carbon · ours" in md and "(1) Carbon · published" in md
    assert "-0.1918***" in md and "(0.0429)" in md        # the printed numbers
    html = (replicated / "004" / "table_1.html").read_text(encoding="utf-8")
    assert "<table" in html and "published" in html


def test_planted_truth_sits_beside_the_thresholds(replicated):
    df = pd.read_csv(replicated / "004" / "table_9.csv")
    row = df[(df["row"] == "thresholds") & (df["column"] == "(1) Carbon")].iloc[0]
    assert "4.0" in str(row["truth"]) and "5.5" in str(row["truth"])
    ours = [float(x) for x in str(row["ours"]).split(",")]
    assert len(ours) == 3 and ours == sorted(ours)


def test_planted_robot_effect_beside_the_province_twfe(replicated):
    df = pd.read_csv(replicated / "003" / "table_2.csv")
    ai = df[(df["row"] == "AI") & (df["statistic"] == "estimate") & (df["column"] == "(2) Co2")].iloc[0]
    assert float(ai["truth"]) == -0.25
    assert abs(float(ai["ours"]) - float(ai["truth"])) < 0.2     # the tiny world: 17 provinces x 9 years


def test_figures_and_index(replicated):
    idx = json.loads((replicated / "004" / "index.json").read_text(encoding="utf-8"))
    assert len(idx["tables"]) == 9
    for f in idx["figures"]:
        assert (replicated / "004" / f["file"]).stat().st_size > 5000


def test_report_builds(replicated, tmp_path, tiny_marts):
    import shutil

    from analysis.report import build_report
    from analysis.report.screenshot import broken_images

    work = tmp_path / "work"
    shutil.copytree(replicated, work / "replications")
    assert build_report(warehouse=tiny_marts, out=work / "report") == 0
    page = (work / "report" / "index.html").read_text(encoding="utf-8")
    assert page.count('<table class="reg"') >= 9
    assert "<img" in page and broken_images(work / "report" / "index.html") == []
    assert "git_commit" in page and "Package versions" in page
    assert "tiny (seed" in page                                  # the world the replications ran on
    assert "Study 004 (Table 9): LR(gamma) curves" in page       # captions from the figure functions
    assert "dbt docs: not generated" in page                     # none beside this report folder
    (work / "dbt_docs").mkdir()
    (work / "dbt_docs" / "index.html").write_text("<html>lineage</html>", encoding="utf-8")
    build_report(warehouse=tiny_marts, out=work / "report")
    page = (work / "report" / "index.html").read_text(encoding="utf-8")
    assert '<a href="dbt_docs/index.html">dbt docs</a>' in page
    assert (work / "report" / "dbt_docs" / "index.html").read_text(encoding="utf-8") == "<html>lineage</html>"


def test_cli_replicate_writes_files(tiny_marts, tmp_path, capsys):
    from dualcarbon.cli import main

    assert main(["replicate", "004", "--warehouse", str(tiny_marts), "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "004" / "table_4.md").is_file()
    assert main(["report", "--warehouse", str(tiny_marts), "--out", str(tmp_path / "report")]) == 0
    assert (tmp_path / "report" / "index.html").is_file()


def test_unknown_study_is_refused(tiny_marts, tmp_path):
    from analysis.replications import replicate

    assert replicate("009", warehouse=tiny_marts, out=tmp_path, echo=lambda *_: None) == 2


def test_a_warehouse_without_marts_is_one_line_error(tiny_warehouse, tmp_path, capsys):
    from dualcarbon.cli import main

    assert main(["replicate", "004", "--warehouse", str(tiny_warehouse), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "dualcarbon build" in err[0]

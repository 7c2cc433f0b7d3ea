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
    if spec.sample_world:   # the sample world's own check of an estimator: nothing printed to compare
        assert pub is None and df["truth"].notna().any(), f"{study} {table_id}: a sample-world table without truth"
        return
    assert pub is not None, f"{study} {table_id} is not in the study's YAML"
    # same number of columns as printed (custom layouts build their columns themselves)
    assert df["column"].nunique() == len(pub["columns"])
    if spec.build is None:
        assert len(spec.columns) == len(pub["columns"])
    # every printed coefficient row and statistic row is present (under its printed label, or under ours
    # standing on it: a threshold regime labelled with our cut-offs)
    rows = set(df["row"]) | set(df["printed_row"])
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
    assert main(["report", "--warehouse", str(tiny_marts), "--out", str(tmp_path / "report"),
                 "--replications", str(tmp_path / "r")]) == 0
    assert (tmp_path / "report" / "index.html").is_file()


def test_unknown_study_is_refused(tiny_marts, tmp_path):
    from analysis.replications import replicate

    assert replicate("009", warehouse=tiny_marts, out=tmp_path, echo=lambda *_: None) == 2


def test_a_warehouse_without_marts_is_one_line_error(tiny_warehouse, tmp_path, capsys):
    from dualcarbon.cli import main

    assert main(["replicate", "004", "--warehouse", str(tiny_warehouse), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "dualcarbon build" in err[0]


# ---------------------------------------------------------------- the planted truth beside the estimates
# each study's headline table and the printed rows whose planted counterpart must sit beside ours
HEADLINES = {("000", "Table 3"): ("Direct Effect", "Indirect Effect", "Total Effect"),
             ("001", "TABLE 2"): ("AI",), ("002", "TABLE 2"): ("did",), ("003", "Table 2"): ("AI",),
             ("004", "Table 1"): ("AI_firm",)}


@pytest.mark.parametrize("study,table_id", sorted(HEADLINES))
def test_every_headline_estimate_sits_beside_its_planted_counterpart(replicated, study, table_id):
    df = pd.read_csv(replicated / study / f"{table_id.lower().replace(' ', '_')}.csv")
    est = df[(df["statistic"] == "estimate") & df["row"].isin(HEADLINES[(study, table_id)]) & df["ours"].notna()]
    if study == "003":   # the CO2 columns carry b_robot; GTFP has no planted counterpart (noted)
        est = est[est["column"].str.contains("Co2")]
    assert len(est) >= 2, f"{study} {table_id}: no headline estimates"
    missing = est[est["truth"].isna()]
    assert missing.empty, f"{study} {table_id}: no planted truth beside {missing[['column', 'row']].values.tolist()}"
    # the planted effect of every headline is in the study's direction (AI lowers pollution and CO2)
    assert (est["truth"].astype(float) < 0).all(), est[["column", "row", "truth"]]


def test_truth_flags_are_per_table_and_match_the_tables(replicated):
    for study in available_studies():
        idx = json.loads((replicated / study / "index.json").read_text(encoding="utf-8"))
        for entry in idx["tables"]:
            df = pd.read_csv(replicated / study / f"{entry['stem']}.csv")
            est = df[df["statistic"].isin(["estimate", "stat"])]
            with_truth = est.loc[est["truth"].notna(), "column"].nunique()
            flag = entry["truth"]
            assert flag["columns_with_truth"] == with_truth, (study, entry["id"], flag, with_truth)
            assert flag["shown"] == ("none" if not with_truth else "all" if with_truth == flag["columns"] else "some")
    flags = {t["id"]: t["truth"]["shown"] for t in json.loads((replicated / "000" / "index.json").read_text())["tables"]}
    assert flags["Table 1"] == "none" and flags["Table 3"] == "all" and flags["Table S1"] == "all"


def test_every_table_without_full_truth_says_why(replicated):
    """A column without a planted counterpart is explained in the notes (never silently blank): it was
    not estimable on this world, or the notes say why it has no planted counterpart."""
    for study in available_studies():
        idx = json.loads((replicated / study / "index.json").read_text(encoding="utf-8"))
        for entry in idx["tables"]:
            df = pd.read_csv(replicated / study / f"{entry['stem']}.csv")
            notes = (replicated / study / f"{entry['stem']}.md").read_text(encoding="utf-8")
            for column, cells in df.groupby("column", sort=False):
                if cells["truth"].notna().any():
                    continue
                assert (f"{column}: not estimable" in notes or "no planted counterpart" in notes.lower()
                        or "Truth:" in notes), (study, entry["id"], column)


def test_study_truth_file_lists_every_planted_counterpart(replicated):
    records = json.loads((replicated / "004" / "truth.json").read_text(encoding="utf-8"))
    table_1 = [r for r in records if r["table"] == "Table 1"]
    assert len(table_1) == 7 and all(r["truth"] is not None and r["derivation"] for r in table_1)
    assert all("carbon intensity" in r["derivation"].lower() or "co2" in r["derivation"].lower() for r in table_1)


def test_the_spatial_durbin_truth_is_in_the_report_tables(replicated):
    df = pd.read_csv(replicated / "000" / "table_s1.csv")
    est = df[df["statistic"] == "estimate"].set_index(["column", "row"])
    two_way = "(2) two-way FE (the planted process)"
    assert est.loc[(two_way, "rho"), "truth"] == pytest.approx(0.85)
    assert est.loc[(two_way, "AI"), "truth"] == pytest.approx(-0.15)
    # the total effect of A on ln SO2: (beta + theta) / (1 - rho) for a row-standardised W
    assert est.loc[(two_way, "Total Effect"), "truth"] == pytest.approx((-0.15 - 0.03) / 0.15, rel=1e-6)


def test_twfe_and_callaway_santanna_sit_beside_the_planted_att(replicated):
    df = pd.read_csv(replicated / "002" / "table_s1.csv")
    did = df[(df["row"] == "did") & (df["statistic"] == "estimate")]
    assert did["truth"].nunique() == 1 and float(did["truth"].iloc[0]) < 0
    dynamic = df[df["row"].isin(["t+0", "t+1", "t+2"]) & (df["statistic"] == "estimate") & df["ours"].notna()]
    assert dynamic["truth"].notna().all()
    # the planted effect grows with event time
    assert list(dynamic.sort_values("row")["truth"]) == sorted(dynamic["truth"], reverse=True)


def test_threshold_regimes_are_labelled_with_our_cut_offs(replicated):
    df = pd.read_csv(replicated / "004" / "table_9.csv")
    for column, var in (("(1) Carbon", "AI_firm"), ("(2) Carbon", "AI_concern")):
        col = df[df["column"] == column]
        ours = str(col.loc[col["row"] == "thresholds", "ours"].iloc[0]).split(", ")
        regimes = col[(col["statistic"] == "estimate") & col["ours"].notna() & col["row"].str.contains(var)]
        assert list(regimes["row"]) == [f"{var} ≤ {ours[0]}", f"{ours[0]} < {var} ≤ {ours[1]}",
                                        f"{ours[1]} < {var} ≤ {ours[2]}", f"{var} > {ours[2]}"]
        # each stands on the printed regime of the same position, whose label has the study's cut-offs
        assert regimes["printed_row"].str.contains("6.131|7.449|9.662|1.682|4.212|5.657").all()
        assert regimes["published"].notna().all()

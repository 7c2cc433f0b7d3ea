"""dualcarbon validate on the tiny world with three seeds: the whole pipeline per seed (the test suite's
own world reused for the first), records and summaries with the promised columns, truths from each
world, and the report's section."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.validation import RECORD_COLUMNS, TARGETS
from tests.conftest import TINY_SEED

FAST = {"n_boot": 0, "n_draws": 100, "n_trees": 20, "n_perm": 50}
SEEDS = [TINY_SEED, TINY_SEED + 1, TINY_SEED + 2]


@pytest.fixture(scope="module")
def validated(tiny_sources, tiny_marts, tmp_path_factory):
    from dualcarbon.validate import validate

    out = tmp_path_factory.mktemp("validation")
    assert validate("tiny", SEEDS, out, fast=FAST, prebuilt={TINY_SEED: (tiny_sources, tiny_marts)},
                    progress=False) == 0
    return out


def test_records_hold_every_planted_parameter_for_every_seed(validated):
    records = pd.read_csv(validated / "truth_recovery.csv")
    assert list(records.columns[:len(RECORD_COLUMNS)]) == list(RECORD_COLUMNS)
    assert len(records) == len(TARGETS) * len(SEEDS)
    assert sorted(records["seed"].unique()) == SEEDS
    assert records.groupby("parameter")["seed"].nunique().eq(len(SEEDS)).all()
    # the truth of a planted parameter is the world's own
    truth = json.loads((validated / "validation.json").read_text())
    assert truth["world"] == "tiny" and truth["seeds"] == SEEDS
    rho = records[records["parameter"] == "rho_so2"]
    assert np.allclose(rho["truth"], 0.85)
    # every fit ran on these worlds, and coverage is computed from the interval and the truth
    ok = records.dropna(subset=["estimate"])
    assert len(ok) >= 0.9 * len(records), records[records["estimate"].isna()][["parameter", "seed", "error"]]
    inside = (ok["ci_low"] <= ok["truth"]) & (ok["truth"] <= ok["ci_high"])
    assert (ok["covered"].astype(bool) == inside).all()
    # parameters the tiny world pins down: the planted CO2 equation's slopes on patents and thresholds
    green = ok[ok["parameter"] == "b_green"]
    assert (abs(green["estimate"] - green["truth"]) < 0.03).all(), green


def test_summary_has_bias_and_coverage_per_parameter(validated):
    summary = pd.read_csv(validated / "summary.csv")
    assert list(summary["parameter"]) == [t.parameter for t in TARGETS]
    for col in ("estimator", "truth", "mean_estimate", "bias", "rmse", "coverage", "seeds", "note"):
        assert col in summary.columns
    assert summary["estimator"].notna().all() and (summary["seeds"] <= len(SEEDS)).all()
    md = (validated / "summary.md").read_text(encoding="utf-8")
    assert md.startswith("# Does the pipeline recover the planted truth?")
    assert md.count("\n| ") == len(TARGETS) + 1      # the header and one row per parameter


def test_the_report_shows_the_truth_recovery_section(validated, tiny_marts, tmp_path):
    import shutil

    from analysis.replications import replicate
    from analysis.report import build_report

    replicate("003", warehouse=tiny_marts, out=tmp_path / "replications", echo=lambda *_: None,
              fast={"n_boot": 5, "n_perm": 10, "n_draws": 10, "n_trees": 5})
    shutil.copytree(validated, tmp_path / "validation", ignore=shutil.ignore_patterns("work"))
    assert build_report(warehouse=tiny_marts, out=tmp_path / "report") == 0
    page = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "Does the pipeline recover the planted truth?" in page
    for t in TARGETS:
        assert t.parameter.replace("'", "&#x27;") in page or t.parameter in page


def test_validate_on_the_command_line(tmp_path, capsys):
    from dualcarbon.cli import main

    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    assert "truth_recovery.csv" in capsys.readouterr().out

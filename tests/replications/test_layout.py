"""The replications' layout rules: every call into the estimators is in an adapter; every declared
estimator has one; adding an estimator is one adapter and one registration; adding a study is one
module. Checked on the source and on small synthetic panels (no warehouse)."""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.estimators import EstimationResult
from analysis.replications import available_studies, load_study
from analysis.replications.adapters import ADAPTERS, Adapter
from analysis.replications.context import RunContext
from analysis.replications.runner import run_table
from analysis.replications.spec import ColumnSpec, StudySpec, TableSpec
from analysis.tables import studies_dir

PACKAGE = Path(__file__).resolve().parents[2] / "analysis" / "replications"
# what a module outside adapters/ may take from analysis.estimators: the result type and data helpers,
# and the statistic names (analysis.estimators.statistics: vocabulary, not estimators)
NOT_ESTIMATORS = {"EstimationResult", "stars", "winsorize"}
STATISTICS = "analysis.estimators.statistics"


def _estimator_imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every ``from analysis.estimators... import name`` / ``import analysis.estimators...``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("analysis.estimators"):
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "*") for alias in node.names if alias.name.startswith("analysis.estimators")]
    return found


def test_only_the_adapters_call_the_estimators_and_only_by_their_public_names():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        in_adapters = "adapters" in path.relative_to(PACKAGE).parts
        for module, name in _estimator_imports(path):
            where = f"{path.relative_to(PACKAGE)}: {module}.{name}"
            if module == STATISTICS:
                continue
            if module != "analysis.estimators":
                wrong.append(where + " (import public names from analysis.estimators, not its modules)")
            elif not in_adapters and name not in NOT_ESTIMATORS:
                wrong.append(where + " (calls into the estimators belong in adapters/)")
    assert not wrong, "\n".join(wrong)


def test_the_rule_above_sees_a_call_outside_the_adapters(tmp_path):
    bad = tmp_path / "s999.py"
    bad.write_text("def f():\n    from analysis.estimators.panel import fit_fe\n    from analysis.estimators import fit_iv\n")
    assert _estimator_imports(bad) == [("analysis.estimators.panel", "fit_fe"), ("analysis.estimators", "fit_iv")]


def test_every_declared_column_has_a_registered_adapter():
    declared = {(s, t.id, c.label, c.estimator) for s in available_studies() for t in load_study(s).tables
                for c in t.columns}
    assert declared, "no declared columns found"
    assert {e for *_, e in declared} <= set(ADAPTERS), sorted(e for *_, e in declared if e not in ADAPTERS)


def test_every_study_module_has_its_published_tables_and_back():
    modules = sorted(p.stem[1:] for p in PACKAGE.glob("s[0-9][0-9][0-9].py"))
    extracts = sorted(p.stem[1:] for p in studies_dir().glob("s[0-9][0-9][0-9].yaml"))
    assert available_studies() == modules == extracts == ["000", "001", "002", "003", "004"]
    for s in modules:
        assert load_study(s).study == s


# ---------------------------------------------------------------- a new estimator, end to end
def _panel(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units, years = 30, range(2010, 2020)
    d = pd.DataFrame([(u, y) for u in range(units) for y in years], columns=["unit", "year"])
    d["x"] = rng.normal(size=len(d))
    d["z"] = rng.normal(size=len(d))
    d["y"] = 1.0 + 0.5 * d["x"] - 0.2 * d["z"] + rng.normal(scale=0.1, size=len(d))
    d["group"] = d["unit"] % 2 == 0
    return d


class PooledOLS(Adapter):
    """A toy family: pooled OLS with an intercept, fitted on one group only when ``options["group"]``."""

    implied_fixed_effects = True

    def fitted_rows(self, data, col):
        return data[data["group"]] if col.options.get("group") else data

    def fit(self, data, col, study, ctx):
        d = self.fitted_rows(data, col)
        names = ["_cons", *col.regressors, *col.controls]
        X = np.column_stack([np.ones(len(d)), d[list(names[1:])].to_numpy(float)])
        y = d[col.dependent].to_numpy(float)
        b, *_ = np.linalg.lstsq(X, y, rcond=None)
        e = y - X @ b
        V = (e @ e) / (len(y) - X.shape[1]) * np.linalg.inv(X.T @ X)
        r2 = 1 - (e @ e) / ((y - y.mean()) @ (y - y.mean()))
        return EstimationResult(pd.Series(b, names), pd.Series(np.sqrt(np.diag(V)), names), len(y), "pooled OLS",
                                len(y) - X.shape[1], {"R2": r2}, {})

    def notes(self, res, col):
        return [f"{col.label}: pooled, no effects"]


def test_a_new_estimator_is_one_adapter_and_one_registration(monkeypatch, tmp_path):
    monkeypatch.setitem(ADAPTERS, "pooled", PooledOLS())
    study = StudySpec("999", "toy", "city", "unit", (2010, 2019), ())
    spec = TableSpec("Table 1", "toy", (
        ColumnSpec("(1)", "y", ("x",), ("z",), fe=(), estimator="pooled", rename={"x": "X", "_cons": "Constant"}),
        ColumnSpec("(2)", "y", ("x",), (), fe=(), estimator="pooled", window=(2012, 2019), options={"group": True},
                   rename={"x": "X"}, truth={"X": "beta"}),
    ))
    ctx = RunContext(warehouse=tmp_path / "none.duckdb", truth={"parameters": {"beta": {"value": 0.5}}})
    table, results = run_table(_panel(), spec, study, ctx)
    assert [c.label for c in table.columns] == ["(1)", "(2)"]
    assert table.rows == ["X", "Constant"]
    assert table.stats == ["N", "R²"]                            # no published extract: the default rows
    one, two = table.columns
    assert one.coefs["X"][0] == pytest.approx(0.5, abs=0.02) and one.coefs["Constant"][0] == pytest.approx(1, abs=0.02)
    assert one.stats == {"N": 300, "R²": results[0].stats["R2"]}
    assert two.stats["N"] == 15 * 8 and "Constant" not in two.coefs   # its window and its group
    assert two.truth == {"X": 0.5} and one.truth == {}
    assert "(1): pooled, no effects" in table.notes and "(2): pooled, no effects" in table.notes


def test_an_unregistered_estimator_is_one_clear_error(tmp_path):
    study = StudySpec("999", "toy", "city", "unit", (2010, 2019), ())
    spec = TableSpec("Table 1", "toy", (ColumnSpec("(1)", "y", ("x",), fe=(), estimator="pooled"),))
    with pytest.raises(ValueError, match=r"unknown estimator 'pooled'.*\bfe\b.*registry\.py"):
        run_table(_panel(), spec, study, RunContext(warehouse=tmp_path / "none.duckdb"))


def test_a_replicated_table_prints_its_cells_as_etable_does():
    """One home for a coefficient cell, its SE cell and stars: the ours sub-column of a replicated table
    shows what ``etable`` shows for the same result at the table's digits."""
    from analysis.estimators import etable
    from analysis.tables import DIGITS, Table, column_from_result

    res = PooledOLS().fit(_panel(), ColumnSpec("(1)", "y", ("x",), ("z",), fe=()), None, None)
    res = EstimationResult(res.params, res.bse * 40, res.nobs, res.model, res.df_resid, res.stats)  # z: no stars
    column = column_from_result("(1)", res, rename={"x": "X", "z": "Z"}, stats={"N": int(res.nobs)})
    md = Table("999", "Table 1", "toy", [column], ["X", "Z"], ["N"]).to_markdown().splitlines()
    body = [[cell.strip() for cell in line.split("|")[1:3]] for line in md[4:] if line.startswith("|")]
    et = etable([res], digits=DIGITS).to_frame()["(1)"].tolist()
    x, x_se, z, z_se = (et[i] for i in (2, 3, 4, 5))       # after the intercept's two rows
    assert x.endswith("*") and not z.endswith("*") and x_se.startswith("(")
    assert body[:4] == [["X", x], ["", x_se], ["Z", z], ["", z_se]]
    assert body[4] == ["N", "300"]

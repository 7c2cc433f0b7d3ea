"""Printed statistic rows read the statistic their name means, by its constant: a row asking for the
within R² gets the within R² or nothing, never the overall R²."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis.estimators import EstimationResult
from analysis.estimators import statistics as st
from analysis.replications.adapters import ADAPTERS
from analysis.replications.rows import STATISTIC_ROWS, stat_value
from analysis.replications.spec import ColumnSpec

TESTS = {"Kleibergen-Paap rk LM": st.KP_RK_LM, "Kleibergen-Paap rk Wald F": st.KP_RK_WALD_F,
         "Cragg-Donald Wald F": st.CRAGG_DONALD_F, "AR(1) p-value": st.AR1_P, "AR(2) p-value": st.AR2_P,
         "Hansen test p-value": st.HANSEN_J_P, "Wild bootstrap p": st.WILD_P,
         "Effective F (MOP)": st.EFFECTIVE_F, "Anderson-Rubin p": st.ANDERSON_RUBIN_P,
         "Between-group coefficient difference test P-value (组间系数差异检验 P 值)": st.PERM_P}


def _result(stats: dict) -> EstimationResult:
    cov = pd.DataFrame([[0.25, 0.0], [0.0, 1.0]], index=["x", "z"], columns=["x", "z"])
    return EstimationResult(pd.Series({"x": 1.0, "z": 2.0}), pd.Series({"x": 0.5, "z": 1.0}), 100, "toy", 97,
                            stats, {}, cov)


def _column(**options) -> ColumnSpec:
    return ColumnSpec("(1)", "y", ("x",), ("z",), options=options)


@pytest.mark.parametrize("family", ["fe", "iv", "iv_first", "gmm", "threshold", "psm", "dml", "split"])
def test_a_within_r2_row_gets_the_within_r2_never_the_overall(family):
    adapter = ADAPTERS[family]
    both, overall_only = _result({st.R2: 0.9, st.R2_WITHIN: 0.3}), _result({st.R2: 0.9})
    assert stat_value("R²", both, _column(r2="within"), adapter) == 0.3
    assert stat_value("R²", overall_only, _column(r2="within"), adapter) is None
    assert stat_value("R2", both, _column(), adapter) == 0.9


def test_an_unknown_r2_kind_is_refused():
    with pytest.raises(ValueError, match="options\\['r2'\\] is 'between'; use one of overall, within"):
        stat_value("R²", _result({st.R2: 0.9}), _column(r2="between"), ADAPTERS["fe"])


@pytest.mark.parametrize("printed", sorted(TESTS))
def test_each_printed_test_row_prints_its_own_statistic(printed):
    stats = {constant: 10.0 + i for i, constant in enumerate(TESTS.values())}
    assert stat_value(printed, _result(stats), _column(), ADAPTERS["fe"]) == stats[TESTS[printed]]
    assert stat_value(printed, _result({}), _column(), ADAPTERS["fe"]) is None
    assert sum(matches(printed.lower()) for matches, _ in STATISTIC_ROWS) == 1


def test_a_cr1_p_row_prints_the_main_coefficients_p_value():
    res = _result({})
    assert stat_value("p (CR1)", res, _column(), ADAPTERS["fe"]) == pytest.approx(float(res.pvalues["x"]))
    first = ColumnSpec("(1)", "y", ("x",), (), instruments=("z",))
    assert stat_value("p (CR1)", res, first, ADAPTERS["iv_first"]) == pytest.approx(float(res.pvalues["z"]))
    assert stat_value("p (CR1)", res, first, ADAPTERS["iv"]) == pytest.approx(float(res.pvalues["x"]))


def test_an_f_row_is_the_first_stage_f_of_an_iv_else_the_wald_f_of_the_slopes():
    res = _result({st.FIRST_STAGE_F: 42.0})
    assert stat_value("F", res, _column(), ADAPTERS["iv"]) == 42.0
    # b = (1, 2), V = diag(0.25, 1): chi2 = 1/0.25 + 4/1 = 8 over 2 restrictions
    assert stat_value("F", res, _column(), ADAPTERS["fe"]) == pytest.approx(4.0)
    assert stat_value("F", res, _column(), ADAPTERS["iv_first"]) == pytest.approx(4.0)


def test_indicator_rows_follow_the_column_and_the_family():
    res = _result({})
    assert stat_value("Controls", res, _column(), ADAPTERS["fe"]) == "Yes"
    assert stat_value("Fixed effects (固定效应)", res, ColumnSpec("(1)", "y", ("x",), fe=()), ADAPTERS["fe"]) == "No"
    assert stat_value("Fixed effects (固定效应)", res, ColumnSpec("(1)", "y", ("x",), fe=()), ADAPTERS["gmm"]) == "Yes"
    assert stat_value("N", res, _column(), ADAPTERS["fe"]) == 100

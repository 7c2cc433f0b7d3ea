"""The threshold family: ``threshold`` (:func:`analysis.estimators.fit_threshold`, Hansen 1999)."""
from __future__ import annotations

import numpy as np

from analysis.estimators import EstimationResult
from analysis.replications.adapters.base import Adapter, with_constant

__all__ = ["Threshold", "THRESHOLDS"]

THRESHOLDS = "thresholds"   # the statistic holding the estimated thresholds as text ("4.012, 5.480, 7.003")


class Threshold(Adapter):
    """``threshold``: the first regressor in regimes of ``options["q"]`` (default: itself), controls,
    unit effects by the within transformation. Options ``n_thresholds`` (3), ``trim`` (0.05), ``grid``
    (300), ``n_boot`` (300; the test suite's ``fast["n_boot"]`` wins), ``cluster_threshold``,
    ``time_effects`` (year dummies among the controls: Hansen's estimator removes unit effects only),
    ``regime_var`` (the printed name of the threshold variable) and ``regime_rows`` (the printed labels
    of the regimes, in order). Each regime row is labelled with *our* thresholds ("AI_firm ≤ 4.012",
    "4.012 < AI_firm ≤ 5.480", ...) and sits on the printed regime row of the same position (whose
    label carries the study's cut-offs). The thresholds go into a ``THRESHOLDS`` statistic ("4.012,
    5.480, 7.003") and the whole threshold result into ``info["threshold_result"]``.
    """

    implied_fixed_effects = True

    def fit(self, data, col, study, ctx):
        from analysis.estimators import fit_threshold

        opts = col.options
        x, q = col.regressors[0], opts.get("q", col.regressors[0])
        data, controls = year_dummies(data, col.controls) if opts.get("time_effects") else (data, col.controls)
        res = fit_threshold(data, y=col.dependent, regime_x=x, q=q,
                            controls=controls, entity=study.entity, time="year",
                            n_thresholds=opts.get("n_thresholds", 3), trim=opts.get("trim", 0.05),
                            grid=opts.get("grid", 300), n_boot=ctx.draws("n_boot", opts.get("n_boot", 300)),
                            seed=ctx.seed, cluster=opts.get("cluster_threshold"), executor=ctx.executor,
                            progress=False)
        # regime regressors x * 1(gamma_{r-1} < q <= gamma_r), so that the printed constant can be formed
        edges = [-np.inf, *res.thresholds, np.inf]
        d2 = data.copy()
        for r in range(len(edges) - 1):
            d2[f"{x}_regime{r + 1}"] = d2[x] * ((d2[q] > edges[r]) & (d2[q] <= edges[r + 1]))
        out = with_constant(res, d2, col.dependent)
        return EstimationResult(out.params, out.bse, out.nobs, out.model, out.df_resid,
                                {**out.stats, THRESHOLDS: ", ".join(f"{t:.3f}" for t in res.thresholds)},
                                {**res.info, "threshold_result": res}, out.cov)

    def row_labels(self, res, col):
        """Regimes labelled with our thresholds (:func:`regime_labels`); ``rename`` labels the rest."""
        regimes = [t for t in res.params.index if "_regime" in t]
        thresholds = res.info["threshold_result"].thresholds
        return dict(zip(regimes, regime_labels(col.options.get("regime_var", col.regressors[0]), thresholds))) \
            | dict(col.rename)

    def printed_rows(self, res, col):
        """Our regime labels -> the printed regime rows of the same position."""
        ours = regime_labels(col.options.get("regime_var", col.regressors[0]), res.info["threshold_result"].thresholds)
        return dict(zip(ours, col.options.get("regime_rows", ())))


def regime_labels(var: str, thresholds) -> list[str]:
    """``["q ≤ g1", "g1 < q ≤ g2", ..., "q > gk"]`` with the thresholds to three decimals."""
    g = [f"{t:.3f}" for t in thresholds]
    if not g:
        return [var]
    return [f"{var} ≤ {g[0]}", *(f"{a} < {var} ≤ {b}" for a, b in zip(g, g[1:])), f"{var} > {g[-1]}"]


def year_dummies(data, controls) -> tuple:
    """``data`` with one dummy per year but the first (``year_2012`` ...) and ``controls`` extended by them."""
    import pandas as pd

    dummies = pd.get_dummies(data["year"], prefix="year", drop_first=True, dtype=float)
    return pd.concat([data, dummies], axis=1), (*controls, *dummies.columns)

"""What an adapter is (:class:`Adapter`) and the pieces several adapters share.

An adapter turns one :class:`~analysis.replications.spec.ColumnSpec` into one call of an estimator of
``analysis.estimators`` and its result into what the study prints: the printed constant
(:func:`with_constant`), the row labels, the notes. Every call into the estimators that the
replications make is in this package, so a change of an estimator's keywords is a change here only.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.estimators import EstimationResult
from analysis.replications.context import RunContext
from analysis.replications.spec import ColumnSpec, StudySpec

__all__ = ["Adapter", "with_constant", "formula", "with_wild_bootstrap", "WILD_BOOTSTRAP_DEFAULTS", "covariance_options",
           "CONLEY_DEFAULTS", "with_weak_iv", "WEAK_IV_DEFAULTS"]

# an IV column's ``options["weak_iv"]``: True (these defaults) or a dict overriding them (keywords of
# analysis.estimators.inference.weak_iv_robust besides the data, formula and covariance)
WEAK_IV_DEFAULTS = {"null": 0.0, "alpha": 0.05, "critical": "f"}

# a column's ``options["vcov"] = {"conley_km": 500, ...}``: Conley spatial-HAC SEs over the city centroids
CONLEY_DEFAULTS = {"conley_km": None, "kernel": "bartlett", "lags": 0}

# a column's ``options["wild_bootstrap"]``: True (these defaults) or a dict overriding them; every keyword of
# analysis.estimators.wild_cluster_bootstrap but the data, formula, cluster, param and seed (the run's seed)
WILD_BOOTSTRAP_DEFAULTS = {"n_boot": 9999, "weights": "rademacher", "impose_null": True, "pvalue": "symmetric",
                           "alpha": 0.05, "ci": True}


class Adapter:
    """How the replications fit one estimator family. Subclasses implement :meth:`fit`; the other
    hooks have the defaults that suit most families.

    ``implied_fixed_effects``: the estimator removes the unit effects itself (within transformation,
    differencing), so a printed "Fixed effects" row reads Yes even when the column names no ``fe``.
    ``f_row``: the ``stats`` key a printed "F" row shows (an IV's first-stage F); None prints the
    Wald F of all slopes from the coefficient covariance.
    """

    implied_fixed_effects: bool = False
    f_row: str | None = None

    def fit(self, data: pd.DataFrame, col: ColumnSpec, study: StudySpec, ctx: RunContext) -> EstimationResult:
        """Fit the column on its estimation sample ``data``."""
        raise NotImplementedError

    def fitted_rows(self, data: pd.DataFrame, col: ColumnSpec) -> pd.DataFrame:
        """The rows of the column's sample that the estimate uses (a split column: its group)."""
        return data

    def row_labels(self, res: EstimationResult, col: ColumnSpec) -> dict[str, str]:
        """Our term -> the printed row label (default: the column's ``rename``)."""
        return dict(col.rename)

    def printed_rows(self, res: EstimationResult, col: ColumnSpec) -> dict[str, str]:
        """Our row label -> the printed row it stands on, where our label is not the printed one (a
        threshold regime labelled with our cut-offs sits on the printed regime of the same position)."""
        return {}

    def notes(self, res: EstimationResult, col: ColumnSpec) -> list[str]:
        """Notes under the table about how this column was fitted on this sample."""
        return []

    def main_term(self, col: ColumnSpec) -> str:
        """The coefficient the column is about (its first regressor): a "p (CR1)" row prints its p-value and
        ``options["wild_bootstrap"]`` tests it."""
        return col.regressors[0]


def formula(col: ColumnSpec) -> str:
    """``dependent ~ regressors + controls | fe`` of the column."""
    fe = col.fe
    rhs = " + ".join([*col.regressors, *col.controls]) or "1"
    return f"{col.dependent} ~ {rhs}" + (f" | {' + '.join(fe)}" if fe else "")


def asked_options(col: ColumnSpec, key: str, defaults: dict) -> dict | None:
    """The keywords a column asks for under ``options[key]`` (True: ``defaults``; a dict overrides them), or
    None when it does not ask; unknown keys are one clear error."""
    asked = col.options.get(key)
    if not asked:
        return None
    own = asked if isinstance(asked, dict) else {}
    unknown = set(own) - set(defaults)
    if unknown:
        raise ValueError(f"column {col.label!r}: options[{key!r}] has unknown keys {sorted(unknown)}; "
                         f"known: {sorted(defaults)}")
    return {**defaults, **own}


def covariance_options(col: ColumnSpec, data: pd.DataFrame, study: StudySpec, ctx: RunContext) -> dict:
    """``cluster`` and ``vcov`` keywords of a column: ``options["cluster"]`` (a column, or a list of columns for
    multiway clustering) and ``options["vcov"]`` ("iid", "HC1", or ``{"conley_km": km, "kernel": "bartlett" |
    "uniform", "lags": L}`` for Conley SEs on the great-circle distances between city centroids, read from the
    warehouse by :func:`analysis.marts.load_distances_km`; city studies only)."""
    cluster = col.options.get("cluster")
    cluster = list(cluster) if isinstance(cluster, (list, tuple)) else cluster
    vcov = col.options.get("vcov")
    if isinstance(vcov, dict):
        from analysis.estimators import Conley
        from analysis.marts import load_distances_km

        unknown = set(vcov) - set(CONLEY_DEFAULTS)
        if unknown or not vcov.get("conley_km"):
            raise ValueError(f"column {col.label!r}: options['vcov'] as a dict asks for Conley SEs and needs "
                             f"'conley_km' (and optionally 'kernel', 'lags'); got {vcov}")
        if study.unit != "city":
            raise ValueError(f"column {col.label!r}: Conley SEs need city centroids; study {study.study} is a "
                             f"{study.unit} panel")
        if "distances_km" not in ctx.cache:   # every city of the warehouse, once per study
            ctx.cache["distances_km"] = load_distances_km(None, ctx.warehouse)
        dist = ctx.cache["distances_km"]
        opts = {**CONLEY_DEFAULTS, **vcov}
        vcov = Conley(float(opts["conley_km"]), dist, entity=study.entity, time="year", kernel=opts["kernel"],
                      lags=int(opts["lags"]))
    return {"cluster": cluster, "vcov": vcov}


def with_wild_bootstrap(res: EstimationResult, data: pd.DataFrame, formula_: str, col: ColumnSpec, ctx: RunContext,
                        param: str) -> EstimationResult:
    """``res`` with the wild cluster bootstrap of ``param = 0`` (``WILD_P``, ``WILD_CI_LOW``, ``WILD_CI_HIGH``;
    the whole result in ``info["wild_bootstrap"]``) when the column asks for it in ``options["wild_bootstrap"]``
    (see :data:`WILD_BOOTSTRAP_DEFAULTS`; the test suite's ``fast["n_boot"]`` wins). The bootstrap clusters are
    the column's ``cluster``."""
    from analysis.estimators import wild_cluster_bootstrap
    from analysis.estimators.statistics import WILD_CI_HIGH, WILD_CI_LOW, WILD_P

    kw = asked_options(col, "wild_bootstrap", WILD_BOOTSTRAP_DEFAULTS)
    if kw is None:
        return res
    if not isinstance(col.options.get("cluster"), str):
        raise ValueError(f"column {col.label!r}: the wild cluster bootstrap needs one options['cluster'] column")
    kw["n_boot"] = ctx.draws("n_boot", kw["n_boot"])
    wb = wild_cluster_bootstrap(data, formula_, cluster=col.options["cluster"], param=param, seed=ctx.seed, **kw)
    stats = {**res.stats, WILD_P: wb.p_value, WILD_CI_LOW: wb.conf_int[0], WILD_CI_HIGH: wb.conf_int[1]}
    return EstimationResult(res.params, res.bse, res.nobs, res.model, res.df_resid, stats,
                            {**res.info, "wild_bootstrap": wb}, res.cov)


def with_weak_iv(res: EstimationResult, data: pd.DataFrame, formula_: str, col: ColumnSpec, study: StudySpec,
                 ctx: RunContext) -> EstimationResult:
    """``res`` (a 2SLS fit) with the Anderson-Rubin test of the endogenous coefficient = ``null`` and its
    confidence set (``ANDERSON_RUBIN_F`` / ``_P``, ``AR_SET_LOW`` / ``_HIGH``: the ends of the set's hull; the
    whole result in ``info["weak_iv"]``) under the column's covariance, when ``options["weak_iv"]`` asks for it
    (:data:`WEAK_IV_DEFAULTS`). The effective F is ``fit_iv``'s own ``EFFECTIVE_F``."""
    from analysis.estimators import weak_iv_robust
    from analysis.estimators.statistics import ANDERSON_RUBIN_F, ANDERSON_RUBIN_P, AR_SET_HIGH, AR_SET_LOW

    kw = asked_options(col, "weak_iv", WEAK_IV_DEFAULTS)
    if kw is None:
        return res
    wk = weak_iv_robust(data, formula_, **covariance_options(col, data, study, ctx), **kw)
    low, high = (wk.conf_set[0][0], wk.conf_set[-1][1]) if wk.conf_set else (np.nan, np.nan)
    stats = {**res.stats, ANDERSON_RUBIN_F: wk.ar_f, ANDERSON_RUBIN_P: wk.ar_p_value, AR_SET_LOW: low,
             AR_SET_HIGH: high}
    return EstimationResult(res.params, res.bse, res.nobs, res.model, res.df_resid, stats,
                            {**res.info, "weak_iv": wk}, res.cov)


def with_constant(res: EstimationResult, data: pd.DataFrame, dep: str) -> EstimationResult:
    """Add the constant a FE regression prints (Stata ``areg``/``reghdfe`` ``_cons``): mean(y) - mean(x)'b,
    with variance mean(x)' V mean(x) (the FE absorb the rest; the study prints this number)."""
    if "_cons" in res.params.index or "Intercept" in res.params.index:
        return res
    terms = [t for t in res.params.index if t in data.columns]
    if len(terms) != len(res.params):
        return res
    xbar = data[terms].mean().to_numpy(float)
    cons = float(data[dep].mean() - xbar @ res.params[terms].to_numpy())
    V = res.cov
    se = float(np.sqrt(xbar @ V.loc[terms, terms].to_numpy() @ xbar)) if V is not None else np.nan
    params = pd.concat([res.params, pd.Series({"_cons": cons})])
    bse = pd.concat([res.bse, pd.Series({"_cons": se})])
    cov = None
    if V is not None:   # Cov(_cons, b) = -xbar' V, Var(_cons) = xbar' V xbar
        names = [*terms, "_cons"]
        cross = -(xbar @ V.loc[terms, terms].to_numpy())
        block = np.block([[V.loc[terms, terms].to_numpy(), cross[:, None]], [cross[None, :], np.array([[se**2]])]])
        cov = pd.DataFrame(block, index=names, columns=names)
    return EstimationResult(params, bse, res.nobs, res.model, res.df_resid, res.stats, res.info, cov)

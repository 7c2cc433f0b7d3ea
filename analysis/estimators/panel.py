"""Linear panel regressions with absorbed fixed effects (one-way, two-way, any number of sets).

Equation::

    y_it = x_it' beta + alpha_i + lambda_t + e_it

estimated by OLS on the within-transformed data (Frisch-Waugh-Lovell: demeaning by every set of
fixed effects and regressing the demeaned ``y`` on the demeaned ``x`` gives the LSDV slopes).
Reference: Wooldridge (2010), *Econometric Analysis of Cross Section and Panel Data*, ch. 10;
Correia (2016) ``reghdfe``; Berge (2018) ``fixest``.

Conventions that change the numbers are the fixed-effects engine's (``analysis.estimators.fixed_effects``):

* FE demeaning: one sweep for one set or a balanced two-way panel, exact partitioned projection for an
  unbalanced two-way panel, alternating projections for three or more sets.
* ``cluster=None`` gives heteroskedasticity-robust HC1 SE with factor ``N/(N-K)``, ``K`` = slopes +
  absorbed FE df (``vcov="iid"`` for classical SE). With ``cluster="city"`` the SE are CR1 with
  ``G/(G-1) * (N-1)/(N-K)``, ``K`` = slopes + FE df *not nested* in the clusters (+1 per nested
  set), and p-values / intervals use t with ``G-1`` df. This is Stata ``reghdfe``'s and fixest's
  default and pyfixest's ``ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")``;
  the tests assert equality with pyfixest under that explicit ``ssc``.
* R2 is the R2 of the full model (fixed effects included, like Stata's ``areg`` / reghdfe
  ``r2``); ``R2_within`` is the R2 of the demeaned regression; ``adj_R2`` counts every absorbed
  effect (fixest's ``ar2``).
* Without fixed effects an intercept is added (drop it with ``+ 0``).
"""
from __future__ import annotations

from typing import Sequence

import pandas as pd

from analysis.estimators.base import EstimationResult
from analysis.estimators.fixed_effects import Conley, WithinDesign, cluster_columns, fit_within
from analysis.estimators.fixed_effects import within_design as engine_design
from analysis.estimators.formula import Formula, parse_formula
from analysis.estimators.inputs import DEFAULT_MISSING, check_frame, require_columns, vcov_request
from analysis.estimators.publication_table import etable
from analysis.estimators.statistics import R2

__all__ = ["fit_fe", "stepwise_fe", "winsorize", "WithinDesign", "within_design"]


def within_design(
    data: pd.DataFrame, formula: str | Formula, *, cluster: str | Sequence[str] | None = None,
    vcov: str | Conley | dict | None = None, missing: str = DEFAULT_MISSING, who: str = "fit_fe",
) -> tuple[WithinDesign, int]:
    """Check the data, apply the missing-values policy and demean ``y`` and the regressors of ``formula``
    by every fixed-effect set; the design and the number of rows dropped for missing values."""
    f = parse_formula(formula) if isinstance(formula, str) else formula
    if f.endog:
        raise ValueError("the formula has an IV part; use analysis.estimators.iv.fit_iv for 2SLS")
    if not f.exog:
        raise ValueError(f"formula has no regressor: {formula!r}")
    cluster, vcov = vcov_request(cluster, vcov)
    data, n_na = check_frame(data, [f.y, *f.exog], list(f.fe) + cluster_columns(cluster), missing=missing,
                             who=who)
    design = engine_design(data, y=f.y, regressors=f.exog, fe=f.fe, cluster=cluster, vcov=vcov,
                           intercept=not f.fe and f.intercept)
    return design, n_na


def fit_fe(
    data: pd.DataFrame, formula: str, *, cluster: str | Sequence[str] | None = None,
    vcov: str | Conley | dict | None = None, missing: str = DEFAULT_MISSING,
) -> EstimationResult:
    """Fixed-effects OLS ``"y ~ x1 + x2 | city + year"``; robust (HC1) or cluster-robust (CR1) SE.

    Parameters
    ----------
    data : DataFrame with every column of the formula.
    formula : pyfixest-style formula; the part after ``|`` lists the fixed effects.
    cluster : column to cluster on (CR1, t with G-1 df), or a list of columns (multiway clustering,
        Cameron-Gelbach-Miller; t with min(G)-1 df); ``None`` gives HC1.
    vcov : ``"iid"`` or ``"HC1"`` (also ``"hetero"``) when ``cluster`` is None, pyfixest's ``{"CRV1": "city"}`` /
        ``{"CRV1": "city+year"}`` (the same as ``cluster=``), or ``Conley(cutoff_km, distances, entity, time,
        kernel="bartlett", lags=0)`` for Conley spatial-HAC SEs (``analysis.estimators.covariance``); other forms
        are refused with the list of accepted ones (``analysis.estimators.inputs``).
    missing : ``"drop"`` (default) drops rows with a missing value in any column of the formula or the
        clusters, listwise, with a warning and the count in ``info["n_dropped_na"]``; ``"raise"`` refuses
        them (the policy of every estimator: ``analysis.estimators.inputs``).

    Returns
    -------
    EstimationResult with ``cov`` (the coefficient covariance), ``stats`` R2, adj_R2, R2_within (with
    fixed effects), N_clusters and ``info`` (formula, dep_var, fe, cluster, vcov, df_k, ssr, residuals of
    the demeaned model).
    """
    d, n_na = within_design(data, formula, cluster=cluster, vcov=vcov, missing=missing)
    return fit_within(d, model="FE-OLS" if d.fe else "OLS", info={"formula": formula, "n_dropped_na": n_na})


def stepwise_fe(
    data: pd.DataFrame,
    *,
    y: str,
    x: str | Sequence[str],
    controls: Sequence[str] = (),
    fe: Sequence[str] = (),
    cluster: str | None = None,
    vcov: str | dict | None = None,
    missing: str = DEFAULT_MISSING,
) -> tuple[list[EstimationResult], pd.DataFrame]:
    """Stepwise-controls table: column 1 has only ``x``, column j adds the first j-1 controls.

    Returns the list of fits and their publication table (``etable(fits).to_frame()``: coefficient
    with stars, SE in parentheses, FE and cluster rows, N and R2), the layout of study 004's Table 1.
    ``missing`` as in ``fit_fe``, applied to each column's own variables (so N grows as controls are added
    only when the added control has no missing value).
    """
    xs = [x] if isinstance(x, str) else list(x)
    fits = []
    for j in range(len(controls) + 1):
        rhs = " + ".join([*xs, *controls[:j]])
        f = f"{y} ~ {rhs}" + (f" | {' + '.join(fe)}" if fe else "")
        fits.append(fit_fe(data, f, cluster=cluster, vcov=vcov, missing=missing))
    return fits, etable(fits, stats=("N", R2)).to_frame()


def winsorize(
    data: pd.DataFrame,
    columns: Sequence[str],
    *,
    lower: float = 0.01,
    upper: float | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Two-sided winsorising: values below the ``lower`` / above the ``upper`` quantile are set to it.

    ``upper`` defaults to ``1 - lower`` (so ``lower=0.05`` is the "5%" of study 004). Quantiles use
    linear interpolation between order statistics (pandas/NumPy default, "type 7"); Stata's
    ``winsor2`` uses ``_pctile`` (type 2) and can differ in the 4th digit on small samples.
    ``by`` winsorises within groups (e.g. by year). Returns a copy; NaN stay NaN and take no part in
    the quantiles.

    This is the project's one home for winsorising: the studies winsorise their own estimation
    samples (window, exclusions, complete cases), which no mart can know in advance, so the warehouse
    carries no winsorised copy of the panel (``tests/estimators/test_winsorize.py``).
    """
    upper = 1 - lower if upper is None else upper
    if not 0 <= lower < upper <= 1:
        raise ValueError(f"need 0 <= lower < upper <= 1, got lower={lower}, upper={upper}")
    out = data.copy()
    require_columns(data, columns, who="winsorize")
    for c in columns:
        if not pd.api.types.is_numeric_dtype(out[c]):
            raise ValueError(f"column {c!r} is not numeric; convert it before winsorising")
        s = out[c].astype(float)
        if by is None:
            lo, hi = s.quantile(lower), s.quantile(upper)
            out[c] = s.clip(lo, hi)
        else:
            g = s.groupby(out[by])
            out[c] = s.clip(g.transform(lambda v: v.quantile(lower)), g.transform(lambda v: v.quantile(upper)))
    return out

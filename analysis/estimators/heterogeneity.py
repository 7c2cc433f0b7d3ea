"""Split-sample heterogeneity: one FE regression per group and a between-group coefficient test.

Equation, for groups g = 0, 1 (e.g. east vs other, above vs below the mean)::

    y_it = beta_g x_it + controls + alpha_i + lambda_t^g + e_it,   i in group g

Test of H0: ``beta_1 = beta_0`` for the coefficient ``coef``:

* **Fisher permutation test** (Efron & Tibshirani 1993, ch. 15; the "Fisher's combination"
  test of Stata ``bdiff``, Lian Yujun 2017 -- the usual test behind the "between-group
  coefficient difference P-value" row of Chinese empirical tables): the group labels are
  permuted ``n_perm`` times, both groups are re-estimated, and the p-value is the share of
  permuted differences at least as large in absolute value as the observed one (two-sided;
  ``p_one_sided`` is the share with ``d* >= d`` if d > 0, ``d* <= d`` otherwise, bdiff's
  empirical p). Labels are permuted at the level of whole units within which ``by`` is
  constant: the ``cluster`` if possible, otherwise the first fixed effect, otherwise
  observations.
* **Seemingly-unrelated cluster-robust z** (Stata ``suest``): ``z = (b1 - b0) / sqrt(V11 + V00 -
  2 V10)`` with the joint covariance from the stacked scores of both regressions summed by
  cluster and the factor ``G/(G-1)`` (observations as clusters and ``N/(N-1)`` without
  ``cluster``); normal p-value. Cov(b1, b0) is non-zero only when clusters span both groups.

Conventions that change the numbers: the group fits use ``panel.fit_fe`` (CR1 / HC1 as
documented there, t inference); the z test uses the suest factor above. Vectorisation: when the
fixed effects are ``[unit]``, ``[unit, time]`` on a balanced panel, or absent, every
permutation is a weighted sum of per-unit cross-product matrices (no refit); otherwise the
groups are re-demeaned and refitted in a loop (with a progress bar).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import analysis.estimators.distributions as dist
from tqdm.auto import tqdm

from analysis.estimators.base import EstimationResult
from analysis.estimators.fixed_effects import Demeaner, cluster_sums, factorize, nested_in, small_sample
from analysis.estimators.formula import parse_formula
from analysis.estimators.inputs import DEFAULT_MISSING, check_frame, vcov_request
from analysis.estimators.statistics import N_GROUP0, N_GROUP1, PERM_P, PERM_P_ONE_SIDED, SUEST_P, SUEST_Z
from analysis.estimators.panel import fit_fe

__all__ = ["compare_groups", "GroupComparison"]


@dataclass(frozen=True)
class GroupComparison(EstimationResult):
    """``params``: coef in each group and their difference (SE of the difference from suest)."""

    fits: dict = field(default_factory=dict)
    diff: float = np.nan
    perm_pvalue: float = np.nan
    suest_z: float = np.nan
    suest_pvalue: float = np.nan

    def summary(self, digits: int = 4) -> str:
        lines = [super().summary(digits)]
        lines.append(f"Difference {self.diff:.{digits}f}: Fisher permutation p = {self.perm_pvalue:.{digits}f} "
                     f"({self.info.get('n_perm')} draws, unit: {self.info.get('perm_unit')}); "
                     f"SUR z = {self.suest_z:.{digits}f}, p = {self.suest_pvalue:.{digits}f}")
        return "\n".join(lines)


def _two_groups(values: pd.Series, by: str):
    levels = pd.unique(values)
    if len(levels) != 2:
        raise ValueError(
            f"column {by!r} must have exactly two groups, found {len(levels)} "
            f"({list(levels)[:6]}); build a binary column, e.g. (data[{by!r}] == 'east')"
        )
    levels = sorted(levels)
    return levels, (values == levels[1]).to_numpy()


def _scores(data: pd.DataFrame, formula: str, fit: EstimationResult) -> tuple[np.ndarray, np.ndarray]:
    """Influence rows (X'X)^-1 x_i e_i of a fit_fe result (rows of the group's data)."""
    from analysis.estimators.panel import within_design

    d, _ = within_design(data, formula)
    xtx_inv = np.linalg.inv(d.X.T @ d.X)
    e = fit.info["resid"]
    return (d.X * e[:, None]) @ xtx_inv, d.names


def compare_groups(
    data: pd.DataFrame,
    formula: str,
    *,
    by: str,
    coef: str,
    cluster: str | None = None,
    vcov: str | dict | None = None,
    n_perm: int = 1000,
    seed=None,
    progress: bool = True,
    missing: str = DEFAULT_MISSING,
) -> GroupComparison:
    """Fit ``formula`` separately in the two groups of ``by`` and test equality of ``coef``.

    Returns a GroupComparison with ``params`` = coef in group 0, group 1 and the difference
    (group 1 minus group 0), ``fits`` (the two EstimationResults keyed by group label),
    ``perm_pvalue`` (two-sided Fisher permutation), ``suest_z`` / ``suest_pvalue``; ``info``
    holds the permutation draws and the unit at which labels were permuted. ``cluster`` / ``vcov`` /
    ``missing`` as in ``fit_fe`` (rows missing any column of the formula, ``by`` or the clusters are
    dropped before the split, count in ``info["n_dropped_na"]``).
    """
    f = parse_formula(formula)
    if f.endog:
        raise ValueError("compare_groups supports OLS/FE formulas only (no IV part)")
    if coef not in f.exog:
        raise ValueError(f"coef {coef!r} is not a regressor of {formula!r}")
    cluster, vcov = vcov_request(cluster, vcov)
    if cluster is not None and not isinstance(cluster, str):
        raise ValueError(f"compare_groups clusters on one column, got {cluster!r}")
    data, n_na = check_frame(data, [f.y, *f.exog], list(f.fe) + [by] + ([cluster] if cluster else []),
                             missing=missing, who="compare_groups")
    data = data.reset_index(drop=True)
    levels, in1 = _two_groups(data[by], by)
    d0, d1 = data[~in1], data[in1]
    fit0 = fit_fe(d0, formula, cluster=cluster, vcov=vcov)
    fit1 = fit_fe(d1, formula, cluster=cluster, vcov=vcov)
    diff = float(fit1.params[coef] - fit0.params[coef])

    # ---- seemingly-unrelated (suest) z
    s0, names = _scores(d0, formula, fit0)
    s1, _ = _scores(d1, formula, fit1)
    j = names.index(coef)
    infl = np.zeros((len(data), 2))
    infl[~in1, 0] = s0[:, j]
    infl[in1, 1] = s1[:, j]
    if cluster:
        cl, g = factorize(data[cluster].to_numpy())
    else:
        cl, g = np.arange(len(data)), len(data)
    sums = cluster_sums(infl, cl, g)
    V = sums.T @ sums * small_sample("CR1", len(data), 0, g, k_adj=False)[0]   # G/(G-1), no K term
    var_d = V[0, 0] + V[1, 1] - 2 * V[0, 1]
    z = diff / np.sqrt(var_d)
    p_z = float(2 * dist.norm_sf(abs(z)))

    # ---- permutation unit
    unit_name, unit = "observation", np.arange(len(data))
    for cand in ([cluster] if cluster else []) + list(f.fe[:1]):
        c, _ = factorize(data[cand].to_numpy())
        if _constant_within(in1, c):
            unit_name, unit = cand, c
            break
    unit, n_units = factorize(unit)
    label_unit = np.zeros(n_units, dtype=bool)
    label_unit[unit] = in1
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    perms = np.array([rng.permutation(label_unit) for _ in range(n_perm)]) if n_perm else np.zeros((0, n_units), bool)

    draws = _perm_vectorised(data, f, coef, unit, n_units, perms, progress)
    method = "vectorised"
    if draws is None:
        method = "refit loop"
        draws = _perm_loop(data, formula, f, coef, unit, perms, progress)
    ok = draws[np.isfinite(draws)]
    p_perm = float(np.mean(np.abs(ok) >= abs(diff) - 1e-12)) if ok.size else np.nan
    p_one = float(np.mean(ok >= diff) if diff > 0 else np.mean(ok <= diff)) if ok.size else np.nan

    names_out = [f"{coef}[{by}={levels[0]}]", f"{coef}[{by}={levels[1]}]", "difference"]
    params = pd.Series([fit0.params[coef], fit1.params[coef], diff], index=names_out)
    bse = pd.Series([fit0.bse[coef], fit1.bse[coef], np.sqrt(var_d)], index=names_out)
    return GroupComparison(
        params=params, bse=bse, nobs=len(data), model="Split-sample comparison", df_resid=None,
        stats={PERM_P: p_perm, PERM_P_ONE_SIDED: p_one, SUEST_Z: float(z), SUEST_P: p_z,
               N_GROUP0: int(fit0.nobs), N_GROUP1: int(fit1.nobs)},
        info={"perm_draws": draws, "perm_unit": unit_name, "n_perm": int(n_perm), "method": method,
              "levels": levels, "formula": formula, "dep_var": f.y, "fe": list(f.fe), "cluster": cluster,
              "vcov": fit0.info["vcov"], "n_dropped_na": n_na, "seed": seed if not isinstance(seed, np.random.Generator) else None},
        fits={levels[0]: fit0, levels[1]: fit1}, diff=diff, perm_pvalue=p_perm,
        suest_z=float(z), suest_pvalue=p_z,
    )


def _constant_within(flag: np.ndarray, code: np.ndarray) -> bool:
    s = pd.Series(flag).groupby(code).nunique()
    return bool((s == 1).all())


def _perm_vectorised(data, f, coef, unit, n_units, perms, progress):
    """Permuted differences via per-unit cross products, or None if the design does not allow it."""
    fe = list(f.fe)
    cols = [*f.exog, f.y]
    raw = data[cols].to_numpy(float)
    n = len(data)
    if not fe:
        Z = np.column_stack([np.ones(n), raw])  # intercept first
        jc = 1 + f.exog.index(coef)
        time_code = None
    else:
        if len(fe) > 2:
            return None
        fe_codes = [factorize(data[c].to_numpy())[0] for c in fe]
        nested = [nested_in(c, unit) for c in fe_codes]
        if not any(nested):
            return None
        ent = nested.index(True)
        e_code = fe_codes[ent]
        Z = Demeaner([e_code])(raw)
        jc = f.exog.index(coef)
        time_code = None
        if len(fe) == 2:
            t_code = fe_codes[1 - ent]
            counts = pd.crosstab(e_code, t_code).to_numpy()
            if not (counts == 1).all():
                return None  # unbalanced or repeated: group-specific time means need the loop
            time_code = t_code
    p = Z.shape[1]
    C = np.zeros((n_units, p, p))
    np.add.at(C, unit, Z[:, :, None] * Z[:, None, :])
    if time_code is not None:
        T = int(time_code.max()) + 1
        S = np.zeros((n_units, T, p))
        np.add.at(S, (unit, time_code), Z)
        n_ent = np.bincount(unit, weights=np.ones(n), minlength=n_units) / T  # entities per unit
    k = p - 1

    def coefs(w: np.ndarray) -> np.ndarray:
        M = np.einsum("bu,uij->bij", w, C)
        if time_code is not None:
            Sg = np.einsum("bu,utj->btj", w, S)
            ng = w @ n_ent
            M = M - np.einsum("btj,btk->bjk", Sg, Sg) / ng[:, None, None]
        with np.errstate(all="ignore"):
            try:
                sol = np.linalg.solve(M[:, :k, :k], M[:, :k, k][:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:
                sol = np.full((M.shape[0], k), np.nan)
                for r in range(M.shape[0]):
                    try:
                        sol[r] = np.linalg.solve(M[r, :k, :k], M[r, :k, k])
                    except np.linalg.LinAlgError:
                        pass
        return sol[:, jc]

    out = []
    chunk = 250
    with tqdm(total=len(perms), desc="permutation test", disable=not progress) as bar:
        for s in range(0, len(perms), chunk):
            w1 = perms[s : s + chunk].astype(float)
            out.append(coefs(w1) - coefs(1.0 - w1))
            bar.update(len(w1))
    return np.concatenate(out) if out else np.array([])


def _perm_loop(data, formula, f, coef, unit, perms, progress):
    out = np.full(len(perms), np.nan)
    for r in tqdm(range(len(perms)), desc="permutation test (refit)", disable=not progress):
        g1 = perms[r][unit]
        try:
            b1 = fit_fe(data[g1], formula).params[coef]
            b0 = fit_fe(data[~g1], formula).params[coef]
            out[r] = b1 - b0
        except ValueError:
            pass
    return out

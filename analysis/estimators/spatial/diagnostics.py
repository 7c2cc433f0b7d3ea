"""Specification tests for spatial panels and Moran's I by period.

* :func:`lm_tests` - LM-lag, LM-error and their robust forms (Anselin et al. 1996) on the residuals of
  the non-spatial fixed-effects model, in Elhorst's panel form (Elhorst 2010, *Handbook of Applied
  Spatial Analysis* ch. C.2; his ``LMsarsem_panel.m``), with sigma2 = e'e/(NT), T_W = tr(WW + W'W)::

      LM_lag   = (e'(I_T x W) y / s2)^2 / J,          J = [(W X b)' M (W X b) + T T_W s2] / s2
      LM_err   = (e'(I_T x W) e / s2)^2 / (T T_W)
      rLM_lag  = (e'Wy/s2 - e'We/s2)^2 / (J - T T_W)
      rLM_err  = (e'We/s2 - (T T_W / J) e'Wy/s2)^2 / (T T_W (1 - T T_W / J))

  each chi2(1).
* :func:`lr_test` - 2 (l_unrestricted - l_restricted), chi2(df) (e.g. SDM against SAR or SEM).
* :func:`wald_test` - SDM against SAR (theta = 0) and against SEM (common factor theta + rho beta = 0,
  delta method), chi2(k).
* :func:`lr_effects_test` - joint significance of individual / time fixed effects (Elhorst 2014
  sec. 3.4): LR of the two-way model against the individual-only (df = T - 1) and the time-only
  (df = N - 1) model, all fitted by the direct approach so that the likelihoods are comparable.
* :func:`hausman` - (b_FE - b_RE)' (V_FE - V_RE)^-1 (b_FE - b_RE), chi2(k); :func:`hausman_panel`
  computes it for the non-spatial FE and RE (Swamy-Arora GLS) fits of linearmodels.
* :func:`moran_by_year` - global Moran's I per period (esda), analytic z under normality and a
  permutation p, with the data of a Moran scatter plot.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
import analysis.estimators.distributions as dist

from analysis.estimators.inputs import DEFAULT_MISSING, require_columns
from analysis.estimators.spatial.model import fit_spatial_panel
from analysis.estimators.spatial.panel import EFFECTS, demean_panel, prepare_panel, spatial_lag


@dataclass(frozen=True)
class TestResult:
    """A chi-square test: ``statistic``, ``df``, ``pvalue`` and a ``name``."""

    name: str
    statistic: float
    df: float
    pvalue: float
    note: str = ""

    def __repr__(self) -> str:  # pragma: no cover - convenience
        return f"{self.name}: chi2({self.df:g}) = {self.statistic:.4f}, p = {self.pvalue:.4g}"


def _chi2(name: str, stat: float, df: float, note: str = "") -> TestResult:
    return TestResult(name=name, statistic=float(stat), df=float(df), pvalue=float(dist.chi2_sf(stat, df)), note=note)


# ---------------------------------------------------------------- LM tests
def lm_tests(
    data: pd.DataFrame,
    *,
    y: str,
    x: Sequence[str],
    w: Any,
    entity: str,
    time: str,
    effects: str = "individual",
    w_ids: Sequence | None = None,
    missing: str = DEFAULT_MISSING,
) -> pd.DataFrame:
    """Elhorst's (robust) LM tests for a spatial lag / spatial error on FE-OLS residuals (``missing`` as in
    ``fit_spatial_panel``).

    Returns a DataFrame indexed by test (``LM-lag``, ``robust LM-lag``, ``LM-error``,
    ``robust LM-error``) with ``statistic``, ``df`` and ``p_value``.
    """
    if effects not in EFFECTS or effects == "random":
        raise ValueError(f"effects must be one of {[e for e in EFFECTS if e != 'random']}, got {effects!r}")
    panel = prepare_panel(data, y=y, x=x, w=w, entity=entity, time=time, w_ids=w_ids, missing=missing,
                          who="lm_tests")
    W = panel.w.matrix
    T, N = panel.t, panel.n
    X = panel.X
    if effects == "none":
        X = np.concatenate([np.ones(X.shape[:2] + (1,)), X], axis=2)
    Yd = demean_panel(panel.y, effects)
    Xd = demean_panel(X, effects).reshape(T * N, -1)
    yv = Yd.reshape(-1)
    beta, *_ = np.linalg.lstsq(Xd, yv, rcond=None)
    e = yv - Xd @ beta
    s2 = float(e @ e) / (N * T)
    wy = spatial_lag(W, Yd).reshape(-1)
    we = spatial_lag(W, e.reshape(T, N)).reshape(-1)
    wxb = spatial_lag(W, (Xd @ beta).reshape(T, N)).reshape(-1)
    mwxb = wxb - Xd @ np.linalg.lstsq(Xd, wxb, rcond=None)[0]
    tw = float(W.multiply(W.T).sum() + W.multiply(W).sum())  # tr(WW + W'W)
    J = (float(wxb @ mwxb) + T * tw * s2) / s2
    lag_score = float(e @ wy) / s2
    err_score = float(e @ we) / s2
    rows = {
        "LM-lag": lag_score**2 / J,
        "robust LM-lag": (lag_score - err_score) ** 2 / (J - T * tw),
        "LM-error": err_score**2 / (T * tw),
        "robust LM-error": (err_score - T * tw / J * lag_score) ** 2 / (T * tw * (1.0 - T * tw / J)),
    }
    out = pd.DataFrame({"statistic": pd.Series(rows), "df": 1})
    out["p_value"] = dist.chi2_sf(out["statistic"], 1)
    out.attrs["effects"] = effects
    out.attrs["sigma2"] = s2
    return out


# ---------------------------------------------------------------- LR and Wald tests
def _comparable(a, b) -> None:
    keys = ("N", "T", "effects", "lee_yu")
    diff = {k: (a.info.get(k), b.info.get(k)) for k in keys if a.info.get(k) != b.info.get(k)}
    if diff:
        raise ValueError(f"the two models' likelihoods are not comparable, they differ in {diff}")


def lr_test(restricted, unrestricted, df: int | None = None, *, name: str | None = None) -> TestResult:
    """Likelihood-ratio test 2 (l_u - l_r) ~ chi2(df); df defaults to the difference in parameters."""
    _comparable(restricted, unrestricted)
    if df is None:
        df = unrestricted.info["n_params"] - restricted.info["n_params"]
    if df <= 0:
        raise ValueError("the unrestricted model must have more parameters than the restricted one")
    stat = 2.0 * (unrestricted.loglik - restricted.loglik)
    return _chi2(name or f"LR {unrestricted.info['model']} vs {restricted.info['model']}", stat, df)


def wald_test(sdm, against: str = "sar") -> TestResult:
    """Wald test of an SDM against SAR (H0: theta = 0) or SEM (H0: theta + rho beta = 0)."""
    if sdm.info.get("model") != "sdm":
        raise ValueError("wald_test needs a fitted SDM (model='sdm')")
    lagged = list(sdm.spec["durbin"])
    if not lagged:
        raise ValueError("the SDM has no W*x terms")
    p, V = sdm.params, sdm.cov
    th = [f"W*{v}" for v in lagged]
    if against == "sar":
        g = p[th].to_numpy()
        Vg = V.loc[th, th].to_numpy()
    elif against == "sem":
        rho = p["rho"]
        g = p[th].to_numpy() + rho * p[lagged].to_numpy()
        names = list(p.index)
        D = np.zeros((len(th), len(names)))
        for k, (t_name, b_name) in enumerate(zip(th, lagged)):
            D[k, names.index(t_name)] = 1.0
            D[k, names.index(b_name)] = rho
            D[k, names.index("rho")] = p[b_name]
        Vg = D @ V.loc[names, names].to_numpy() @ D.T
    else:
        raise ValueError("against must be 'sar' or 'sem'")
    stat = float(g @ np.linalg.solve(Vg, g))
    return _chi2(f"Wald SDM vs {against.upper()}", stat, len(g))


def lr_effects_test(
    data: pd.DataFrame,
    *,
    y: str,
    x: Sequence[str],
    w: Any,
    entity: str,
    time: str,
    model: str = "sdm",
    w_ids: Sequence | None = None,
    logdet: str = "auto",
    missing: str = DEFAULT_MISSING,
) -> pd.DataFrame:
    """LR tests of the joint significance of the fixed effects (direct approach, comparable likelihoods;
    ``missing`` as in ``fit_spatial_panel``).

    Rows: ``both vs individual`` (H0: no time effects, df = T - 1) and ``both vs time``
    (H0: no individual effects, df = N - 1); columns ``statistic``, ``df``, ``p_value``,
    ``loglik_restricted``, ``loglik_twoways``.
    """
    panel = prepare_panel(data, y=y, x=x, w=w, entity=entity, time=time, w_ids=w_ids, missing=missing,
                          who="lr_effects_test")
    fits = {e: fit_spatial_panel(panel, y=y, x=x, w=None, entity=entity, time=time, model=model, effects=e,
                                 lee_yu=False, logdet=logdet)
            for e in ("twoways", "individual", "time")}
    both = fits["twoways"]
    rows = {}
    for label, restricted, df in (("both vs individual", "individual", panel.t - 1),
                                  ("both vs time", "time", panel.n - 1)):
        stat = 2.0 * (both.loglik - fits[restricted].loglik)
        rows[label] = {"statistic": stat, "df": df, "p_value": float(dist.chi2_sf(stat, df)),
                       "loglik_restricted": fits[restricted].loglik, "loglik_twoways": both.loglik}
    return pd.DataFrame.from_dict(rows, orient="index")


# ---------------------------------------------------------------- Hausman
def _params_cov(res) -> tuple[pd.Series, pd.DataFrame]:
    cov = getattr(res, "cov", None)
    if cov is None or callable(cov):
        raise ValueError("hausman needs results with a covariance matrix (.cov DataFrame)")
    return pd.Series(res.params, dtype=float), pd.DataFrame(cov)


def hausman(fe, re, terms: Sequence[str] | None = None, df: str = "k") -> TestResult:
    """Hausman test of fixed against random effects on the common coefficients.

    ``fe`` and ``re`` are results with ``params`` and a ``cov`` DataFrame (our spatial results,
    linearmodels results). H = d'(V_FE - V_RE)^+ d with d = b_FE - b_RE (Moore-Penrose inverse when
    the difference is not positive definite); df = number of compared coefficients, as R plm's
    ``phtest`` (Stata's ``hausman`` uses the rank of V_FE - V_RE instead: ``df="rank"``).
    """
    b1, V1 = _params_cov(fe)
    b0, V0 = _params_cov(re)
    common = [t for t in (terms or b1.index) if t in b0.index and t in V1.index and t in V0.index]
    if not common:
        raise ValueError("the two models have no coefficient in common")
    d = (b1[common] - b0[common]).to_numpy()
    Vd = V1.loc[common, common].to_numpy() - V0.loc[common, common].to_numpy()
    eig = np.linalg.eigvalsh(0.5 * (Vd + Vd.T))
    rank = int(np.sum(eig > 1e-12 * max(abs(eig).max(), 1e-300)))
    stat = float(d @ np.linalg.pinv(Vd) @ d)
    note = "" if rank == len(common) else "V_FE - V_RE is not positive definite: generalised inverse used"
    if df not in ("k", "rank"):
        raise ValueError("df must be 'k' (number of coefficients, plm) or 'rank' (Stata)")
    return _chi2("Hausman FE vs RE", stat, len(common) if df == "k" else rank, note)


def hausman_panel(data: pd.DataFrame, *, y: str, x: Sequence[str], entity: str, time: str) -> TestResult:
    """Hausman test of the non-spatial within (FE) against the random-effects GLS (linearmodels)."""
    from linearmodels.panel import PanelOLS, RandomEffects

    frame = data.set_index([entity, time])
    fe = PanelOLS(frame[y], frame[list(x)], entity_effects=True).fit(cov_type="unadjusted")
    re = RandomEffects(frame[y], frame[list(x)].assign(const=1.0)).fit(cov_type="unadjusted")
    return hausman(fe, re, terms=list(x))


# ---------------------------------------------------------------- Moran's I
@dataclass(frozen=True)
class MoranByYear:
    """``table``: one row per period (I, expected I, analytic sd and z under normality, normal p,
    permutation p); ``scatter``: entity, period, standardised value z and its spatial lag Wz."""

    table: pd.DataFrame
    scatter: pd.DataFrame


def moran_by_year(
    data: pd.DataFrame,
    *,
    var: str,
    w: Any,
    entity: str,
    time: str,
    permutations: int = 999,
    seed: int | None = 0,
    w_ids: Sequence | None = None,
    missing: str = DEFAULT_MISSING,
) -> MoranByYear:
    """Global Moran's I of ``var`` in every period, I = (N / S0) z'Wz / z'z (Moran 1950; study 000 eq. 7).

    W is used as given (no re-standardisation: esda ``transformation="o"``); z-values are the
    analytic ones under the normality assumption (esda ``z_norm``), ``p_sim`` is the one-sided
    pseudo p-value of ``permutations`` conditional permutations (seeded through numpy's global
    generator, which esda uses; the previous state is restored). ``missing`` as in ``fit_spatial_panel``.
    """
    import esda
    from libpysal.weights import WSP

    # prepare_panel validates and aligns; it needs one regressor, so give it a dummy constant
    require_columns(data, [entity, time, var], who="moran_by_year")
    tmp = data[[entity, time, var]].copy()
    tmp["__one"] = 1.0
    panel = prepare_panel(tmp, y=var, x=["__one"], w=w, entity=entity, time=time, w_ids=w_ids, missing=missing,
                          who="moran_by_year")
    wobj = WSP(panel.w.matrix, id_order=list(panel.w.ids)).to_W(silence_warnings=True)
    state = np.random.get_state()
    if seed is not None:
        np.random.seed(seed)
    rows, scatter = [], []
    try:
        for t, values in zip(panel.times, panel.y):
            if np.allclose(values, values[0]):
                raise ValueError(f"{var!r} is constant in period {t}: Moran's I is undefined")
            mi = esda.Moran(values, wobj, transformation="o", permutations=permutations)
            rows.append({time: t, "I": mi.I, "expected_I": mi.EI, "sd_norm": mi.seI_norm, "z_norm": mi.z_norm,
                         "p_norm": mi.p_norm, "p_sim": mi.p_sim if permutations else np.nan, "n": len(values)})
            z = (values - values.mean()) / values.std()
            scatter.append(pd.DataFrame({entity: panel.entities, time: t, "z": z,
                                         "wz": np.asarray(panel.w.matrix @ z).ravel()}))
    finally:
        np.random.set_state(state)
    return MoranByYear(table=pd.DataFrame(rows).set_index(time), scatter=pd.concat(scatter, ignore_index=True))

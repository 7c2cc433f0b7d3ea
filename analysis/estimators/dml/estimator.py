"""Double/debiased machine learning on the city panel: partially linear (PLR) and partially linear
IV (PLIV) models with city and year effects (study 001), on doubleml 0.11.

Model (Chernozhukov et al. 2018, Econometrics Journal 21, C1-C68; study 001 eq. (1), (5), (21)-(22))::

    PLR :  Y_it = theta D_it + g(X_it) + a_i + l_t + U_it,    D_it = m(X_it) + c_i + k_t + V_it
    PLIV:  Y_it = theta D_it + g(X_it) + a_i + l_t + U_it,    Z_it = m(X_it) + ... + V_it,  E[U Z | X] = 0

Estimation: the fixed effects are removed first (``fe_method``), then doubleml's ``DoubleMLPLR`` /
``DoubleMLPLIV`` with the partialling-out score cross-fits the nuisances l(X) = E[Y|X], m(X) = E[D|X]
(PLIV: m(X) = E[Z|X], r(X) = E[D|X]) over K folds::

    theta_s = sum_i (Z_i - m_i)(Y_i - l_i) / sum_i (Z_i - m_i)(D_i - r_i)      (PLR: Z = D, r = m)

Fixed effects (``fe_method``), compared on simulated panels in ``tests/estimators/test_dml.py`` and
``bench/bench_dml.py``:

* ``"within"`` (default): two-way within transformation of Y, D, Z and X before DML (the
  fixed-effects engine's, exact: one sweep on balanced panels, the partitioned projection otherwise).
  This is what "city and year FE" means in a linear FE regression, and it is doubleml's
  ``DoubleMLPLPR(approach="wg_approx")`` extended to year effects. It is the default because it removes any city or year effect correlated with D,
  whatever the learner (in the Monte Carlo of the tests it is unbiased where ``"none"`` is not),
  and because the within-transformed nuisance problems are low-dimensional, so RF / boosting learn
  them well. Caveat (Clarke & Polselli 2025): g(X) is then approximated on demeaned X.
* ``"dummies"``: raw data, one-hot city and year dummies appended to X. Tree learners hardly use
  280 dummies, and when folds are split by city (the default) the held-out cities' dummies are never
  seen in training, so city effects are *not* removed: kept for comparison only.
* ``"cre"``: correlated random effects (Mundlak 1978; Clarke & Polselli's ``cre`` idea): data
  demeaned by year, X augmented with the city means of X and, in the PLR, of D (with linear learners
  on a balanced panel this reproduces the within estimator). In the PLIV only the means of X are
  added (the mean of the endogenous D would be a bad control), which keeps a time-invariant
  instrument identified from cross-city variation: the printed variant of study 001, valid only if
  the city effect depends on X through its city mean alone.
* ``"fd"``: first differences within city over consecutive years, then year-demeaned (year effects);
  nuisance features (X_it, X_i,t-1) as in ``DoubleMLPLPR(approach="fd_exact")``; loses one year.
* ``"none"``: no effects (cross-sections such as the 401(k) data).

Comparison on the default sample world (``bench/bench_dml.py --compare-fe``: 280 cities x 2009-2023,
semi-synthetic ln CO2 with a planted effect of -0.080 of ln AI firms, RF, K = 5, city folds)::

    fit_dml fe_method=within  -0.0820 (0.0067)     DoubleMLPLPR wg_approx    -0.0824 (0.0067)
    fit_dml fe_method=fd      -0.0532 (0.0111)     DoubleMLPLPR fd_exact     -0.0543 (0.0113)
    fit_dml fe_method=cre     -0.2026 (0.0957)     DoubleMLPLPR cre_general  -0.0254 (0.0079)
    fit_dml fe_method=dummies -0.1900 (0.0314)     fit_dml fe_method=none           -0.1877 (0.0311)

Only the within transformation (ours or doubleml's) recovers the planted effect. First differences
are attenuated (our reading, not verified: ln(1 + count) carries rounding noise that differencing
amplifies), the CRE variants fail with forests (likely because forests do not reproduce the linear
role of the city means), and
dummies with city-grouped folds are no better than ignoring the effects. Hence ``"within"`` is the
default; the linear Monte Carlo in the tests shows within, FD and CRE all unbiased when the learner
can represent the Mundlak terms.

Folds and inference: with ``cluster="entity"`` folds are drawn by city (all years of a city in the
same fold, otherwise a city's own past predicts its future and the cross-fitting is not honest) and
the variance is the cluster-robust sandwich of the score, with a G/(G-1) factor and t inference on
G - 1 df (the Stata convention; identical to a cluster-robust OLS of the residualised outcome on the
residualised treatment, pinned in the tests)::

    Var(theta_s) = G/(G-1) sum_g (sum_{i in g} psi_i)^2 / (n J)^2,   J = mean(psi_a)

(with the same number of cities in every fold this is doubleml's own cluster variance, Chiang et
al. 2021, times G/(G-1); also pinned in the tests).

With ``cluster=None`` folds are random rows and the variance is doubleml's (mean psi^2 / J^2 / n,
normal inference). Repeated cross-fitting (``n_rep`` > 1): theta = median_s theta_s and
sigma^2 = median_s [sigma_s^2 + (theta_s - theta)^2] (Chernozhukov et al. 2018, eq. 3.7; doubleml's own
aggregation takes the median of upper bounds instead). ``constant=True`` adds the "Constant" row
printed by study 001: the intercept of the final-stage regression, mean(Y - l - theta (D - r)), with
the same cluster-robust variance; it is ~0 after the within transformation, as in study 001.

Study 001 conventions: "1:4 split" = K = 5 (robustness 1:2, 1:7 = K = 3, 8); RF for both nuisances;
``squared_controls=True`` adds the squares of the controls (its "Control2"). The instrument (distance
to backbone optical-cable cities) is time-invariant, so city effects absorb it: ``fe_method="within"``
refuses it and asks for ``instrument_series`` (distance x a national series, the time-varying variant
the replication uses), while ``fe_method="cre"`` runs the printed cross-sectional variant.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from analysis.estimators.base import EstimationResult
from analysis.estimators.dml.learners import LEARNER_LABELS, make_learner
from analysis.estimators.fixed_effects import Demeaner, cluster_sums, factorize, small_sample
from analysis.estimators.inputs import DEFAULT_MISSING, check_frame
from analysis.estimators.statistics import N_CLUSTERS, N_FOLDS, N_REPETITIONS
from ingestion.executor import resolve

__all__ = ["DMLResult", "fit_dml", "demean_twoway", "FE_METHODS"]

FE_METHODS = ("within", "dummies", "cre", "fd", "none")


# ---------------------------------------------------------------------------------------------
# fixed effects


def demean_twoway(a: np.ndarray, g1: np.ndarray, g2: np.ndarray | None = None) -> np.ndarray:
    """Remove one or two sets of effects (integer codes 0..G-1) from the columns of ``a``: the
    fixed-effects engine's exact within transformation (``analysis.estimators.fixed_effects``)."""
    return Demeaner([g1] if g2 is None else [g1, g2])(a)


# ---------------------------------------------------------------------------------------------
# result


@dataclass(frozen=True)
class DMLResult(EstimationResult):
    """:class:`EstimationResult` with the DML extras in ``info``: ``thetas`` / ``ses`` by repetition,
    ``nuisance_rmse`` (rep x fold x nuisance), ``folds``, ``fe`` (the effects removed, ``[entity, time]``),
    ``fe_method`` (how: ``"within"`` ...), ``learner``, ``n_folds``, ``n_rep``. ``cov`` is None: theta
    and the constant come from separate score equations and their covariance is not estimated."""

    def nuisance_table(self) -> pd.DataFrame:
        """Out-of-fold RMSE of each nuisance learner by repetition and fold."""
        return self.info["nuisance_rmse"].copy()

    def repetitions(self) -> pd.DataFrame:
        """theta_s and sigma_s of each cross-fitting repetition."""
        return pd.DataFrame({"theta": self.info["thetas"], "se": self.info["ses"]})


# ---------------------------------------------------------------------------------------------
# input checks and transformations


def _fail(msg: str) -> None:
    raise ValueError(f"fit_dml: {msg}")


def _check_inputs(data, y, d, controls, entity, time, fe_method, instrument, instrument_series, cluster, missing):
    """The checked estimation sample (the missing-values policy applied) and the rows dropped for missing values."""
    if not isinstance(data, pd.DataFrame):
        _fail("`data` must be a pandas DataFrame")
    if fe_method not in FE_METHODS:
        _fail(f"fe_method must be one of {FE_METHODS}, got {fe_method!r}")
    if isinstance(controls, str):
        _fail("`controls` must be a list of control names, not a string")
    if len(controls) == 0:
        _fail("give at least one control in `controls` (the nuisance functions are learned from them)")
    if fe_method != "none" and (entity is None or time is None):
        _fail(f"fe_method={fe_method!r} needs `entity` and `time` columns")
    if cluster is not None and not isinstance(cluster, str):
        _fail("cluster must be a column name, 'entity' or None")
    if cluster == "entity" and entity is None:
        _fail("cluster='entity' needs the `entity` column (or pass cluster=None)")
    numeric = [y, d, *controls, *(c for c in (instrument, instrument_series) if c)]
    keys = [c for c in (entity, time, None if cluster == "entity" else cluster) if c is not None]
    dup = [c for c in set(numeric) if numeric.count(c) > 1]
    if dup:
        _fail(f"column(s) {dup} used twice (outcome, treatment, controls and instrument must differ)")
    data, n_na = check_frame(data, numeric, keys, missing=missing, who="fit_dml")
    if entity is not None and time is not None and data.duplicated([entity, time]).any():
        _fail(f"duplicated {entity} x {time} rows; the panel needs one row per entity-year")
    return data, n_na


def _prepare(data, y, d, controls, entity, time, fe, instrument, instrument_series, squared_controls,
             cluster=None, cluster_folds=False):
    """Apply the FE transformation. Returns dict with Y, D, Z, X (features), groups (entity codes),
    clusters (codes of the ``cluster`` column, None without), names, rows."""
    sort_cols = [c for c in (entity, time) if c is not None]
    df = data.sort_values(sort_cols).reset_index(drop=True) if sort_cols else data.reset_index(drop=True)
    clusters = pd.factorize(df[cluster])[0] if cluster is not None else None
    xcols = list(controls)
    X = df[xcols].to_numpy(dtype=float)
    names = list(xcols)
    if squared_controls:
        X = np.hstack([X, X**2])
        names += [f"{c}^2" for c in xcols]
    Y = df[y].to_numpy(dtype=float)
    D = df[d].to_numpy(dtype=float)
    Z = None
    if instrument is not None:
        Z = df[instrument].to_numpy(dtype=float)
        if instrument_series is not None:
            Z = Z * df[instrument_series].to_numpy(dtype=float)
    ent = pd.factorize(df[entity])[0] if entity is not None else None
    tim = pd.factorize(df[time])[0] if time is not None else None
    keep = np.arange(len(df))

    def stack(*cols):
        return np.column_stack([c for c in cols if c is not None])

    if fe == "within":
        if Z is not None:
            within_sd = pd.Series(Z).groupby(ent).transform(lambda s: s - s.mean()).abs().max()
            if within_sd < 1e-12:
                _fail(f"instrument {instrument!r} does not vary within {entity}: city fixed effects absorb it. "
                      "Pass instrument_series=<national series column> for the time-varying variant "
                      "(instrument x series), or fe_method='cre' for the printed cross-sectional variant")
        parts = demean_twoway(stack(Y, D, Z, X), ent, tim)
        Y, D = parts[:, 0], parts[:, 1]
        Z = parts[:, 2] if Z is not None else None
        X = parts[:, 3 if Z is not None else 2 :]
    elif fe == "dummies":
        if cluster_folds:
            warnings.warn("fit_dml: fe_method='dummies' with folds split by cluster: the held-out cities' dummies are "
                          "never seen in training, so city effects are not removed (use fe_method='within')",
                          stacklevel=3)
        de = pd.get_dummies(df[entity], prefix="e", drop_first=True, dtype=float)
        dt = pd.get_dummies(df[time], prefix="t", drop_first=True, dtype=float)
        X = np.hstack([X, de.to_numpy(), dt.to_numpy()])
        names += list(de.columns) + list(dt.columns)
    elif fe == "cre":
        parts = demean_twoway(stack(Y, D, Z, X), tim)
        Y, D = parts[:, 0], parts[:, 1]
        Z = parts[:, 2] if Z is not None else None
        Xd = parts[:, 3 if Z is not None else 2 :]
        cnt = np.bincount(ent)
        xbar = np.vstack([np.bincount(ent, weights=Xd[:, j]) for j in range(Xd.shape[1])]).T / cnt[:, None]
        X = np.hstack([Xd, xbar[ent]])
        names += [f"mean_{c}" for c in names]
        if Z is None:  # Mundlak: the city mean of D too (linear balanced case = within estimator)
            dbar = np.bincount(ent, weights=D) / cnt
            X = np.hstack([X, dbar[ent][:, None]])
            names.append(f"mean_{d}")
    elif fe == "fd":
        tv = df[time].to_numpy()
        same = np.r_[False, (ent[1:] == ent[:-1]) & (np.diff(tv.astype(float)) == 1)]
        prev = np.r_[0, np.arange(len(df) - 1)]
        raw = stack(Y, D, Z)
        diff = (raw - raw[prev])[same]
        keep = np.flatnonzero(same)
        feats = np.hstack([X[same], X[prev][same]])
        tim_k = pd.factorize(df[time].to_numpy()[same])[0]
        parts = demean_twoway(np.hstack([diff, feats]), tim_k)
        k = raw.shape[1]
        Y, D = parts[:, 0], parts[:, 1]
        Z = parts[:, 2] if Z is not None else None
        X = parts[:, k:]
        names = names + [f"lag_{c}" for c in names]
        ent = ent[same]
        clusters = clusters[same] if clusters is not None else None
        if len(keep) == 0:
            _fail("fe_method='fd' found no consecutive years within an entity")
    # fe == "none": raw data
    if np.var(D) < 1e-14:
        _fail(f"treatment {d!r} has no variation left after fe_method={fe!r}; it is absorbed by the fixed effects")
    if Z is not None and np.var(Z) < 1e-14:
        _fail(f"instrument {instrument!r} has no variation left after fe_method={fe!r}")
    return dict(Y=Y, D=D, Z=Z, X=X, groups=ent, clusters=clusters, names=names, rows=df.index.to_numpy()[keep])


def _draw_folds(n: int, groups: np.ndarray | None, n_folds: int, n_rep: int, seed: int) -> list:
    """``n_rep`` lists of K (train, test) index tuples; by group if ``groups`` is given."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_rep):
        if groups is not None:
            ug = np.unique(groups)
            if len(ug) < n_folds:
                _fail(f"{len(ug)} clusters cannot be split into {n_folds} folds")
            fold_of_group = np.empty(ug.max() + 1, dtype=int)
            fold_of_group[rng.permutation(ug)] = np.arange(len(ug)) % n_folds
            fold = fold_of_group[groups]
        else:
            fold = np.empty(n, dtype=int)
            fold[rng.permutation(n)] = np.arange(n) % n_folds
        out.append([(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(n_folds)])
    return out


def _cluster_var(psi: np.ndarray, groups: np.ndarray | None, denom: float) -> float:
    """Variance of a mean-zero score sum divided by denom^2: the engine's cluster sums with ``G/(G-1)``
    (``small_sample(k_adj=False)``) if groups, else HC0 (doubleml's)."""
    n = len(psi)
    if groups is None:
        return float(np.sum(psi**2) / (n * denom) ** 2)
    codes, g = factorize(groups)          # clusters without rows (first differences) drop out
    sums = cluster_sums(psi, codes, g)
    factor, _ = small_sample("CR1", n, 0, g, k_adj=False)
    return float(factor * np.sum(sums**2) / (n * denom) ** 2)


@dataclass(frozen=True)
class RepetitionDesign:
    """What every cross-fitting repetition shares (plain data, so a repetition can run in another process)."""

    Y: np.ndarray
    D: np.ndarray
    Z: np.ndarray | None
    X: np.ndarray
    clusters: np.ndarray | None
    learner: Any
    learner_params: dict | None
    n_jobs: int | None
    n_folds: int
    seed: int


@dataclass(frozen=True)
class RepetitionTask:
    design: RepetitionDesign
    rep: int
    folds: list   # this repetition's K (train, test) index tuples, drawn up front by ``_draw_folds``


def fit_repetition(task: RepetitionTask) -> dict:
    """One cross-fitting repetition: its folds and learners' seed (``seed + rep``) are fixed before it runs,
    so a repetition gives the same numbers wherever it runs."""
    import doubleml as dml

    d, rep, folds = task.design, task.rep, task.folds
    Y, D, Z, X, cl = d.Y, d.D, d.Z, d.X, d.clusters
    pliv = Z is not None
    obj_data = dml.DoubleMLData.from_arrays(x=X, y=Y, d=D, z=Z)
    mk = lambda: make_learner(d.learner, d.seed + rep, d.learner_params, d.n_jobs)  # noqa: E731
    if pliv:
        model = dml.DoubleMLPLIV(obj_data, mk(), mk(), mk(), n_folds=d.n_folds, score="partialling out",
                                 draw_sample_splitting=False)
    else:
        model = dml.DoubleMLPLR(obj_data, mk(), mk(), n_folds=d.n_folds, score="partialling out",
                                draw_sample_splitting=False)
    model.set_sample_splitting([folds])
    model.fit(store_predictions=True)
    theta = float(model.coef[0])
    psi = model.psi[:, 0, 0]
    psi_a = model.psi_elements["psi_a"][:, 0, 0]
    j = float(np.mean(psi_a))
    if abs(j) < 1e-14:
        _fail("the residualised treatment (or instrument) is zero: the design is singular")
    var = _cluster_var(psi, cl, j)
    pred = model.predictions
    l_hat = pred["ml_l"][:, 0, 0]
    if pliv:
        r_hat = pred["ml_r"][:, 0, 0]
        targets = {"ml_l (E[Y|X])": (Y, l_hat), "ml_m (E[Z|X])": (Z, pred["ml_m"][:, 0, 0]),
                   "ml_r (E[D|X])": (D, r_hat)}
    else:
        r_hat = pred["ml_m"][:, 0, 0]
        targets = {"ml_l (E[Y|X])": (Y, l_hat), "ml_m (E[D|X])": (D, r_hat)}
    resid = (Y - l_hat) - theta * (D - r_hat)
    c = float(resid.mean())
    rmse_rows = [{"rep": rep, "fold": k, "nuisance": nuis,
                  "rmse": float(np.sqrt(np.mean((target[test] - hat[test]) ** 2))),
                  "target_sd": float(np.std(target[test]))}
                 for k, (_, test) in enumerate(folds) for nuis, (target, hat) in targets.items()]
    return {"theta": theta, "se": float(np.sqrt(var)), "const": c,
            "const_se": float(np.sqrt(_cluster_var(resid - c, cl, 1.0))), "rmse_rows": rmse_rows}


# ---------------------------------------------------------------------------------------------
# the estimator


def fit_dml(
    data: pd.DataFrame,
    *,
    y: str,
    d: str,
    controls: Sequence[str],
    entity: str | None = None,
    time: str | None = None,
    fe_method: Literal["within", "dummies", "cre", "fd", "none"] = "within",
    learner: str | Any = "rf",
    n_folds: int = 5,
    n_rep: int = 1,
    instrument: str | None = None,
    instrument_series: str | None = None,
    squared_controls: bool = False,
    cluster: str | None = "entity",
    seed: int = 0,
    learner_params: dict | None = None,
    constant: bool = True,
    folds: list | None = None,
    n_jobs: int | None = -1,
    progress: bool = True,
    missing: str = DEFAULT_MISSING,
    executor=None,
) -> DMLResult:
    """DML PLR (or PLIV with ``instrument``) on a panel; see the module docstring for every convention.

    Parameters
    ----------
    data : long panel, one row per entity-year.
    y, d, controls : outcome, treatment, control variables (the features of the nuisances).
    entity, time : panel keys (optional only with ``fe_method="none"`` and ``cluster=None``).
    fe_method : how the fixed effects of ``entity`` and ``time`` are removed, default ``"within"``.
    learner : ``"rf"``, ``"lasso"``, ``"gbm"``, ``"svm"``, ``"stack"``, ``"ols"`` or a scikit-learn regressor
        (used for every nuisance).
    n_folds, n_rep : K folds (study 001: 5) and cross-fitting repetitions (median aggregation).
    instrument : instrument column -> PLIV; ``instrument_series`` multiplies it by a national series
        column (the time-varying variant).
    squared_controls : add squared controls (study 001's Control2).
    cluster : column to cluster on, ``"entity"`` (the default) meaning the ``entity`` column: folds are
        drawn by cluster and the variance is cluster-robust; ``None``: random folds, doubleml's variance.
    seed : folds and learners' random state.
    learner_params : overrides of the learner's constructor arguments.
    constant : report the final-stage intercept as "Constant".
    folds : explicit sample splits (list over repetitions of lists of (train, test) row positions in
        the sorted, transformed data); overrides n_folds / n_rep / seed for the splits.
    missing : ``"drop"`` (default) drops rows missing the outcome, treatment, a control, the instrument or
        a key, listwise, with a warning and the count in ``info["n_dropped_na"]``; ``"raise"`` refuses them
        (``analysis.estimators.inputs``).
    executor : where the repetitions run, one task each (``None``: here, one after another; an
        ``ingestion.executor.Executor`` or a ``distributed.Client``); the folds are drawn first, so the
        numbers do not depend on it.
    """
    fe = fe_method
    data, n_na = _check_inputs(data, y, d, controls, entity, time, fe, instrument, instrument_series, cluster, missing)
    if cluster == "entity":
        cluster = entity
    if not isinstance(n_folds, (int, np.integer)) or n_folds < 2:
        _fail("n_folds must be an integer >= 2")
    if not isinstance(n_rep, (int, np.integer)) or n_rep < 1:
        _fail("n_rep must be a positive integer")
    if instrument_series is not None and instrument is None:
        _fail("instrument_series needs an instrument")
    prep = _prepare(data, y, d, controls, entity, time, fe, instrument, instrument_series, squared_controls,
                    cluster=cluster, cluster_folds=cluster is not None and folds is None)
    Y, D, Z, X = prep["Y"], prep["D"], prep["Z"], prep["X"]
    n = len(Y)
    cl = prep["clusters"]
    if folds is None:
        folds = _draw_folds(n, cl, n_folds, n_rep, seed)
    else:
        n_folds, n_rep = len(folds[0]), len(folds)
    pliv = Z is not None

    design = RepetitionDesign(Y, D, Z, X, cl, learner, learner_params, n_jobs, n_folds, seed)
    tasks = [RepetitionTask(design, rep, folds[rep]) for rep in range(n_rep)]
    with tqdm(total=n_rep, desc=f"DML {learner if isinstance(learner, str) else 'custom'}",
              disable=not progress) as bar:
        reps = resolve(executor).map(fit_repetition, tasks, on_result=lambda _i: bar.update(1))
    thetas, ses = [r["theta"] for r in reps], [r["se"] for r in reps]
    consts, const_ses = [r["const"] for r in reps], [r["const_se"] for r in reps]
    rmse_rows = [row for r in reps for row in r["rmse_rows"]]

    thetas_a, ses_a = np.array(thetas), np.array(ses)
    theta = float(np.median(thetas_a))
    se = float(np.sqrt(np.median(ses_a**2 + (thetas_a - theta) ** 2)))
    c_a, cse_a = np.array(consts), np.array(const_ses)
    c_med = float(np.median(c_a))
    c_se = float(np.sqrt(np.median(cse_a**2 + (c_a - c_med) ** 2)))
    params = {d: theta}
    bse = {d: se}
    if constant:
        params["Constant"], bse["Constant"] = c_med, c_se
    n_clusters = int(len(np.unique(cl))) if cl is not None else None
    lname = learner if isinstance(learner, str) else type(learner).__name__
    stats = {N_FOLDS: int(n_folds), N_REPETITIONS: int(n_rep)}
    if n_clusters:
        stats[N_CLUSTERS] = int(n_clusters)
    info = {
        "dep_var": y, "fe": [entity, time] if fe != "none" else [], "fe_method": fe, "learner": lname,
        "entity": entity, "time": time, "controls": list(controls),
        "vcov": "CR1 (score, G/(G-1))" if cluster is not None else "score (doubleml)",
        "n_folds": n_folds, "n_rep": n_rep, "cluster": cluster, "seed": seed, "n_dropped_na": n_na,
        "score": "partialling out", "model": "PLIV" if pliv else "PLR", "thetas": thetas_a, "ses": ses_a,
        "nuisance_rmse": pd.DataFrame(rmse_rows), "folds": folds, "features": prep["names"],
        "instrument": instrument, "instrument_series": instrument_series,
        "squared_controls": squared_controls, "rows": prep["rows"],
        "City FE": "Yes" if fe != "none" else "No", "Time FE": "Yes" if fe != "none" else "No",
        # the indicator rows printed under study 001's tables
        "table_rows": {"Control": "Yes", "Control2": "Yes" if squared_controls else "No",
                       "City FE": "Yes" if fe != "none" else "No", "Time FE": "Yes" if fe != "none" else "No",
                       "Dml": LEARNER_LABELS.get(lname, lname)},
    }
    return DMLResult(
        params=pd.Series(params), bse=pd.Series(bse), nobs=n,
        model="DML-PLIV" if pliv else "DML-PLR",
        df_resid=float(n_clusters - 1) if n_clusters else None,
        stats=stats, info=info,
    )

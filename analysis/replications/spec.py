"""Declarative table specifications and the one runner that turns them into :class:`analysis.tables.Table`.

A study module (``s004.py`` ...) declares ``STUDY = StudySpec(...)``: the panel it reads, its sample
window, a ``prepare`` function deriving study-specific columns (group flags, lags), and its tables, each
a tuple of :class:`ColumnSpec` (dependent, regressors, controls, FE, estimator, window, filters,
options, which of our terms print on which of the study's rows, and which planted truth sits beside a
row). Estimation is a pure function of (panel, column spec) in :func:`estimate`; row order and the
statistic rows come from the study's YAML extract, so a replicated table has the printed rows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.estimators.base import EstimationResult
from analysis.estimators.statistics import ADJ_R2
from ingestion.settings import truth_file
from analysis.tables import Column, Table, column_from_result, published_table

__all__ = ["ColumnSpec", "TableSpec", "StudySpec", "RunContext", "run_table", "estimate", "sample", "coverage_note",
           "printed_n", "find_truth", "world_label"]


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a study table.

    estimator: ``fe`` (panel.fit_fe), ``iv`` (iv.fit_iv, second stage), ``iv_first`` (its first
    stage), ``gmm`` (gmm.fit_system_gmm), ``threshold`` (threshold.fit_threshold), ``split``
    (heterogeneity.compare_groups; ``options["by"]`` and ``options["group"]`` pick the side).
    rename: our term -> the study's printed row label. truth: printed row label -> key of
    ``truth.json`` ``parameters`` (a dotted index such as ``kappa.0`` picks a list element).
    """

    label: str
    dependent: str
    regressors: tuple[str, ...]
    controls: tuple[str, ...] = ()
    fe: tuple[str, ...] = ("adcode", "year")
    estimator: str = "fe"
    window: tuple[int, int] | None = None
    filters: str | None = None
    exclude_ever: tuple[str, ...] = ()
    winsorize: float | None = None
    instruments: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    rename: Mapping[str, str] = field(default_factory=dict)
    truth: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TableSpec:
    id: str
    title: str
    columns: tuple[ColumnSpec, ...]
    notes: tuple[str, ...] = ()
    figure: Callable | None = None     # figure(table_results, out_dir, ctx) -> list[Path]
    build: Callable | None = None      # custom layout: build(panel, spec, study, ctx) -> (Table, results)


@dataclass(frozen=True)
class StudySpec:
    study: str
    title: str
    unit: str                     # "city" | "province"
    entity: str                   # panel key
    window: tuple[int, int]
    tables: tuple[TableSpec, ...]
    prepare: Callable[[pd.DataFrame, Path], pd.DataFrame] | None = None   # (panel, warehouse) -> panel
    variables: Mapping[str, str] = field(default_factory=dict)   # study symbol -> mart column (and why)
    figures: tuple[Callable, ...] = ()                          # fig(panel, out_dir, ctx) -> list[Path]


@dataclass
class RunContext:
    """What a run knows besides the panel: the warehouse, planted truth, seed and test-only overrides.

    ``fast`` holds small draw counts (``n_boot``, ``n_perm``) passed ONLY by the test suite so that the
    tiny world runs in seconds; ``None`` keeps every study's own numbers.
    """

    warehouse: Path
    truth: Mapping[str, Any] | None = None
    seed: int = 20240601
    fast: Mapping[str, int] | None = None
    echo: Callable[..., None] = print
    cache: dict = field(default_factory=dict)

    def draws(self, name: str, default: int) -> int:
        return int(self.fast[name]) if self.fast and name in self.fast else default

    def truth_value(self, key: str):
        if not self.truth:
            return None
        params = self.truth.get("parameters", {})
        head, *rest = key.split(".")
        if head not in params:
            return None
        value = params[head]["value"] if isinstance(params[head], dict) and "value" in params[head] else params[head]
        for part in rest:
            value = value[int(part)] if isinstance(value, list) else value.get(part)
        return value


def find_truth(warehouse: Path) -> dict | None:
    """``truth.json`` of the sample world: ``$DUALCARBON_TRUTH``, else a ``sources/truth.json`` next to
    the warehouse or one level up (``dualcarbon run`` layout), else None (real data)."""
    named = truth_file()
    candidates = [named] if named else []
    w = Path(warehouse).resolve()
    candidates += [w.parent / "truth.json", w.parent / "sources" / "truth.json",
                   w.parent.parent / "sources" / "truth.json", Path("work/sources/truth.json").resolve()]
    for c in candidates:
        if c.is_file():
            return json.loads(c.read_text(encoding="utf-8"))
    return None


def world_label(truth: Mapping | None) -> str | None:
    """``"default (seed 20240601)"`` for a sample world's truth.json, None for real data."""
    if not truth:
        return None
    value = {k: v.get("value") if isinstance(v, dict) else v for k, v in truth.items() if k in ("world", "seed")}
    return f"{value.get('world')} (seed {value.get('seed')})"


# ---------------------------------------------------------------- sample
def sample(panel: pd.DataFrame, col: ColumnSpec, study: StudySpec) -> pd.DataFrame:
    """Window, filters, exclusions (units ever flagged), complete cases, then winsorising."""
    lo, hi = col.window or study.window
    d = panel[(panel["year"] >= lo) & (panel["year"] <= hi)]
    if col.filters:
        d = d.query(col.filters)
    for flag in col.exclude_ever:
        ever = d.groupby(study.entity)[flag].transform("max") > 0
        d = d[~ever]
    need = [col.dependent, *col.regressors, *col.controls, *col.instruments, *col.options.get("need", ())]
    d = d.dropna(subset=list(dict.fromkeys(need))).reset_index(drop=True)
    if col.winsorize:
        from analysis.estimators.panel import winsorize

        cols = [c for c in dict.fromkeys([col.dependent, *col.regressors, *col.controls])
                if pd.api.types.is_float_dtype(d[c])]
        d = winsorize(d, cols, lower=col.winsorize)
    return d


def _formula(col: ColumnSpec, fe: Sequence[str]) -> str:
    rhs = " + ".join([*col.regressors, *col.controls]) or "1"
    return f"{col.dependent} ~ {rhs}" + (f" | {' + '.join(fe)}" if fe else "")


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


# ---------------------------------------------------------------- estimate
def estimate(data: pd.DataFrame, col: ColumnSpec, study: StudySpec, ctx: RunContext) -> EstimationResult:
    """Fit one column. Pure in (data, spec) apart from the cache shared by paired split columns."""
    opts = dict(col.options)
    vcov = opts.get("vcov")
    cluster = opts.get("cluster")
    fe = col.fe
    if col.estimator == "fe":
        from analysis.estimators.panel import fit_fe

        res = fit_fe(data, _formula(col, fe), cluster=cluster, vcov=vcov)
        return with_constant(res, data, col.dependent)
    if col.estimator in ("iv", "iv_first"):
        from analysis.estimators.iv import fit_iv

        key = ("iv", col.dependent, col.regressors, col.controls, col.instruments, len(data))
        if key not in ctx.cache:
            exog = " + ".join(col.controls) or "1"
            f = (f"{col.dependent} ~ {exog}" + (f" | {' + '.join(fe)}" if fe else "")
                 + f" | {' + '.join(col.regressors)} ~ {' + '.join(col.instruments)}")
            ctx.cache[key] = fit_iv(data, f, cluster=cluster, vcov=vcov)
        res = ctx.cache[key]
        if col.estimator == "iv_first":
            first = res.info["first_stage"][col.regressors[0]]
            first = EstimationResult(first.params, first.bse, first.nobs, first.model, first.df_resid,
                                     {**first.stats, "R2": first.stats.get("partial_R2", np.nan)}, first.info)
            return with_constant(first, data, col.regressors[0])
        return with_constant(res, data, col.dependent)
    if col.estimator == "gmm":
        from analysis.estimators.gmm import fit_system_gmm

        return fit_system_gmm(data, y=col.dependent, entity=study.entity, time="year", exog=col.controls,
                              endog=col.regressors, **{k: v for k, v in opts.items() if k not in ("vcov", "cluster", "need")})
    if col.estimator == "threshold":
        from analysis.estimators.threshold import fit_threshold

        x, q = col.regressors[0], opts.get("q", col.regressors[0])
        res = fit_threshold(data, y=col.dependent, regime_x=x, q=q,
                            controls=col.controls, entity=study.entity, time="year",
                            n_thresholds=opts.get("n_thresholds", 3), trim=opts.get("trim", 0.05),
                            grid=opts.get("grid", 300), n_boot=ctx.draws("n_boot", opts.get("n_boot", 300)),
                            seed=ctx.seed, cluster=opts.get("cluster_threshold"), progress=False)
        # regime regressors x * 1(gamma_{r-1} < q <= gamma_r), so that the printed constant can be formed
        edges = [-np.inf, *res.thresholds, np.inf]
        d2 = data.copy()
        for r in range(len(edges) - 1):
            d2[f"{x}_regime{r + 1}"] = d2[x] * ((d2[q] > edges[r]) & (d2[q] <= edges[r + 1]))
        out = with_constant(res, d2, col.dependent)
        return EstimationResult(out.params, out.bse, out.nobs, out.model, out.df_resid,
                                {**out.stats, "thresholds": ", ".join(f"{t:.3f}" for t in res.thresholds)},
                                {**res.info, "threshold_result": res}, out.cov)
    if col.estimator == "psm":
        from analysis.estimators.did import psm_did

        by = opts.get("by", "pooled")
        kw = dict(y=col.dependent, treat=col.regressors[0], entity=study.entity, time="year",
                  covariates=col.controls, cluster=cluster, seed=ctx.seed)
        try:
            res = psm_did(data, by=by, **kw)
        except ValueError as exc:   # year-by-year logits separate on a small world: pool the years
            if by == "pooled":
                raise
            ctx.echo(f"    PSM by {by} failed ({str(exc)[:80]}...); pooled matching instead")
            res, by = psm_did(data, by="pooled", **kw), "pooled"
        plain = EstimationResult(res.params, res.bse, res.nobs, res.model, res.df_resid,
                                 {**res.stats, "matching": by}, res.info, res.cov)
        return with_constant(plain, res.matched, col.dependent)
    if col.estimator == "dml":
        from analysis.estimators.dml import fit_dml

        return fit_dml(data, y=col.dependent, d=col.regressors[0], x=list(col.controls), entity=study.entity,
                       time="year", learner=opts.get("learner", "rf"), n_folds=opts.get("n_folds", 5),
                       squared_controls=opts.get("squared", False), instrument=opts.get("instrument"),
                       instrument_series=opts.get("instrument_series"), seed=ctx.seed, progress=False,
                       learner_params=_fast_learner(opts, ctx), n_jobs=1 if len(data) < 2000 else -1)
    if col.estimator == "split":
        from analysis.estimators.heterogeneity import compare_groups

        by = opts["by"]
        key = ("split", by, col.dependent, col.regressors, col.controls, len(data))
        if key not in ctx.cache:
            ctx.cache[key] = compare_groups(data, _formula(col, fe), by=by, coef=col.regressors[0], cluster=cluster,
                                            vcov=vcov, n_perm=ctx.draws("n_perm", opts.get("n_perm", 1000)),
                                            seed=ctx.seed, progress=False)
        comp = ctx.cache[key]
        group = opts["group"]
        part = data[data[by] == group]
        fit = with_constant(comp.fits[group], part, col.dependent)
        stats = dict(fit.stats)
        if opts.get("test"):
            stats["between_p"] = comp.perm_pvalue
            stats["suest_p"] = comp.suest_pvalue
        return EstimationResult(fit.params, fit.bse, fit.nobs, fit.model, fit.df_resid, stats, fit.info, fit.cov)
    raise ValueError(f"unknown estimator {col.estimator!r} in column {col.label!r}")


def _fast_learner(opts: Mapping, ctx: RunContext) -> dict | None:
    """Learner overrides: the column's own, or (tests only, ``fast["n_trees"]``) fewer trees."""
    params = dict(opts.get("learner_params") or {})
    if ctx.fast and "n_trees" in ctx.fast and opts.get("learner", "rf") in ("rf", "gbm"):
        params["n_estimators"] = int(ctx.fast["n_trees"])
    return params or None


# ---------------------------------------------------------------- statistic rows
def stat_value(name: str, res: EstimationResult, col: ColumnSpec) -> Any:
    """Our value for a printed statistic row, recognised by its printed name."""
    n = name.lower()
    s = res.stats
    if name in col.options.get("stats", {}):      # a column states this row itself (e.g. the learner)
        return col.options["stats"][name]
    if n in ("obs", "observations"):
        return int(res.nobs)
    if n.startswith("control"):
        return "Yes" if col.controls else "No"
    if n == "year":
        return "Yes" if "year" in col.fe else "No"
    if n in ("province", "city"):
        return "Yes" if [f for f in col.fe if f != "year"] else "No"
    if n == "f":   # first-stage F of the excluded instruments for IV, else the Wald F of all slopes
        if col.estimator == "iv":
            return s.get("first_stage_F")
        V = res.cov
        if V is None:
            return None
        terms = [t for t in V.index if t != "_cons"]
        b = res.params[terms].to_numpy()
        return float(b @ np.linalg.solve(V.loc[terms, terms].to_numpy(), b) / len(terms))
    if "fixed" in n or "fe" == n:
        return "Yes" if (col.fe or col.estimator in ("threshold", "gmm")) else "No"
    if n.startswith("adj"):
        if ADJ_R2 in s:
            return s[ADJ_R2]
        k = res.info.get("df_k")
        r2 = s.get("R2")
        return 1 - (1 - r2) * (res.nobs - 1) / (res.nobs - k) if k and r2 is not None and res.nobs > k else None
    if n in ("r²", "r2", "r-squared"):
        return s.get("R2_within") if col.options.get("r2") == "within" and "R2_within" in s else s.get("R2")
    if n == "n":
        return int(res.nobs)
    if "kleibergen-paap rk lm" in n:
        return s.get("KP_rk_LM")
    if "kleibergen-paap rk wald f" in n:
        return s.get("KP_rk_Wald_F")
    if "cragg-donald" in n:
        return s.get("Cragg_Donald_F")
    if n.startswith("ar(1)"):
        return s.get("AR1_p")
    if n.startswith("ar(2)"):
        return s.get("AR2_p")
    if "hansen" in n:
        return s.get("Hansen_J_p")
    if "between-group" in n or "difference test" in n:
        return s.get("between_p")
    if n == "thresholds":
        return s.get("thresholds")
    return col.options.get("stats", {}).get(name)


N_ROWS = ("n", "obs", "observations", "obs.", "number of observations")


def printed_n(pub: Mapping | None, position: int) -> int | None:
    """The study's printed sample size of its ``position``-th column (None when not printed)."""
    for stat in (pub or {}).get("stats", []):
        if str(stat["name"]).strip().lower() in N_ROWS and position < len(stat.get("values", [])):
            try:
                return int(float(stat["values"][position]))
            except (TypeError, ValueError):
                return None
    return None


def coverage_note(label: str, data: pd.DataFrame, ours: int, study: StudySpec, printed: int | None) -> str | None:
    """Why our N differs from the printed one: the units and years of this world's estimation sample."""
    if printed is None or ours == printed:
        return None
    units, years = data[study.entity].nunique(), data["year"].nunique()
    lo, hi = int(data["year"].min()), int(data["year"].max())
    balance = "balanced" if units * years == len(data) else f"unbalanced, {len(data):,} rows"
    dropped = f"; {len(data) - ours:,} rows dropped by the estimator" if len(data) != ours else ""
    return (f"{label}: N {ours:,} vs printed {printed:,}: this world's sample has {units:,} {study.unit} units x "
            f"{years} years ({lo}-{hi}, {balance}){dropped}.")


def run_table(panel: pd.DataFrame, spec: TableSpec, study: StudySpec, ctx: RunContext) -> tuple[Table, list[EstimationResult]]:
    """Estimate every column of ``spec`` and lay them out with the printed rows and statistics."""
    if spec.build is not None:
        return spec.build(panel, spec, study, ctx)
    pub = published_table(study.study, spec.id)
    results, columns, notes_extra = [], [], []
    for col in spec.columns:
        data = sample(panel, col, study)
        try:
            res = estimate(data, col, study, ctx)
        except (ValueError, np.linalg.LinAlgError) as exc:   # too few units in this world's sample
            if col.estimator == "split":
                data = data[data[col.options["by"]] == col.options["group"]]
            notes_extra.append(f"{col.label}: not estimable on this sample (N = {len(data)}): {str(exc)[:160]}")
            ctx.echo(f"    {spec.id} {col.label}: not estimable (N = {len(data)})")
            results.append(None)
            columns.append(Column(col.label, stats={"N": len(data)}))
            continue
        if col.estimator == "psm" and res.stats.get("matching") != col.options.get("by", "pooled"):
            notes_extra.append(f"{col.label}: matching by {col.options.get('by')} separates perfectly on this "
                               f"sample; pooled matching used instead.")
        rename = dict(col.rename)
        if col.estimator == "threshold":   # regimes print by position
            regimes = [t for t in res.params.index if "_regime" in t]
            rename = {t: lab for t, lab in zip(regimes, col.options.get("regime_rows", ()))} | rename
        results.append(res)
        fitted = data[data[col.options["by"]] == col.options["group"]] if col.estimator == "split" else data
        note = coverage_note(col.label, fitted, int(res.nobs), study, printed_n(pub, len(columns)))
        if note:
            notes_extra.append(note)
        stat_names = [s["name"] for s in (pub or {}).get("stats", [])] or ["N", "R²"]
        stats = {name: stat_value(name, res, col) for name in stat_names}
        truth = {row: ctx.truth_value(key) for row, key in col.truth.items()} if ctx.truth else {}
        truth = {k: v for k, v in truth.items() if v is not None}
        columns.append(column_from_result(col.label, res, rename=rename, stats=stats, truth=truth))
    rows = [str(r["term"]) for r in (pub or {}).get("rows", [])]
    for c in columns:
        rows += [r for r in c.coefs if r not in rows]
    stat_rows = [s["name"] for s in (pub or {}).get("stats", [])] or ["N", "R²"]
    notes = list(spec.notes) + notes_extra
    if pub and pub.get("note"):
        notes.append("Printed note: " + str(pub["note"]))
    table = Table(study.study, spec.id, spec.title, columns, rows, stat_rows, notes, pub)
    return table, results

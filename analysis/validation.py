"""Does the pipeline recover the planted truth? The declared list of planted parameters, the estimator
that targets each, and the Monte Carlo summary over sample worlds.

``dualcarbon validate`` (``dualcarbon/validate.py``) draws K sample worlds (seeds), runs each through the
whole pipeline (sample -> ingest -> dbt build of :data:`MARTS_READ`) and calls :func:`estimate_targets` on
its warehouse and ``truth.json``; :func:`summarise` gives bias and coverage per parameter.

Each :class:`Target` names a planted parameter, the column (a
:class:`~analysis.replications.spec.ColumnSpec`: dependent, regressors, controls, FE, estimator) whose
fit targets it, the term of that fit, and the planted counterpart (a declaration of
:mod:`analysis.replications.truth`: a ``truth.json`` parameter, or an average effect from the effects
panel over the fit's sample). The fits go through the replications' adapters, so the estimators run here
exactly as in the studies' tables. A target whose design cannot recover its truth says so in ``note``
(and the summary keeps it, with its bias, rather than leaving it out).

Outputs (:func:`write`): ``truth_recovery.csv`` (parameter, truth, seed, estimate, std_error, ci_low,
ci_high, covered, plus the estimator), ``summary.csv`` and ``summary.md`` (per parameter: mean truth,
mean estimate, bias, relative bias, RMSE, mean SE against the SD of the estimates, coverage of the 95%
intervals, seeds).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from analysis.replications.adapters import adapter
from analysis.replications.context import RunContext
from analysis.replications.sample import sample
from analysis.replications.spec import ColumnSpec as C, StudySpec
from analysis.replications import s000, s001, s003, s004
from analysis.replications.truth import Effect, Param, TruthResolver

__all__ = ["Target", "TARGETS", "MARTS_READ", "estimate_targets", "summarise", "write", "RECORD_COLUMNS"]

# the marts the targets read: ``dualcarbon validate`` builds these (and what they depend on) only
MARTS_READ = ("dim_city", "fct_city_year", "fct_province_year", "mart_spatial_weights", "mart_pollution_index_weights")
RECORD_COLUMNS = ("parameter", "truth", "seed", "estimate", "std_error", "ci_low", "ci_high", "covered",
                  "estimator")

CITY = StudySpec(study="validation", title="planted truth", unit="city", entity="adcode", window=(0, 9999), tables=())
PROVINCE = StudySpec(study="validation", title="planted truth", unit="province", entity="province_adcode",
                     window=(0, 9999), tables=())

A, R = "ln_ai_firms", "ln_robot_exposure"
SO2_FIT = C("ln SO2 SDM", "ln_industrial_so2", (A, "ln_gdp_per_capita"), estimator="sdm",
            options={"effects": "twoways"})
SO2_INDIVIDUAL = C("ln SO2 SDM, individual FE", "ln_industrial_so2", (A, "ln_gdp_per_capita"), estimator="sdm",
                   options={"effects": "individual"})
# the planted CO2 equation itself: regimes of A, the mediators, the controls and the policies, year dummies;
# on the cities whose territory is the boundary vintage's in every year (fct_city_year.boundary_break): EDGAR
# CO2 is summed over the vintage's polygon, while a yearbook reports a city before a split or transfer on
# its territory of that year, and those jumps are most of ln population's within-city variation
CO2_FIT = C("ln CO2 threshold", "ln_co2_edgar_10k_t", (A,),
            ("ln_green_applications", "tertiary_share", "secondary_share", "ln_gdp_per_capita", "ln_pop_resident",
             "smart_city_pilot", "ai_pilot", R), estimator="threshold", exclude_ever=("boundary_break",),
            options={"time_effects": True, "n_boot": 0, "n_thresholds": 3, "grid": None})
GREEN_FIT = C("green", "ln_green_applications", (A,), ("ln_gdp_per_capita",), options={"cluster": "adcode"})
INS_FIT = C("tertiary", "tertiary_share", (A,), (), options={"cluster": "adcode"})
PILOT_CS = C("pilot CS", "ln_co2_ceads_10k_t", ("ai_pilot",), (), estimator="cs",
             options={"cohort": "ai_pilot_cohort", "aggregate": "simple"})
PILOT_TWFE = C("pilot TWFE", "ln_co2_ceads_10k_t", ("ai_pilot",), (), options={"cluster": "adcode"})
# the studies' headline specifications, with their own controls and windows (the study modules)
ROBOT_PROVINCE = C("province robots", s003.CO2, (s003.AI,), s003.CONTROLS, fe=s003.FE, window=s003.STUDY_WINDOW,
                   options={"cluster": "province_adcode"})
INDEX_001 = C("study 001 index", s001.EI, (R,), s001.CONTROLS, estimator="dml", window=s001.STUDY_WINDOW,
              options={"learner": "rf", "n_folds": 5, "squared": True})
CI_004 = C("study 004 carbon intensity", s004.Y, (A,), s004.CONTROLS, window=s004.STUDY_WINDOW,
           options={"cluster": "adcode"})
INDEX_000 = C("study 000 index", s000.POLLUTION, (A,), s000.CONTROLS, estimator="sdm", window=s000.STUDY_WINDOW,
              options={"effects": "individual"})

JUMPS = ("a linear fit also picks up the upward jumps of ln CO2 where A crosses a threshold (x = q = A), "
         "which the derivative excludes")


@dataclass(frozen=True)
class Target:
    """A planted parameter, the column whose fit targets it, the term of the fit, its planted counterpart."""

    parameter: str
    estimator: str
    column: C
    term: str
    truth: Any
    study: StudySpec = CITY
    note: str = ""


def _kappa(r: int) -> Target:
    return Target(f"kappa_{r + 1}", "Hansen threshold (x = q = A, every value of A a candidate), city FE + year "
                  "dummies, ln EDGAR CO2 with the planted equation's regressors, cities without a boundary break; "
                  "95% LR set", CO2_FIT,
                  f"threshold_{r + 1}", Param(f"kappa.{r}"))


def _regime(r: int) -> Target:
    return Target(f"beta_regime_{r + 1}", "the same threshold fit: slope of regime r", CO2_FIT,
                  f"{A}_regime{r + 1}", Param(f"beta_regime.{r}"))


TARGETS: tuple[Target, ...] = (
    Target("rho_so2", "SDM, two-way FE (ML, Lee-Yu), ln SO2 on A and ln GDP per capita, the mart's "
           "inverse-distance W", SO2_FIT, "rho", "rho_so2"),
    Target("beta_so2", "the same SDM: A", SO2_FIT, A, "beta_so2"),
    Target("theta_so2", "the same SDM: W x A", SO2_FIT, f"W*{A}", "theta_so2"),
    Target("gamma_so2", "the same SDM: ln GDP per capita", SO2_FIT, "ln_gdp_per_capita", "gamma_so2"),
    Target("so2_total_effect_of_ai", "the same SDM: LeSage-Pace total effect of A (simulated draws)", SO2_FIT,
           f"total:{A}", Effect(A, "ln_industrial_so2", spatial="total"),
           note="with time effects a dense inverse-distance W leaves little variation to tell rho from the year "
                "effects, and the total effect (beta + theta) / (1 - rho) magnifies rho's error"),
    Target("rho_so2 (individual FE)", "SDM, individual FE only (study 000's effects), ln SO2, the same W",
           SO2_INDIVIDUAL, "rho", "rho_so2",
           note="individual effects leave the planted common year path in the errors: rho drifts toward 1 "
                "(returned at the edge with a profile-likelihood interval where the likelihood peaks there)"),
    *(_kappa(r) for r in range(3)),
    *(_regime(r) for r in range(4)),
    Target("b_green", "the same threshold fit: ln(1 + green applications)", CO2_FIT, "ln_green_applications",
           "b_green"),
    Target("b_ins", "the same threshold fit: tertiary share", CO2_FIT, "tertiary_share", "b_ins"),
    Target("b_robot_co2", "the same threshold fit: R = ln(1 + robot exposure)", CO2_FIT, R, "b_robot_co2"),
    Target("smart_city_effect", "the same threshold fit: smart-city pilot", CO2_FIT, "smart_city_pilot",
           "smart_city_effect"),
    Target("elasticity_ln_pgdp", "the same threshold fit: ln GDP per capita", CO2_FIT, "ln_gdp_per_capita",
           "elasticity_ln_pgdp"),
    Target("elasticity_ln_pop", "the same threshold fit: ln resident population", CO2_FIT, "ln_pop_resident",
           "elasticity_ln_pop"),
    Target("a_green (average effect)", "TWFE, ln(1 + green applications) on A and ln GDP per capita, "
           "city-clustered", GREEN_FIT, A, Effect(A),
           note="ln(1 + a whole count floored at zero) is a step function of A for small counts: the linear "
                "fit follows the cities leaving the floor, the average derivative counts the floored ones as 0"),
    Target("a_ins (average effect)", "TWFE, tertiary share on A, city-clustered", INS_FIT, A, Effect(A)),
    Target("pilot ATT on ln CO2", "Callaway-Sant'Anna simple ATT (never-treated comparison), ln CEADs CO2",
           PILOT_CS, "ATT", Effect("ai_pilot"),
           note="twelve treated cities (nine inside the CEADs years): the normal interval of the analytic SE is "
                "too narrow for so few, and the comparison cities are smaller, with their own noise in trends"),
    Target("pilot ATT on ln CO2 (TWFE)", "TWFE DID (study 002's estimator), ln CEADs CO2, city-clustered",
           PILOT_TWFE, "ai_pilot", Effect("ai_pilot"),
           note="TWFE weights the growing event-time effects unevenly (Goodman-Bacon 2021): biased for the ATT"),
    Target("b_robot", "province TWFE, ln IPCC CO2 on robot exposure with study 003's controls, "
           "province-clustered", ROBOT_PROVINCE, "robot_exposure", "b_robot", study=PROVINCE),
    Target("study 001: index effect of R", "DML PLR (RF, K = 5, squared controls, within-transformed city "
           "and year effects), study 001's EI on R, 2009-2023", INDEX_001, R, Effect(R)),
    Target("study 004: carbon intensity effect of A", "TWFE, carbon intensity on A with study 004's controls, "
           "2011-2023, city-clustered", CI_004, A, Effect(A),
           note="a linear fit of a level outcome (CO2 / GDP) on a log-linear world: its weights differ from the "
                "average effect's, and " + JUMPS),
    Target("study 000: index direct effect of A", "SDM, individual FE, study 000's index and controls, "
           "2013-2022, inverse-distance W: LeSage-Pace direct effect", INDEX_000, f"direct:{A}",
           Effect(A, spatial="direct"),
           note="the index is not generated by an SDM (its components follow ln SO2, which is), and individual "
                "effects leave the common year path in the errors"),
)


def _prepare_city(panel: pd.DataFrame) -> pd.DataFrame:
    """Columns the targets need beyond the mart: ln resident population."""
    return panel.assign(ln_pop_resident=np.log(panel["pop_resident_10k"]))


def _estimate(res, term: str, rows: pd.DataFrame, col: C) -> tuple[float, float, float, float]:
    """(estimate, std_error, ci_low, ci_high) of ``term`` in a fit. Threshold k: its 95% LR set, as the
    thresholds that split the sample as its points do: a split at g puts q <= g in the lower regime, so
    every threshold from g up to the next distinct value of q gives the same fit (q = ln(1 + firms) is
    discrete); the set [lower, next q value above upper) is what the data identify."""
    if term.startswith("threshold_"):
        thr = res.info["threshold_result"].conf_int_thresholds
        row = thr.iloc[int(term.split("_")[1]) - 1]
        q = np.unique(rows[col.options.get("q", col.regressors[0])].to_numpy(float))
        above = q[q > row["upper"]]
        return float(row["threshold"]), np.nan, float(row["lower"]), float(above[0] if len(above) else row["upper"])
    ci = res.info.get("conf_int")
    ci = ci if isinstance(ci, pd.DataFrame) else res.conf_int()
    return (float(res.params[term]), float(res.bse[term]), float(ci.loc[term, "lower"]),
            float(ci.loc[term, "upper"]))


def estimate_targets(warehouse: Path, truth: Mapping, *, targets=TARGETS, fast: Mapping[str, int] | None = None,
                     echo: Callable[..., None] = print) -> list[dict]:
    """One record per target (see :data:`RECORD_COLUMNS`) for the world ``truth`` in ``warehouse``: each
    column fitted once by its replication adapter, each truth resolved on that fit's sample. A fit that
    fails leaves its targets' estimates empty (with the error in ``error``)."""
    from analysis.marts import load_city_panel, load_province_panel

    seed = truth.get("seed")
    ctx = RunContext(warehouse=Path(warehouse), truth=truth, seed=int(seed or 0), fast=fast, echo=echo)
    panels = {"city": _prepare_city(load_city_panel(warehouse)), "province": load_province_panel(warehouse)}
    resolvers = {unit: TruthResolver(truth, Path(warehouse), panel) for unit, panel in panels.items()}
    fits: dict[str, tuple[Any, pd.DataFrame | None, str]] = {}
    records = []
    for t in targets:
        unit = t.study.unit
        key = f"{unit}:{t.column.label}"
        if key not in fits:
            fitter = adapter(t.column.estimator)
            data = sample(panels[unit], t.column, t.study)
            try:
                fits[key] = (fitter.fit(data, t.column, t.study, ctx), fitter.fitted_rows(data, t.column), "")
            except (ValueError, np.linalg.LinAlgError) as exc:
                fits[key] = (None, fitter.fitted_rows(data, t.column), f"{type(exc).__name__}: {exc}"[:300])
                echo(f"  {t.column.label}: not estimable ({exc})")
        res, rows, error = fits[key]
        planted = resolvers[unit].resolve(t.truth, rows, t.column.dependent).value
        est = _estimate(res, t.term, rows, t.column) if res is not None else (np.nan,) * 4
        covered = bool(est[2] <= planted <= est[3]) if res is not None and planted is not None else None
        records.append({"parameter": t.parameter, "truth": planted, "seed": seed, "estimate": est[0],
                        "std_error": est[1], "ci_low": est[2], "ci_high": est[3], "covered": covered,
                        "estimator": t.estimator, "error": error})
    return records


def summarise(records: pd.DataFrame, targets=TARGETS) -> pd.DataFrame:
    """Per parameter, in the declared order: estimator, mean truth, mean and median estimate, bias (mean of
    estimate - truth) and median bias (robust to a seed whose estimate explodes, as an SDM total effect with
    rho near one), relative bias, RMSE, mean SE, SD of the estimates, coverage of the 95% intervals, seeds,
    note."""
    notes = {t.parameter: t.note for t in targets}
    rows = []
    for parameter, g in records.groupby("parameter", sort=False):
        ok = g.dropna(subset=["estimate", "truth"])
        err = ok["estimate"] - ok["truth"]
        truth = ok["truth"].mean()
        rows.append({"parameter": parameter, "estimator": g["estimator"].iloc[0], "truth": truth,
                     "mean_estimate": ok["estimate"].mean(), "median_estimate": ok["estimate"].median(),
                     "bias": err.mean(), "median_bias": err.median(),
                     "relative_bias": err.mean() / abs(truth) if len(ok) and truth else np.nan,
                     "rmse": float(np.sqrt((err ** 2).mean())) if len(ok) else np.nan,
                     "mean_std_error": ok["std_error"].mean(), "sd_estimate": ok["estimate"].std(ddof=1),
                     "coverage": ok["covered"].astype(float).mean() if len(ok) else np.nan,
                     "seeds": len(ok), "seeds_failed": int(len(g) - len(ok)), "note": notes.get(parameter, "")})
    order = {t.parameter: i for i, t in enumerate(targets)}
    return pd.DataFrame(rows).sort_values("parameter", key=lambda s: s.map(order)).reset_index(drop=True)


def to_markdown(summary: pd.DataFrame, meta: Mapping[str, Any] | None = None) -> str:
    """The summary as a Markdown table (one row per planted parameter, with its estimator)."""
    def num(v, digits=4):
        return "" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.{digits}f}"

    head = ["# Does the pipeline recover the planted truth?", ""]
    if meta:
        head += [f"World `{meta.get('world')}`, seeds {meta.get('seeds')}: each seed sampled, ingested, built "
                 "and estimated from scratch.", ""]
    lines = head + ["| parameter | estimator | truth | mean estimate | bias | median bias | rel. bias | RMSE | "
                    "mean SE | SD | coverage (95%) | seeds | note |",
                    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in summary.itertuples(index=False):
        cov = "" if not np.isfinite(r.coverage) else f"{r.coverage:.0%}"
        lines.append(f"| {r.parameter} | {r.estimator} | {num(r.truth)} | {num(r.mean_estimate)} | {num(r.bias)} | "
                     f"{num(r.median_bias)} | {num(r.relative_bias, 2)} | {num(r.rmse)} | {num(r.mean_std_error)} | "
                     f"{num(r.sd_estimate)} | {cov} | {r.seeds} | {r.note} |")
    return "\n".join(lines) + "\n"


def write(records: list[dict], out: Path, meta: Mapping[str, Any] | None = None, targets=TARGETS) -> dict[str, Path]:
    """``truth_recovery.csv``, ``summary.csv``, ``summary.md`` (and ``validation.json`` with ``meta``) under
    ``out``; returns their paths."""
    import json

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(records)
    cols = [*RECORD_COLUMNS, *[c for c in frame.columns if c not in RECORD_COLUMNS]]
    frame = frame[cols]
    summary = summarise(frame, targets)
    paths = {"records": out / "truth_recovery.csv", "summary": out / "summary.csv", "markdown": out / "summary.md",
             "meta": out / "validation.json"}
    frame.to_csv(paths["records"], index=False)
    summary.to_csv(paths["summary"], index=False)
    paths["markdown"].write_text(to_markdown(summary, meta), encoding="utf-8")
    paths["meta"].write_text(json.dumps(dict(meta or {}), indent=1, default=str), encoding="utf-8")
    return paths

"""Study 002: AI innovation application pilot zones and city CO2, staggered DID, 220 cities, 2003-2021.

Tables 2-8 (baseline, mechanisms, robustness with PSM-DID / lagged treatment / exclusions,
heterogeneity by technology, market potential, financial development and digital infrastructure) and
Figures 2-3 (event study t-4..t+2 with base t-1; 500 placebo reassignments), plus the CO2 map
(Figure 1). Choices (recorded here):

* CO2 = ln CEADs CO2 in 10^4 t (units not printed); did = ``ai_pilot`` (the real 12-city list; the
  2022 cohort falls outside the window, as in the paper).
* City and year FE (model and notes), robust HC1 SE; the printed FE row says "Province" or "City".
* internet = ln broadband users (the definition; the printed moments do not look like a log).
* Table 4 (1): PSM-DID, 1 nearest neighbour with replacement, logit on the six controls, year by year
  (the usual Chinese-literature reading; the matching method is not printed). (3): city-years under a
  low-carbon or carbon-trading pilot are dropped. (4): municipalities dropped.
* Heterogeneity: median splits of the city's window mean of patent applications (technology), market
  potential and loans / GDP (financial development); digital infrastructure = ever a Broadband China
  pilot (the paper splits by pilot status there; adding smart-city pilots leaves no pilot zone among
  the low group on the default world).
* Planted truth: beside every ``did`` row the average planted effect of the pilot over the treated
  city-years of the column's sample (the ATT: the direct effect at each event time plus the effect through
  AI firms, ``co2__pilot`` of the effects panel); for Green and er the pilot's effect on them. The pilot's
  effect grows with event time, so the TWFE estimates weight it unevenly (Goodman-Bacon 2021); the sample
  world's extra table (TWFE against Callaway-Sant'Anna) shows that bias beside the truth, and the
  event-study figure draws the planted path.
* HonestDiD (Rambachan-Roth relative magnitudes, Mbar 0-2) of the event study's first-year effect: Figure 2b.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.estimators.statistics import N_DRAWS
from analysis.figures import save_figure
from analysis.replications.adapters.did import event_study, honest_did, placebo
from analysis.replications.sample import sample
from analysis.replications.spec import ColumnSpec as C, StudySpec, TableSpec
from analysis.replications.truth import Effect

Y, D = "ln_co2_ceads_10k_t", "ai_pilot"
CONTROLS = ("ln_gdp_per_capita", "ln_broadband_users", "investment_budget_ratio", "market_potential",
            "education_expenditure_share", "industrialization")
NAMES = dict(zip(CONTROLS, ("lnpgdp", "internet", "gov", "market", "EDU", "industry"))) | {"_cons": "_cons"}
STUDY_WINDOW = (2003, 2021)

VARIABLES = {
    "CO2": "ln_co2_ceads_10k_t", "did": "ai_pilot", "didT-1": "ai_pilot_lag1",
    "lnpgdp": "ln_gdp_per_capita", "internet": "ln_broadband_users", "gov": "investment_budget_ratio",
    "market": "market_potential", "EDU": "education_expenditure_share", "industry": "industrialization",
    "Green": "ln_green_applications", "er": "environment_word_share",
    "tech / market / financial split": "city window means of patent_applications / market_potential / "
                                       "loans_gdp_ratio above the median",
    "digital infrastructure": "ever broadband_china_pilot",
}


def prepare(panel: pd.DataFrame, warehouse=None) -> pd.DataFrame:
    lo, hi = STUDY_WINDOW
    inside = panel[panel["year"].between(lo, hi)]
    for col, flag in (("patent_applications", "high_tech"), ("market_potential", "high_market"),
                      ("loans_gdp_ratio", "high_finance")):
        city = inside.groupby("adcode")[col].mean()
        panel[flag] = panel["adcode"].map(city > city.median()).fillna(False).astype(bool)
    digital = inside.groupby("adcode")["broadband_china_pilot"].max() > 0
    panel["high_digital"] = panel["adcode"].map(digital).fillna(False).astype(bool)
    panel["other_policy"] = ((panel["low_carbon_pilot"] > 0) | (panel["ets_pilot"] > 0)).astype(int)
    panel["is_municipality"] = panel["is_municipality"].astype(bool)
    return panel


def did(label, *, y=Y, x=D, controls=CONTROLS, row="did", **kw) -> C:
    return C(label, y, (x,), tuple(controls), rename={x: row, **NAMES}, truth={row: Effect(x)}, **kw)


def split(flag, hi_label, lo_label) -> tuple[C, C]:
    return did(f"(1) {hi_label}", filters=flag), did(f"(2) {lo_label}", filters=f"not {flag}")


COHORT = "ai_pilot_cohort"
# HonestDiD of the event study (Figure 2): relative magnitudes, Mbar from 0 (parallel trends after treatment)
# to 2 (twice the largest pre-period change), for the effect in the pilot's first year (t)
HONEST_DID = {"restriction": "rm", "M": (0.0, 0.5, 1.0, 1.5, 2.0)}


def _es_column() -> C:
    """The baseline column (CO2 on the pilot with the controls), for the event study and the placebo."""
    return did("event", options={"need": ()})


def _es_sample(panel: pd.DataFrame) -> pd.DataFrame:
    return sample(panel, _es_column(), STUDY)


def event_study_figure(panel: pd.DataFrame, folder: Path, ctx) -> list[Path]:
    """Figure 2: event study t-4..t+2 (base t-1, binned end points), with the planted path."""
    d = _es_sample(panel)
    res = event_study(d, _es_column(), STUDY, cohort=COHORT)
    fig = res.plot(title="Event study: AI pilot zones and ln CO2 (base t-1)")
    ax = fig.axes[0]
    planted = ctx.truth_value("pilot_effect_by_event_time") if ctx.truth else None
    if planted:
        ev = sorted((int(k), v) for k, v in planted.items() if int(k) <= 2)
        ax.plot([e for e, _ in ev], [v for _, v in ev], "s:", color="C2", label="planted effect (sample world)")
        ax.legend(fontsize=8)
    ax.set_xlabel("years relative to the pilot (t = first pilot year)")
    ax.set_ylabel("effect on ln CO2 (log points)")
    path = folder / "figure_2_event_study.png"
    save_figure(fig, path, dpi=110, bbox_inches="tight")
    pd.DataFrame(res.coefficients()).to_csv(folder / "figure_2_event_study.csv", index=False)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return [path]


def honest_did_figure(panel: pd.DataFrame, folder: Path, ctx) -> list[Path]:
    """Figure 2 under HonestDiD: robust 95% sets of the first-year pilot effect as the post-pilot violation of
    parallel trends may reach Mbar times the largest pre-pilot change (Rambachan-Roth, C-LF)."""
    d = _es_sample(panel)
    res = honest_did(event_study(d, _es_column(), STUDY, cohort=COHORT), **HONEST_DID)
    fig = res.plot(title=f"HonestDiD, pilot effect at t: {res.breakdown_text()}")
    fig.axes[0].set_ylabel("effect on ln CO2 at t (log points), 95% set")
    path = folder / "figure_2b_honest_did.png"
    save_figure(fig, path, dpi=110, bbox_inches="tight")
    res.table.assign(original_lb=res.original[0], original_ub=res.original[1], method=res.method).to_csv(
        folder / "figure_2b_honest_did.csv", index=False)
    return [path]


def placebo_figure(panel: pd.DataFrame, folder: Path, ctx) -> list[Path]:
    """Figure 3: 500 random reassignments of the pilot to cities (cohorts kept)."""
    d = _es_sample(panel)
    res = placebo(d, _es_column(), STUDY, ctx, cohort=COHORT, n_draws=500)
    fig = res.plot(title=f"Placebo: {int(res.stats.get(N_DRAWS, 0))} random reassignments")
    ax = fig.axes[0]
    ax.set_xlabel("placebo DID estimate (log points of CO2)")
    ax.set_ylabel("density")
    path = folder / "figure_3_placebo.png"
    save_figure(fig, path, dpi=110, bbox_inches="tight")
    res.draws.to_csv(folder / "figure_3_placebo_draws.csv", index=False)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return [path]


def co2_map(panel: pd.DataFrame, folder: Path, ctx) -> list[Path]:
    """Figure 1: ln CEADs CO2 by city in the last year of the window."""
    import matplotlib.pyplot as plt

    from analysis.marts import load_geo_cities

    geo = load_geo_cities(ctx.warehouse)
    year = int(min(panel["year"].max(), STUDY_WINDOW[1]))
    geo = geo.merge(panel.loc[panel["year"] == year, ["adcode", Y]], on="adcode", how="left")
    fig, ax = plt.subplots(figsize=(6.5, 4.8))
    geo.plot(column=Y, ax=ax, legend=True, cmap="YlOrRd", edgecolor="white", linewidth=0.2,
             missing_kwds={"color": "lightgrey", "label": "no data"},
             legend_kwds={"label": "ln CO2 (10^4 t)"})
    ax.set_title(f"City CO2 emissions, CEADs ({year})", fontsize=10)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    path = folder / "figure_1_co2_map.png"
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    plt.close(fig)
    return [path]


TWFE_BIAS = ("the pilot's planted effect grows with event time; TWFE compares late with early pilots as well as "
             "with never-treated cities, so its weights on the event times differ from the ATT's (Goodman-Bacon "
             "2021) and it can miss the planted ATT even with many cities; Callaway-Sant'Anna (the sample world's "
             "extra table) targets the ATT and its event-time path. With twelve pilot cities (nine inside the CEADs "
             "years) both are noisy: over five worlds Callaway-Sant'Anna's estimates spread by 0.032 against an "
             "analytic SE of 0.021, so one world can put either far from the truth (README: truth recovery).")


def event_time(e: int) -> Effect:
    """The planted effect at event time ``e`` (treated rows with year - cohort = e)."""
    return Effect(D, where=f"year - {COHORT} == {e}")


def cs(label, aggregate: str, rows: dict) -> C:
    return C(label, Y, (D,), (), estimator="cs", options={"cohort": COHORT, "aggregate": aggregate},
             rename=rows, truth={row: Effect(D) if key == "ATT" else event_time(int(key[2:]))
                                 for key, row in rows.items()})


TABLES = (
    TableSpec("TABLE 2", "Baseline regression results", (did("(1) CO2", controls=()), did("(2) CO2")),
              truth_note=TWFE_BIAS),
    TableSpec("TABLE 3", "Mechanism tests", (
        did("(1) CO2"), did("(2) Green", y="ln_green_applications"), did("(3) er", y="environment_word_share"))),
    TableSpec("TABLE 4", "Robustness tests", (
        C("(1) PSM-DID", Y, (D,), CONTROLS, estimator="psm", options={"by": "year"}, rename={D: "did", **NAMES},
          truth={"did": Effect(D)}),
        did("(2) Lagged effect", x="ai_pilot_lag1", row="didT-1"),
        did("(3) Other policies excluded", filters="other_policy == 0"),
        did("(4) Excluding municipalities", filters="not is_municipality"),
    ), notes=("(1): 1:1 nearest-neighbour matching with replacement on the logit score, year by year.",)),
    TableSpec("TABLE 5", "Heterogeneity: technology level", split("high_tech", "High technology", "Low technology")),
    TableSpec("TABLE 6", "Heterogeneity: market potential", (
        did("(1) Limited market potential", filters="not high_market"), did("(2) High market potential", filters="high_market"))),
    TableSpec("TABLE 7", "Heterogeneity: financial development",
              split("high_finance", "High financial development", "Low financial development")),
    TableSpec("TABLE 8", "Heterogeneity: digital infrastructure",
              split("high_digital", "High digital infrastructure", "Low digital infrastructure")),
    TableSpec("TABLE S1", "Sample world: TWFE against Callaway-Sant'Anna under the planted dynamic pilot effect", (
        did("(1) TWFE", controls=()),
        cs("(2) Callaway-Sant'Anna, simple ATT", "simple", {"ATT": "did"}),
        cs("(3) Callaway-Sant'Anna, by event time", "dynamic", {"e=0": "t+0", "e=1": "t+1", "e=2": "t+2"}),
    ), notes=("Not in the study: the sample world's check of the baseline's estimator. No controls; "
              "Callaway-Sant'Anna with never-treated cities as the comparison group.",),
        sample_world=True, truth_note=TWFE_BIAS),
)

STUDY = StudySpec(study="002", title="AI pilot zones and city CO2: staggered DID (2003-2021)", unit="city",
                  entity="adcode", window=STUDY_WINDOW, tables=TABLES, prepare=prepare, variables=VARIABLES,
                  figures=(co2_map, event_study_figure, honest_did_figure, placebo_figure))

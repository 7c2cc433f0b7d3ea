"""Study 004 (Cai 2026): carbon intensity on ln AI firms, 284 cities, 2011-2023.

Tables 1-9 of the paper: stepwise TWFE, robustness I/II, endogeneity (SYS-GMM, 2SLS, smart-city DID),
heterogeneity with between-group tests, mediators (AI -> M and Carbon on AI + M), triple threshold.
Choices (the paper leaves them open; each is the defensible reading, recorded here):

* Controls enter stepwise in the printed order of the variable list (Pgdp, Open, Finance, People,
  Urban, Fiscal); column (1) has none (the text), although the Controls row prints "Yes".
* City and year FE everywhere (every table prints City/Year fixed = Yes; eq. 1-3 show only eta_i);
  robust HC1 standard errors ("稳健标准误").
* The constant is the reghdfe/areg ``_cons`` (mean of y minus mean of x times b); R² is the within R²
  (the printed 0.23-0.45 cannot be LSDV R² of a city panel).
* Exclusion samples drop every city ever in the low-carbon / carbon-trading pilot lists.
* Digitalisation and environmental regulation split at the mean (the text) of the city's average
  over the window, so groups are constant within a city and the permutation test permutes cities.
* Between-group test: Fisher permutation p (1,000 draws; method not printed), suest p in the CSV.
* SYS-GMM: ln AI firms endogenous (GMM-style from lag 2), controls exogenous, year dummies, collapsed
  instruments, two-step with Windmeijer SE.
* Threshold: three thresholds on ln AI firms (col 1) and ln(1 + Baidu index) (col 2), 5% trimming,
  bootstrap F tests with 300 draws (the paper prints none; we add them and the LR curves), year dummies
  (Hansen's estimator removes city effects only; the paper prints City/Year FE); the regimes are labelled
  with our thresholds.
* Planted truth: beside every AI_firm row the average planted effect of A on the column's dependent over
  its sample (carbon intensity, CO2 per person: the mean of Y x d ln CO2 / dA); the smart-city columns the
  pilot's ATT; Table 9 the planted thresholds and, per regime, the average effect in the planted regime.
  The mediator tables have no planted counterpart (grants and the structure ratios are not the world's
  mediators); the notes under Tables 1 and 2 say where a linear fit of this level outcome misses its truth.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.figures import save_figure
from analysis.replications.spec import ColumnSpec as C, StudySpec, TableSpec
from analysis.replications.truth import Effect, NoCounterpart, NotPlanted, Param

Y = "carbon_intensity"
AI = "ln_ai_firms"
CONTROLS = ("ln_gdp_per_capita", "trade_gdp_ratio", "loans_gdp_ratio", "ln_pop_hukou", "urbanization_rate",
            "government_expenditure_ratio")
CONST = {"_cons": "Constant (常数项)"}
AI_ROW = {AI: "AI_firm", **CONST}
FIRM_REGIMES = ("AI_firm ≤ 6.131", "6.131 < AI_firm ≤ 7.449", "7.449 < AI_firm ≤ 9.662", "AI_firm > 9.662")
CONCERN_REGIMES = ("AI_concern ≤ 1.682", "1.682 < AI_concern ≤ 4.212", "4.212 < AI_concern ≤ 5.657",
                   "AI_concern > 5.657")
# planted counterparts: the average effect of A (or of the smart-city pilot) on the column's dependent
# over its estimation sample (analysis.replications.truth.Effect); ln_ai_attention is a proxy of A
AI_TRUTH = {"AI_firm": Effect(AI)}
GRANTS = NoCounterpart("green grants follow the green applications A moves (a_green) with a random grant lag "
                       "and rate; the world plants no effect on grants as such")
STRUCTURE = NoCounterpart("a nonlinear function of the tertiary and secondary shares; the planted path is A -> "
                          "tertiary share (a_ins), see study 002 and the effects panel")
NET_OF_PROXY = NoCounterpart("the world's mediators are ln(1 + green applications) and the tertiary share; a "
                             "proxy of one of them leaves an unknown part of its path in the AI_firm coefficient")

VARIABLES = {
    "Carbon": "carbon_intensity (EDGAR CO2 t / GDP 10^4 yuan)",
    "per-capita CO2": "co2_per_capita_t",
    "AI_firm": "ln_ai_firms (ln(1 + AI firms operating))",
    "AI_concern": "ln_ai_attention (ln(1 + Baidu daily average); thresholds 1.7-5.7 imply a log)",
    "Gpt": "ln_green_grants", "Gpq": "ln_green_invention_grants",
    "Indt": "tertiary_secondary_ratio", "Indh": "industrial_structure_level (1/2/3 weights)",
    "Pgdp": "ln_gdp_per_capita", "Open": "trade_gdp_ratio", "Finance": "loans_gdp_ratio",
    "People": "ln_pop_hukou", "Urban": "urbanization_rate", "Fiscal": "government_expenditure_ratio",
    "IV": "iv_relief_x_digital_words (terrain relief m x digital word share)",
    "Intelligence": "smart_city_pilot",
    "region / city tier": "dim_city.is_east / is_central_city",
    "digitalization / regulation": "city mean of digitalization_index / environment_word_share above the mean",
}


def prepare(panel: pd.DataFrame, warehouse=None) -> pd.DataFrame:
    """Group flags at the city level (mean over the window vs the mean across cities)."""
    lo, hi = STUDY_WINDOW
    inside = panel[(panel["year"] >= lo) & (panel["year"] <= hi)]
    for col, flag in (("digitalization_index", "high_digitalization"), ("environment_word_share", "high_regulation")):
        city = inside.groupby("adcode")[col].mean()
        panel[flag] = panel["adcode"].map(city > city.mean()).fillna(False).astype(bool)
    panel["is_east"] = panel["is_east"].astype(bool)
    panel["is_central_city"] = panel["is_central_city"].astype(bool)
    return panel


STUDY_WINDOW = (2011, 2023)


WITHIN = {"r2": "within"}   # the printed R² (0.23-0.45) are within R² (xtreg, fe), not the LSDV R²


def fe(label, *, y=Y, x=AI, controls=CONTROLS, rename=None, truth=None, **kw) -> C:
    rename = rename or {x: "AI_firm" if x == AI else x, **CONST}
    return C(label, y, (x,), tuple(controls), rename=rename, options=WITHIN,
             truth=truth if truth is not None else {rename[x]: Effect(x)}, **kw)


def split(label, by, group, test) -> C:
    return C(label, Y, (AI,), CONTROLS, estimator="split", options={"by": by, "group": group, "test": test, **WITHIN},
             rename=AI_ROW, truth=AI_TRUTH)


def mediator(label, m, row, truth) -> C:
    return C(label, m, (AI,), CONTROLS, rename=AI_ROW, options=WITHIN, truth={"AI_firm": truth})


def with_mediator(label, m, row) -> C:
    return C(label, Y, (AI, m), CONTROLS, rename={AI: "AI_firm", m: row, **CONST}, options=WITHIN,
             truth={"AI_firm": NET_OF_PROXY, row: NET_OF_PROXY})


def threshold_figure(results, folder: Path, ctx) -> list[Path]:
    """LR(gamma) curves of the three thresholds for each threshold variable (Hansen 1999, Fig. 1 style)."""
    import matplotlib.pyplot as plt

    paths = []
    for res, (var, unit) in zip(results, [("AI_firm = ln(1 + AI firms)", "ln count"),
                                          ("AI_concern = ln(1 + Baidu index)", "ln index")]):
        if res is None:
            continue
        curves = res.info.get("lr_curves", {})
        fig, axes = plt.subplots(1, len(curves), figsize=(4 * max(len(curves), 1), 3.2), squeeze=False)
        crit = res.info.get("lr_critical_value", 7.35)
        for ax, (name, df) in zip(axes[0], curves.items()):
            ax.plot(df["threshold"], df["LR"], lw=1)
            ax.axhline(crit, ls="--", color="grey", lw=0.8, label=f"95% critical value {crit:.2f}")
            ax.set_xlabel(f"threshold {name} ({unit})")
            ax.set_ylabel("LR statistic")
            ax.set_title(f"{var}: {name}", fontsize=9)
            ax.legend(fontsize=7)
        fig.tight_layout()
        stem = "ai_firm" if "firm" in var else "ai_concern"
        path = folder / f"figure_threshold_lr_{stem}.png"
        save_figure(fig, path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def maps(panel: pd.DataFrame, folder: Path, ctx) -> list[Path]:
    """Choropleths of carbon intensity and ln AI firms in the last year of the window."""
    import matplotlib.pyplot as plt

    from analysis.marts import load_geo_cities

    geo = load_geo_cities(ctx.warehouse)
    year = int(min(panel["year"].max(), STUDY_WINDOW[1]))
    last = panel.loc[panel["year"] == year, ["adcode", Y, AI]]
    geo = geo.merge(last, on="adcode", how="left")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    for ax, (col, title, unit) in zip(axes, [(Y, f"Carbon intensity ({year})", "t CO2 per 10^4 yuan GDP"),
                                             (AI, f"AI firms ({year})", "ln(1 + AI firms)")]):
        geo.plot(column=col, ax=ax, legend=True, cmap="YlOrRd" if col == Y else "Blues",
                 edgecolor="white", linewidth=0.2, missing_kwds={"color": "lightgrey"},
                 legend_kwds={"label": unit})
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("longitude (°E)")
        ax.set_ylabel("latitude (°N)")
    fig.tight_layout()
    path = folder / "figure_maps_carbon_intensity_ai.png"
    save_figure(fig, path, dpi=110)
    plt.close(fig)
    return [path]


LEVEL_OUTCOME = ("carbon intensity is a level (CO2 / GDP) in a log-linear world, so the planted counterpart is the "
                 "average effect of A (the mean of carbon intensity x d ln CO2 / dA over the sample); a linear fit "
                 "weights the city-years by their within-city variation and their level, and also picks up the "
                 "small upward jumps of ln CO2 where A crosses a threshold, so it need not equal the average "
                 "effect even with many cities (the validation summary measures the gap over seeds).")
PROXY = ("(2) AI attention: the Baidu index is a proxy of A in the world (ln B = 0.2 + 0.62 A + noise, no effect "
         "of its own), so its planted counterpart is A's effect per unit of ln(1 + B) that A moves. The linear fit "
         "can miss even its sign: ln(1 + B) compresses the within-city variation of small indices "
         "(d ln(1 + B) = B / (1 + B) d ln B), which belong to the low-AI cities, and against a level outcome "
         "whose common decline is proportional to its level that compression is a spurious trend correlation "
         "(a bias of the specification, not a fault of the estimator or of the data).")

TABLES = (
    TableSpec("Table 1", "Baseline estimation (stepwise controls)", tuple(
        fe(f"({j + 1}) Carbon", controls=CONTROLS[:j]) for j in range(7)), truth_note=LEVEL_OUTCOME),
    TableSpec("Table 2", "Robustness test I", (
        fe("(1) per-capita CO2", y="co2_per_capita_t"),
        fe("(2) AI attention", x="ln_ai_attention", rename={"ln_ai_attention": "AI_concern", **CONST}),
        fe("(3) winsorize 1%", winsorize=0.01),
        fe("(4) winsorize 5%", winsorize=0.05),
        fe("(5) 2016-2023", window=(2016, 2023)),
    ), truth_note=PROXY),
    TableSpec("Table 3", "Robustness test II (sample exclusions)", (
        fe("(6) excl. municipalities", filters="not is_municipality"),
        fe("(7) excl. low-carbon pilots", exclude_ever=("low_carbon_pilot",)),
        fe("(8) excl. carbon-trading pilots", exclude_ever=("ets_pilot",)),
        fe("(9) excl. both", exclude_ever=("low_carbon_pilot", "ets_pilot")),
    )),
    TableSpec("Table 4", "Endogeneity tests", (
        C("(1) SYS-GMM", Y, (AI,), CONTROLS, fe=(), estimator="gmm",
          options={"collapse": True, "two_step": True},
          rename={f"L1.{Y}": "L.Carbon", AI: "AI_firm", **CONST},
          truth={"AI_firm": Effect(AI), "L.Carbon": NotPlanted(
              "the world's CO2 carries no lagged dependent variable (persistence comes from its covariates)")}),
        C("(2) 2SLS first stage", Y, (AI,), CONTROLS, estimator="iv_first",
          instruments=("iv_relief_x_digital_words",),
          rename={"iv_relief_x_digital_words": "IV", **CONST},
          truth={"IV": NoCounterpart("the first stage of A on the instrument: the world plants no equation for "
                                     "terrain relief x digital words")}),
        C("(3) 2SLS second stage", Y, (AI,), CONTROLS, estimator="iv", instruments=("iv_relief_x_digital_words",),
          rename=AI_ROW, truth=AI_TRUTH),
        fe("(4) smart-city DID", x="smart_city_pilot", controls=(),
           rename={"smart_city_pilot": "Intelligence", **CONST}),
        fe("(5) smart-city DID", x="smart_city_pilot", rename={"smart_city_pilot": "Intelligence", **CONST}),
    ), notes=("Columns (2)-(3): ln AI firms instrumented by terrain relief x digital-economy word share; "
              "KP statistics robust (HC1); the Stock-Yogo 10% critical value is 16.38.",)),
    TableSpec("Table 5", "Heterogeneity I (location, city tier)", (
        split("(1) Eastern", "is_east", True, True), split("(2) Central-western", "is_east", False, False),
        split("(3) Central cities", "is_central_city", True, True),
        split("(4) Non-central cities", "is_central_city", False, False),
    ), notes=("Between-group p: Fisher permutation of the group labels across cities.",)),
    TableSpec("Table 6", "Heterogeneity II (digitalisation, environmental regulation)", (
        split("(5) High digitalisation", "high_digitalization", True, True),
        split("(6) Low digitalisation", "high_digitalization", False, False),
        split("(7) High regulation", "high_regulation", True, True),
        split("(8) Low regulation", "high_regulation", False, False),
    ), notes=("Groups: city mean over the window above the mean across cities (the paper splits at the mean).",)),
    TableSpec("Table 7", "AI and mediating variables", (
        mediator("(1) Gpt", "ln_green_grants", "Gpt", GRANTS),
        mediator("(2) Gpq", "ln_green_invention_grants", "Gpq", GRANTS),
        mediator("(3) Indh", "industrial_structure_level", "Indh", STRUCTURE),
        mediator("(4) Indt", "tertiary_secondary_ratio", "Indt", STRUCTURE),
    )),
    TableSpec("Table 8", "Mediating variables and carbon emission intensity", (
        with_mediator("(1) Panel A: Gpt", "ln_green_grants", "Gpt"),
        with_mediator("(2) Panel B: Gpq", "ln_green_invention_grants", "Gpq"),
        with_mediator("(3) Panel C: Indt", "tertiary_secondary_ratio", "Indt"),
        with_mediator("(4) Panel D: Indh", "industrial_structure_level", "Indh"),
    )),
    TableSpec("Table 9", "Threshold regression (three thresholds)", (
        C("(1) Carbon", Y, (AI,), CONTROLS, estimator="threshold",
          options={**WITHIN, "time_effects": True, "regime_var": "AI_firm", "regime_rows": FIRM_REGIMES},
          rename=CONST, truth={"thresholds": Param("kappa"), **{
              row: Effect(AI, regime=r) for r, row in enumerate(FIRM_REGIMES)}}),
        C("(2) Carbon", Y, ("ln_ai_attention",), CONTROLS, estimator="threshold",
          options={**WITHIN, "time_effects": True, "regime_var": "AI_concern", "regime_rows": CONCERN_REGIMES},
          rename=CONST, truth={"thresholds": NoCounterpart(
              "the world plants its thresholds in A = ln(1 + AI firms), not in attention")}),
    ), truth_note=("the planted thresholds are in ln CO2: fitted there with the planted equation's regressors, "
                   "every world's LR set holds them (README: truth recovery); on carbon intensity, a level, with the "
                   "study's controls the search can settle on other splits, and the regime slopes then mix regimes."),
        notes=("Regime rows carry our thresholds and stand on the printed regime of the same position (whose "
              "label carries the study's cut-offs); year effects enter as dummies (the study prints City/Year "
              "fixed effects). Planted: the thresholds of the sample world (in A, on ln CO2) and, per regime, "
              "the average effect of A on carbon intensity over the city-years in the planted regime.",),
        figure=threshold_figure),
)

STUDY = StudySpec(study="004", title="AI and carbon emission intensity, 284 cities (Cai 2026)", unit="city",
                  entity="adcode", window=STUDY_WINDOW, tables=TABLES, prepare=prepare, variables=VARIABLES,
                  figures=(maps,))

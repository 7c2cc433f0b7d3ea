"""Study 003: ln CO2 and green TFP on robot exposure, 30 provinces, 2013-2022.

Tables 2-8 of the paper: TWFE without / with controls, 2SLS with lagged exposure (Table 3) and the
US-robot shift-share instrument (Table 4), robustness, mechanisms (FE and IV), median-split
heterogeneity by environmental regulation and industrialisation. Choices (recorded here):

* AI = shift-share robot exposure (robots per 1,000 workers, base 2004) with the standard
  denominators (province total employment, national industry employment): the printed definitions
  swap them (see the YAML inconsistencies).
* GTFP = cumulative GML index of the provincial SBM (mart_efficiency ``gml_cumulative``, 1 in the
  first year; the printed mean 1.124 and max 2.557 fit a cumulative index).
* Standard errors are not stated: we cluster by province (CR1, t with G-1 df); the study prints t
  statistics, shown as "[t ...]" beside our SE.
* Table 5: the "industrial intelligence index" is not in the sample world; column (1)-(2) use
  ln(1 + robot exposure). The "recalculated" CO2 is ln of the EDGAR CO2 summed over the province's
  cities; the "SBM-ML" TFP is the SBM super-efficiency score of the same frontier.
* Table 6's IV columns (instrument not stated) use the US-robot instrument of Table 4.
* Median splits (Tables 7-8) are at the pooled median of the province-year observations
  (the printed N 146 + 149 = 295 suggests observation-level splits).
* Planted truth: the sample world plants b_robot (robots per 1,000 workers on ln CO2 of the province);
  it sits beside every CO2 column (for ln(1 + exposure): b (1 + exposure) averaged over the sample). GTFP,
  the EDGAR-based CO2 and the mechanism variables have no planted counterpart (the notes say why).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.replications.spec import ColumnSpec as C, StudySpec, TableSpec
from analysis.replications.truth import NoCounterpart, Param

CO2, GTFP, AI = "ln_co2_ipcc", "gtfp", "robot_exposure"
CONTROLS = ("openness", "population_density", "loans_gdp_ratio", "government_intervention",
            "energy_structure", "urbanization_rate")
NAMES = dict(zip(CONTROLS, ("Open", "Density", "Fin", "Gov", "Energy", "Urban"))) | {"_cons": "_cons"}
FE = ("province_adcode", "year")
# with 30 province clusters CR1 p-values over-reject: every column also carries the wild cluster bootstrap of
# its main coefficient (WCR; WRE for a 2SLS second stage), printed beside the CR1 p-value
OPTS = {"cluster": "province_adcode", "wild_bootstrap": True}
WILD_ROWS = ("p (CR1)", "Wild bootstrap p")
WILD_NOTE = ("p (CR1): the main coefficient's p-value from the CR1 covariance (t with G - 1 df). Wild bootstrap p: "
             "the same H0 (coefficient = 0) by the wild cluster bootstrap over provinces with the null imposed "
             "(WCR; WRE for a 2SLS second stage), Rademacher weights, 9,999 draws (all 2^G sign vectors when "
             "fewer), symmetric p (analysis.estimators.wild_cluster_bootstrap).")
# the R² row of an IV column is the within R² (structural residuals against the demeaned outcome, as
# xtivreg2 prints it); fit_iv reports it as R2_within beside the overall R2
IV_OPTS = {**OPTS, "r2": "within", "weak_iv": True}
IV_ROWS = ("Effective F (MOP)", "Anderson-Rubin p")
IV_NOTE = ("Effective F (MOP): Montiel Olea-Pflueger's first-stage F under the clustered covariance. Anderson-Rubin "
           "p: the weak-instrument robust test of AI = 0 with the same covariance (F(1, G - 1)).")
# planted counterparts of the AI row by dependent variable (the world plants b_robot on ln CO2 only)
NO_TRUTH = {
    GTFP: NoCounterpart("GTFP is the provinces' SBM-GML index; CO2 enters it as an undesirable output, but the "
                        "world plants no effect on the index itself"),
    "gtfp_sbm": NoCounterpart("an SBM efficiency score; the world plants no effect on it"),
    "ln_co2_edgar": NoCounterpart("the cities' EDGAR CO2 responds to each city's own robot exposure "
                                  "(b_robot_co2 per ln(1 + exposure)), not to the province's"),
}
MECHANISM = NoCounterpart("the world plants no robot effect on this mechanism variable")


def ai_truth(y: str, x: str) -> dict:
    """The AI row's planted counterpart: b_robot on ln CO2 (for ln(1 + exposure): b (1 + exposure))."""
    if y == CO2:
        return {"AI": Param("b_robot", per_log1p=AI if x == "ln_robot_exposure" else None)}
    return {"AI": NO_TRUTH.get(y, MECHANISM)}

VARIABLES = {
    "Co2": "ln_co2_ipcc (ln IPCC fuel-based CO2, 10^4 t)", "GTFP": "gtfp = mart_efficiency.gml_cumulative (province)",
    "AI": "robot_exposure (robots per 1,000 workers)", "Lai": "robot_exposure_lag1",
    "IV": "robot_exposure_us", "Open": "openness", "Density": "population_density",
    "Fin": "loans_gdp_ratio", "Gov": "government_intervention", "Energy": "energy_structure",
    "Urban": "urbanization_rate",
    "AI (industrial intelligence index)": "ln(1 + robot_exposure) (index not in the sample world)",
    "Co2 (recalculated)": "ln(sum of EDGAR CO2 of the province's cities, 10^4 t)",
    "GTFP (SBM-ML)": "mart_efficiency.efficiency_score (province SBM)",
    "Energy Utilization Efficiency": "energy_intensity_tce_per_10k_yuan",
    "Green technological progress": "green_patents_per_10k_people",
    "Industrial Structure Upgrading": "industrial_structure_upgrading",
    "Environmental regulation / Industrialization": "median splits of environmental_regulation / industrialization",
}


def prepare(panel: pd.DataFrame, warehouse=None) -> pd.DataFrame:
    """Attach GTFP, the robustness measures and the median-split flags."""
    from analysis.marts import query

    eff = query("select * from marts.mart_efficiency where unit_level = 'province' order by unit_code, year", warehouse)
    eff = eff.rename(columns={"unit_code": "province_adcode", "efficiency_score": "gtfp_sbm"})
    if "gml_cumulative" not in eff.columns:   # warehouses built before the mart carried it
        eff["gml_cumulative"] = eff.groupby("province_adcode")["gml_index"].transform(lambda s: s.fillna(1.0).cumprod())
    eff = eff[["province_adcode", "year", "gml_cumulative", "gtfp_sbm"]].rename(columns={"gml_cumulative": "gtfp"})
    edgar = query("select d.province_adcode, f.year, ln(sum(f.co2_edgar_t) / 1e4) as ln_co2_edgar "
                  "from marts.fct_city_year f join marts.dim_city d using (adcode) group by all", warehouse)
    eff["year"] = eff["year"].astype(int)
    edgar["year"] = edgar["year"].astype(int)
    panel = panel.merge(eff, on=["province_adcode", "year"], how="left").merge(
        edgar, on=["province_adcode", "year"], how="left")
    panel["ln_robot_exposure"] = np.log1p(panel[AI])
    lo, hi = STUDY_WINDOW
    inside = panel["year"].between(lo, hi)
    for col, flag in (("environmental_regulation", "high_regulation"), ("industrialization", "high_industrialization")):
        panel[flag] = panel[col] > panel.loc[inside, col].median()
    # the municipalities are provinces too: their province codes from dim_city (seed_municipalities)
    municipal = query("select distinct province_adcode from marts.dim_city where is_municipality", warehouse)
    panel["is_municipality"] = panel["province_adcode"].isin(set(municipal["province_adcode"]))
    return panel


STUDY_WINDOW = (2013, 2022)


def fe(label, y, *, x=AI, controls=CONTROLS, rename_x="AI", **kw) -> C:
    return C(label, y, (x,), tuple(controls), fe=FE, options=OPTS, rename={x: rename_x, **NAMES},
             truth=ai_truth(y, x), **kw)


def iv_pair(y, inst, inst_row, name) -> tuple[C, C]:
    """Phase one (instrument row only, as printed) and phase two (AI row) of one 2SLS."""
    first = C(f"{name} phase one", y, (AI,), CONTROLS, fe=FE, estimator="iv_first", instruments=(inst,),
              options=OPTS, rename={inst: inst_row}, truth={inst_row: NoCounterpart(
                  "the first stage of robot exposure on its instrument (shift-share arithmetic, no planted equation)")})
    second = C(f"{name} phase two", y, (AI,), CONTROLS, fe=FE, estimator="iv", instruments=(inst,), options=IV_OPTS,
               rename={AI: "AI"}, truth=ai_truth(y, AI))
    return first, second


def table(tid, title, columns, notes=(), iv=False) -> TableSpec:
    """A table of the study, with the CR1 and wild-bootstrap p-value rows of its main coefficients (and, with IV
    columns, the weak-instrument robust rows)."""
    return TableSpec(tid, title, tuple(columns), notes=(*notes, WILD_NOTE, *((IV_NOTE,) if iv else ())),
                     extra_stats=WILD_ROWS + (IV_ROWS if iv else ()))


def iv_table(tid, title, inst, inst_row) -> TableSpec:
    return table(tid, title, (*iv_pair(CO2, inst, inst_row, "Co2"), *iv_pair(GTFP, inst, inst_row, "GTFP")),
                 notes=("Phase one R2 is the partial R2 of the excluded instrument; its p-value rows test the "
                        "instrument's coefficient.",), iv=True)


TABLES = (
    table("Table 2", "Basic regression results", (
        fe("(1) Co2", CO2, controls=()), fe("(2) Co2", CO2), fe("(3) GTFP", GTFP, controls=()), fe("(4) GTFP", GTFP))),
    iv_table("Table 3", "IV: AI lagged one period", "robot_exposure_lag1", "Lai"),
    iv_table("Table 4", "IV: US industrial robot penetration", "robot_exposure_us", "IV"),
    table("Table 5", "Robustness tests", (
        fe("(1) Co2 alt. AI", CO2, x="ln_robot_exposure"), fe("(2) GTFP alt. AI", GTFP, x="ln_robot_exposure"),
        fe("(3) Co2 recalculated", "ln_co2_edgar"), fe("(4) GTFP SBM", "gtfp_sbm"),
        fe("(5) Co2 excl. municipalities", CO2, filters="not is_municipality"),
        fe("(6) GTFP excl. municipalities", GTFP, filters="not is_municipality"),
    )),
    table("Table 6", "Mechanisms (FE and IV)", tuple(
        col for m in ("energy_intensity_tce_per_10k_yuan", "green_patents_per_10k_people",
                      "industrial_structure_upgrading")
        for col in (fe(f"{m} FE", m),
                    C(f"{m} IV", m, (AI,), CONTROLS, fe=FE, estimator="iv", instruments=("robot_exposure_us",),
                      options=IV_OPTS, rename={AI: "AI", **NAMES}, truth=ai_truth(m, AI)))),
        notes=("IV columns: instrument not stated in the paper; the US-robot instrument of Table 4 is used.",), iv=True),
    table("Table 7", "Heterogeneity: environmental regulation (median split)", (
        fe("High regulation Co2", CO2, filters="high_regulation"), fe("High regulation GTFP", GTFP, filters="high_regulation"),
        fe("Low regulation Co2", CO2, filters="not high_regulation"),
        fe("Low regulation GTFP", GTFP, filters="not high_regulation"))),
    table("Table 8", "Heterogeneity: industrialisation (median split)", (
        fe("High industrialisation Co2", CO2, filters="high_industrialization"),
        fe("High industrialisation GTFP", GTFP, filters="high_industrialization"),
        fe("Low industrialisation Co2", CO2, filters="not high_industrialization"),
        fe("Low industrialisation GTFP", GTFP, filters="not high_industrialization"))),
)

STUDY = StudySpec(study="003", title="Robots, ln CO2 and green TFP, 30 provinces", unit="province",
                  entity="province_adcode", window=STUDY_WINDOW, tables=TABLES, prepare=prepare,
                  variables=VARIABLES)

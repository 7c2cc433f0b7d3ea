"""Study 001: AI (industrial robots) and the CO2 + PM2.5 index by double machine learning, 2009-2023.

Tables 2-7: DML partially linear baseline (random forest, K = 5) with and without squared controls,
full window and 2012-2022; robustness (municipalities dropped, winsorising, K = 3 / 8, Lasso /
gradient boosting / SVM, partially linear IV); mechanisms (GTFEE, tertiary share, green invention
applications); heterogeneity by urban agglomeration and the eight economic zones. Figure: the learner
comparison of Table 4. Choices (recorded here):

* EI = ``pollution_carbon_index_001`` (entropy index of EDGAR CO2 and PM2.5); AI = ln(1 + robot
  exposure) (the mart's reading of "industrial robot density").
* City and year effects by the within transformation before DML (``fe_method="within"``; the module
  docstring of ``analysis.estimators.dml.estimator`` shows it is the variant that recovers a planted
  effect);
  folds by city, cluster-robust SE. "1:4" = K = 5, "1:2" / "1:7" = K = 3 / 8.
* IV-DML: the printed instrument (distance to backbone nodes) is time-invariant and absorbed by city
  effects, so it is interacted with the national mean of ln broadband users in the year
  (``instrument_series``, the time-varying variant).
* Controls: Pgdp, Fin, Open (printed unconverted FDI / GDP), Urban, Gov, Fiscal, Ind, Hc; Control2 =
  their squares. Gtfe = city SBM super-efficiency score (``mart_efficiency``).
* Heterogeneity columns with too few cities on a small world are reported as not estimable.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.figures import save_figure
from analysis.replications.spec import ColumnSpec as C, StudySpec, TableSpec

EI, AI = "pollution_carbon_index_001", "ln_robot_exposure"
CONTROLS = ("ln_gdp_per_capita", "deposits_loans_gdp_ratio", "fdi_usd_gdp_ratio_printed", "urbanization_rate",
            "government_expenditure_ratio", "government_investment_ratio", "tertiary_secondary_ratio",
            "human_capital")
STUDY_WINDOW = (2009, 2023)
LEARNERS = {"rf": "RF", "lasso": "Lassocv", "gbm": "Gradboost", "svm": "Svm"}
AGGLOMERATIONS = (("Beijing-Tianjin-Hebei", "beijing_tianjin_hebei"), ("Yangtze River Delta", "yangtze_river_delta"),
                  ("Middle Reaches of the Yangtze", "middle_yangtze"), ("Chengdu-Chongqing", "chengdu_chongqing"),
                  ("Pearl River Delta", "pearl_river_delta"))
ZONES = (("Northeast", "northeast"), ("Northern Coastal Areas", "northern_coastal"),
         ("Eastern Coastal Areas", "eastern_coastal"), ("Southern Coastal Areas", "southern_coastal"),
         ("Middle Reaches of the Yellow", "yellow_river_middle"), ("Middle Reaches of the Yangtze River", "yangtze_middle"),
         ("Southwest", "southwest"), ("Northwest", "northwest"))

VARIABLES = {
    "EI": EI, "AI": "ln_robot_exposure", "Gtfe": "gtfee = mart_efficiency.efficiency_score (city)",
    "Ins": "tertiary_share", "Lngrva": "ln_green_invention_applications",
    "Pgdp": "ln_gdp_per_capita", "Fin": "deposits_loans_gdp_ratio", "Open": "fdi_usd_gdp_ratio_printed",
    "Urban": "urbanization_rate", "Gov": "government_expenditure_ratio", "Fiscal": "government_investment_ratio",
    "Ind": "tertiary_secondary_ratio", "Hc": "human_capital",
    "IV": "distance_to_backbone_km x national mean ln broadband users (time-varying variant)",
    "urban agglomeration / economic zone": "dim_city.agglomeration / economic_zone",
}


def prepare(panel: pd.DataFrame, warehouse=None) -> pd.DataFrame:
    from analysis.marts import query

    eff = query("select unit_code as adcode, year, efficiency_score as gtfee from marts.mart_efficiency "
                "where unit_level = 'city'", warehouse)
    eff["year"] = eff["year"].astype(int)
    panel = panel.merge(eff, on=["adcode", "year"], how="left")
    panel["national_broadband"] = panel.groupby("year")["ln_broadband_users"].transform("mean")
    panel["is_municipality"] = panel["is_municipality"].astype(bool)
    panel["agglomeration"] = panel["agglomeration"].fillna("none")
    return panel


def dml(label, *, y=EI, learner="rf", squared=True, n_folds=5, iv=False, **kw) -> C:
    opts = {"learner": learner, "n_folds": n_folds, "squared": squared,
            "stats": {"Control2": "Yes" if squared else "No", "Dml": LEARNERS[learner], "City FE": "Yes",
                      "Time FE": "Yes"}}
    if iv:
        opts |= {"instrument": "distance_to_backbone_km", "instrument_series": "national_broadband"}
    extra = kw.pop("options", {})
    return C(label, y, (AI,), CONTROLS, estimator="dml", options=opts | extra,
             rename={AI: "AI", "Constant": "Constant"}, **kw)


def learner_figure(results, folder: Path, ctx) -> list[Path]:
    """The DML learner comparison (Table 4): theta with 95% intervals by split / learner / IV."""
    import matplotlib.pyplot as plt

    labels, est, lo, hi = [], [], [], []
    for res, col in zip(results, TABLES[2].columns):
        if res is None or AI not in res.params:
            continue
        ci = res.conf_int().loc[AI]
        labels.append(col.label)
        est.append(res.params[AI])
        lo.append(ci["lower"])
        hi.append(ci["upper"])
    # the IV estimate has its own scale (a weak instrument widens it), so it gets its own panel
    iv = [i for i, lab in enumerate(labels) if "IV" in lab]
    groups = [[i for i in range(len(labels)) if i not in iv], iv]
    groups = [g for g in groups if g]
    fig, axes = plt.subplots(1, len(groups), figsize=(4.2 * len(groups), 3.4), squeeze=False,
                             gridspec_kw={"width_ratios": [max(len(g), 2) for g in groups]})
    for ax, g in zip(axes[0], groups):
        e = np.array(est)[g]
        ax.errorbar(np.arange(len(g)), e, yerr=[e - np.array(lo)[g], np.array(hi)[g] - e], fmt="o", capsize=3)
        ax.axhline(0, color="grey", lw=0.8, ls="--")
        ax.set_xticks(np.arange(len(g)), [labels[i] for i in g], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("effect of AI on EI (index per log point)")
        ax.set_xlabel("specification (Table 4 column)")
        ax.set_title("PLR: folds and learners" if g is not iv else "PLIV", fontsize=9)
    fig.suptitle("DML estimates with 95% intervals (Table 4)", fontsize=10)
    fig.tight_layout()
    path = folder / "figure_dml_learner_comparison.png"
    save_figure(fig, path, dpi=110)
    plt.close(fig)
    return [path]


TABLES = (
    TableSpec("TABLE 2", "Benchmark regression results (DML PLR, RF, K = 5)", (
        dml("(1) EI", squared=False), dml("(2) EI"),
        dml("(3) EI 2012-2022", squared=False, window=(2012, 2022)), dml("(4) EI 2012-2022", window=(2012, 2022)))),
    TableSpec("TABLE 3", "Robustness test I", (
        dml("(1) EI excluding municipalities", filters="not is_municipality"),
        dml("(2) EI 1% winsorization", winsorize=0.01), dml("(3) EI 5% winsorization", winsorize=0.05))),
    TableSpec("TABLE 4", "Robustness test II (folds, learners, IV)", (
        dml("(1) Kfolds = 3", n_folds=3), dml("(2) Kfolds = 8", n_folds=8), dml("(3) Lassocv", learner="lasso"),
        dml("(4) Gradboost", learner="gbm"), dml("(5) Svm", learner="svm"), dml("(6) IV", iv=True)),
        figure=learner_figure),
    TableSpec("TABLE 5", "Mechanism analysis", (
        dml("(1) Gtfe", y="gtfee"), dml("(2) Ins", y="tertiary_share"),
        dml("(3) Lngrva", y="ln_green_invention_applications"))),
    TableSpec("TABLE 6", "Heterogeneity I: urban agglomerations", tuple(
        dml(f"({j + 1}) {name}", filters=f"agglomeration == '{code}'") for j, (name, code) in enumerate(AGGLOMERATIONS))
        + (dml("(6) Non-urban Clusters", filters="agglomeration == 'none'"),)),
    TableSpec("TABLE 7", "Heterogeneity II: eight economic zones", tuple(
        dml(f"({j + 1}) {name}", filters=f"economic_zone == '{code}'") for j, (name, code) in enumerate(ZONES))),
)

STUDY = StudySpec(study="001", title="Industrial robots and the CO2 + PM2.5 index: double machine learning",
                  unit="city", entity="adcode", window=STUDY_WINDOW, tables=TABLES, prepare=prepare,
                  variables=VARIABLES)

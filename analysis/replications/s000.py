"""Study 000: AI and the pollution index, spatial Durbin panel, 274 cities, 2013-2022.

Table 1 (robust LM, LR tests of the fixed effects, LR and Wald tests of SDM against SAR / SEM),
Table 3 (SDM with individual effects under the geographic and the economic-geographic W, with
LeSage-Pace direct / indirect / total effects of AI), Table 4 (global Moran's I of pollution and AI
by year) and Figure 1 (Moran scatter plots of AI by year). Choices (recorded here):

* Pollution = ``pollution_index_000``: the entropy index of wastewater, SO2 and dust with the positive
  normalisation (higher = more polluted), the defensible reading; the printed negative normalisation
  is ``pollution_index_000_printed`` (option ``POLLUTION`` below).
* AI = ln(1 + AI firms); controls Urban, Fd (budget revenue / GDP), Open (FDI at the annual USD/CNY
  rate / GDP), Fin ((deposits + loans) / GDP), Nr (mining employment share).
* Geographic W = row-standardised inverse great-circle distance; economic-geographic W = the nested
  matrix of the weights mart (1/d x relative income), row-standardised over the sample's cities.
* The specification tests (Table 1) use the geographic W (the paper does not say); LM tests on the
  individual-FE OLS residuals; "LR test both ind/time" = the two-way model against individual-only /
  time-only effects (direct approach, comparable likelihoods); SDM individual FE with Lee-Yu.
* Effects: 1,000 simulated draws; Moran z under normality (the paper prints z, not p).
* The sample world plants its SDM in ln industrial SO2 (rho 0.85), not in the index, so no planted
  number sits beside these tables.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.figures import save_figure
from analysis.replications.adapters.spatial import SpatialDesign, lr_test, wald_test
from analysis.replications.rows import coverage_note, printed_n
from analysis.replications.spec import StudySpec, TableSpec
from analysis.tables import Column, Table, published_table

POLLUTION = "pollution_index_000"
AI = "ln_ai_firms"
CONTROLS = ("urbanization_rate", "fiscal_decentralization", "fdi_gdp_ratio", "deposits_loans_gdp_ratio",
            "natural_resources")
STUDY_WINDOW = (2013, 2022)
MATRICES = (("(1) Geographic Distance Matrix", "inverse_distance"),
            ("(2) Economic-Geographic Nested Matrix", "economic_geographic"))

VARIABLES = {
    "Pollution": f"{POLLUTION} (positive normalisation; printed variant pollution_index_000_printed)",
    "AI": "ln_ai_firms", "Urban": "urbanization_rate", "Fd": "fiscal_decentralization",
    "Open": "fdi_gdp_ratio", "Fin": "deposits_loans_gdp_ratio", "Nr": "natural_resources",
    "W (geographic)": "mart_spatial_weights inverse_distance", "W (economic-geographic)": "economic_geographic",
}


def _sample(panel: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    lo, hi = STUDY_WINDOW
    d = panel[panel["year"].between(lo, hi)].dropna(subset=[POLLUTION, AI, *CONTROLS])
    counts = d.groupby("adcode")["year"].transform("size")
    d = d[counts == counts.max()].sort_values(["year", "adcode"]).reset_index(drop=True)   # balanced
    return d, sorted(d["adcode"].unique())


def _w(ctx, matrix: str, ents: list):
    key = ("W", matrix, tuple(ents))
    if key not in ctx.cache:
        from analysis.marts import load_weights

        ctx.cache[key] = load_weights(matrix, ents, ctx.warehouse)
    return ctx.cache[key]


def _design(d: pd.DataFrame, ents: list, W) -> SpatialDesign:
    """Pollution on AI and the controls over the balanced sample ``d`` of the cities ``ents``."""
    return SpatialDesign(d, POLLUTION, (AI, *CONTROLS), W, ents, entity="adcode")


def _table(spec, study, columns, rows, stats, notes=(), data: pd.DataFrame | None = None) -> Table:
    """A custom-layout table; with ``data`` (the estimation sample) each column whose N differs from the
    printed one gets the coverage note of :func:`coverage_note`."""
    pub = published_table(study.study, spec.id)
    notes = list(notes)
    if data is not None:
        for i, col in enumerate(columns):
            note = coverage_note(col.label, data, int(col.stats["N"]), study, printed_n(pub, i))
            notes += [note] if note else []
    return Table(study.study, spec.id, spec.title, columns, rows, stats, notes + (
        ["Printed note: " + pub["note"]] if pub and pub.get("note") else []), pub)


def specification_tests(panel, spec, study, ctx):
    """Table 1: LM / robust LM, LR of the effects, LR and Wald of SDM vs SAR / SEM (geographic W)."""
    d, ents = _sample(panel)
    design = _design(d, ents, _w(ctx, "inverse_distance", ents))
    lm = design.lm_tests()
    lre = design.lr_effects_test()
    sdm, sar, sem = design.fit("sdm"), design.fit("sar"), design.fit("sem")
    tests = {
        "Robust LM-error": (lm.loc["robust LM-error", "statistic"], lm.loc["robust LM-error", "p_value"]),
        "Robust LM-lag": (lm.loc["robust LM-lag", "statistic"], lm.loc["robust LM-lag", "p_value"]),
        "LR test both ind": (lre.loc["both vs individual", "statistic"], lre.loc["both vs individual", "p_value"]),
        "LR test both time": (lre.loc["both vs time", "statistic"], lre.loc["both vs time", "p_value"]),
    }
    for name, t in (("LR test spatial lag", lr_test(sar, sdm)), ("LR test spatial error", lr_test(sem, sdm)),
                    ("Wald test spatial lag", wald_test(sdm, "sar")), ("Wald test spatial error", wald_test(sdm, "sem"))):
        tests[name] = (t.statistic, t.pvalue)
    stat_col = Column("Statistic Value", {k: (float(v), np.nan, float(p)) for k, (v, p) in tests.items()})
    p_col = Column("P-value", {k: (float(p), np.nan, np.nan) for k, (_, p) in tests.items()})
    p_col.stats["N"] = stat_col.stats["N"] = len(d)
    table = _table(spec, study, [stat_col, p_col], list(tests), ["N"],
                   ["Geographic W; LM tests on individual-FE OLS residuals; stars on the statistic from its p-value."], d)
    return table, [sdm, sar, sem]


def sdm_table(panel, spec, study, ctx):
    """Table 3: SDM, individual FE, under the two W, with LeSage-Pace effects of AI."""
    d, ents = _sample(panel)
    cols, results = [], []
    for label, matrix in MATRICES:
        res = _design(d, ents, _w(ctx, matrix, ents)).fit("sdm")
        eff = res.impacts(n_draws=ctx.draws("n_draws", 1000), seed=ctx.seed)
        p, pe = res.pvalues, eff.pvalues
        coefs = {"AI": (res.params[AI], res.bse[AI], p[AI]),
                 "W×AI": (res.params[f"W*{AI}"], res.bse[f"W*{AI}"], p[f"W*{AI}"]),
                 "rho": (res.params["rho"], res.bse["rho"], p["rho"]),
                 "Sigma²": (res.stats["sigma2"], np.nan, np.nan)}
        for kind, row in (("direct", "Direct Effect"), ("indirect", "Indirect Effect"), ("total", "Total Effect")):
            k = f"{kind}:{AI}"
            coefs[row] = (eff.params[k], eff.bse[k], pe[k])
        r2 = next((v for k, v in res.stats.items() if k.startswith("R2")), None)
        cols.append(Column(label, coefs, {"Control": "Y", "Regional Fixed Effects": "Y", "N": int(res.nobs), "R²": r2}))
        results.append(res)
    pub = published_table(study.study, spec.id)
    rows = [r["term"] for r in pub["rows"]] if pub else list(cols[0].coefs)
    return _table(spec, study, cols, rows, ["Control", "Regional Fixed Effects", "N", "R²"],
                  ["R² is the squared correlation on the transformed data; effects from "
                   f"{ctx.draws('n_draws', 1000):,} simulated draws (LeSage-Pace)."], d), results


def _moran(panel, ctx):
    d, ents = _sample(panel)
    design = _design(d, ents, _w(ctx, "inverse_distance", ents))
    return design.moran_by_year(POLLUTION), design.moran_by_year(AI)


def moran_table(panel, spec, study, ctx):
    """Table 4: global Moran's I of pollution and AI by year (geographic W), z under normality."""
    mp, ma = _moran(panel, ctx)
    ctx.cache["moran_ai"] = ma
    pub = published_table(study.study, spec.id)
    years = [str(r["term"]) for r in pub["rows"]] if pub else [str(y) for y in mp.table.index]
    missing = [y for y in years if int(y) not in set(mp.table.index)]
    years += [str(y) for y in mp.table.index if str(y) not in years]
    cols = []
    for label, m, what in (("Pollution Moran's I", mp, "I"), ("Pollution Z-value", mp, "z"),
                           ("AI Moran's I", ma, "I"), ("AI Z-value", ma, "z")):
        t = m.table
        if what == "I":
            coefs = {str(y): (t.loc[y, "I"], np.nan, t.loc[y, "p_norm"]) for y in t.index}
        else:
            coefs = {str(y): (t.loc[y, "z_norm"], np.nan, np.nan) for y in t.index}
        cols.append(Column(label, coefs, {"N": int(t["n"].iloc[0])}))
    notes = ["Stars on I from the normal-approximation p-value."] + [
        f"{y}: not in this world's years ({mp.table.index.min()}-{mp.table.index.max()})." for y in missing]
    for i, col in enumerate(cols):     # N is the cross-section of each year here
        printed = printed_n(pub, i)
        if printed is not None and printed != col.stats["N"]:
            notes.append(f"{col.label}: N {col.stats['N']:,} vs printed {printed:,}: this world's balanced sample "
                         f"has {col.stats['N']:,} cities in every year.")
    return _table(spec, study, cols, years, ["N"], notes), []


def moran_scatter(panel: pd.DataFrame, folder: Path, ctx) -> list[Path]:
    """Figure 1: Moran scatter plots of AI (standardised value vs its spatial lag), one panel per year."""
    import matplotlib.pyplot as plt

    ma = ctx.cache.get("moran_ai") or _moran(panel, ctx)[1]
    sc, years = ma.scatter, list(ma.table.index)
    ncol = 5
    nrow = int(np.ceil(len(years) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.0 * ncol, 2.8 * nrow), squeeze=False, sharex=True, sharey=True)
    for ax, y in zip(axes.ravel(), years):
        s = sc[sc["year"] == y]
        ax.scatter(s["z"], s["wz"], s=6, alpha=0.6)
        slope = ma.table.loc[y, "I"]
        xs = np.linspace(s["z"].min(), s["z"].max(), 2)
        ax.plot(xs, slope * xs, color="C3", lw=1)
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
        ax.set_title(f"{y}: I = {slope:.3f}", fontsize=9)
    for ax in axes.ravel()[len(years):]:
        ax.set_visible(False)
    for col in range(ncol):          # the lowest panel shown in each column carries the x axis
        shown = [ax for ax in axes[:, col] if ax.get_visible()]
        if shown:
            shown[-1].set_xlabel("AI, standardised z")
            shown[-1].xaxis.set_tick_params(labelbottom=True)
    for ax in axes[:, 0]:
        ax.set_ylabel("spatial lag Wz")
    fig.suptitle("Moran scatter plots of AI = ln(1 + AI firms), geographic W", fontsize=10)
    fig.tight_layout()
    path = folder / "figure_1_moran_scatter_ai.png"
    save_figure(fig, path, dpi=100)
    plt.close(fig)
    return [path]


TABLES = (
    TableSpec("Table 1", "Test results of spatial econometric models", (), build=specification_tests),
    TableSpec("Table 3", "Spatial Durbin model (individual FE) under two weight matrices", (), build=sdm_table),
    TableSpec("Table 4", "Global Moran's I by year (geographic W)", (), build=moran_table),
)

STUDY = StudySpec(study="000", title="AI and urban pollution: spatial Durbin panel (2013-2022)", unit="city",
                  entity="adcode", window=STUDY_WINDOW, tables=TABLES, variables=VARIABLES,
                  figures=(moran_scatter,))

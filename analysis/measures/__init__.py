"""Measures built from the panel before estimation: entropy-weight indices, SBM efficiency with
undesirable outputs (and super-efficiency), the Global Malmquist-Luenberger index and
perpetual-inventory capital stocks.

``efficiency_scores`` is the one call that turns a tidy unit x year table into the rows of the
``mart_efficiency`` mart (unit, year, score, GML parts), for study 001's city GTFEE and study 003's
provincial GTFP (``gtfp_scores`` adds the perpetual-inventory capital). ``mart_efficiency_scores``
takes the ``mart_efficiency`` table as dbt builds it (inputs and outputs, scores null) and returns
the scores for both unit levels.
"""
from __future__ import annotations

from typing import Literal, Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from analysis.measures.capital import capital_stock
from analysis.measures.entropy import EntropyResult, entropy_weights, study_entropy_index
from analysis.measures.gml import gml_index, sbm_ddf
from analysis.measures.sbm import SBMResult, sbm

__all__ = [
    "EntropyResult",
    "SBMResult",
    "capital_stock",
    "efficiency_scores",
    "gtfp_scores",
    "mart_efficiency_scores",
    "entropy_weights",
    "gml_index",
    "sbm",
    "sbm_ddf",
    "study_entropy_index",
]


def efficiency_scores(
    data: pd.DataFrame,
    *,
    unit: str,
    year: str,
    inputs: Sequence[str],
    good_outputs: Sequence[str],
    bad_outputs: Sequence[str],
    rts: Literal["crs", "vrs"] = "crs",
    frontier: Literal["contemporaneous", "global"] = "contemporaneous",
    super_efficiency: bool = True,
    gml: bool = True,
    measure: str = "sbm_undesirable",
    batch_size: int = 64,
    progress: bool = True,
) -> pd.DataFrame:
    """Mart-shaped efficiency scores: one row per unit-year (progress bar over frontiers).

    Columns: ``unit, year, measure, score`` (the SBM score, super-efficiency for efficient DMUs
    when ``super_efficiency``), ``sbm_score``, ``efficient``, and with ``gml=True`` the GML index
    parts ``gml, gml_ec, gml_tc, gml_cumulative`` (see :func:`gml_index`).

    ``frontier="contemporaneous"`` (default) scores each year against that year's frontier, the usual
    reading of a yearly GTFEE panel (study 001); ``"global"`` uses one frontier over all years, which
    makes scores comparable across years. Study 001: inputs fixed assets, labour, energy; good output
    GDP; bad outputs SO2, NOx, CO2. Study 003: inputs labour, capital stock (:func:`capital_stock`),
    energy; good output real GDP; bad output CO2; GTFP is the GML index.
    """
    cols = [unit, year, *inputs, *good_outputs, *bad_outputs]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ValueError(f"efficiency_scores: column(s) {missing} not in the data; available: {list(data.columns)}")
    if frontier not in ("contemporaneous", "global"):
        raise ValueError("efficiency_scores: frontier must be 'contemporaneous' or 'global'")
    if data[[unit, year]].isna().any().any():
        raise ValueError(f"efficiency_scores: missing values in the key columns {unit!r}/{year!r}")
    if data.duplicated([unit, year]).any():
        raise ValueError(f"efficiency_scores: duplicated {unit} x {year} rows")
    df = data[cols].sort_values([unit, year]).reset_index(drop=True)
    score = np.full(len(df), np.nan)
    rho = np.full(len(df), np.nan)
    eff = np.zeros(len(df), dtype=bool)
    by_year = [np.flatnonzero(df[year].to_numpy() == t) for t in np.unique(df[year])]
    candidates = None
    if frontier == "global":
        # global-efficient DMUs are efficient in their own year: shrink the global LPs to those
        candidates = np.zeros(len(df), dtype=bool)
        for rows in by_year:
            sub = df.iloc[rows]
            r0 = sbm(sub[list(inputs)], sub[list(good_outputs)], sub[list(bad_outputs)], rts=rts,
                     batch_size=batch_size)
            candidates[rows] = r0.sbm_score.to_numpy() >= 1 - 1e-6
    groups = [np.arange(len(df))] if frontier == "global" else by_year
    for rows in tqdm(groups, desc=f"SBM ({frontier} frontier)", disable=not progress):
        sub = df.iloc[rows]
        res = sbm(sub[list(inputs)], sub[list(good_outputs)], sub[list(bad_outputs)], rts=rts,
                  super_efficiency=super_efficiency, batch_size=batch_size,
                  candidates=None if candidates is None else candidates[rows])
        score[rows] = res.score.to_numpy()
        rho[rows] = res.sbm_score.to_numpy()
        eff[rows] = res.efficient.to_numpy()
    out = df[[unit, year]].copy()
    out["measure"] = measure
    out["frontier"] = frontier
    out["score"] = score
    out["sbm_score"] = rho
    out["efficient"] = eff
    if gml:
        g = gml_index(df, unit=unit, year=year, inputs=inputs, good_outputs=good_outputs,
                      bad_outputs=bad_outputs, rts=rts, batch_size=batch_size, progress=progress)
        out = out.merge(g[[unit, year, "gml", "gml_ec", "gml_tc", "gml_cumulative"]], on=[unit, year], how="left")
    return out


def gtfp_scores(
    data: pd.DataFrame,
    *,
    unit: str,
    year: str,
    labour: str,
    investment: str,
    energy: str,
    gdp: str,
    co2: str | Sequence[str],
    deflator: str | None = None,
    base_year: int = 2000,
    depreciation: float = 0.1096,
    years: tuple[int, int] | None = None,
    rts: Literal["crs", "vrs"] = "crs",
    progress: bool = True,
) -> pd.DataFrame:
    """Study 003's provincial GTFP in one call: perpetual-inventory capital from ``investment``
    (:func:`capital_stock`, base ``base_year``, depreciation 10.96%), then the SBM-DDF GML index with
    inputs labour, capital, energy; good output ``gdp`` (real); bad output(s) ``co2``.

    ``deflator``: investment price index column (default: investment already real). ``years``:
    (first, last) window kept after the capital stock is built (study 003: 2013-2022). Returns the
    :func:`efficiency_scores` rows plus the ``capital_stock`` column.
    """
    need = [unit, year, labour, investment, energy, gdp, *([co2] if isinstance(co2, str) else co2)]
    need += [deflator] if deflator else []
    missing = [c for c in need if c not in data.columns]
    if missing:
        raise ValueError(f"gtfp_scores: column(s) {missing} not in the data")
    inv = data.pivot(index=year, columns=unit, values=investment).sort_index()
    defl = (data.pivot(index=year, columns=unit, values=deflator).sort_index() if deflator
            else pd.DataFrame(1.0, index=inv.index, columns=inv.columns))
    k = capital_stock(inv, defl, base_year=base_year, depreciation=depreciation)
    cap = k.stack().rename("capital_stock").reset_index()
    cap.columns = [year, unit, "capital_stock"]
    panel = data.merge(cap, on=[unit, year], how="inner")
    if years is not None:
        panel = panel[panel[year].between(*years)]
    bad = [co2] if isinstance(co2, str) else list(co2)
    out = efficiency_scores(panel, unit=unit, year=year, inputs=[labour, "capital_stock", energy],
                            good_outputs=[gdp], bad_outputs=bad, rts=rts, measure="gtfp_sbm_gml",
                            progress=progress)
    return out.merge(panel[[unit, year, "capital_stock"]], on=[unit, year], how="left")


MART_INPUTS = ["investment_10k_yuan", "employed_10k", "energy_10k_tce"]


def mart_efficiency_scores(
    mart: pd.DataFrame,
    *,
    province_base_year: int | None = None,
    depreciation: float = 0.1096,
    city_gml: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """Scores for the ``mart_efficiency`` table (columns unit_level, unit_code, year,
    investment_10k_yuan, employed_10k, energy_10k_tce, gdp_10k_yuan, so2_t, nox_t, co2_t).

    Cities (study 001 GTFEE): super-efficiency SBM with undesirable outputs SO2, NOx, CO2 on yearly
    frontiers (``efficiency_score``); the GML index too if ``city_gml``. Provinces (study 003 GTFP):
    capital by perpetual inventory from investment (base ``province_base_year``, default the first
    year in the table; study 003 uses 2000), then the SBM-DDF GML index (``gml_index`` year on year,
    ``gml_cumulative``) and the SBM score. Rows with a missing input or output are left out of the
    frontier and get null scores (a warning says how many).
    Returns unit_level, unit_code, year, efficiency_score, gml_index, gml_ec, gml_tc,
    gml_cumulative, capital_stock.
    """
    import warnings

    need = ["unit_level", "unit_code", "year", *MART_INPUTS, "gdp_10k_yuan", "so2_t", "nox_t", "co2_t"]
    missing = [c for c in need if c not in mart.columns]
    if missing:
        raise ValueError(f"mart_efficiency_scores: column(s) {missing} not in the mart")
    parts = []
    cols_out = ["unit_level", "unit_code", "year", "efficiency_score", "gml_index", "gml_ec", "gml_tc",
                "gml_cumulative", "capital_stock"]
    city = mart[mart.unit_level == "city"]
    city_vars = [*MART_INPUTS, "gdp_10k_yuan", "so2_t", "nox_t", "co2_t"]
    ok = city[city_vars].notna().all(axis=1) & (city[city_vars] > 0).all(axis=1)
    if (~ok).any():
        warnings.warn(f"mart_efficiency_scores: {int((~ok).sum())} city-year(s) with missing or non-positive "
                      "inputs/outputs left out of the frontier (null scores)", stacklevel=2)
    if ok.any():
        s_city = efficiency_scores(city[ok], unit="unit_code", year="year", inputs=MART_INPUTS,
                                   good_outputs=["gdp_10k_yuan"], bad_outputs=["so2_t", "nox_t", "co2_t"],
                                   gml=city_gml, progress=progress)
        s_city = s_city.rename(columns={"score": "efficiency_score", "gml": "gml_index"})
        s_city["unit_level"] = "city"
        parts.append(s_city.reindex(columns=cols_out))
    prov = mart[mart.unit_level == "province"]
    prov_vars = [*MART_INPUTS, "gdp_10k_yuan", "co2_t"]
    okp = prov[prov_vars].notna().all(axis=1) & (prov[prov_vars] > 0).all(axis=1)
    if (~okp).any():
        warnings.warn(f"mart_efficiency_scores: {int((~okp).sum())} province-year(s) with missing or "
                      "non-positive inputs/outputs left out (null scores)", stacklevel=2)
    if okp.any():
        base = int(prov[okp].year.min()) if province_base_year is None else province_base_year
        s_prov = gtfp_scores(prov[okp], unit="unit_code", year="year", labour="employed_10k",
                             investment="investment_10k_yuan", energy="energy_10k_tce", gdp="gdp_10k_yuan",
                             co2="co2_t", base_year=base, depreciation=depreciation, progress=progress)
        s_prov = s_prov.rename(columns={"score": "efficiency_score", "gml": "gml_index"})
        s_prov["unit_level"] = "province"
        parts.append(s_prov.reindex(columns=cols_out))
    scored = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols_out)
    keys = mart[["unit_level", "unit_code", "year"]]
    return keys.merge(scored, on=["unit_level", "unit_code", "year"], how="left")

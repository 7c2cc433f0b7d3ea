"""Efficiency scores of a tidy unit x year table: study 001's GTFEE (super-efficiency SBM with undesirable
outputs on yearly or global frontiers, with the GML index on request) and study 003's GTFP
(perpetual-inventory capital, then the SBM-DDF Global Malmquist-Luenberger index). Columns are named by
the caller; see ``int_efficiency_scored`` for the warehouse's mapping.
"""
from __future__ import annotations

from typing import Literal, Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from analysis.measures.capital import capital_stock
from analysis.measures.gml import gml_index
from analysis.measures.sbm import sbm

__all__ = ["efficiency_scores", "gtfp_scores"]


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
    investment_history: pd.DataFrame | None = None,
    rts: Literal["crs", "vrs"] = "crs",
    progress: bool = True,
) -> pd.DataFrame:
    """Study 003's provincial GTFP in one call: perpetual-inventory capital from ``investment``
    (:func:`capital_stock`, base ``base_year``, depreciation 10.96%), then the SBM-DDF GML index with
    inputs labour, capital, energy; good output ``gdp`` (real); bad output(s) ``co2``.

    ``deflator``: investment price index column (default: investment already real). ``years``:
    (first, last) window kept after the capital stock is built (study 003: 2013-2022).
    ``investment_history``: rows (``unit``, ``year``, ``investment`` and ``deflator`` if given) from
    ``base_year`` on over which the capital stock is accumulated, when the base year precedes the scored
    panel (study 003 starts its stock in 2000); every unit of ``data`` must be in it. Default: ``data``.
    Returns the :func:`efficiency_scores` rows plus the ``capital_stock`` column.
    """
    need = [unit, year, labour, investment, energy, gdp, *([co2] if isinstance(co2, str) else co2)]
    need += [deflator] if deflator else []
    missing = [c for c in need if c not in data.columns]
    if missing:
        raise ValueError(f"gtfp_scores: column(s) {missing} not in the data")
    history = data if investment_history is None else investment_history
    missing = [c for c in (unit, year, investment, *([deflator] if deflator else [])) if c not in history.columns]
    if missing:
        raise ValueError(f"gtfp_scores: column(s) {missing} not in the investment history")
    absent = sorted(set(data[unit]) - set(history[unit]))
    if absent:
        raise ValueError(f"gtfp_scores: unit(s) {absent[:5]} have no investment history for the capital stock")
    inv = history.pivot(index=year, columns=unit, values=investment).sort_index()
    defl = (history.pivot(index=year, columns=unit, values=deflator).sort_index() if deflator
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

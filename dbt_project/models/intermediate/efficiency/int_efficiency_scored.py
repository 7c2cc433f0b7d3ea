"""Efficiency scores for mart_efficiency (dbt Python model, run in-process on DuckDB).

Linear programmes do not belong in SQL. This model maps the columns of ``int_efficiency_inputs_joined``
onto the generic arguments of ``analysis.measures`` (which knows no mart) and returns one row per
unit-year with the inputs and the scores:

* cities, study 001's GTFEE: ``efficiency_scores`` - super-efficiency SBM with undesirable outputs on
  yearly frontiers; inputs fixed-asset investment, employment, energy; good output GDP; bad outputs
  SO2, NOx, CO2;
* provinces, study 003's GTFP: ``gtfp_scores`` - perpetual-inventory capital from the provincial
  fixed-asset investment since the base year (dbt var ``gtfp_base_year``, 2000 as study 003; the
  investment series of ``int_province_year_indicators_pivoted`` reaches back to it, a dbt test there
  fails the build when it does not), then the SBM-DDF Global Malmquist-Luenberger index with inputs
  labour, capital, energy; good output GDP; bad output CO2 (HiGHS through scipy).

Unit-years with a missing or non-positive input or output are left out of the frontier and get null
scores (a warning says how many).
"""
from __future__ import annotations

import warnings

import pandas as pd

KEY = ["unit_level", "unit_code", "year"]
# the columns of int_efficiency_inputs_joined -> the library's arguments
CITY_COLUMNS = dict(unit="unit_code", year="year", inputs=["investment_10k_yuan", "employed_10k", "energy_10k_tce"],
                    good_outputs=["gdp_10k_yuan"], bad_outputs=["so2_t", "nox_t", "co2_t"])
PROVINCE_COLUMNS = dict(unit="unit_code", year="year", labour="employed_10k", investment="investment_10k_yuan",
                        energy="energy_10k_tce", gdp="gdp_10k_yuan", co2="co2_t")
# the columns of int_province_year_indicators_pivoted -> the investment history's
HISTORY_COLUMNS = {"adcode": "unit_code", "year": "year", "fixed_asset_investment_10k_yuan": "investment_10k_yuan"}
# the library's result columns -> the mart's
SCORE_NAMES = {"score": "efficiency_score", "gml": "gml_index"}
OUTPUT = [*KEY, "efficiency_score", "gml_index", "gml_ec", "gml_tc", "gml_cumulative", "capital_stock"]


def _complete(rows: pd.DataFrame, columns: list[str], what: str) -> pd.DataFrame:
    """The rows whose ``columns`` are all present and positive (a warning counts the others)."""
    ok = rows[columns].notna().all(axis=1) & (rows[columns] > 0).all(axis=1)
    if (~ok).any():
        warnings.warn(f"int_efficiency_scored: {int((~ok).sum())} {what}(s) with missing or non-positive "
                      "inputs/outputs left out of the frontier (null scores)", stacklevel=2)
    return rows[ok]


def score(inputs: pd.DataFrame, *, gtfp_base_year: int, investment_history: pd.DataFrame | None = None,
          depreciation: float = 0.1096, city_gml: bool = False, progress: bool = False) -> pd.DataFrame:
    """The scores of every unit-year of ``inputs`` (columns of int_efficiency_inputs_joined), in the
    mart's names: unit_level, unit_code, year, efficiency_score, gml_index, gml_ec, gml_tc,
    gml_cumulative, capital_stock. The provinces' capital stock starts in ``gtfp_base_year`` and
    accumulates ``investment_history`` (unit_code, year, investment_10k_yuan; default: the inputs'
    own investment). City GML only with ``city_gml``."""
    from analysis.measures import efficiency_scores, gtfp_scores

    parts = []
    city = CITY_COLUMNS
    cities = _complete(inputs[inputs.unit_level == "city"],
                       [*city["inputs"], *city["good_outputs"], *city["bad_outputs"]], "city-year")
    if len(cities):
        scored = efficiency_scores(cities, **city, gml=city_gml, progress=progress)
        parts.append(scored.rename(columns=SCORE_NAMES).assign(unit_level="city"))
    prov = PROVINCE_COLUMNS
    provinces = _complete(inputs[inputs.unit_level == "province"],
                          [prov["investment"], prov["labour"], prov["energy"], prov["gdp"], prov["co2"]],
                          "province-year")
    if len(provinces):
        scored = gtfp_scores(provinces, **prov, base_year=gtfp_base_year, investment_history=investment_history,
                             depreciation=depreciation, progress=progress)
        parts.append(scored.rename(columns=SCORE_NAMES).assign(unit_level="province"))
    scored = pd.concat([p.reindex(columns=OUTPUT) for p in parts], ignore_index=True) if parts \
        else pd.DataFrame(columns=OUTPUT)
    return inputs[KEY].merge(scored, on=KEY, how="left")


def model(dbt, session):
    dbt.config(materialized="table")
    base_year = dbt.config.get("gtfp_base_year")   # set from var('gtfp_base_year') in _efficiency__models.yml
    if base_year in (None, ""):
        raise ValueError("int_efficiency_scored: no gtfp_base_year; set the var gtfp_base_year in dbt_project.yml")
    inputs = dbt.ref("int_efficiency_inputs_joined").df()
    history = dbt.ref("int_province_year_indicators_pivoted").df()
    history = history[list(HISTORY_COLUMNS)].rename(columns=HISTORY_COLUMNS).dropna(subset=["investment_10k_yuan"])
    scores = score(inputs, gtfp_base_year=int(base_year), investment_history=history)
    return inputs.merge(scores, on=KEY, how="left")

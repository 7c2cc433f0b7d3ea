"""Efficiency scores for mart_efficiency (dbt Python model, run in-process on DuckDB).

Linear programmes do not belong in SQL: this model hands the inputs to
``analysis.measures.mart_efficiency_scores`` (SBM with undesirable outputs and super-efficiency on
yearly frontiers for the cities' GTFEE, seed 001; perpetual-inventory capital and the SBM-DDF Global
Malmquist-Luenberger index for the provinces' GTFP, seed 003; HiGHS through scipy) and returns one
row per unit-year with the inputs and the scores.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from analysis.measures import mart_efficiency_scores

    inputs = dbt.ref("int_efficiency_inputs_joined").df()
    base_year = dbt.config.get("province_base_year")
    scores = mart_efficiency_scores(inputs, province_base_year=base_year, progress=False)
    return inputs.merge(scores, on=["unit_level", "unit_code", "year"], how="left")

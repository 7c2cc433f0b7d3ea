"""The mart suites: every suite passes on the tiny world, and a corrupted copy of each mart fails with
the right expectation named (check name and GX expectation type)."""
from __future__ import annotations

from typing import Callable

import duckdb
import numpy as np
import pandas as pd
import pytest

from expectations.runner import validate_frame
from expectations.suites import SUITES

# Known defects of the marts the suites catch, while their fix is pending: {mart: {check names}}.
# (Empty: the GDP-per-capita unit slip they caught in fct_city_year is fixed in 6b6b209.)
KNOWN_MART_DEFECTS: dict[str, set[str]] = {}


def test_every_mart_has_a_suite(tiny_marts):
    con = duckdb.connect(str(tiny_marts), read_only=True)
    try:
        marts = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
    finally:
        con.close()
    assert marts == set(SUITES), f"marts without a suite: {sorted(marts - set(SUITES))}"


@pytest.mark.parametrize("mart", list(SUITES))
def test_suite_passes_on_the_tiny_world(tiny_check, mart):
    report = tiny_check[0]
    result = report[mart]
    assert result.error is None, result.error
    unexpected = set(result.failed_checks()) - KNOWN_MART_DEFECTS.get(mart, set())
    assert not unexpected, [f.describe() for f in result.critical]
    assert result.evaluated >= 10


def test_check_names_are_unique_within_every_suite():
    for suite in SUITES.values():
        suite.all_checks({"rows": 10, "columns": {"x": {"mean": 1.0, "sd": 0.1}}})  # raises on duplicates


# ---------------------------------------------------------------------------------------------- corruptions
def _first(df: pd.DataFrame, **where) -> pd.Index:
    mask = pd.Series(True, index=df.index)
    for col, value in where.items():
        mask &= df[col] == value
    return df.index[mask]


def dup_first_row(df):
    return pd.concat([df, df.iloc[[0]]], ignore_index=True)


def set_value(column, value, row=0):
    def corrupt(df):
        df.loc[df.index[row], column] = value
        return df
    return corrupt


def drop_row(row=3):
    def corrupt(df):
        return df.drop(index=df.index[row]).reset_index(drop=True)
    return corrupt


def change_cohort_within_city(cohort_col, policy=None):
    """Give one row of a treated city a different cohort from its other rows."""
    def corrupt(df):
        rows = df[df[cohort_col].notna()] if policy is None else df[(df["policy"] == policy) & df[cohort_col].notna()]
        idx = rows.index[0]
        df[cohort_col] = df[cohort_col].astype("Float64")
        df.loc[idx, cohort_col] = df.loc[idx, cohort_col] + 1
        return df
    return corrupt


def scale_row_weight(df):
    idx = _first(df, matrix="knn")[0]
    df.loc[idx, "weight"] = df.loc[idx, "weight"] * 0.5
    return df


def self_weight(df):
    idx = _first(df, matrix="inverse_distance")[0]
    df.loc[idx, "adcode_j"] = df.loc[idx, "adcode_i"]
    return df


def asymmetric_distance(df):
    idx = _first(df, matrix="inverse_distance")[0]
    df.loc[idx, "weight_raw"] = df.loc[idx, "weight_raw"] * 1.01
    return df


def co2_jump(df):
    """One city's CO2 ten times higher in one mid-panel year."""
    city = df["adcode"].iloc[0]
    idx = df.index[(df["adcode"] == city) & (df["year"] == sorted(df["year"].unique())[4])][0]
    df.loc[idx, "co2_edgar_t"] = df.loc[idx, "co2_edgar_t"] * 10
    return df


def robot_exposure_falls(df):
    rows = df[(df["geo_level"] == "city")].sort_values(["unit_code", "year"])
    idx = rows.index[5]
    df.loc[idx, "robot_exposure"] = df.loc[rows.index[4], "robot_exposure"] * 0.5
    return df


def pilot_revoked(df):
    treated = df[(df["treated"] == 1)].sort_values(["policy", "adcode", "year"])
    # the second treated year of a city goes back to 0
    idx = treated.groupby(["policy", "adcode"]).head(2).groupby(["policy", "adcode"]).nth(1).index[0]
    df.loc[idx, "treated"] = 0
    return df


def ai_stock_jumps(df):
    idx = df.sort_values(["adcode", "year"]).index[3]
    df.loc[idx, "ai_firms_operating"] = df.loc[idx, "ai_firms_operating"] + 7
    df.loc[idx, "ln_ai_firms"] = np.log1p(df.loc[idx, "ai_firms_operating"])
    return df


def green_exceeds_total(df):
    idx = df.index[0]
    df.loc[idx, "green_applications"] = df.loc[idx, "applications"] + 5
    df.loc[idx, "green_invention_applications"] = df.loc[idx, "green_applications"] - df.loc[idx, "green_utility_applications"]
    df.loc[idx, "ln_green_applications"] = np.log1p(df.loc[idx, "green_applications"])
    df.loc[idx, "ln_green_invention_applications"] = np.log1p(df.loc[idx, "green_invention_applications"])
    return df


def weights_do_not_sum_to_one(df):
    df.loc[df.index[0], "weight"] = df.loc[df.index[0], "weight"] + 0.05
    return df


BETWEEN = "expect_column_values_to_be_between"
CASES: list[tuple[str, str, Callable, str, str]] = [
    # mart, case, corruption, check that must fail, its GX expectation
    ("dim_city", "duplicate key", dup_first_row, "key_unique", "expect_column_values_to_be_unique"),
    ("dim_city", "unknown region", set_value("region", "north"), "in_set:region", "expect_column_values_to_be_in_set"),
    ("dim_city", "centroid outside China", set_value("centroid_lon", 10.0), "range:centroid_lon", BETWEEN),
    ("fct_city_year", "duplicate key", dup_first_row, "key_unique", "expect_compound_columns_to_be_unique"),
    ("fct_city_year", "PM2.5 out of range", set_value("pm25_ugm3", 900.0), "range:pm25_ugm3", BETWEEN),
    ("fct_city_year", "share above one", set_value("urbanization_rate", 1.3), "share:urbanization_rate", BETWEEN),
    ("fct_city_year", "cohort changes within a city", change_cohort_within_city("ai_pilot_cohort"),
     "cohort_constant_within_city", BETWEEN),
    ("fct_city_year", "CO2 jumps tenfold", co2_jump, "yoy_change:co2_edgar_t", BETWEEN),
    ("fct_city_year", "missing city-year", drop_row(), "balanced_panel", BETWEEN),
    ("fct_city_year", "null key", set_value("year", None), "not_null:year", "expect_column_values_to_not_be_null"),
    ("mart_emissions_intensity", "negative CO2", set_value("co2_edgar_t", -1.0), "range:co2_edgar_t", BETWEEN),
    ("mart_emissions_intensity", "coverage above one", set_value("pm25_coverage", 1.5), "share:pm25_coverage", BETWEEN),
    ("mart_pollution_index", "index above one", set_value("pollution_index_000", 1.2), "share:pollution_index_000",
     BETWEEN),
    ("mart_pollution_index_weights", "weights do not sum to one", weights_do_not_sum_to_one, "row_stochastic",
     BETWEEN),
    ("mart_patents", "green above total", green_exceeds_total, "subset:green_applications", BETWEEN),
    ("mart_ai", "stock moves without entries", ai_stock_jumps, "stock_flow:ai_firms_operating", BETWEEN),
    ("mart_ai", "negative count", set_value("ai_firms_new", -3), "range:ai_firms_new", BETWEEN),
    ("mart_robot_exposure", "cumulative stock falls", robot_exposure_falls, "non_decreasing:robot_exposure",
     BETWEEN),
    ("mart_policy_treatment", "cohort changes within a city", change_cohort_within_city("cohort", "ai_pilot"),
     "cohort_constant_within_city", BETWEEN),
    ("mart_policy_treatment", "pilot revoked", pilot_revoked, "non_decreasing:treated", BETWEEN),
    ("mart_policy_treatment", "unknown policy", set_value("policy", "carbon_tax"), "in_set:policy",
     "expect_column_values_to_be_in_set"),
    ("mart_spatial_weights", "row does not sum to one", scale_row_weight, "row_stochastic", BETWEEN),
    ("mart_spatial_weights", "self weight", self_weight, "no_self_weights", "expect_column_values_to_be_in_set"),
    ("mart_spatial_weights", "asymmetric distance", asymmetric_distance, "symmetric_raw_distances", BETWEEN),
    ("mart_spatial_weights", "duplicate edge", dup_first_row, "key_unique", "expect_compound_columns_to_be_unique"),
    ("fct_province_year", "duplicate key", dup_first_row, "key_unique", "expect_compound_columns_to_be_unique"),
    ("fct_province_year", "CO2 out of range", set_value("ln_co2_ipcc", 30.0), "range:ln_co2_ipcc", BETWEEN),
    ("mart_efficiency", "non-positive input", set_value("energy_10k_tce", 0.0), "positive:energy_10k_tce", BETWEEN),
    ("mart_efficiency", "duplicate key", dup_first_row, "key_unique", "expect_compound_columns_to_be_unique"),
]


def test_every_suite_has_a_corruption_case():
    assert {case[0] for case in CASES} == set(SUITES)


@pytest.mark.parametrize("mart, case, corrupt, check, expectation", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_corrupted_mart_fails_with_the_right_expectation(tiny_frames, mart, case, corrupt, check, expectation):
    frame = corrupt(tiny_frames[mart].copy())
    result = validate_frame(mart, frame, drift="off")
    assert not result.success
    named = [f for f in result.critical if f.check == check]
    assert named, f"{check} did not fail; failures: {[f.describe() for f in result.critical]}"
    failure = named[0]
    assert failure.expectation_type == expectation
    if expectation != "expect_table_row_count_to_be_between":
        assert failure.sample, "a failure names sample offending rows"
    # the sample row carries the mart's key (or the offending key values themselves)
    key_cols = set(SUITES[mart].sample_columns)
    sample = failure.sample[0]
    assert isinstance(sample, dict) and (key_cols & set(sample)), sample


def test_a_dropped_column_fails_columns_present_naming_it(tiny_frames):
    frame = tiny_frames["mart_ai"].drop(columns=["ai_firms_exited"])
    result = validate_frame("mart_ai", frame, drift="off")
    named = {f.check: f for f in result.critical}
    assert named["columns_present"].sample == [{"missing columns": ["ai_firms_exited"]}]
    assert named["columns_present"].expectation_type == "expect_table_columns_to_match_set"
    # checks that read the column fail too (never silently pass)
    assert {"range:ai_firms_exited", "stock_flow:ai_firms_operating"} <= set(named)

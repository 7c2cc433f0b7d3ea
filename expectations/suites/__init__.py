"""The registry of mart suites: one module per mart, listed here in build order.

Adding a mart's suite is adding one module with a ``SUITE`` and one line below.
"""
from __future__ import annotations

from expectations.suite import MartSuite
from expectations.suites import (
    dim_city,
    fct_city_year,
    fct_province_year,
    mart_ai,
    mart_efficiency,
    mart_emissions_intensity,
    mart_patents,
    mart_policy_treatment,
    mart_pollution_index,
    mart_pollution_index_weights,
    mart_robot_exposure,
    mart_spatial_weights,
)

SUITES: dict[str, MartSuite] = {m.SUITE.mart: m.SUITE for m in (
    dim_city,
    fct_city_year,
    mart_emissions_intensity,
    mart_pollution_index,
    mart_pollution_index_weights,
    mart_patents,
    mart_ai,
    mart_robot_exposure,
    mart_policy_treatment,
    mart_spatial_weights,
    fct_province_year,
    mart_efficiency,
)}

__all__ = ["SUITES", "MartSuite"]

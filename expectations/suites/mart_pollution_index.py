"""mart_pollution_index: entropy-weight indices and their normalised components (city x year)."""
from __future__ import annotations

from expectations import checks as c
from expectations.suite import MartSuite, documented_columns
from expectations.suites._common import CITY_YEAR_KEY, city_year_checks, value_checks

_INDICES = ["pollution_index_000", "pollution_index_000_printed", "pollution_carbon_index_001"]

SUITE = MartSuite(
    mart="mart_pollution_index",
    key=CITY_YEAR_KEY,
    checks=(
        *city_year_checks(),
        *c.complete(_INDICES),
        *value_checks(documented_columns("mart_pollution_index")),
        # study 001 sets standardised zeros to 1e-5 before taking logs
        c.between("co2_normalised", 1e-5, 1, "study 001: standardised zeros set to 1e-5"),
        c.between("pm25_normalised", 1e-5, 1, "study 001: standardised zeros set to 1e-5"),
    ),
    drift_columns=tuple(_INDICES),
)

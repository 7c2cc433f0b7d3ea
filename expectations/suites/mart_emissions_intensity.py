"""mart_emissions_intensity: CO2 by source, intensities, PM2.5 and industrial pollutants (city x year)."""
from __future__ import annotations

from expectations import checks as c
from expectations.suite import MartSuite, documented_columns
from expectations.suites._common import CITY_YEAR_KEY, city_year_checks, value_checks

_ID = ["adcode"]

SUITE = MartSuite(
    mart="mart_emissions_intensity",
    key=CITY_YEAR_KEY,
    checks=(
        *city_year_checks(),
        *c.complete(["co2_edgar_t", "co2_edgar_coverage", "pm25_ugm3", "pm25_coverage", "industrial_so2_t"]),
        *value_checks(documented_columns("mart_emissions_intensity")),
        c.year_on_year("co2_edgar_t", _ID, "year"),
        c.year_on_year("co2_ceads_t", _ID, "year"),
        c.year_on_year("pm25_ugm3", _ID, "year"),
    ),
    drift_columns=("co2_edgar_t", "co2_ceads_t", "pm25_ugm3", "industrial_so2_t", "industrial_wastewater_t",
                   "co2_per_capita_t"),
)

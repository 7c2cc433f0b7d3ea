"""mart_patents: applications and grants, total / invention / utility / green (city x year)."""
from __future__ import annotations

from expectations import checks as c
from expectations.suite import MartSuite, documented_columns
from expectations.suites._common import CITY_YEAR_KEY, city_year_checks, value_checks


def _sum_identity(total: str, *parts: str) -> c.Check:
    return c.identity(f"sum:{total}", lambda df: df[total] - sum(df[p] for p in parts), 0,
                      f"{total} = {' + '.join(parts)}")


def _at_most(part: str, total: str) -> c.Check:
    return c.identity(f"subset:{part}", lambda df: (df[part] - df[total]).clip(lower=0), 0, f"{part} <= {total}")


SUITE = MartSuite(
    mart="mart_patents",
    key=CITY_YEAR_KEY,
    checks=(
        *city_year_checks(),
        *c.complete(["applications", "green_applications", "grants", "green_grants"]),
        *value_checks(documented_columns("mart_patents")),
        _sum_identity("applications", "invention_applications", "utility_applications"),
        _sum_identity("green_applications", "green_invention_applications", "green_utility_applications"),
        _sum_identity("grants", "invention_grants", "utility_grants"),
        _at_most("green_applications", "applications"),
        _at_most("green_invention_applications", "invention_applications"),
        _at_most("green_grants", "grants"),
        _at_most("green_invention_grants", "green_grants"),
        *[c.log1p_of(f"ln_{level}", level) for level in
          ("applications", "green_applications", "green_invention_applications", "green_grants",
           "green_invention_grants")],
    ),
    drift_columns=("applications", "green_applications", "grants", "green_grants"),
)

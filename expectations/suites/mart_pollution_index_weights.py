"""mart_pollution_index_weights: entropy, divergence and weight of every indicator of every index."""
from __future__ import annotations

from expectations import checks as c
from expectations.suite import MartSuite

_KEY = ("index_name", "pooling_group", "indicator")

SUITE = MartSuite(
    mart="mart_pollution_index_weights",
    key=_KEY,
    checks=(
        c.unique_key(_KEY),
        *c.complete([*_KEY, "direction", "entropy", "divergence", "weight"]),
        c.row_count_at_least(1),
        c.in_set("index_name", ["pollution_index_000", "pollution_index_000_printed", "pollution_carbon_index_001"]),
        c.in_set("direction", ["positive", "negative"]),
        c.share("entropy", "normalised entropy e_j"),
        c.share("divergence", "1 - e_j"),
        c.share("weight", "entropy weight"),
        c.identity("divergence_is_one_minus_entropy", lambda df: df["divergence"] - (1 - df["entropy"]), 1e-12,
                   "divergence = 1 - entropy"),
        c.row_stochastic("weight", ["index_name", "pooling_group"]),
    ),
    drift_columns=("entropy", "weight"),
)

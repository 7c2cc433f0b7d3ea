"""mart_spatial_weights: raw and row-standardised weights of every matrix (matrix x city i x city j)."""
from __future__ import annotations

from expectations import checks as c
from expectations.suite import MartSuite, dbt_vars

_KEY = ("matrix", "adcode_i", "adcode_j")
_ROW = ["matrix", "adcode_i"]
MATRICES = ["inverse_distance", "inverse_distance_squared", "economic_geographic", "queen", "knn"]
DENSE = {"inverse_distance", "inverse_distance_squared", "economic_geographic"}
BINARY = {"queen", "knn"}


def _knn_expected(df):
    k = float(dbt_vars().get("knn_k", 5))
    return (df["matrix"] == "knn").map({True: k, False: float("nan")})


def _dense_expected(df):
    """A dense matrix links every origin to every other origin of the same matrix (N - 1 per row)."""
    n = df.groupby("matrix")["adcode_i"].transform("nunique").astype("float64") - 1
    return n.where(df["matrix"].isin(DENSE))


SUITE = MartSuite(
    mart="mart_spatial_weights",
    key=_KEY,
    checks=(
        c.unique_key(_KEY),
        *c.complete([*_KEY, "weight_raw", "weight"]),
        c.row_count_at_least(1),
        c.in_set("matrix", MATRICES),
        c.positive("weight_raw", "zero weights are not stored"),
        c.between("weight", 0, 1, "row-standardised"),
        c.positive("weight", "zero weights are not stored"),
        c.row_stochastic("weight", _ROW, tol=1e-9),
        c.no_self_pairs("adcode_i", "adcode_j"),
        c.symmetric("weight_raw", "adcode_i", "adcode_j", group=["matrix"], name="symmetric_raw_distances",
                    where=lambda df: df["matrix"].isin(["inverse_distance", "inverse_distance_squared"])),
        # contiguity is symmetric by definition; a one-sided edge is a geometry-predicate artefact
        c.symmetric("weight_raw", "adcode_i", "adcode_j", group=["matrix"], name="symmetric_contiguity",
                    where=lambda df: df["matrix"] == "queen"),
        c.identity("row_standardised", lambda df: df["weight"] - df["weight_raw"]
                   / df.groupby(_ROW)["weight_raw"].transform("sum"), 1e-12,
                   "weight = weight_raw / row sum of weight_raw"),
        c.identity("binary_weights", lambda df: (df["weight_raw"] - 1).where(df["matrix"].isin(BINARY)), 0,
                   "queen and knn raw weights are 1"),
        c.group_count("knn_neighbours", _ROW, _knn_expected, "every knn row has exactly knn_k neighbours"),
        c.group_count("dense_rows_complete", _ROW, _dense_expected,
                      "distance matrices link every city to every other city"),
    ),
    drift_columns=("weight_raw", "weight"),
)

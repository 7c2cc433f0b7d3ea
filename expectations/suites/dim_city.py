"""dim_city: one row per prefecture-level city."""
from __future__ import annotations

from expectations import checks as c
from expectations.suite import MartSuite

SUITE = MartSuite(
    mart="dim_city",
    key=("adcode",),
    row_id=("adcode", "name_zh"),
    skip_columns=("geometry_wkb",),
    checks=(
        c.unique_key(["adcode"]),
        *c.complete(["adcode", "province_adcode", "name_zh", "province_zh", "region", "economic_zone",
                     "is_central_city", "is_municipality", "is_east", "centroid_lon", "centroid_lat", "area_km2"]),
        c.row_count_at_least(1),
        c.matches("adcode", r"^\d{6}$"),
        c.matches("province_adcode", r"^\d{2}0000$"),
        c.identity("province_of_city", lambda df: (df["adcode"].str[:2] != df["province_adcode"].str[:2])
                   .astype("float64"), 0, "province_adcode shares the city's first two digits"),
        c.in_set("region", ["east", "central", "west"]),
        c.in_set("central_city_kind", ["municipality", "sub_provincial", "provincial_capital"]),
        c.identity("is_east_matches_region", lambda df: (df["is_east"] != (df["region"] == "east")).astype("float64"),
                   0, "is_east = (region = 'east')"),
        c.identity("is_central_matches_kind", lambda df: (df["is_central_city"] != df["central_city_kind"].notna())
                   .astype("float64"), 0, "is_central_city = central_city_kind is not null"),
        c.count_true_at_most("is_municipality", 4, "Beijing, Tianjin, Shanghai, Chongqing"),
        c.between("centroid_lon", 73, 136, "China's extent"),
        c.between("centroid_lat", 18, 54, "China's extent"),
        c.positive("area_km2", "a polygon"),
        c.between("area_km2", 0, 500_000, "largest prefecture (Bayingolin) ~470,000 km2"),
    ),
    drift_columns=("area_km2", "centroid_lon", "centroid_lat"),
)

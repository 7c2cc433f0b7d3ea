"""Helpers shared by the raster tests: a fake city panel and the city table a loader receives."""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

# exactextract keeps its coverage fractions as float32 (6e-8 of a cell); ours are float64, exact to 1e-12
# (test_zonal.test_coverage_is_the_exact_area_of_each_cell_in_each_zone), so its weighted statistics
# differ from ours by up to this
EXACTEXTRACT_RTOL = 1e-7


def fake_panel(world, seed: int = 3) -> pd.DataFrame:
    """City-years with CO2 totals spanning two orders of magnitude and PM2.5 / lights means that differ
    strongly between neighbours (the hard case for boundary cells)."""
    rng = np.random.default_rng(seed)
    rows = []
    for adcode in world.cities.adcode:
        co2, pm, ntl = rng.uniform(1e6, 1e8), rng.uniform(20, 90), rng.uniform(0.5, 30)
        for year in world.years:
            rows.append({"adcode": adcode, "year": year, "co2_t": co2 * 1.03 ** (year - 2012),
                         "pm25_ugm3": pm * 0.97 ** (year - 2012), "ntl_nw": ntl if year >= 2012 else np.nan})
    return pd.DataFrame(rows)


def city_table(world) -> pd.DataFrame:
    """raw.city_boundaries as the loaders see it: EPSG:4326 polygons as WKB."""
    cities = world.cities
    return pd.DataFrame({
        "adcode": cities["adcode"].astype(str),
        "name_zh": cities["name_zh"],
        "name_en": cities["adcode"].map(lambda a: f"city {a}"),
        "province_zh": cities["province_zh"],
        "province_adcode": cities["province_adcode"],
        "geometry_wkb": list(shapely.to_wkb(cities.geometry.to_numpy())),
    })

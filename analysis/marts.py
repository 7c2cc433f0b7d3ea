"""One-line loaders of the marts for the replications, notebooks and the report (read-only).

``load_city_panel()`` is ``marts.fct_city_year`` joined with the grouping columns of ``marts.dim_city``;
``load_province_panel()`` is ``marts.fct_province_year``; ``load_weights(matrix, entities)`` a
row-standardised CSR matrix from ``marts.mart_spatial_weights`` in the panel's entity order;
``load_distances_km(entities)`` the great-circle distances between city centroids (Conley standard errors);
``load_geo_cities()`` the city polygons as a GeoDataFrame (EPSG:4326). Every loader opens the
warehouse read-only, so it can run while another process reads it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from ingestion.settings import resolve_warehouse

__all__ = ["load_city_panel", "load_province_panel", "load_weights", "load_distances_km", "load_geo_cities", "query"]

# grouping columns of dim_city carried into the city panel (the heterogeneity splits of the studies)
CITY_GROUPS = ("province_adcode", "name_zh", "name_en", "region", "economic_zone", "agglomeration",
               "central_city_kind", "is_central_city", "is_municipality", "is_east", "centroid_lon",
               "centroid_lat", "area_km2")


def query(sql: str, warehouse: str | Path | None = None, params: Sequence | None = None) -> pd.DataFrame:
    """Run one SQL statement on the warehouse, read-only, and return a DataFrame. Values go in
    ``params`` (``?`` placeholders), never into ``sql``. A warehouse that another process is writing
    raises :class:`ingestion.errors.WarehouseInUse` naming that process."""
    import duckdb

    from ingestion.warehouse import connect

    path = resolve_warehouse(warehouse)
    if not Path(path).exists():
        raise FileNotFoundError(f"{path}: no warehouse; run `dualcarbon ingest` and `dualcarbon build` first")
    try:
        with connect(Path(path), read_only=True) as con:
            return con.execute(sql, list(params) if params is not None else None).df()
    except duckdb.CatalogException as exc:
        raise ValueError(f"{path}: the marts are missing ({str(exc).splitlines()[0]}); "
                         "run `dualcarbon build` first") from exc


def load_city_panel(warehouse: str | Path | None = None) -> pd.DataFrame:
    """fct_city_year with dim_city's groups (region, zone, central-city and municipality flags, centroid)."""
    groups = ", ".join(f"d.{c}" for c in CITY_GROUPS)
    df = query(f"select f.*, {groups} from marts.fct_city_year f join marts.dim_city d using (adcode) "
               "order by f.adcode, f.year", warehouse)
    df["year"] = df["year"].astype(int)
    return df


def load_province_panel(warehouse: str | Path | None = None) -> pd.DataFrame:
    """fct_province_year, one row per province and year."""
    df = query("select * from marts.fct_province_year order by province_adcode, year", warehouse)
    df["year"] = df["year"].astype(int)
    return df


def load_weights(matrix: str, entities: Sequence, warehouse: str | Path | None = None, *,
                 standardise: bool = True):
    """Sparse N x N weights ``matrix`` (inverse_distance, economic_geographic, queen, ...) in ``entities`` order."""
    from analysis.estimators.spatial.weights import weights_from_edges

    edges = query("select matrix, adcode_i, adcode_j, weight_raw, weight from marts.mart_spatial_weights "
                  "where matrix = ?", warehouse, [matrix])
    if edges.empty:
        known = query("select distinct matrix from marts.mart_spatial_weights order by 1", warehouse)["matrix"]
        raise ValueError(f"unknown weight matrix {matrix!r}; the warehouse has: {', '.join(known)}")
    return weights_from_edges(edges, list(entities), matrix=matrix, standardise=standardise)


def load_distances_km(entities: Sequence | None, warehouse: str | Path | None = None) -> pd.DataFrame:
    """Great-circle distances (km) between the centroids of the cities ``entities`` (adcodes; None: every city),
    as a square DataFrame in that order with zeros on the diagonal: ``1 / weight_raw`` of ``mart_spatial_weights``'
    ``inverse_distance`` edges, so the distance rule keeps its one home (dbt's ``great_circle_km`` on
    ``dim_city`` centroids). What ``analysis.estimators.covariance.Conley`` takes."""
    import numpy as np

    edges = query("select adcode_i, adcode_j, 1 / weight_raw as distance_km from marts.mart_spatial_weights "
                  "where matrix = 'inverse_distance'", warehouse)
    entities = sorted(edges["adcode_i"].unique()) if entities is None else [str(e) for e in entities]
    missing = sorted(set(entities) - set(edges["adcode_i"]))
    if missing:
        raise ValueError(f"cities {missing[:5]} have no distances in marts.mart_spatial_weights")
    edges = edges[edges["adcode_i"].isin(entities) & edges["adcode_j"].isin(entities)]
    table = edges.pivot(index="adcode_i", columns="adcode_j", values="distance_km").reindex(index=entities,
                                                                                              columns=entities)
    values = table.to_numpy(dtype=float, copy=True)
    np.fill_diagonal(values, 0.0)
    return pd.DataFrame(values, index=entities, columns=entities)


def load_geo_cities(warehouse: str | Path | None = None):
    """dim_city as a GeoDataFrame (EPSG:4326), geometry from ``geometry_wkb``."""
    import geopandas as gpd
    import shapely

    df = query("select * from marts.dim_city order by adcode", warehouse)
    geom = shapely.from_wkb([bytes(b) for b in df.pop("geometry_wkb")])
    return gpd.GeoDataFrame(df, geometry=geom, crs="EPSG:4326")

"""Geometry rules with one home: a city's area and centroid, the great-circle distance, inverse-distance W.

The boundaries loader stores every city's area and centroid with :func:`areas_km2` and
:func:`centroids_lonlat`; the dbt model ``int_city_pairs_measured`` measures distances between those
stored centroids with the ``great_circle_km`` macro, whose Earth radius is the dbt var
``earth_radius_km`` of ``dbt_project.yml``; ``mart_spatial_weights`` row-standardises 1 / d. The sample
world plants its spatial processes in the same W: :func:`inverse_distance_weights` applies the same
centroid rule to the same polygons and reads the same radius, so the W of the planted spatial Durbin
process is the mart's ``inverse_distance`` matrix (``tests/dbt/test_build.py`` compares the two).

* Area: km² on the China Albers equal-area conic (``ALBERS``, the usual national projection).
* Centroid: the centroid of the polygon (made valid) on that Albers projection, taken back to
  EPSG:4326 -- an area-weighted centre, not the centroid of the degrees (which shrinks east-west
  distances in the north), nor a representative point (inside the polygon but not its centre).
* Distance: haversine on a sphere of radius ``earth_radius_km`` (the IUGG mean radius; its value lives in
  ``dbt_project.yml`` only).
"""
from __future__ import annotations

import numpy as np

from ingestion.errors import ConfigError

__all__ = ["ALBERS", "areas_km2", "centroids_lonlat", "earth_radius_km", "haversine_km", "great_circle_km",
           "inverse_distance_weights"]

# China Albers equal-area conic (Krasovsky ellipsoid), the projection of areas and centroids
ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +ellps=krass +units=m +no_defs"


def _valid(geoms):
    """``geoms`` (a GeoSeries in EPSG:4326) with invalid polygons repaired (``shapely.make_valid``)."""
    import geopandas as gpd
    import shapely

    return gpd.GeoSeries(shapely.make_valid(np.asarray(geoms.to_crs("EPSG:4326").geometry.values)),
                         crs="EPSG:4326", index=geoms.index)


def areas_km2(geoms) -> np.ndarray:
    """Area of each polygon of the GeoSeries ``geoms`` in km² (China Albers equal-area)."""
    return _valid(geoms).to_crs(ALBERS).area.to_numpy() / 1e6


def centroids_lonlat(geoms) -> np.ndarray:
    """(n, 2) array of (lon, lat): each polygon's centroid on the Albers projection, in degrees."""
    centre = _valid(geoms).to_crs(ALBERS).centroid.to_crs("EPSG:4326")
    return np.column_stack([centre.x.to_numpy(), centre.y.to_numpy()])


def earth_radius_km() -> float:
    """The dbt var ``earth_radius_km`` (``dbt_project.yml``): the sphere of every great-circle distance."""
    from ingestion.vocabulary import dbt_vars

    value = dbt_vars().get("earth_radius_km")
    if value is None:
        raise ConfigError("dbt_project.yml: vars.earth_radius_km is missing (the Earth radius of great-circle "
                          "distances; the dbt macro great_circle_km and the sample world read it)")
    return float(value)


def haversine_km(lon1, lat1, lon2, lat2):
    """Great-circle distance in km between (lon1, lat1) and (lon2, lat2) in degrees (broadcasting): the
    formula of the dbt macro ``great_circle_km``."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * earth_radius_km() * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def great_circle_km(lonlat: np.ndarray) -> np.ndarray:
    """(n, n) great-circle distances in km between the points ``lonlat`` (:func:`haversine_km`)."""
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    return haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])


def inverse_distance_weights(lonlat: np.ndarray) -> np.ndarray:
    """Row-standardised inverse great-circle distance weights with a zero diagonal: the
    ``inverse_distance`` matrix of ``mart_spatial_weights`` for cities with centroids ``lonlat``."""
    d = great_circle_km(lonlat)
    with np.errstate(divide="ignore"):
        w = np.where(d > 0, 1.0 / d, 0.0)
    return w / w.sum(axis=1, keepdims=True)

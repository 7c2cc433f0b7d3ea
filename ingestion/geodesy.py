"""The physics of gridded fluxes: the area of a latitude/longitude cell and the seconds of a year.

One home for the rule that turns a flux (kg m-2 s-1, as EDGAR's ``flx`` files and the v4.3.2 .. v7.0
``emi_co2`` files store it) into tonnes per cell; the loaders and the sample world's writers both call
:func:`flux_to_tonnes`, so a file written from a known grid reads back to the same grid.

Cell area. The grids are in WGS84 longitude/latitude, so a cell is a quadrangle on the WGS84 ellipsoid.
Its exact area is that of the same quadrangle on the *authalic sphere* (the sphere of equal surface,
radius R_q) once latitudes are replaced by authalic latitudes beta (Snyder 1987, *Map Projections -- A
Working Manual*, USGS PP 1395, eqs. 3-11 and 3-12):

    A = R_q^2 * dlon * (sin beta_north - sin beta_south)                       (dlon in radians)
    q(phi) = (1 - e^2) [ sin phi / (1 - e^2 sin^2 phi) - ln((1 - e sin phi) / (1 + e sin phi)) / (2e) ]
    sin beta = q(phi) / q(90 deg),   R_q^2 = a^2 q(90 deg) / 2

This is exact for the ellipsoid (a spherical formula with R = 6371 km differs by up to 0.3% with
latitude); the sum over all cells is the ellipsoid's area, 5.10066e14 m2 (tested).

Seconds. A flux is an annual mean rate, so the year's mass is the flux times the seconds of that
calendar year: 365 days, or 366 in leap years (Gregorian rule).
"""
from __future__ import annotations

import calendar

import numpy as np

WGS84_A = 6378137.0  # semi-major axis, m
WGS84_F = 1 / 298.257223563  # flattening
_E2 = WGS84_F * (2 - WGS84_F)
_E = np.sqrt(_E2)
KG_PER_TONNE = 1000.0
SECONDS_PER_DAY = 86400


def _q(lat_deg: np.ndarray) -> np.ndarray:
    s = np.sin(np.radians(lat_deg))
    return (1 - _E2) * (s / (1 - _E2 * s * s) - np.log((1 - _E * s) / (1 + _E * s)) / (2 * _E))


_Q_POLE = float(_q(np.array(90.0)))
AUTHALIC_RADIUS_M = WGS84_A * np.sqrt(_Q_POLE / 2)  # 6371007.18 m


def sin_authalic_latitude(lat_deg) -> np.ndarray:
    """sin(beta) of the authalic latitude beta of geodetic latitude ``lat_deg`` (degrees) on WGS84."""
    return _q(np.asarray(lat_deg, dtype=np.float64)) / _Q_POLE


def cell_area_m2(lat_south, lat_north, dlon_deg) -> np.ndarray:
    """Area (m2) on the WGS84 ellipsoid of cells between latitudes ``lat_south`` and ``lat_north``
    (degrees, arrays broadcast) that are ``dlon_deg`` degrees of longitude wide."""
    band = sin_authalic_latitude(lat_north) - sin_authalic_latitude(lat_south)
    return AUTHALIC_RADIUS_M ** 2 * np.radians(dlon_deg) * band


def seconds_in_year(year: int) -> int:
    """Seconds of calendar year ``year``: 365 days, 366 in a leap year."""
    return (366 if calendar.isleap(int(year)) else 365) * SECONDS_PER_DAY


def flux_to_tonnes(flux_kg_m2_s, area_m2, year: int) -> np.ndarray:
    """Tonnes per cell in ``year`` from an annual mean flux in kg m-2 s-1 over cells of ``area_m2``."""
    return np.asarray(flux_kg_m2_s, dtype=np.float64) * area_m2 * (seconds_in_year(year) / KG_PER_TONNE)


def tonnes_to_flux(tonnes, area_m2, year: int) -> np.ndarray:
    """The inverse of :func:`flux_to_tonnes` (the sample world writes fluxes from planted tonnes)."""
    return np.asarray(tonnes, dtype=np.float64) / (area_m2 * (seconds_in_year(year) / KG_PER_TONNE))


def row_areas_m2(north: float, dy: float, rows: int, dx: float) -> np.ndarray:
    """Areas of the cells of ``rows`` grid rows counted south from the edge ``north`` (degrees), cells
    ``dy`` degrees high and ``dx`` degrees wide: one value per row (cells in a row are equal)."""
    edges = north - dy * np.arange(rows + 1)
    return cell_area_m2(edges[1:], edges[:-1], dx)

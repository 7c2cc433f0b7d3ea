"""The county world's planted panel and its daily PM2.5 product.

The county world (``geography.WORLDS["county"]``) carries the raster products only: the county-level
units' boundaries, the four annual rasters (written by ``rasters.write_rasters`` from the panel below,
in the layouts of ``rasters.LAYOUT_PLAN``) and, for ``WorldSpec.daily_pm25_years``, ChinaHighPM2.5
daily files (``CHAP_PM2.5_D1K_{YYYYMMDD}_V4.nc``, ``ingestion.sources.pm25_daily.FILE_NAMES``).

Planted panel, per county c and year t (z_c, s_c standard normal, drawn from the seed):

    pm25_ugm3 = 42 exp(0.25 z_c) 0.975^(t - 2003)
    co2_t     = 4e5 exp(0.9 s_c) 1.035^(t - 2003)
    ntl_nw    = 1.5 exp(0.7 s_c) 1.06^(t - 2012)      (2012 on)

Daily grids: day d of a year is the year's planted annual grid A times

    g_d = 1 + a_d f_1 + b_d f_2,

f_1, f_2 = tanh of two smooth fields (in (-1, 1)), a_d a seasonal cycle (winter high) and b_d day-to-day
noise, both demeaned over the year's days and scaled so |a_d| + |b_d| < 0.9: g_d is positive and its mean
over the days is exactly one in every cell, so the mean over the days of a county's daily
coverage-weighted means is its annual one (up to CHAP's 0.01 ug/m3 rounding, spread back on every day).
A county without cells of its own at the world's resolution (small urban districts) takes what its
shared cells carry (``rasters.CityCells``), so its planted value is recovered only approximately.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.sample.geography import World
from ingestion.sample.rasters import CellsCache, planted_pm25, smooth_field, write_chap_file

DAILY_FOLDER = "pm25_daily"


def county_panel(world: World, seed: int) -> pd.DataFrame:
    """adcode, year, co2_t, pm25_ugm3, ntl_nw: the planted county-year values (see the module docstring)."""
    rng = np.random.default_rng([seed, 1901])
    n = len(world.cities)
    z, s = rng.standard_normal(n), rng.standard_normal(n)
    years = np.array(world.years)
    adcode = np.repeat(world.cities["adcode"].to_numpy(), len(years))
    year = np.tile(years, n)
    zc, sc = np.repeat(z, len(years)), np.repeat(s, len(years))
    ntl = np.where(year >= 2012, 1.5 * np.exp(0.7 * sc) * 1.06 ** (year - 2012), np.nan)
    return pd.DataFrame({"adcode": adcode, "year": year,
                         "co2_t": 4e5 * np.exp(0.9 * sc) * 1.035 ** (year - 2003),
                         "pm25_ugm3": 42.0 * np.exp(0.25 * zc) * 0.975 ** (year - 2003),
                         "ntl_nw": ntl})


def day_factors(n_days: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(a_d, b_d): seasonal and day-to-day weights, each demeaned over the days, |a_d| + |b_d| < 0.9."""
    day = np.arange(n_days)
    a = np.cos(2 * np.pi * day / n_days)  # 1 January high, July low
    b = rng.uniform(-1.0, 1.0, n_days)
    a, b = a - a.mean(), b - b.mean()
    a *= 0.55 / np.abs(a).max()
    b *= 0.3 / np.abs(b).max()
    return a, b


def write_daily_pm25(world: World, panel: pd.DataFrame, out: Path, *, seed: int) -> list[Path]:
    """ChinaHighPM2.5 daily files of ``world.spec.daily_pm25_years`` under ``out/pm25_daily``."""
    from ingestion.sources.pm25_daily import FILE_NAMES

    years = list(world.spec.daily_pm25_years)
    if not years:
        return []
    folder = out / DAILY_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 1902])
    subset = panel[panel["year"].isin(years)]
    grid, cells, planted = planted_pm25(world, subset, rng, CellsCache(world))
    f1 = np.tanh(smooth_field(grid, rng, wavelength_deg=(3.0, 12.0)))
    f2 = np.tanh(smooth_field(grid, rng, wavelength_deg=(1.0, 6.0)))
    files = []
    for year, annual, means in planted:
        first = dt.date(year, 1, 1)
        n_days = (dt.date(year + 1, 1, 1) - first).days
        a, b = day_factors(n_days, rng)
        for d in range(n_days):
            date = first + dt.timedelta(days=d)
            path = folder / FILE_NAMES["chap_daily"].format(date=date.strftime("%Y%m%d"))
            daily = annual * (1.0 + a[d] * f1 + b[d] * f2)
            files.append(write_chap_file(path, grid, daily, f"ChinaHighPM2.5 daily 1 km {date:%Y-%m-%d} "
                                         "(sample layout)", cells, _coverage_means(cells, daily)))
    return files


def _coverage_means(cells, data: np.ndarray) -> np.ndarray:
    """Each county's coverage-weighted mean of ``data`` over its valid cells (the target the uint16
    rounding is spread back to: the day's own county means, whose mean over the days is the annual one)."""
    valid = np.isfinite(data).ravel()
    m = cells.coverage
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (m @ np.where(valid, data.ravel(), 0.0)) / (m @ valid.astype(np.float64))
    return np.where(np.isfinite(means), means, 0.0)  # a county without valid cells: nothing to spread

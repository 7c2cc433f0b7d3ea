"""Daily PM2.5 (ug/m3) as ChinaHighPM2.5 publishes it, reduced to annual means of the units.

Layout (``LAYOUTS``): ``chap_daily`` -- ChinaHighPM2.5 (CHAP, Wei et al.) daily 1 km files
``CHAP_PM2.5_D1K_{YYYYMMDD}_V4.nc``, one per day, variable ``PM2.5`` stored as uint16 with
``scale_factor`` and ``_FillValue`` 65535, latitude north to south (the same header as the yearly
``Y1K`` files, which ``pm25`` reads; recognised by ``pm25.recognise``). Product, release (the ``V4`` of
the name), statistic and period are read from each file; a file of another statistic (a standard
deviation or count layer: the variable's name, ``long_name`` or ``cell_methods``) or another period
(``Y1K``, ``M1K``) is refused naming what it holds, as the annual loaders do.

Each day's grid gives each unit its coverage-weighted mean over valid cells (``ingestion.zonal``, one
task per file); the unit-year value is the mean of its daily means over the year's days,

    pm25_daily_cy = (1 / D_y) sum_d mean_cd,      coverage_cy = (1 / D_y) sum_d coverage_cd,

stored in ``raw.raster_zonal`` as source ``pm25_daily``, variable ``pm25``, stat ``mean``. A year must
have every day (365 or 366 files): a gap would bias the annual mean towards the season left, so a
year with missing days is refused naming the first one missing; ``raw._loads`` records each file's
date and release and the days per year.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ingestion.errors import IngestError
from ingestion.sources import pm25
from ingestion.sources._layouts import Expected, Facet, select
from ingestion.sources._raster import (RASTER_ZONAL, RasterProduct, _reject_uncovered, cities_frame, file_label,
                                       inspect_recognised)
from ingestion.sources.base import FileLayout, LoadContext, ReadResult, Source
from ingestion.zonal import zonal_stats

LAYOUTS = {"chap_daily": "ChinaHighPM2.5 (CHAP) daily NetCDF `PM2.5`, uint16 x scale_factor, _FillValue 65535"}
FILE_NAMES = {"chap_daily": "CHAP_PM2.5_D1K_{date}_V4.nc"}
DATE = re.compile(r"_D\d+K_(\d{8})_")
EXPECTED = Expected(
    (Facet("statistic", "mean", "mean concentration"), Facet("period", "daily", "daily mean")),
    "use the daily mean PM2.5 files (CHAP_PM2.5_D1K_{YYYYMMDD}_V4.nc), one per day")

PRODUCT = RasterProduct(
    source="pm25_daily",
    variable="pm25",
    unit="ug/m3",
    stats=("mean",),
    recognise=pm25.recognise,
    expected=EXPECTED,
    file_example=FILE_NAMES["chap_daily"].format(date="20220101"),
    checks=pm25.PRODUCT.checks,
)


def file_date(path: Path, label: str) -> dt.date:
    """The day a daily file holds, from its name (``..._D1K_20220101_...``)."""
    match = DATE.search(path.name)
    try:
        return dt.datetime.strptime(match.group(1), "%Y%m%d").date()
    except (AttributeError, ValueError):
        raise IngestError(label, "file name", "no valid date YYYYMMDD in the name of a daily file",
                          f"keep the product's file names ({PRODUCT.file_example})") from None


def read(files: Sequence[Path], ctx: LoadContext) -> ReadResult:
    """Daily files -> one annual-mean row per unit and year in ``raw.raster_zonal``."""
    cities = cities_frame(ctx)
    wkb = tuple(bytes(g) for g in cities["geometry_wkb"])
    recognised = [PRODUCT.recognise(Path(f), file_label(Path(f), PRODUCT.source)) for f in files]
    used, _ = select(recognised, EXPECTED)  # no sibling layers: any other quantity is refused
    dates = {rec.path: file_date(rec.path, rec.label) for rec in used}
    _reject_gaps(used, dates)
    bands = [b for rec in used for b in inspect_recognised(rec, PRODUCT, wkb)]
    table = zonal_stats(bands, wkb, PRODUCT.stats, executor=ctx.executor, checks=PRODUCT.checks,
                        progress=ctx.progress, desc=PRODUCT.source, zones_valid=True)  # LoadContext.cities
    _reject_uncovered(table, cities)
    day_of = {rec.label: dates[rec.path] for rec in used}
    frame, days = annual_means(table, cities, [day_of[band.label] for band in table.bands])
    layouts: dict[Path, FileLayout] = {}
    for rec in used:
        date = dates[rec.path]
        facts = rec.layout_record(PRODUCT.unit, date=date.isoformat(), days_in_year=days[date.year]).facts
        layouts[rec.path] = FileLayout(facts, rows=len(cities))  # each day is part of every unit's annual row
    return ReadResult({"raster_zonal": frame}, layouts)


def _reject_gaps(used, dates: dict[Path, dt.date]) -> None:
    """Every day of each year present once."""
    by_year: dict[int, dict[dt.date, object]] = {}
    for rec in used:
        date = dates[rec.path]
        seen = by_year.setdefault(date.year, {})
        if date in seen:
            raise IngestError(rec.label, "file name", f"day {date.isoformat()} is already given by {seen[date].label}",
                              "keep one file per day")
        seen[date] = rec
    for year, seen in sorted(by_year.items()):
        first = dt.date(year, 1, 1)
        n_days = (dt.date(year + 1, 1, 1) - first).days
        if len(seen) < n_days:
            missing = [first + dt.timedelta(days=d) for d in range(n_days) if first + dt.timedelta(days=d) not in seen]
            folder = Path(next(iter(seen.values())).label).parent.as_posix()
            raise IngestError(folder, f"year {year}", f"{len(seen)} of its {n_days} daily files (first missing: "
                              f"{missing[0].isoformat()}); an annual mean of part of the year is biased towards "
                              "the days present", "download the missing days, or remove that year's files")


def annual_means(table, cities: pd.DataFrame, dates: list[dt.date]) -> tuple[pd.DataFrame, dict[int, int]]:
    """raw.raster_zonal rows: per unit and year the mean over days of the daily means (and coverages)."""
    years = np.array([d.year for d in dates])
    means = table.values[:, 0, :]  # (days, units): stats is ("mean",)
    rows, days = [], {}
    for year in np.unique(years):
        on = years == year
        days[int(year)] = int(on.sum())
        first, last = min(d for d, o in zip(dates, on) if o), max(d for d, o in zip(dates, on) if o)
        label = f"{PRODUCT.source}/" + FILE_NAMES["chap_daily"].format(date=f"{first:%Y%m%d}..{last:%Y%m%d}")
        rows.append(pd.DataFrame({
            "source": PRODUCT.source, "variable": PRODUCT.variable,
            "adcode": cities["adcode"].astype(str).to_numpy(), "year": int(year), "stat": "mean",
            "value": means[on].mean(axis=0), "coverage": table.coverage[on].mean(axis=0),
            "source_file": f"{label} ({on.sum()} days)"}))
    return pd.concat(rows, ignore_index=True), days


SOURCE = Source(
    name="pm25_daily",
    description="Unit annual mean PM2.5 (ug/m3) from the daily ChinaHighPM2.5 grids: mean of daily "
                "coverage-weighted means",
    product="ChinaHighPM2.5 daily NetCDF, one file per day (CHAP_PM2.5_D1K_{YYYYMMDD}_V4.nc)",
    contracts=(RASTER_ZONAL,),
    patterns=("*.nc",),
    read=read,
    version="1",
    resolves_names=False,
    optional=True,  # the county world has it; the prefecture worlds and most users do not
)

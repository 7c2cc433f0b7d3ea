"""Administrative divisions: the provinces (adcode prefix, names, NBS region), read from their one home,
the dbt seed ``seed_provinces`` (``ingestion.vocabulary``), and the prefecture-level units over time
(``Crosswalk``: the national code tables 1999-2023 and their changes, the seeds seed_division_*). The four
municipalities are ``ingestion.vocabulary.municipalities()`` (``seed_municipalities``)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from ingestion.vocabulary import read_seed, seed_cache

class _Provinces(Mapping):
    """Province adcode prefix -> (Chinese name, English name, region), the NBS east / central / west
    split, from ``seed_provinces``. Read on first use, so importing this module reads no seed (a loader
    depends on the seeds it reads: ``ingestion.sources.base.Source.inputs``)."""

    @staticmethod
    @seed_cache
    def _table() -> dict[str, tuple[str, str, str]]:
        return {row["province_adcode"][:2]: (row["province_zh"], row["province_en"], row["region"])
                for row in read_seed("seed_provinces")}

    def __getitem__(self, prefix: str) -> tuple[str, str, str]:
        return self._table()[prefix]

    def __iter__(self):
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


PROVINCES: Mapping[str, tuple[str, str, str]] = _Provinces()


def province_resolver() -> dict[str, str]:
    """Province name (full or short, Chinese or English) -> 6-digit province adcode."""
    out: dict[str, str] = {}
    for prefix, (zh, en, _region) in PROVINCES.items():
        code = prefix + "0000"
        for key in (zh, en, en.lower()):
            out[key] = code
        for suffix in ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市"):
            if zh.endswith(suffix):
                out[zh[: -len(suffix)]] = code
                break
    return out


# ----------------------------------------------------------------------------------------------------
# Divisions over time: the code tables' units, their changes, and the county-level cities under them.
# The data are the dbt seeds seed_division_units / _changes / _county_cities (their YAML documents the
# source, the derivation and the conventions); the same seeds drive the harmonisation in dbt.
# ----------------------------------------------------------------------------------------------------
ONE_TO_ONE = ("rename", "new_code")
# What a CityResolver reads: a loader that resolves names depends on these (ingestion.sources.base.Source.inputs)
RESOLVER_SEEDS = ("seed_provinces", "seed_division_units", "seed_division_changes", "seed_division_county_cities")  # the same territory under a new name or code
LAST_CODE_TABLE = 2023  # the crosswalk's last code table (31 Dec 2023); a null valid_to means listed there


@dataclass(frozen=True)
class Period:
    """A unit (or a county-level city) with one code and one name over consecutive code tables."""

    adcode: str
    name_zh: str
    short_name: str
    level: str  # prefecture | municipality | county_direct | county_city
    province_adcode: str
    table_from: int  # first code table (31 Dec) listing it
    table_to: int  # last code table listing it (the crosswalk's last table if still listed)
    parent_adcode: str | None = None  # county_city: the unit it belongs to

    @property
    def is_unit(self) -> bool:
        return self.level != "county_city"

    def label(self) -> str:
        return f"{self.name_zh} ({self.adcode})"


class Crosswalk:
    """The national code tables 1999-2023 as periods and changes (``Crosswalk.load()`` reads the seeds).

    ``periods_listed(year)``: what the code table of 31 Dec ``year`` lists; ``ending(period)`` /
    ``starting(period)``: the changes that ended or began a period; ``data_years(period)``: the years a
    data row may name it (its tables, plus the year in force of the change that ended it: see
    seed_division_units).
    """

    def __init__(self, units: pd.DataFrame, changes: pd.DataFrame, county_cities: pd.DataFrame):
        self.units, self.changes, self.county_cities = units, changes, county_cities
        self.last_table = LAST_CODE_TABLE
        self.periods: list[Period] = [
            Period(r.adcode, r.name_zh, r.short_name, r.level, r.province_adcode, int(r.valid_from),
                   self.last_table if pd.isna(r.valid_to) else int(r.valid_to))
            for r in units.itertuples(index=False)
        ] + [
            Period(r.adcode, r.name_zh, r.short_name, "county_city", r.adcode[:2] + "0000", int(r.valid_from),
                   self.last_table if pd.isna(r.valid_to) else int(r.valid_to), r.parent_adcode)
            for r in county_cities.itertuples(index=False)
        ]
        self._units_by_code: dict[str, list[Period]] = {}
        for period in self.periods:
            if period.is_unit:
                self._units_by_code.setdefault(period.adcode, []).append(period)
        self._changes_from: dict[str, list] = {}
        self._changes_to: dict[str, list] = {}
        for row in changes.itertuples(index=False):
            if not pd.isna(row.old_adcode):
                self._changes_from.setdefault(row.old_adcode, []).append(row)
            self._changes_to.setdefault(row.new_adcode, []).append(row)

    @classmethod
    def load(cls) -> "Crosswalk":
        return _crosswalk()

    def unit(self, adcode: str, year: int) -> Period | None:
        """The unit (not county-level city) with code ``adcode`` in the code table of ``year``."""
        return next((p for p in self._units_by_code.get(adcode, ()) if p.table_from <= year <= p.table_to), None)

    def unit_periods(self, adcode: str) -> list[Period]:
        """Every period of the unit with code ``adcode`` (oldest first)."""
        return sorted(self._units_by_code.get(adcode, ()), key=lambda p: p.table_from)

    def ending(self, period: Period) -> list:
        """Changes in force the year after the period's last table that replaced its code or name."""
        if period.table_to >= self.last_table:
            return []
        return [c for c in self._changes_from.get(period.adcode, [])
                if c.year_in_force == period.table_to + 1 and c.kind in (*ONE_TO_ONE, "merge", "split", "abolition")]

    def starting(self, period: Period) -> list:
        """Changes in force in the period's first table that created its code or name."""
        return [c for c in self._changes_to.get(period.adcode, [])
                if c.year_in_force == period.table_from and c.kind in (*ONE_TO_ONE, "merge", "creation")]

    def data_years(self, period: Period) -> tuple[int, int | None]:
        """First and last year a data row may name the period (last None: still listed)."""
        last = None if period.table_to >= self.last_table else period.table_to + 1
        return period.table_from, last


def _seed_frame(name: str, years: tuple[str, ...]) -> pd.DataFrame:
    """A division seed as a DataFrame: codes and names as text (an empty cell missing), ``years`` as
    nullable integers, as dbt types them (_seeds.yml)."""
    frame = pd.DataFrame(list(read_seed(name))).replace("", None)
    for column in years:
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    return frame


@seed_cache
def _crosswalk() -> Crosswalk:
    return Crosswalk(_seed_frame("seed_division_units", ("valid_from", "valid_to")),
                     _seed_frame("seed_division_changes", ("year_in_force",)),
                     _seed_frame("seed_division_county_cities", ("valid_from", "valid_to")))

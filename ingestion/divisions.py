"""Administrative divisions: provinces (adcode prefix, names, NBS region), the four municipalities, and
the prefecture-level units over time (``Crosswalk``: the national code tables 1999-2023 and their changes)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

# Province adcode prefix -> (English name, region). Regions: the NBS east / central / west split.
PROVINCES: dict[str, tuple[str, str, str]] = {
    "11": ("北京市", "Beijing", "east"), "12": ("天津市", "Tianjin", "east"), "13": ("河北省", "Hebei", "east"),
    "14": ("山西省", "Shanxi", "central"), "15": ("内蒙古自治区", "Inner Mongolia", "west"),
    "21": ("辽宁省", "Liaoning", "east"), "22": ("吉林省", "Jilin", "central"),
    "23": ("黑龙江省", "Heilongjiang", "central"), "31": ("上海市", "Shanghai", "east"),
    "32": ("江苏省", "Jiangsu", "east"), "33": ("浙江省", "Zhejiang", "east"), "34": ("安徽省", "Anhui", "central"),
    "35": ("福建省", "Fujian", "east"), "36": ("江西省", "Jiangxi", "central"), "37": ("山东省", "Shandong", "east"),
    "41": ("河南省", "Henan", "central"), "42": ("湖北省", "Hubei", "central"), "43": ("湖南省", "Hunan", "central"),
    "44": ("广东省", "Guangdong", "east"), "45": ("广西壮族自治区", "Guangxi", "west"),
    "46": ("海南省", "Hainan", "east"), "50": ("重庆市", "Chongqing", "west"), "51": ("四川省", "Sichuan", "west"),
    "52": ("贵州省", "Guizhou", "west"), "53": ("云南省", "Yunnan", "west"), "54": ("西藏自治区", "Tibet", "west"),
    "61": ("陕西省", "Shaanxi", "west"), "62": ("甘肃省", "Gansu", "west"), "63": ("青海省", "Qinghai", "west"),
    "64": ("宁夏回族自治区", "Ningxia", "west"), "65": ("新疆维吾尔自治区", "Xinjiang", "west"),
}

MUNICIPALITIES = ("110100", "120100", "310100", "500100")


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
ONE_TO_ONE = ("rename", "new_code")  # the same territory under a new name or code
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


@lru_cache(maxsize=1)
def _crosswalk() -> Crosswalk:
    from ingestion.seeds import read_seed

    return Crosswalk(read_seed("seed_division_units"), read_seed("seed_division_changes"),
                     read_seed("seed_division_county_cities"))

"""City names and codes -> the prefecture-level unit of the row's year: the one resolver every loader uses.

``CityResolver(cities).resolve(names, years=..., ...)`` for a column of names or codes (yearbook, CEADs,
Baidu index, work reports, pilot lists, census, firm registry) and ``.resolve_addresses(...)`` for
free-text addresses (CNIPA 申请人地址). Both return, for each row, the 6-digit code of the unit the row
names **in the code table of the row's year** (``ingestion.divisions.Crosswalk``, the seeds
seed_division_*): 襄樊市 in 2005 is 420600, 毕节地区 in 2008 is 522400, 莱芜市 in 2015 is 371200. The raw
tables keep that code; dbt maps it onto the panel's boundary vintage (renames and new codes one to one,
mergers summed, splits kept out: models/intermediate/divisions/).

What a name may be, in the row's year Y:

* the official name, the short name (延边, 恩施, 湘西, 襄樊), an autonomous prefecture's short name with 州
  (恩施州, 湘西州), the code, or the name or English name the boundaries file gives its units;
* any of these behind a province (山东济南, 湖北恩施州: CEADs' habit);
* a unit of the code table of 31 Dec Y, or one the change in force in Y replaced (its data describe
  most of that year): a rename or new code then gives the successor's code (the same territory), a
  merged or dissolved unit keeps its own code (莱芜市 in 2018 is 371200);
* a county-level city (昆山, 巢湖 after 2011): with ``county_cities="parent"`` (records such as patents
  and firms) the unit it belonged to in Y; with ``"refuse"`` (tables of prefecture-level totals) an
  error, since a county's totals are not its prefecture's. Directly administered county-level units
  (潜江, 济源, 石河子) are units of their own.

A unit does not have to be in the boundaries file: it is stored, and dbt keeps units without a polygon
of the vintage out of the panel with the reason. Errors name the file and row: a name valid in another
period (``莱芜市 (371200) existed until 2018; this row is 2020``, with what became of it), a name valid in
no year (with the closest units of the boundaries), an ambiguous or blank name.
"""
from __future__ import annotations

import difflib
import os
import re

import numpy as np
import pandas as pd

from ingestion.divisions import ONE_TO_ONE, Crosswalk, Period, province_resolver
from ingestion.errors import IngestError
from ingestion.parsing import cell, row_of as _row

# city-level suffixes only: stripping 省 / 自治区 would let a province name (吉林省) pass for a city (吉林市)
_SUFFIX = re.compile(r"(市|地区|盟|自治州)$")
# what follows a short name inside an address for it to count as a unit's name (苏州市, 恩施州, 阿里地区)
_ADDRESS_SUFFIX = "(?=市|州|地区|盟)"
# a part of a unit, not a unit of the code table: 伊犁州直属县 (CEADs), 北京市辖区, 苏州市区
_PART = re.compile(r"^(?P<unit>.+?)(?P<part>直属县市?|直辖县|市辖区|市区)$")
_NAMES_A_PART = "names a part of"  # the problem of a row naming part of a unit (伊犁州直属县): see part_of_unit


def part_of_unit(outcome) -> bool:
    """Whether a ``CityResolver.lookup`` outcome is the problem of a row naming a part of a unit (a
    prefecture's counties without its cities, 伊犁州直属县): no unit's total, which a source may keep out."""
    return isinstance(outcome, tuple) and _NAMES_A_PART in outcome[0]
COUNTY_CITY_MODES = ("refuse", "parent")


def unit_code_doc(year: str = "the row's year") -> str:
    """The description of a raw table's ``adcode`` column written by this resolver."""
    return (f"code of the unit the row names in the national code table of {year} (ingestion.cities); "
            "dbt maps it onto the boundary vintage")


def short_name(name: str) -> str:
    name = str(name).strip().replace(" ", "")
    short = _SUFFIX.sub("", name)
    return short or name


def _normalise(text: str) -> str:
    return str(text).strip().replace(" ", "").replace("\u3000", "")


def _distinct_rows(*columns) -> tuple[np.ndarray, list[tuple]]:
    """(for each row the number of its distinct combination, the distinct combinations): one look-up per
    combination, whatever the number of rows (a registry export repeats a few hundred cities a million
    times)."""
    codes, uniques = zip(*(pd.factorize(c, use_na_sentinel=False) for c in columns))
    combined = np.zeros(len(codes[0]), dtype=np.int64)
    for code, unique in zip(codes, uniques):
        combined = combined * len(unique) + code
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    combos = [tuple(unique[code[i]] for code, unique in zip(codes, uniques)) for i in first]
    return inverse, combos


def _keys(period: Period) -> set[str]:
    keys = {period.name_zh, period.adcode}
    if len(period.short_name) >= 2:
        keys.add(period.short_name)
    if period.name_zh.endswith("自治州"):
        keys.add(period.short_name + "州")
    return keys


class CityResolver:
    """Names, codes and addresses -> the code of the unit they name in the row's year (see the module)."""

    def __init__(self, cities: pd.DataFrame, crosswalk: Crosswalk | None = None):
        # cities: the boundaries (the panel's vintage): adcode, name_zh, name_en (optional), province_zh
        self.cities = cities.reset_index(drop=True)
        self.crosswalk = crosswalk or Crosswalk.load()
        self._index: dict[str, list[Period]] = {}
        for period in self.crosswalk.periods:
            for key in _keys(period):
                self._index.setdefault(key, []).append(period)
        for row in self.cities.itertuples(index=False):  # the boundaries' own spellings of their units
            # ... for the unit's latest period only (the boundaries' vintage: 襄阳市 is not a name of 2005)
            periods = self.crosswalk.unit_periods(row.adcode)
            periods = periods[-1:] or [
                Period(row.adcode, row.name_zh, short_name(row.name_zh), "prefecture", row.adcode[:2] + "0000",
                       0, 9999)]
            keys = {row.name_zh, short_name(row.name_zh), row.adcode}
            en = getattr(row, "name_en", None)
            if isinstance(en, str) and en:
                keys |= {en.lower(), en.lower().replace(" city", "")}
            for key in keys:
                bucket = self._index.setdefault(key, [])
                bucket.extend(p for p in periods if p not in bucket)
        self._provinces = sorted(province_resolver().items(), key=lambda kv: -len(kv[0]))
        self._province_codes = province_resolver()
        self._address_pattern: re.Pattern | None = None
        self._cache: dict[tuple, str | tuple[str, str]] = {}

    # ------------------------------------------------------------------------------------------ tables
    def resolve(self, names: pd.Series, *, years, file, column: str, provinces: pd.Series | None = None,
                row_offset: int = 1, sheet: str | None = None, county_cities: str = "refuse") -> pd.Series:
        """Codes of the units ``names`` (names or codes) denote in ``years`` (a Series aligned with
        ``names``, one year for all rows, or None for today's names: the last code table). Raises
        IngestError on the first row that cannot be resolved; rows are reported by ``names``' index plus
        ``row_offset``, so a subset of a table's rows keeps its rows."""
        text = names.astype("string").str.strip()
        blank = (text.isna() | (text == "")).to_numpy()
        if blank.any():
            i = int(np.flatnonzero(blank)[0])
            raise IngestError(file, cell(_row(names, i, row_offset), column, sheet),
                              f"unknown city '' (the cell is blank; {int(blank.sum())} blank row(s))",
                              "fill in the prefecture-level city name or adcode, or drop the row")
        results = self.lookup(names, years=years, provinces=provinces, county_cities=county_cities)
        values = results.to_numpy()
        bad = np.fromiter((isinstance(r, tuple) for r in values), bool, len(values))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            problem, fix = values[i]
            if problem.startswith("unknown city"):
                n_unknown = sum(1 for r in values[bad] if r[0].startswith("unknown city"))
                problem = f"{problem} ({n_unknown} row(s) with unknown names)"
            raise IngestError(file, cell(_row(names, i, row_offset), column, sheet), problem, fix)
        return results.astype("string")

    def lookup(self, names: pd.Series, *, years, provinces: pd.Series | None = None,
               county_cities: str = "refuse") -> pd.Series:
        """``resolve`` without raising: for each row the code, or a (problem, fix) pair. Each distinct
        (name, year, province) is looked up once."""
        if county_cities not in COUNTY_CITY_MODES:
            raise ValueError(f"county_cities must be one of {COUNTY_CITY_MODES}")
        text = names.astype("string").fillna("")
        year = self._years(years, names.index)
        prov = (provinces.astype("string").fillna("") if provinces is not None
                else pd.Series("", index=names.index, dtype="string"))
        codes, combos = _distinct_rows(text, year, prov)
        outcomes = np.empty(len(combos), dtype=object)
        outcomes[:] = [self._one(_normalise(t), int(y), self._province_codes.get(str(p).strip()), county_cities)
                       for t, y, p in combos]
        return pd.Series(outcomes[codes], index=names.index, dtype=object)

    def _years(self, years, index) -> pd.Series:
        if years is None:
            return pd.Series(self.crosswalk.last_table, index=index)
        if isinstance(years, pd.Series):
            return years.astype("int64").set_axis(index)
        return pd.Series(int(years), index=index)

    def _one(self, text: str, year: int, province: str | None, county_cities: str) -> str | tuple[str, str]:
        """A code, or (problem, fix)."""
        key = (text, year, province, county_cities)
        if key not in self._cache:
            self._cache[key] = self._lookup(*key)
        return self._cache[key]

    def _lookup(self, text: str, year: int, province: str | None, county_cities: str) -> str | tuple[str, str]:
        candidates = self._index.get(text) or self._index.get(text.lower())
        if not candidates:
            for key, code in self._provinces:  # 山东济南, 湖北恩施州
                if text.startswith(key) and len(text) > len(key) and self._index.get(text[len(key):]):
                    return self._one(text[len(key):], year, code, county_cities)
            return self._unknown(text, year)
        if province:
            same = [p for p in candidates if p.province_adcode == province]
            candidates = same or candidates
        return self._choose(text, candidates, year, county_cities)

    def _choose(self, text: str, candidates: list[Period], year: int, county_cities: str):
        listed = [p for p in candidates if p.table_from <= year <= p.table_to]
        replaced = [p for p in candidates if p.table_to == year - 1]  # changed during the row's year
        # a prefecture-level reading wins over a county-level one (巢湖 in 2011: the dissolved prefecture)
        for group, in_force in ((listed, True), (replaced, False)):
            units = [p for p in group if p.is_unit]
            if units:
                codes = sorted({self._carried(p) if not in_force else p.adcode for p in units})
                if len(codes) == 1:
                    return codes[0]
                return (f"city name {text!r} is ambiguous in {year}: "
                        + ", ".join(p.label() for p in units),
                        "add the province or use the 6-digit adcode")
        for group in (listed, replaced):
            counties = [p for p in group if not p.is_unit]
            if counties:
                parents = sorted({p.parent_adcode for p in counties})
                if len(parents) > 1:
                    return (f"city name {text!r} is ambiguous in {year}: "
                            + ", ".join(f"{p.label()} in {self.unit_label(p.parent_adcode, year)}" for p in counties),
                            "add the province or use the 6-digit adcode")
                county = counties[0]
                if county_cities == "parent":
                    return parents[0]
                return (f"{county.label()} is a county-level city in {self.unit_label(parents[0], year)} in {year}, "
                        "not a prefecture-level unit",
                        f"this table holds prefecture-level totals: give the row of {self.unit_label(parents[0], year)} "
                        "instead of the county's, or drop the county's row")
        return self._other_period(candidates, year)

    def _carried(self, period: Period) -> str:
        """The code a row names when its unit changed during the row's year: the successor for a rename or
        new code (the same territory), else the unit itself (merged or dissolved: harmonised in dbt)."""
        ends = self.crosswalk.ending(period)
        one_to_one = [c for c in ends if c.kind in ONE_TO_ONE]
        return one_to_one[0].new_adcode if one_to_one else period.adcode

    def unit_label(self, adcode: str, year: int) -> str:
        """'name (code)' of the unit ``adcode`` in the code table of ``year`` (the code alone if none)."""
        unit = self.crosswalk.unit(adcode, year) or self.crosswalk.unit(adcode, year - 1)
        return unit.label() if unit else adcode

    def _other_period(self, candidates: list[Period], year: int) -> tuple[str, str]:
        """The error for a name valid only in other years: when it existed, and what became of it."""
        def distance(p: Period) -> int:
            first, last = self.crosswalk.data_years(p)
            return first - year if year < first else year - (last or year)

        period = min(candidates, key=lambda p: (distance(p), p.table_from))
        first, last = self.crosswalk.data_years(period)
        if year < first:
            when = f"exists from {first}" if last is None else f"existed from {first} to {last}"
            starts = [c for c in self.crosswalk.starting(period) if not pd.isna(c.old_adcode)]
            before = ", ".join(f"{c.old_name} ({c.old_adcode})" for c in starts)
            if starts and all(c.kind in ONE_TO_ONE for c in starts):
                fix = f"before {first} the unit was {before}: name that unit, or correct the year"
            elif starts:
                fix = (f"it was formed in {first} from {'part of ' if starts[0].kind == 'creation' else ''}"
                       f"{before}: name the unit of the row's year, or correct the year")
            else:
                fix = "name the unit of the row's year, or correct the year"
        else:
            when = f"existed until {last}"
            ends = self.crosswalk.ending(period)
            fix = "name the unit of the row's year, or correct the year"
            if ends:
                kind, t = ends[0].kind, ends[0].year_in_force
                receivers = ", ".join(f"{c.new_name} ({c.new_adcode})" for c in ends)
                fix = {
                    "rename": f"it was renamed {receivers} in {t}: use that name for {year}",
                    "new_code": f"it became {receivers} in {t}: use that unit for {year}",
                    "merge": f"it was merged into {receivers} in {t}: name that unit for {year}",
                    "split": f"it was dissolved in {t} among {receivers} (no single successor): a row of {year} "
                             "cannot name it",
                }.get(kind, fix)
            elif period.level == "county_city":
                fix = "it was converted or moved that year: name its prefecture-level unit, or correct the year"
        return f"{period.label()} {when}; this row is {year}", fix

    def _unknown(self, text: str, year: int) -> tuple[str, str]:
        # 伊犁州直属县, also behind its province (新疆伊犁州直属县, CEADs)
        bare = [text] + [text[len(key):] for key, _code in self._provinces if text.startswith(key) and len(text) > len(key)]
        part = next((m for m in map(_PART.match, bare)
                     if m and (self._index.get(m["unit"]) or self._index.get(m["unit"] + "市"))), None)
        if part:
            unit = self._one(part["unit"], year, None, "parent")
            name = self.unit_label(unit, year) if isinstance(unit, str) else part["unit"]
            return (f"{text!r} {_NAMES_A_PART} {name} (its {part['part']}), not a unit of the national code table",
                    f"drop the row, or give the row of {name} as a whole")
        return (f"unknown city {text!r}",
                f"use the name or adcode of a prefecture-level unit of the row's year; closest current units: "
                f"{self.suggest(text)}")

    # ------------------------------------------------------------------------------------------ addresses
    def resolve_addresses(self, addresses: pd.Series, *, years, file, column: str,
                          row_offset: int = 2) -> pd.Series:
        """The unit of each address (``215300 江苏省昆山市...``) in its year: the leftmost unit name of
        that year in the text (a county-level city gives its prefecture-level unit)."""
        pattern = self._addresses()
        year = self._years(years, addresses.index)
        text = addresses.astype("string").fillna("")
        codes, combos = _distinct_rows(text, year)
        found: dict[str, list[str]] = {}
        outcomes = np.empty(len(combos), dtype=object)
        for k, (address, y) in enumerate(combos):
            address = str(address).strip()
            if address not in found:
                found[address] = [m.group(0) for m in pattern.finditer(_normalise(address))]
            outcomes[k] = self._address(address, found[address], int(y))
        results = outcomes[codes]
        bad = np.array([isinstance(r, tuple) for r in outcomes])[codes]
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise IngestError(file, cell(_row(addresses, i, row_offset), column, None), *results[i])
        return pd.Series(results, index=addresses.index, dtype="string")

    def _addresses(self) -> re.Pattern:
        if self._address_pattern is None:
            keys = {}
            for key, periods in self._index.items():
                if re.fullmatch(r"\d+|[a-z ]+", key):
                    continue
                if any(key == p.name_zh for p in periods):
                    keys[key] = re.escape(key)
                elif len(key) >= 2:  # a short name counts when a unit suffix follows it
                    keys[key] = re.escape(key) + _ADDRESS_SUFFIX
            # the longest name first (伊犁地区 before 伊犁 + 地区), so the alternation finds it at its position
            self._address_pattern = re.compile("|".join(keys[k] for k in sorted(keys, key=len, reverse=True)))
        return self._address_pattern

    def _address(self, address: str, names: list[str], year: int):
        errors = []
        for name in names:
            outcome = self._choose(name, self._index[name], year, "parent")
            if isinstance(outcome, str):
                return outcome
            errors.append(outcome)
        if errors:
            problem, fix = errors[0]
            return f"address {address!r}: {problem}", fix
        return (f"no known city in address {address!r}",
                f"write the address with its prefecture-level city; closest: {self.suggest(address[:6])}")

    # ------------------------------------------------------------------------------------------ hints
    def suggest(self, name: str, n: int = 3) -> str:
        """The boundaries' units (the panel's vintage) whose names are closest to ``name``."""
        target = short_name(name)

        def score(row) -> tuple:
            key = short_name(row.name_zh)
            prefix = len(os.path.commonprefix([key, target]))
            return (-difflib.SequenceMatcher(None, key, target).ratio(), -prefix, row.adcode)

        ranked = sorted(self.cities.itertuples(index=False), key=score)
        return ", ".join(f"{row.name_zh} ({row.adcode})" for row in ranked[:n]) or "none"

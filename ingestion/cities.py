"""Normalising city names in tabular sources to 6-digit adcodes.

The reference is ``raw.city_boundaries`` (loaded first). Names match with or without their
administrative suffix (北京市 / 北京, 延边朝鲜族自治州 / 延边), optionally within a province. An
unknown name is an error that lists the closest known names with their adcodes.
"""
from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from ingestion.errors import IngestError
from ingestion.parsing import cell

# city-level suffixes only: stripping 省 / 自治区 would let a province name (吉林省) pass for a city (吉林市)
_SUFFIX = re.compile(r"(市|地区|盟|自治州)$")


def _row(names: pd.Series, i: int, row_offset: int) -> int:
    """The row of ``names``' i-th element: its index label (a table's 0-based row) plus ``row_offset``."""
    label = names.index[i]
    return int(label) + row_offset if isinstance(label, (int, np.integer)) else i + row_offset


def short_name(name: str) -> str:
    name = str(name).strip().replace(" ", "")
    short = _SUFFIX.sub("", name)
    return short or name


class CityResolver:
    """Maps names (Chinese, with or without suffix, or English) and adcodes to adcodes."""

    def __init__(self, cities: pd.DataFrame):
        # cities: adcode, name_zh, name_en (optional), province_zh
        self.cities = cities.reset_index(drop=True)
        self._by_name: dict[str, list[str]] = {}
        for row in self.cities.itertuples(index=False):
            keys = {row.name_zh, short_name(row.name_zh)}
            en = getattr(row, "name_en", None)
            if isinstance(en, str) and en:
                keys |= {en.lower(), en.lower().replace(" city", "")}
            for k in keys:
                self._by_name.setdefault(k, []).append(row.adcode)
        self._province = dict(zip(self.cities.adcode, self.cities.province_zh))
        self._adcodes = set(self.cities.adcode)

    def resolve(self, names: pd.Series, *, file, column: str, provinces: pd.Series | None = None,
                row_offset: int = 1, sheet: str | None = None) -> pd.Series:
        """Vectorised lookup; raises IngestError on the first unknown, blank or ambiguous name. Rows are
        reported by ``names``' index (plus ``row_offset``), so a subset of a table's rows keeps its rows."""
        text = names.astype("string").str.strip()
        blank = (text.isna() | (text == "")).to_numpy()
        if blank.any():
            i = int(np.flatnonzero(blank)[0])
            raise IngestError(file, cell(_row(names, i, row_offset), column, sheet),
                              f"unknown city '' (the cell is blank; {int(blank.sum())} blank row(s))",
                              "fill in the prefecture-level city name or adcode, or drop the row")
        uniq = pd.unique(text)
        mapping: dict[str, str] = {}
        for name in uniq:
            if name in self._adcodes:
                mapping[name] = name
                continue
            hits = self._by_name.get(name) or self._by_name.get(short_name(name)) or self._by_name.get(name.lower())
            if hits and len(hits) == 1:
                mapping[name] = hits[0]
            elif hits:
                mapping[name] = "?ambiguous"
            else:
                mapping[name] = ""
        out = text.map(mapping)
        if provinces is not None and (out == "?ambiguous").any():
            prov = provinces.astype(str).map(short_name)
            for i in out.index[out == "?ambiguous"]:
                cands = [a for a in self._by_name.get(short_name(names[i]), [])
                         if short_name(self._province[a]) == prov[i]]
                out[i] = cands[0] if len(cands) == 1 else "?ambiguous"
        bad = (out == "") | (out == "?ambiguous")
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            name = str(names.iloc[i]).strip()
            if out.iloc[i] == "?ambiguous":
                raise IngestError(file, cell(_row(names, i, row_offset), column, sheet),
                                  f"city name {name!r} is ambiguous", "add the province or use the 6-digit adcode")
            raise IngestError(
                file, cell(_row(names, i, row_offset), column, sheet),
                f"unknown city {name!r} ({int(bad.sum())} row(s) with unknown names)",
                f"use a prefecture-level city name or adcode; closest known: {self.suggest(name)}",
            )
        return out.astype("string")

    def suggest(self, name: str, n: int = 3) -> str:
        keys = list(self._by_name)
        close = difflib.get_close_matches(short_name(name), keys, n=n, cutoff=0.0)
        seen, parts = set(), []
        for k in close:
            for a in self._by_name[k]:
                if a not in seen:
                    seen.add(a)
                    row = self.cities.loc[self.cities.adcode == a].iloc[0]
                    parts.append(f"{row.name_zh} ({a})")
        return ", ".join(parts[:n]) or "none"

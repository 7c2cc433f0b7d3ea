"""The layouts of China City Statistical Yearbook exports (EPS, CNKI, CSMAR, panels circulated with papers),
recognised from a sheet's cells and turned into one shape: long cells (row, indicator header, scope, value).

What a sheet may look like (``../README.md``, "Sources and the raw schema", lists them for users):

* **wide**: key columns (城市 or 行政区划代码 / AREACODE, 年份 / SGNYEAR; 省份 for provincial tables) and
  one column per indicator;
* **headers** in the header grammar of :func:`parse_header`: ``地区生产总值(万元)``,
  ``地区生产总值(当年价格)(万元)``, ``地区生产总值_当年价格_全市_万元``, ``地区生产总值（全市）（万元）``;
* **a group row** above the header naming 全市 / 市辖区 over the columns that follow it (merged cells),
  the header below repeating the indicator names;
* **years as columns**: 城市 (and 指标) then one column per year (2015, 2015年); the indicator is the 指标
  cell, or the sheet name, or the title row;
* **CSMAR**: English field codes in the header row (SGNYEAR, AREACODE, ...), the Chinese field names in
  the row below and the units in the row below that ("description rows");
* title rows, blank rows and footnote rows (注：, 资料来源：) around the table.

The scope of a column (全市 = the whole prefecture with its counties, 市辖区 = the urban districts only) is
read, most specific first, from the header, the group row, the title rows, the sheet name and the file
name; a city table whose scope none of them tells is refused with the question to answer. Provincial
tables are whole-province figures (全市).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ingestion.errors import IngestError
from ingestion.parsing import (FOOTNOTE, UNIT_CONVERSIONS, _blank, _column_letter, drop_blank_and_footnote_rows,
                               unlabelled_column_error)
from ingestion.vocabulary import CONSTANT_PRICES, CURRENT_PRICES, WHOLE_AREA, yearbook_scopes, yearbook_spellings

# key columns as exports name them -> role (CSMAR's English field codes included)
KEYS = {
    "城市": "city", "城市名称": "city", "地区": "city", "地区名称": "city", "城市名": "city",
    "行政区划代码": "code", "城市代码": "code", "地区代码": "code", "AREACODE": "code",
    "年份": "year", "年度": "year", "统计年度": "year", "SGNYEAR": "year",
    "省份": "province",
    "指标": "indicator", "指标名称": "indicator",
}
SCAN = 12  # rows searched for the header
_YEAR_LABEL = re.compile(r"^\s*((19|20)\d{2})\s*(年|年度)?\s*$")
_BRACKET = re.compile(r"\(([^()]*)\)")
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def fold(text: object) -> str:
    """Full-width brackets, digits and spaces folded (NFKC), surrounding blanks removed."""
    return unicodedata.normalize("NFKC", str(text)).strip()


def year_label(text: object) -> int | None:
    m = _YEAR_LABEL.match(fold(text))
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class Header:
    """An indicator header read by the header grammar."""

    text: str             # as the file writes it
    name: str             # the spelling (地区生产总值)
    unit: str             # '' when none
    scope: str | None     # 全市 / 市辖区 when the header says so
    basis: str | None     # the price basis named (当年价格), if any


def parse_header(text: str, *, file, where: str) -> Header:
    """``name`` followed by qualifiers in brackets or after underscores: a unit of ingestion/parsing.py, a
    scope of the seed, a current-price basis. A constant-price basis and any other word are errors."""
    folded = fold(text).replace("（", "(").replace("）", ")")
    brackets = [b.strip() for b in _BRACKET.findall(folded)]
    tokens = [t.strip() for t in _BRACKET.sub("", folded).split("_") if t.strip()]
    if not tokens:
        raise IngestError(file, where, f"header {text!r} has no indicator name", "keep the export's header")
    name, qualifiers = tokens[0], [*tokens[1:], *brackets]
    scopes = yearbook_scopes()
    unit, scope, basis = "", None, None
    for q in qualifiers:
        if q in scopes:
            if scope and scope != q:
                raise IngestError(file, where, f"header {text!r} names two scopes ({scope}, {q})",
                                  "give each scope its own column")
            scope = q
        elif q in UNIT_CONVERSIONS:
            unit = q
        elif q in CURRENT_PRICES:
            basis = q
        elif q in CONSTANT_PRICES or "不变价" in q or "可比价" in q:
            raise IngestError(file, where, f"{name} at {q} is a constant-price series; the warehouse holds "
                              "current-price figures (当年价格)", "export the current-price series (当年价格)")
        else:
            raise IngestError(file, where, f"unknown unit {q!r} in the header {text!r} (not a unit of "
                              f"ingestion/parsing.py, a scope ({'/'.join(scopes)}) or a price basis "
                              f"({CURRENT_PRICES[0]}))",
                              f"use one of {sorted(u for u in UNIT_CONVERSIONS if u)} or add it to "
                              "ingestion/parsing.py")
    return Header(str(text).strip(), name, unit, scope, basis)


def scope_in(texts) -> str | None:
    """The one scope the texts name (title rows, sheet name, file name), or None (none or both)."""
    found = {s for t in texts for s in yearbook_scopes() if s in fold(t)}
    return found.pop() if len(found) == 1 else None


@dataclass
class Sheet:
    """A sheet (or CSV) as recognised: key columns by role, indicator or year columns, the data rows."""

    file: Path
    sheet: str | None
    keys: dict[str, int]              # role -> column position
    headers: dict[int, str]           # column position -> indicator header (wide) ...
    years: dict[int, int]             # ... or column position -> year (years as columns)
    column_scope: dict[int, str]      # column position -> scope of a group row above the header
    table_scope: str | None           # scope of the title rows, sheet name or file name
    title: list[str]                  # text of the rows above the header (indicator of a years-as-columns sheet)
    body: pd.DataFrame                # data rows; index + first_row = the row Excel shows
    first_row: int                    # row number of the body's index 0

    @property
    def layout(self) -> str:
        if self.years:
            return "years as columns" + ("" if "indicator" in self.keys else ", indicator from the sheet name"
                                         if self.sheet and indicator_of_sheet(self) == self.sheet else
                                         ", indicator from the title")
        if "SGNYEAR" in self.raw_labels or "AREACODE" in self.raw_labels:
            return "CSMAR field codes"
        if self.column_scope:
            return "scope group row"
        return "wide"

    raw_labels: tuple = ()

    def where(self, j: int) -> str:
        prefix = f"sheet {self.sheet!r}, " if self.sheet else ""
        return f"{prefix}column {self.label(j)!r}"

    def label(self, j: int) -> str:
        return self.headers.get(j) or str(self.years.get(j, _column_letter(j)))

    def column(self, j: int) -> pd.Series:
        return self.body.iloc[:, j]

    def key_label(self, role: str) -> str:
        return self.raw_labels[self.keys[role]]

    def key(self, role: str) -> pd.Series | None:
        return self.column(self.keys[role]) if role in self.keys else None


def recognise(raw: pd.DataFrame, *, file: Path, sheet: str | None) -> Sheet:
    """The layout of one sheet (raw cells, no header inferred)."""
    prefix = f"sheet {sheet!r}, " if sheet else ""
    raw = raw.reset_index(drop=True)
    raw.columns = range(raw.shape[1])
    h = _header_row(raw, file=file, prefix=prefix)
    labels = [None if _blank(pd.Series([v])).iloc[0] else fold(v) for v in raw.iloc[h]]
    keys: dict[str, int] = {}
    for j, label in enumerate(labels):
        role = KEYS.get(label or "") or KEYS.get((label or "").upper())
        if role and role not in keys:
            keys[role] = j
    # CSMAR: description rows under a header of field codes (Chinese names, then units)
    start = h + 1
    names = dict(enumerate(labels))
    units: dict[int, str] = {}
    year_col = keys.get("year")
    while start < len(raw) and start <= h + 2 and year_col is not None and _description_row(raw.iloc[start], year_col):
        row = raw.iloc[start]
        cells = {j: fold(row[j]) for j in range(raw.shape[1]) if not _blank(pd.Series([row[j]])).iloc[0]}
        if all(c in UNIT_CONVERSIONS or c in ("没有单位", "无单位") for c in cells.values()):
            units = {j: ("" if c in ("没有单位", "无单位") else c) for j, c in cells.items()}
        else:
            for j, c in cells.items():
                if names.get(j) and _CODE.match(names[j]) and j not in keys.values():
                    names[j] = c
        start += 1
    years: dict[int, int] = {}
    if "year" not in keys:
        years = {j: y for j, label in enumerate(labels) if label and (y := year_label(label)) is not None}
    headers: dict[int, str] = {}
    for j, label in enumerate(labels):
        if j in keys.values() or j in years or not label:
            continue
        headers[j] = names[j] + (f"({units[j]})" if units.get(j) else "")
    body = raw.iloc[start:]
    unlabelled = [j for j, label in enumerate(labels) if not label and not body[j].pipe(_blank).all()]
    if unlabelled:
        raise unlabelled_column_error(file, sheet, h, unlabelled)
    body = drop_blank_and_footnote_rows(body)
    if body.empty:
        raise IngestError(file, f"{prefix}below the header (row {h + 1})", "no data rows under the header",
                          "export the table with its rows (only the header is there)")
    above = [raw.iloc[i] for i in range(h)]
    column_scope = _group_scopes(above, headers or years)
    title = [fold(v) for row in above for v in row if not _blank(pd.Series([v])).iloc[0]]
    title = [t for t in title if not FOOTNOTE.match(t) and t not in yearbook_scopes()]
    table_scope = scope_in([*title, sheet or "", file.stem])
    return Sheet(file, sheet, keys, headers, years, column_scope, table_scope, title,
                 body.set_axis(body.index - start), start + 1, raw_labels=tuple(labels))


def _header_row(raw: pd.DataFrame, *, file, prefix: str) -> int:
    for i in range(min(SCAN, len(raw))):
        labels = [fold(v) for v in raw.iloc[i] if not _blank(pd.Series([v])).iloc[0]]
        roles = {KEYS.get(label) or KEYS.get(label.upper()) for label in labels}
        place = roles & {"city", "code", "province"}
        if place and ("year" in roles or sum(year_label(label) is not None for label in labels) >= 1):
            return i
    raise IngestError(file, f"{prefix}rows 1-{min(SCAN, len(raw))}",
                      f"no header row with a city column (城市 / 行政区划代码 / AREACODE) or a province column "
                      f"(省份) and a year column (年份 / SGNYEAR) or year columns (2019, 2019年) in the first {SCAN} "
                      "rows", "keep the original header (columns may have been renamed or deleted)")


def _description_row(row: pd.Series, year_col: int) -> bool:
    """A row under the header that describes the columns (CSMAR's names and units), not data: its year
    cell is text that is not a year."""
    cell = row[year_col]
    return not _blank(pd.Series([cell])).iloc[0] and year_label(cell) is None and not fold(cell).isdigit()


def _group_scopes(above: list[pd.Series], columns: dict[int, object]) -> dict[int, str]:
    """Column -> scope from the last row above the header that names a scope over the indicator columns;
    a merged cell is read at its first column and spans the columns up to the next label."""
    scopes = yearbook_scopes()
    for row in reversed(above):
        cells = {j: fold(v) for j, v in row.items() if not _blank(pd.Series([v])).iloc[0]}
        if not any(c in scopes for c in cells.values()):
            continue
        out, current = {}, None
        for j in range(len(row)):
            if j in cells:
                current = next((s for s in scopes if s in cells[j]), None)
            if j in columns and current:
                out[j] = current
        return out
    return {}


def column_scope(sheet: Sheet, j: int, header: Header | None, *, province: bool) -> str:
    """The scope of column ``j``: the header's, the group row's, the table's; provincial tables are
    whole-province figures. A city table that does not tell is an error asking the question."""
    scope = (header.scope if header else None) or sheet.column_scope.get(j) or sheet.table_scope
    if scope:
        return scope
    if province:
        return WHOLE_AREA
    raise IngestError(sheet.file, sheet.where(j),
                      "cannot tell whether the figures are 全市 (the whole prefecture, counties included) or 市辖区 "
                      "(the urban districts only): neither the header, a group row, the title rows, the sheet name "
                      "nor the file name says",
                      "answer in the file: put 全市 or 市辖区 in the file name (城市统计年鉴_全市.csv), in a title "
                      "row, or in the header (地区生产总值_全市_万元)")


def indicator_of_sheet(sheet: Sheet) -> str:
    """A years-as-columns sheet without a 指标 column: the indicator header is the sheet name, or else a title
    row. A text whose indicator is a spelling of the seed is the header (an index has no unit:
    数字普惠金融指数); failing that, the first text shaped like a header with a unit (地区生产总值(万元),
    地区生产总值_全市_万元) is taken, so that an unknown spelling is named with its closest known ones."""
    candidates = [sheet.sheet or "", *sheet.title]
    for text in candidates:
        try:
            header = parse_header(text, file=sheet.file, where="")
        except IngestError:
            continue
        if any(header.name in yearbook_spellings(scope) for scope in yearbook_scopes()):
            return text
    for text in candidates:
        if _BRACKET.search(fold(text).replace("（", "(").replace("）", ")")) or "_" in text:
            return text
    raise IngestError(sheet.file, (f"sheet {sheet.sheet!r}" if sheet.sheet else "title rows"),
                      "years as columns, but no 指标 column and neither the sheet name nor a title row names the "
                      "indicator", "add a 指标 column, or name the sheet for the indicator (地区生产总值(万元))")

"""China City Statistical Yearbook indicators (and the provincial yearbook) -> raw.yearbook.

Exports come as GBK or UTF-8 CSV or xlsx in the layouts of ``ingestion.sources._yearbook_layouts`` (wide
tables, ``..._全市_万元`` panels, bracketed price basis and unit, a 全市/市辖区 group row above a repeated
header, years as columns, CSMAR field codes; title, blank and footnote rows; missing markers and
full-width digits). The vocabulary is the dbt seed ``seed_yearbook_indicators`` (read through
``ingestion.vocabulary``): a header's indicator must be one of its spellings **in the column's scope**,
and every indicator is stored in the seed's canonical unit (亿元 become 万元, 人 become 万人 where the
canonical unit is 万人, and so on); a column whose median is far from the seed's typical value has the
wrong unit in its header.

**Scope is data**: every row carries the scope of its column (全市, the whole prefecture; 市辖区, the urban
districts), read from the header, a group row, the title rows, the sheet name or the file name; a city
table that says none is refused. The marts use 全市 only (dbt var ``yearbook_scope``). City names or
codes resolve to adcodes of the row's year (``ingestion.cities``); provincial tables (a 省份 column) to
province adcodes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ingestion.cities import unit_code_doc
from ingestion.contract import Column, Contract
from ingestion.errors import IngestError
from ingestion.parsing import cell, parse_number, parse_year, row_of, to_canonical
from ingestion.sources._tables import _reject_off_scale, provinces, raw_sheets, reject_unit_jumps
from ingestion.sources._yearbook_layouts import Header, Sheet, column_scope, indicator_of_sheet, parse_header, recognise
from ingestion.sources.base import FileLayout, LoadContext, ReadResult, Source
from ingestion.vocabulary import SEEDS, closest_spellings, yearbook_scopes, yearbook_spellings

SEED_FILE = SEEDS / "seed_yearbook_indicators.csv"

CONTRACT = Contract(
    table="yearbook",
    description="City (and province) statistical yearbook indicators, long format, canonical units, by scope",
    key=("adcode", "year", "indicator", "scope"),
    columns=(
        Column("adcode", "varchar", "city: " + unit_code_doc() + "; or province adcode for provincial tables"),
        Column("year", "integer", "statistical year", min=1978, max=2100),
        Column("indicator", "varchar", "indicator as the export's header spells it (Chinese, a spelling of "
               "seed_yearbook_indicators)"),
        Column("scope", "varchar", "area the figure covers: 全市 (whole prefecture or province) or 市辖区 (urban "
               "districts only), as the file says"),
        Column("value", "double", "value in the canonical unit", min=0),
        Column("unit", "varchar", "canonical unit of the indicator", nullable=True),
        Column("source_file", "varchar", "file the row came from"),
    ),
)


def read(files, ctx: LoadContext):
    resolver = ctx.resolver()
    parts, layouts = [], {}
    for path in files:
        seen_layouts, seen_scopes = [], set()
        for sheet_name, raw in raw_sheets(path):
            sheet = recognise(raw, file=path, sheet=sheet_name)
            long = _long(sheet, resolver)
            long["source_file"] = path.name
            parts.append(long)
            seen_layouts.append(sheet.layout)
            seen_scopes |= set(long["scope"])
        layouts[path] = FileLayout({"product": "yearbook export", "layout": ", ".join(dict.fromkeys(seen_layouts)),
                                    "scopes": ", ".join(s for s in yearbook_scopes() if s in seen_scopes)})
    out = pd.concat(parts, ignore_index=True)
    reject_unit_jumps(out, ["adcode", "indicator", "scope"])
    out["unit"] = out["unit"].replace("", None)
    return ReadResult({"yearbook": out}, layouts)


def _long(sheet: Sheet, resolver) -> pd.DataFrame:
    """Long rows (adcode, year, indicator, scope, value, unit + origin columns) of one recognised sheet."""
    file, first, name = sheet.file, sheet.first_row, sheet.sheet
    province = "city" not in sheet.keys and "code" not in sheet.keys

    def places(years) -> pd.Series:
        if province:
            return provinces(sheet.key("province"), file=file, column="省份", row_offset=first, sheet=name)
        role = "city" if "city" in sheet.keys else "code"
        return resolver.resolve(sheet.key(role), years=years, file=file, column=sheet.key_label(role),
                                provinces=sheet.key("province"), row_offset=first, sheet=name)

    def places_of(rows: pd.Series, year: int) -> pd.Series:
        role = "city" if "city" in sheet.keys else "code"
        names = sheet.key(role)
        found = resolver.resolve(names[rows], years=year, file=file, column=sheet.key_label(role),
                                 provinces=None if "province" not in sheet.keys else sheet.key("province")[rows],
                                 row_offset=first, sheet=name)
        return found.reindex(names.index)

    parts = []
    if not sheet.years:
        year = parse_year(sheet.key("year"), file=file, column=sheet.key_label("year"), row_offset=first, sheet=name)
        adcode = places(year)
        for j, text in sheet.headers.items():
            where = sheet.where(j)
            header = parse_header(text, file=file, where=where)
            scope = column_scope(sheet, j, header, province=province)
            values = parse_number(sheet.column(j), file=file, column=text, row_offset=first, sheet=name)
            parts.append(_converted(values, header, scope, adcode, year, sheet=sheet, where=where))
        return _concat(parts)
    # years as columns: the indicator of each row is its 指标 cell, or the sheet's (sheet name, title)
    if "indicator" in sheet.keys:
        indicator = sheet.key("indicator").astype("string").fillna("").str.strip()
    else:
        indicator = pd.Series(indicator_of_sheet(sheet), index=sheet.body.index)
    groups = {}
    for text in dict.fromkeys(indicator):
        rows = indicator.index[indicator == text]
        where = (cell(first + int(rows[0]), sheet.key_label("indicator"), name) if "indicator" in sheet.keys
                 else f"sheet {name!r}" if name else "title rows")
        groups[text] = (rows, where, parse_header(text, file=file, where=where))
    for j, year in sheet.years.items():
        values = parse_number(sheet.column(j), file=file, column=sheet.label(j), row_offset=first, sheet=name)
        present = values.notna()  # a row names a unit only in the years it has a value (莱芜 to 2018)
        adcode = places(year).where(present) if province else places_of(present, year)
        years = pd.Series(year, index=sheet.body.index)
        for text, (rows, where, header) in groups.items():
            scope = column_scope(sheet, j, header, province=province)
            parts.append(_converted(values.loc[rows], header, scope, adcode, years, sheet=sheet,
                                    where=f"{sheet.where(j)}, indicator {text!r}"))
    return _concat(parts)


def _converted(values: pd.Series, header: Header, scope: str, adcode: pd.Series, year: pd.Series, *, sheet: Sheet,
               where: str) -> pd.DataFrame:
    """The column's rows in the seed's canonical unit for its spelling and scope, checked."""
    file = sheet.file
    known = yearbook_spellings(scope)
    if header.name not in known:
        elsewhere = [s for s in yearbook_scopes() if s != scope and header.name in yearbook_spellings(s)]
        problem = (f"indicator {header.name!r} is in the seed for {', '.join(elsewhere)} but not for {scope}"
                   if elsewhere else f"unknown indicator {header.name!r} ({scope})")
        raise IngestError(file, where, problem,
                          f"the closest known indicators ({scope}) are {closest_spellings(header.name, scope)}; if "
                          f"the header is another spelling of one of them, add a row '<indicator>,{scope},"
                          f"{header.name},<canonical unit>,<typical city value>' to {SEED_FILE}")
    row = known[header.name]
    converted, canonical = to_canonical(values.to_numpy(), header.unit, file=file, where=where)
    if canonical != row.unit:
        raise IngestError(file, where, f"unit {header.unit!r} cannot be converted to {row.unit!r}",
                          f"give {header.name} in {row.unit} or a unit convertible to it")
    negative = converted < 0
    if np.any(negative):
        i = int(np.flatnonzero(negative)[0])
        raise IngestError(file, cell(row_of(values, i, sheet.first_row), repr(header.text), sheet.sheet),
                          f"negative value {values.iloc[i]}", "correct the value; these indicators cannot be negative")
    _reject_off_scale(values.to_numpy(), header.unit, canonical, row.typical_city_value, name=header.name, file=file,
                      where=where)
    keep = np.isfinite(converted)
    index = values.index[keep]
    return pd.DataFrame({
        "adcode": adcode.loc[index].to_numpy(), "year": year.loc[index].to_numpy(), "indicator": header.name,
        "scope": scope, "value": converted[keep], "unit": canonical, "_file": str(file),
        "_row": [cell(sheet.first_row + int(i), repr(header.text), sheet.sheet) for i in index], "_part": where,
    })


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    columns = ["adcode", "year", "indicator", "scope", "value", "unit", "_file", "_row", "_part"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


SOURCE = Source(
    name="yearbook",
    description="China City Statistical Yearbook and provincial yearbook indicators",
    product="yearbook exports (CSV in GBK or UTF-8, or xlsx; EPS, CNKI and CSMAR layouts, 全市 and 市辖区)",
    contracts=(CONTRACT,),
    patterns=("*.csv", "*.xlsx"),
    read=read,
    version="3",  # 3: a sheet named for its indicator (an index without a unit too) wins over a title row
    seeds=("seed_yearbook_indicators",),  # the indicator vocabulary
)

"""Employment by industry in base years: Chinese provinces and cities (economic census, Chinese
industry names) and the United States in 1990 (IFR industry codes) -> raw.employment (persons).
The IFR-to-Chinese-industry crosswalk is a dbt seed."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ingestion.cities import unit_code_doc
from ingestion.contract import Column, Contract
from ingestion.errors import IngestError
from ingestion.parsing import cell, parse_number, split_header, to_canonical
from ingestion.sources._tables import origin, provinces, read_tables, require_columns, year_column
from ingestion.sources.base import LoadContext, Source

CONTRACT = Contract(
    table="employment",
    description="Employment by industry in base years (China provinces and cities; United States)",
    key=("geo_level", "geo_code", "industry", "year"),
    columns=(
        Column("geo_level", "varchar", "country | province | city"),
        Column("geo_code", "varchar", "province adcode, city (" + unit_code_doc("the base year") + ") or ISO code of the country (CHN, USA)"),
        Column("industry", "varchar", "industry as given: Chinese census name or IFR industry code"),
        Column("year", "integer", "base year", min=1980, max=2100),
        Column("employment", "double", "persons employed", "persons", min=0),
        Column("source_file", "varchar", "file the row came from"),
    ),
)


def read(files, ctx: LoadContext):
    resolver = ctx.resolver()
    parts = []
    for path in files:
        if path.suffix.lower() == ".csv" and "US" in path.name.upper():
            for sheet, table, first in read_tables(path, {"industry_code", "employment"}):
                require_columns(table, ["industry_code", "year", "employment"], file=path)
                parts.append(pd.DataFrame({
                    "geo_level": "country", "geo_code": "USA", "industry": table["industry_code"].str.strip(),
                    "year": year_column(table, "year", file=path, first_row=first, sheet=sheet),
                    "employment": parse_number(table["employment"], file=path, column="employment", row_offset=first,
                                               sheet=sheet),
                    "source_file": path.name, **origin(path, sheet, first, table.index)}))
            continue
        for sheet, table, first in read_tables(path, {"地区级别", "地区", "行业"}):
            require_columns(table, ["地区级别", "地区", "行业", "年份"], file=path, sheet=sheet)
            emp_col = next((c for c in table.columns if split_header(c)[0] == "从业人员"), None)
            if emp_col is None:
                raise IngestError(path, f"sheet {sheet!r}, header", "no 从业人员 column", "keep the census header")
            level = table["地区级别"].str.strip().map({"全国": "country", "省": "province", "地级市": "city", "市": "city"})
            if level.isna().any():
                i = int(np.flatnonzero(level.isna().to_numpy())[0])
                raise IngestError(path, cell(first + i, "地区级别", sheet),
                                  f"level {table['地区级别'].iloc[i]!r}: levels must be 全国, 省 or 地级市",
                                  "fix the level column")
            code = pd.Series("CHN", index=table.index, dtype="string")
            year = year_column(table, "年份", file=path, first_row=first, sheet=sheet)
            is_prov, is_city = level == "province", level == "city"
            if is_prov.any():
                code[is_prov] = provinces(table.loc[is_prov, "地区"], file=path, column="地区", row_offset=first,
                                          sheet=sheet).to_numpy()
            if is_city.any():
                code[is_city] = resolver.resolve(table.loc[is_city, "地区"], years=year[is_city], file=path,
                                                 column="地区", provinces=table.loc[is_city].get("所属省份"),
                                                 row_offset=first, sheet=sheet).to_numpy()
            values = parse_number(table[emp_col], file=path, column=emp_col, row_offset=first, sheet=sheet)
            unit = split_header(emp_col)[1] or "人"
            where = f"sheet {sheet!r}, column {emp_col!r}"
            persons, canonical = to_canonical(values.to_numpy(), unit, file=path, where=where)
            if canonical != "万人":
                raise IngestError(path, where, f"unit {unit!r} cannot be converted to '万人'",
                                  "give employment in persons (人) or 万人")
            parts.append(pd.DataFrame({"geo_level": level, "geo_code": code, "industry": table["行业"].str.strip(),
                                       "year": year,
                                       "employment": persons * 1e4, "source_file": path.name,
                                       **origin(path, sheet, first, table.index)}))
    return {"employment": pd.concat(parts, ignore_index=True)}


SOURCE = Source(
    name="employment",
    description="employment by industry in base years (China census; United States 1990)",
    product="economic census tables (xlsx, Chinese) and US employment by industry (CSV)",
    contracts=(CONTRACT,),
    patterns=("*.xlsx", "*.csv"),
    read=read,
)

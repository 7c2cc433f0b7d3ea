"""Baidu search index for a keyword (人工智能) per city and year (daily average) -> raw.baidu_index.

Baidu Index reports its regions as they are today for every year of a series (海东 for 2011, no 莱芜):
the names resolve against the last code table and the values cover today's territory."""
from __future__ import annotations

import pandas as pd

from ingestion.cities import unit_code_doc
from ingestion.contract import Column, Contract
from ingestion.parsing import parse_number
from ingestion.sources._tables import origin, read_tables, require_columns, year_column
from ingestion.sources.base import LoadContext, Source

CONTRACT = Contract(
    table="baidu_index",
    description="Baidu search index (daily average over the year) by city, year and keyword",
    key=("adcode", "year", "keyword"),
    columns=(
        Column("adcode", "varchar", "city: " + unit_code_doc("the last year (Baidu's regions are today's)")),
        Column("year", "integer", "year", min=2006, max=2100),
        Column("keyword", "varchar", "search keyword"),
        Column("value", "double", "daily average search index", min=0),
        Column("source_file", "varchar", "file the row came from"),
    ),
)


def read(files, ctx: LoadContext):
    resolver = ctx.resolver()
    parts = []
    for path in files:
        for sheet, table, first in read_tables(path, {"城市", "年份"}):
            require_columns(table, ["城市", "关键词", "年份", "日均值"], file=path, sheet=sheet)
            year = year_column(table, "年份", file=path, first_row=first, sheet=sheet)
            parts.append(pd.DataFrame({
                "adcode": resolver.resolve(table["城市"], years=None, file=path, column="城市", row_offset=first,
                                           sheet=sheet),
                "year": year,
                "keyword": table["关键词"].str.strip(),
                "value": parse_number(table["日均值"], file=path, column="日均值", row_offset=first, sheet=sheet),
                "source_file": path.name,
                **origin(path, sheet, first, table.index),
            }))
    out = pd.concat(parts, ignore_index=True)
    return {"baidu_index": out[out.value.notna()]}


SOURCE = Source(
    name="baidu_index",
    description="Baidu search index for AI",
    product="Baidu Index exports (CSV or xlsx)",
    contracts=(CONTRACT,),
    patterns=("*.csv", "*.xlsx"),
    read=read,
)

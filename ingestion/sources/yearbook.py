"""China City Statistical Yearbook indicators (and the provincial yearbook) -> raw.yearbook.

Exports come as GBK or UTF-8 CSV or xlsx with title rows, Chinese headers with units in brackets
("地区生产总值(万元)"), "2019年" years and "1,234" numbers. The vocabulary is the dbt seed
``seed_yearbook_indicators`` (read through ``ingestion.vocabulary``): a header's indicator must be one
of its spellings, and every indicator is stored in the seed's canonical unit (亿元 become 万元, 人
become 万人 where the canonical unit is 万人, and so on); a column whose median is far from the seed's
typical city value has the wrong unit in its header. City names resolve to adcodes (unknown names fail
with the closest suggestions); province tables (a 省份 column) resolve to province adcodes. Every
table counts as whole-area (全市) figures until a later loader reads 市辖区 headers.
"""
from __future__ import annotations

import pandas as pd

from ingestion.cities import unit_code_doc
from ingestion.contract import Column, Contract
from ingestion.sources._tables import (melt_indicators, provinces, read_tables, reject_unit_jumps,
                                       require_columns, year_column)
from ingestion.sources.base import LoadContext, Source
from ingestion.vocabulary import SEEDS, yearbook_spellings

CONTRACT = Contract(
    table="yearbook",
    description="City (and province) statistical yearbook indicators, long format, canonical units",
    key=("adcode", "year", "indicator"),
    columns=(
        Column("adcode", "varchar", "city: " + unit_code_doc() + "; or province adcode for provincial tables"),
        Column("year", "integer", "statistical year", min=1978, max=2100),
        Column("indicator", "varchar", "indicator as the export's header spells it (Chinese, a spelling of "
               "seed_yearbook_indicators)"),
        Column("value", "double", "value in the canonical unit", min=0),
        Column("unit", "varchar", "canonical unit of the indicator", nullable=True),
        Column("source_file", "varchar", "file the row came from"),
    ),
)


def read(files, ctx: LoadContext):
    resolver = ctx.resolver()
    vocabulary = yearbook_spellings()
    known = {spelling: row.unit for spelling, row in vocabulary.items()}
    typical = {spelling: row.typical_city_value for spelling, row in vocabulary.items()}
    register = f"add its spelling to {SEEDS / 'seed_yearbook_indicators.csv'}"
    parts = []
    for path in files:
        for sheet, table, first in read_tables(path, {"年份"}):
            require_columns(table, ["年份"], file=path, sheet=sheet)
            year = year_column(table, "年份", file=path, first_row=first, sheet=sheet)
            if "城市" in table.columns:
                adcode = resolver.resolve(table["城市"], years=year, file=path, column="城市", row_offset=first,
                                          sheet=sheet)
                key_cols = ["城市", "年份"]
            else:
                require_columns(table, ["省份", "年份"], file=path, sheet=sheet)
                adcode = provinces(table["省份"], file=path, column="省份", row_offset=first, sheet=sheet)
                key_cols = ["省份", "年份"]
            indicators = [c for c in table.columns if c not in key_cols]
            long = melt_indicators(table, {"adcode": adcode, "year": year}, indicators, known=known,
                                   file=path, sheet=sheet, first_row=first, typical=typical, register=register)
            long["source_file"] = path.name
            parts.append(long)
    out = pd.concat(parts, ignore_index=True)
    reject_unit_jumps(out, ["adcode", "indicator"])
    out["unit"] = out["unit"].replace("", None)
    return {"yearbook": out}


SOURCE = Source(
    name="yearbook",
    description="China City Statistical Yearbook and provincial yearbook indicators",
    product="yearbook exports (CSV in GBK or UTF-8, or xlsx; Chinese headers with units)",
    contracts=(CONTRACT,),
    patterns=("*.csv", "*.xlsx"),
    read=read,
    seeds=("seed_yearbook_indicators",),  # the indicator vocabulary
)

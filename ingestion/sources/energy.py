"""Provincial energy balances, nine fuels (China Energy Statistical Yearbook) -> raw.province_energy.

The nine fuels of study 003's IPCC calculation; physical units (万吨, natural gas 亿立方米). One sheet per
year ("2019年"), a 地区 column with province names.
"""
from __future__ import annotations

import pandas as pd

from ingestion.contract import Column, Contract
from ingestion.errors import IngestError
from ingestion.parsing import split_header
from ingestion.sources._tables import melt_indicators, provinces, read_tables, reject_unit_jumps, sheet_year
from ingestion.sources.base import LoadContext, Source

# fuel -> canonical unit (万吨 headers are stored in 吨; natural gas in 亿立方米)
FUELS = {"原煤": "吨", "焦炭": "吨", "原油": "吨", "汽油": "吨", "煤油": "吨", "柴油": "吨", "燃料油": "吨",
         "液化石油气": "吨", "天然气": "亿立方米"}

CONTRACT = Contract(
    table="province_energy",
    description="Final energy consumption of nine fuels by province and year, physical units",
    key=("province_adcode", "year", "fuel"),
    columns=(
        Column("province_adcode", "varchar", "province adcode"),
        Column("year", "integer", "year", min=1990, max=2100),
        Column("fuel", "varchar", "fuel (Chinese name, one of the nine)"),
        Column("value", "double", "consumption", min=0),
        Column("unit", "varchar", "吨 (natural gas: 亿立方米)"),
        Column("source_file", "varchar", "file the row came from"),
    ),
)


def read(files, ctx: LoadContext):
    parts = []
    for path in files:
        for sheet, table, first in read_tables(path, {"地区"}):
            year = sheet_year(sheet, file=path)
            codes = provinces(table["地区"], file=path, column="地区", row_offset=first, sheet=sheet)
            found = {split_header(c)[0]: c for c in table.columns if c != "地区"}
            missing = [f for f in FUELS if f not in found]
            if missing:
                raise IngestError(path, f"sheet {sheet!r}, header", f"missing fuel column(s) {missing}",
                                  "the nine fuels of the energy balance must all be present")
            long = melt_indicators(table, {"province_adcode": codes, "year": pd.Series(year, index=table.index)},
                                   [found[f] for f in FUELS], known=FUELS, file=path, sheet=sheet, first_row=first,
                                   register="register it in FUELS of ingestion/sources/energy.py")
            long["source_file"] = path.name
            parts.append(long.rename(columns={"indicator": "fuel"}))
    out = pd.concat(parts, ignore_index=True)
    reject_unit_jumps(out, ["province_adcode", "fuel"])
    return {"province_energy": out}


SOURCE = Source(
    name="energy",
    description="provincial energy consumption by fuel (nine fuels)",
    product="China Energy Statistical Yearbook regional tables (xlsx, one sheet per year)",
    contracts=(CONTRACT,),
    patterns=("*.xlsx", "*.csv"),
    read=read,
    needs_cities=False,
    seeds=("seed_provinces",),  # province names
)

"""Provincial energy balances, nine fuels (China Energy Statistical Yearbook) -> raw.province_energy.

The nine fuels of seed 003's IPCC calculation; physical units (万吨, natural gas 亿立方米). One sheet per
year ("2019年"), a 地区 column with province names.
"""
from __future__ import annotations

import pandas as pd

from ingestion.contract import Column, Contract
from ingestion.errors import IngestError
from ingestion.parsing import parse_number, parse_year, split_header, to_canonical
from ingestion.sources._tables import provinces, read_tables
from ingestion.sources.base import LoadContext, Source

FUELS = ("原煤", "焦炭", "原油", "汽油", "煤油", "柴油", "燃料油", "液化石油气", "天然气")

CONTRACT = Contract(
    table="province_energy",
    description="Final energy consumption of nine fuels by province and year, physical units",
    key=("province_adcode", "year", "fuel"),
    columns=(
        Column("province_adcode", "varchar", "province adcode"),
        Column("year", "integer", "year", min=1990, max=2100),
        Column("fuel", "varchar", "fuel (Chinese name, one of the nine)"),
        Column("value", "double", "consumption", min=0),
        Column("unit", "varchar", "万吨 (natural gas: 亿立方米)"),
        Column("source_file", "varchar", "file the row came from"),
    ),
)


def read(files, ctx: LoadContext):
    parts = []
    for path in files:
        for sheet, table, first in read_tables(path, {"地区"}):
            year = int(parse_year(pd.Series([sheet]), file=path, column="sheet name").iloc[0])
            codes = provinces(table["地区"], file=path, column="地区", row_offset=first)
            found = {split_header(c)[0]: c for c in table.columns if c != "地区"}
            missing = [f for f in FUELS if f not in found]
            if missing:
                raise IngestError(path, f"sheet {sheet!r}", f"missing fuel column(s) {missing}",
                                  "the nine fuels of the energy balance must all be present")
            for fuel in FUELS:
                header = found[fuel]
                values = parse_number(table[header], file=path, column=header, row_offset=first)
                converted, unit = to_canonical(values.to_numpy(), split_header(header)[1], file=path,
                                               where=f"sheet {sheet!r}, column {header!r}")
                parts.append(pd.DataFrame({"province_adcode": codes.to_numpy(), "year": year, "fuel": fuel,
                                           "value": converted, "unit": unit, "source_file": path.name}))
    out = pd.concat(parts, ignore_index=True)
    return {"province_energy": out[out.value.notna()]}


SOURCE = Source(
    name="energy",
    description="provincial energy consumption by fuel (nine fuels)",
    product="China Energy Statistical Yearbook regional tables (xlsx, one sheet per year)",
    contracts=(CONTRACT,),
    patterns=("*.xlsx", "*.csv"),
    read=read,
    needs_cities=False,
)

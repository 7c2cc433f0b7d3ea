"""Pilot lists too long to keep as hand-made seeds (smart cities, low-carbon cities, Broadband China),
as published lists: 批次, 公布年份, 省份, 城市 -> raw.policy_lists. The policy comes from the file name."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ingestion.cities import unit_code_doc
from ingestion.contract import Column, Contract
from ingestion.errors import IngestError
from ingestion.parsing import cell, row_of
from ingestion.sources._tables import origin, read_tables, require_columns, year_column
from ingestion.sources.base import LoadContext, Source

POLICIES = {"智慧城市": "smart_city", "低碳城市": "low_carbon", "宽带中国": "broadband_china"}

CONTRACT = Contract(
    table="policy_lists",
    description="Cities named in pilot lists, with the year and batch of announcement",
    key=("policy", "adcode"),
    columns=(
        Column("policy", "varchar", "smart_city | low_carbon | broadband_china"),
        Column("adcode", "varchar", "city: " + unit_code_doc("the year of announcement")),
        Column("year", "integer", "year the batch was announced", min=2000, max=2100),
        Column("batch", "integer", "batch number", min=1, max=20),
        Column("source_file", "varchar", "file the row came from"),
    ),
)


def read(files, ctx: LoadContext):
    resolver = ctx.resolver()
    parts = []
    for path in files:
        policy = next((v for k, v in POLICIES.items() if k in path.name), None)
        if policy is None:
            raise IngestError(path, "file name", "cannot tell the policy from the file name",
                              f"name the file after one of {sorted(POLICIES)}")
        for sheet, table, first in read_tables(path, {"城市", "批次"}):
            require_columns(table, ["批次", "公布年份", "城市"], file=path, sheet=sheet)
            batch = table["批次"].str.extract(r"(\d+)")[0]
            if batch.isna().any():
                i = int(np.flatnonzero(batch.isna().to_numpy())[0])
                raise IngestError(path, cell(row_of(batch, i, first), "批次", sheet), f"{table['批次'].iloc[i]!r} has no batch number",
                                  "write batches as 第1批")
            year = year_column(table, "公布年份", file=path, first_row=first, sheet=sheet)
            parts.append(pd.DataFrame({
                "policy": policy,
                "adcode": resolver.resolve(table["城市"], years=year, file=path, column="城市",
                                           provinces=table.get("省份"), row_offset=first, sheet=sheet),
                "year": year,
                "batch": batch.astype(int),
                "source_file": path.name,
                **origin(path, sheet, first, table.index),
            }))
    return {"policy_lists": pd.concat(parts, ignore_index=True)}


SOURCE = Source(
    name="policy_lists",
    description="smart-city, low-carbon and Broadband China pilot lists",
    product="published pilot lists (CSV or xlsx)",
    contracts=(CONTRACT,),
    patterns=("*.csv", "*.xlsx"),
    read=read,
)

"""CEADs city CO2 inventories (xlsx, one sheet per year, Chinese headers, Mt) -> raw.ceads_co2 (tonnes)."""
from __future__ import annotations

import pandas as pd

from ingestion.cities import unit_code_doc
from ingestion.contract import Column, Contract
from ingestion.errors import IngestError
from ingestion.parsing import parse_number, split_header, to_canonical
from ingestion.sources._tables import origin, read_tables, reject_unit_jumps, require_columns, sheet_year
from ingestion.sources.base import LoadContext, Source

FIELDS = {"二氧化碳排放总量": "co2_total_t", "能源活动排放": "co2_energy_t", "工业过程排放": "co2_process_t"}

CONTRACT = Contract(
    table="ceads_co2",
    description="CEADs city CO2 emission inventory, tonnes",
    key=("adcode", "year"),
    columns=(
        Column("adcode", "varchar", "city: " + unit_code_doc("the sheet's year")),
        Column("year", "integer", "inventory year (from the sheet name)", min=1990, max=2100),
        Column("co2_total_t", "double", "total CO2 emissions", "t", min=0),
        Column("co2_energy_t", "double", "CO2 from energy use", "t", nullable=True, min=0),
        Column("co2_process_t", "double", "CO2 from industrial processes", "t", nullable=True, min=0),
        Column("source_file", "varchar", "file the row came from"),
    ),
)


def read(files, ctx: LoadContext):
    resolver = ctx.resolver()
    parts, parts_long = [], []
    for path in files:
        for sheet, table, first in read_tables(path, {"城市"}):
            year = sheet_year(sheet, file=path)
            require_columns(table, ["城市"], file=path, sheet=sheet)
            out = pd.DataFrame({"adcode": resolver.resolve(table["城市"], years=year, file=path, column="城市",
                                                           provinces=table.get("省份"), row_offset=first,
                                                           sheet=sheet)})
            out["year"] = year
            found = {split_header(c)[0]: c for c in table.columns}
            if "二氧化碳排放总量" not in found:
                raise IngestError(path, f"sheet {sheet!r}, header", "no column 二氧化碳排放总量 (total CO2)",
                                  "keep the CEADs header")
            for zh, col in FIELDS.items():
                if zh in found:
                    header = found[zh]
                    unit = split_header(header)[1]
                    where = f"sheet {sheet!r}, column {header!r}"
                    values = parse_number(table[header], file=path, column=header, row_offset=first, sheet=sheet)
                    out[col], canonical = to_canonical(values.to_numpy(), unit, file=path, where=where)
                    if canonical != "吨":
                        raise IngestError(path, where, f"unit {unit!r} cannot be converted to '吨'",
                                          "give emissions in 百万吨 (Mt, as CEADs publishes them), 万吨 or 吨")
                    parts_long.append(pd.DataFrame({"adcode": out["adcode"], "field": col, "value": out[col],
                                                    "_part": where, "_file": str(path)}))
                else:
                    out[col] = None
            out["source_file"] = path.name
            parts.append(out.assign(**origin(path, sheet, first, table.index)))
    reject_unit_jumps(pd.concat(parts_long, ignore_index=True), ["adcode", "field"])
    return {"ceads_co2": pd.concat(parts, ignore_index=True)}


SOURCE = Source(
    name="ceads",
    description="CEADs city CO2 inventories",
    product="CEADs xlsx (one sheet per year, Chinese headers, million tonnes)",
    contracts=(CONTRACT,),
    patterns=("*.xlsx",),
    read=read,
)

"""CEADs city CO2 inventories -> raw.ceads_co2 (tonnes). Two layouts, told apart by their sheets:

* **the 290-city workbook as published** (``The_Emission_Inventories_for_290_Chinese_Cities_from_1997_to_2019
  .xlsx``): sheets ``NOTE``, ``emission vector`` (long: city, year, emission) and ``emission matrix`` (the
  same figures, cities x years; not read). The unit is stated only in ``NOTE`` (Mt): a workbook whose NOTE
  states none is refused. Names carry their province (安徽合肥, 湖北恩施州) and include units that no
  longer exist (巢湖 to 2010, 莱芜 to 2017), resolved in the row's year through the division crosswalk;
  directly administered county-level units (潜江, 仙桃, 济源, 石河子) are units of their own. A row naming a
  part of a unit (伊犁州直属县: the prefecture's counties without its county-level cities) is no unit's
  total: it is kept out and listed in the manifest (``raw._loads.layout``), never added to the prefecture.
  Total emissions only (energy and process columns null).
* **one sheet per year** (2019 or 2019年) with Chinese headers and units in brackets (二氧化碳排放总量(百万吨),
  能源活动排放, 工业过程排放).
"""
from __future__ import annotations

import re

import pandas as pd

from ingestion.cities import unit_code_doc
from ingestion.contract import Column, Contract
from ingestion.errors import IngestError
from ingestion.parsing import (drop_blank_and_footnote_rows, parse_number, parse_year, split_header,
                               table_with_header, to_canonical)
from ingestion.sources._tables import origin, raw_sheets, reject_unit_jumps, require_columns, sheet_year
from ingestion.sources.base import FileLayout, LoadContext, ReadResult, Source

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


# how NOTE states the unit -> a unit of ingestion/parsing.py (longest phrases first)
NOTE_UNITS = (("million tonnes", "百万吨"), ("million tons", "百万吨"), ("百万吨", "百万吨"), ("mt", "百万吨"),
              ("万吨", "万吨"), ("tonnes", "吨"), ("tons", "吨"))
VECTOR_SHEET, NOTE_SHEET, MATRIX_SHEET = "emission vector", "note", "emission matrix"
VECTOR_COLUMNS = {"city": "city", "城市": "city", "year": "year", "年份": "year", "emission": "emission",
                  "emissions": "emission", "排放": "emission"}


def read(files, ctx: LoadContext):
    resolver = ctx.resolver()
    parts, parts_long, layouts = [], [], {}
    for path in files:
        sheets = raw_sheets(path)
        names = {str(name).strip().lower(): name for name, _raw in sheets}
        if VECTOR_SHEET in names:
            out, layouts[path] = _published(path, dict(sheets), names, resolver)
            parts.append(out)
            continue
        layouts[path] = FileLayout({"product": "CEADs", "layout": "one sheet per year"})
        for sheet, raw in sheets:
            table, first = table_with_header(raw, {"城市"}, file=path, sheet=sheet)
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
    if parts_long:
        reject_unit_jumps(pd.concat(parts_long, ignore_index=True), ["adcode", "field"])
    return ReadResult({"ceads_co2": pd.concat(parts, ignore_index=True)}, layouts)


def _published(path, sheets: dict, names: dict, resolver):
    """The 290-city workbook: the unit from NOTE, the rows of ``emission vector``."""
    if NOTE_SHEET not in names:
        raise IngestError(path, "sheets", f"no sheet NOTE (found {list(sheets)}): the workbook states its unit only "
                          "there", "use the workbook as CEADs publishes it, with its NOTE sheet")
    note = " ".join(str(v) for v in sheets[names[NOTE_SHEET]].to_numpy().ravel() if isinstance(v, str)).lower()
    unit = next((u for phrase, u in NOTE_UNITS if re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", note)), None)
    if unit is None:
        raise IngestError(path, "sheet 'NOTE'", "NOTE does not state the unit of the emissions (Mt, million tonnes)",
                          "use the NOTE sheet as published, which states the unit (Mt)")
    sheet = names[VECTOR_SHEET]
    raw = sheets[sheet]
    h = next((i for i in range(min(10, len(raw))) if {"city", "year", "emission"} <= {
        VECTOR_COLUMNS.get(str(v).strip().lower()) for v in raw.iloc[i]}), None)
    if h is None:
        raise IngestError(path, f"sheet {sheet!r}, rows 1-10", "no header row with the columns city, year, emission",
                          "keep the header of the published sheet")
    roles = {VECTOR_COLUMNS.get(str(v).strip().lower()): j for j, v in enumerate(raw.iloc[h])}
    table = drop_blank_and_footnote_rows(raw.iloc[h + 1:])
    table = table.set_axis(table.index - (h + 1))
    first = h + 2
    city, label = table.iloc[:, roles["city"]], str(raw.iloc[h, roles["city"]])
    year = parse_year(table.iloc[:, roles["year"]], file=path, column=str(raw.iloc[h, roles["year"]]),
                      row_offset=first, sheet=sheet)
    emission_label = str(raw.iloc[h, roles["emission"]])
    values = parse_number(table.iloc[:, roles["emission"]], file=path, column=emission_label, row_offset=first,
                          sheet=sheet, allow_missing=False)
    found = resolver.lookup(city, years=year)
    part = found.map(lambda r: isinstance(r, tuple) and "names a part of" in r[0]).astype(bool)
    kept_out = sorted(set(city[part].astype(str)))
    keep = ~part.to_numpy()
    adcode = resolver.resolve(city[keep], years=year[keep], file=path, column=label, row_offset=first, sheet=sheet)
    converted, _ = to_canonical(values[keep].to_numpy(), unit, file=path, where=f"sheet {sheet!r}")
    out = pd.DataFrame({"adcode": adcode.to_numpy(), "year": year[keep].to_numpy(), "co2_total_t": converted,
                        "co2_energy_t": None, "co2_process_t": None, "source_file": path.name,
                        **origin(path, sheet, first, table.index[keep])})
    facts = {"product": "CEADs", "layout": "290-city workbook (NOTE, emission vector, emission matrix)",
             "unit": f"{unit} (from NOTE)", "canonical_unit": "吨", "matrix": "emission matrix not read (the same "
             "figures as the vector)" if MATRIX_SHEET in names else None,
             "kept_out": (f"{', '.join(kept_out)}: part of a unit, not a unit's total ({int(part.sum())} rows)"
                          if kept_out else None)}
    return out, FileLayout(facts)


SOURCE = Source(
    name="ceads",
    description="CEADs city CO2 inventories",
    product="CEADs xlsx (the 290-city workbook as published, or one sheet per year with Chinese headers)",
    contracts=(CONTRACT,),
    patterns=("*.xlsx",),
    read=read,
    version="2",
)

"""CEADs city CO2 inventories -> raw.ceads_co2 (tonnes). Two layouts, told apart by their sheets:

* **the 290-city workbook as published** (``The_Emission_Inventories_for_290_Chinese_Cities_from_1997_to_2019
  .xlsx``): sheets ``NOTE``, ``emission vector`` (long: ID, city, year, emission) and ``emission matrix``
  (the same figures, cities x years: ``city``, ``1995``, ``1997``, ... ``2019``). The rows come from the vector;
  the matrix is read to check it: every city-year must hold the same total in both sheets, within the
  rounding the cells are printed with (``matrix_disagreement``), or the workbook is refused (an edited copy
  whose sheets no longer agree). The unit is stated only in ``NOTE`` (Mt): a workbook whose NOTE states none
  is refused. Names carry their province (安徽合肥, 湖北恩施州) and include units that no
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

import numpy as np
import pandas as pd

from ingestion.cities import part_of_unit, unit_code_doc
from ingestion.contract import Column, Contract
from ingestion.errors import IngestError
from ingestion.parsing import (_column_letter, drop_blank_and_footnote_rows, parse_number, parse_year, split_header,
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
    part = found.map(part_of_unit).astype(bool)
    kept_out = sorted(set(city[part].astype(str)))
    keep = ~part.to_numpy()
    adcode = resolver.resolve(city[keep], years=year[keep], file=path, column=label, row_offset=first, sheet=sheet)
    converted, _ = to_canonical(values[keep].to_numpy(), unit, file=path, where=f"sheet {sheet!r}")
    out = pd.DataFrame({"adcode": adcode.to_numpy(), "year": year[keep].to_numpy(), "co2_total_t": converted,
                        "co2_energy_t": None, "co2_process_t": None, "source_file": path.name,
                        **origin(path, sheet, first, table.index[keep])})
    if MATRIX_SHEET in names:
        vector = pd.DataFrame({"city": city.astype("string").str.strip(), "year": year,
                               "text": table.iloc[:, roles["emission"]], "value": values,
                               "row": table.index + first})
        matrix_disagreement(path, names[MATRIX_SHEET], sheets[names[MATRIX_SHEET]], vector, sheet, unit)
    facts = {"product": "CEADs", "layout": "290-city workbook (NOTE, emission vector, emission matrix)",
             "unit": f"{unit} (from NOTE)", "canonical_unit": "吨", "matrix": "emission matrix agrees with the "
             "vector (every city-year)" if MATRIX_SHEET in names else "no emission matrix (vector only)",
             "kept_out": (f"{', '.join(kept_out)}: part of a unit, not a unit's total ({int(part.sum())} rows)"
                          if kept_out else None)}
    return out, FileLayout(facts)


def printed_decimals(text) -> int:
    """Digits after the decimal point as the cell prints its number ('61.9181' -> 4, '12' -> 0)."""
    mantissa = str(text).strip().lower().split("e")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def matrix_disagreement(path, sheet: str, raw: pd.DataFrame, vector: pd.DataFrame, vector_sheet: str,
                        unit: str) -> None:
    """The ``emission matrix`` (cities x years) against the ``emission vector`` (city, year, emission): both
    sheets must name the same city-years with the same totals, within the rounding of the coarser cell
    (half a unit of its last printed digit). The first city-year that differs is refused with both totals;
    the rows of ``vector`` are (city, year, text, value, row)."""
    h = next((i for i in range(min(10, len(raw)))
              if VECTOR_COLUMNS.get(str(raw.iloc[i, 0]).strip().lower()) == "city"), None)
    if h is None:
        raise IngestError(path, f"sheet {sheet!r}, rows 1-10, column A", "no header row starting with city",
                          "keep the header of the published sheet (city, then one column per year)")
    years = {j: int(m.group(1)) for j, v in enumerate(raw.iloc[h])
             if (m := re.fullmatch(r"\s*((?:19|20)\d{2})(?:\.0)?\s*年?\s*", str(v)))}
    body = drop_blank_and_footnote_rows(raw.iloc[h + 1:])
    city = body.iloc[:, 0].astype("string").str.strip()
    parts = []
    for j, year in years.items():  # a sheet row is its raw index + 1 (blank rows kept)
        values = parse_number(body.iloc[:, j], file=path, column=_column_letter(j), row_offset=1, sheet=sheet)
        present = values.notna()
        parts.append(pd.DataFrame({"city": city[present], "year": year, "text": body.iloc[:, j][present],
                                   "value": values[present], "row": values.index[present] + 1, "column": j}))
    cells = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["city", "year", "text", "value", "row", "column"])
    both = vector.merge(cells, on=["city", "year"], how="outer", suffixes=("_vector", "_matrix"))
    decimals = [min(printed_decimals(a), printed_decimals(b)) if pd.notna(a) and pd.notna(b) else 0
                for a, b in zip(both["text_vector"], both["text_matrix"])]
    tolerance = 0.5 * 10.0 ** -np.asarray(decimals, dtype=float) + 1e-9 * both[["value_vector", "value_matrix"]].abs().max(axis=1)
    differs = ~((both["value_vector"] - both["value_matrix"]).abs() <= tolerance)
    if not differs.any():
        return
    first = both[differs].sort_values(["row_matrix", "row_vector"], na_position="last").iloc[0]
    shown = {side: (f"{first[f'text_{side}']} {unit}" if pd.notna(first[f"text_{side}"]) else "nothing")
             for side in ("vector", "matrix")}
    city_row = {c: int(i) + 1 for i, c in city.items() if pd.notna(c)}  # a city-year blank in the matrix
    year_column = {y: j for j, y in years.items()}                      # is named at its empty cell
    row = first["row_matrix"] if pd.notna(first["row_matrix"]) else city_row.get(first["city"])
    column = first["column"] if pd.notna(first["column"]) else year_column.get(int(first["year"]))
    if row is not None and column is not None:
        where = f"sheet {sheet!r}, row {int(row)}, column {_column_letter(int(column))}"
    else:
        where = f"sheet {vector_sheet!r}, row {int(first['row_vector'])}"
    other = f"row {int(first['row_vector'])}" if pd.notna(first["row_vector"]) else "no row"
    raise IngestError(path, where, f"{first['city']} {int(first['year'])}: the emission matrix gives {shown['matrix']} "
                      f"but the emission vector ({other}) gives {shown['vector']} ({int(differs.sum())} city-year(s) "
                      "differ between the two sheets)",
                      "the two sheets hold the same figures in the published workbook: correct the edited cell, or "
                      "download the workbook again from CEADs")


SOURCE = Source(
    name="ceads",
    description="CEADs city CO2 inventories",
    product="CEADs xlsx (the 290-city workbook as published, or one sheet per year with Chinese headers)",
    contracts=(CONTRACT,),
    patterns=("*.xlsx",),
    read=read,
    version="3",  # 3: the emission matrix is checked against the vector
)

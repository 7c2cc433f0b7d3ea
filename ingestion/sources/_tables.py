"""Helpers shared by the tabular loaders: wide Chinese tables -> long (key, indicator, value, unit)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.admin import province_resolver
from ingestion.errors import IngestError
from ingestion.parsing import parse_number, parse_year, read_excel_sheets, read_text_table, split_header, table_with_header, to_canonical


def read_tables(path: Path, required: set[str]) -> list[tuple[str | None, pd.DataFrame, int]]:
    """(sheet name or None, table with header applied, 1-based row number of the first data row)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        out = []
        for sheet, raw in read_excel_sheets(path).items():
            table, first = table_with_header(raw, required, file=path, sheet=sheet)
            out.append((sheet, table, first))
        return out
    raw = read_text_table(path, header=None)
    table, first = table_with_header(raw, required, file=path)
    return [(None, table, first)]


def provinces(names: pd.Series, *, file, column: str, row_offset: int) -> pd.Series:
    lookup = province_resolver()
    codes = names.astype(str).str.strip().map(lookup)
    bad = codes.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise IngestError(file, f"row {i + row_offset}, column {column}", f"unknown province {names.iloc[i]!r}",
                          "use the province's Chinese name (e.g. 河北省) or its adcode")
    return codes


def melt_indicators(table: pd.DataFrame, keys: dict[str, pd.Series], indicator_columns: list[str], *,
                    known: dict[str, str], file: Path, sheet: str | None, first_row: int) -> pd.DataFrame:
    """Wide indicator columns ('地区生产总值(万元)') -> long rows in each indicator's canonical unit.

    ``known`` maps indicator name -> canonical unit; an unknown or renamed column is an error.
    Blank cells are dropped (not stored as zero); negative values are errors.
    """
    parts = []
    for header in indicator_columns:
        name, unit = split_header(header)
        where = f"sheet {sheet!r}, column {header!r}" if sheet else f"column {header!r}"
        if name not in known:
            raise IngestError(file, where, f"unknown indicator {name!r}",
                              f"use one of the known indicators ({', '.join(sorted(known)[:8])}, ...) "
                              "or register it in ingestion/sources/yearbook.py")
        values = parse_number(table[header], file=file, column=header, row_offset=first_row)
        converted, canonical = to_canonical(values.to_numpy(), unit, file=file, where=where)
        if canonical != known[name]:
            raise IngestError(file, where, f"unit {unit!r} cannot be converted to {known[name]!r}",
                              f"give {name} in {known[name]} or a unit convertible to it")
        negative = converted < 0
        if np.any(negative):
            i = int(np.flatnonzero(negative)[0])
            raise IngestError(file, f"row {i + first_row}, {where}", f"negative value {values.iloc[i]}",
                              "correct the value; these indicators cannot be negative")
        keep = np.isfinite(converted)
        part = pd.DataFrame({k: v.to_numpy()[keep] for k, v in keys.items()})
        part["indicator"] = name
        part["value"] = converted[keep]
        part["unit"] = canonical
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def require_columns(table: pd.DataFrame, columns: list[str], *, file, sheet=None) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        where = f"sheet {sheet!r}" if sheet else None
        raise IngestError(file, where, f"missing column(s) {missing}; found {list(table.columns)[:10]}",
                          "keep the original header of the export")


def year_column(table: pd.DataFrame, column: str, *, file, first_row: int) -> pd.Series:
    return parse_year(table[column], file=file, column=column, row_offset=first_row)

"""Helpers shared by the tabular loaders: wide Chinese tables -> long (key, indicator, value, unit)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.divisions import province_resolver
from ingestion.errors import IngestError
from ingestion.parsing import (UNIT_CONVERSIONS, cell, parse_number, parse_year, read_excel_sheets, read_text_table,
                               row_of, split_header, table_with_header, to_canonical)

# A column whose median lies further than this (orders of magnitude, x316) from the indicator's typical
# city value has the wrong unit in its header: 亿元 vs 万元 is 10^4, and province totals sit ~10x above cities.
TYPICAL_SPAN = 2.5
# A sheet (year) whose values are this far (orders of magnitude, x31.6) from the same cities' other years
# has the wrong unit in its header: year-on-year changes of these aggregates never come near it.
YEAR_JUMP = 1.5


def raw_sheets(path: Path) -> list[tuple[str | None, pd.DataFrame]]:
    """(sheet name or None, cells as text, no header inferred): every sheet of an xlsx, or the CSV with one
    row per line (blank lines kept, so that row positions are the lines and rows a user sees)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return list(read_excel_sheets(path).items())
    return [(None, read_text_table(path, header=None, skip_blank_lines=False))]


def read_tables(path: Path, required: set[str]) -> list[tuple[str | None, pd.DataFrame, int]]:
    """(sheet name or None, table with header applied, 1-based row number of the body's index 0: the row a
    user sees of a body row is that number plus its index)."""
    return [(sheet, *table_with_header(raw, required, file=path, sheet=sheet)) for sheet, raw in raw_sheets(path)]


def origin(path: Path, sheet: str | None, first_row: int, index: pd.Index) -> dict[str, object]:
    """The ``_file`` / ``_row`` columns (see ingestion.contract) for rows at ``index`` of a table whose
    first data row is ``first_row``."""
    prefix = f"sheet {sheet!r}, " if sheet else ""
    return {"_file": str(path), "_row": [f"{prefix}row {first_row + i}" for i in index]}


def provinces(names: pd.Series, *, file, column: str, row_offset: int, sheet: str | None = None) -> pd.Series:
    """Province names -> adcodes; an unknown name is an error naming its row (``names`` keeps the table's
    index, so a subset of rows is reported at its own rows)."""
    lookup = province_resolver()
    codes = names.astype("string").str.strip().map(lookup)
    bad = codes.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise IngestError(file, cell(names.index[i] + row_offset, column, sheet),
                          f"unknown province {names.iloc[i]!r}",
                          "use the province's Chinese name (e.g. 河北省) or its adcode")
    return codes


def melt_indicators(table: pd.DataFrame, keys: dict[str, pd.Series], indicator_columns: list[str], *,
                    known: dict[str, str], file: Path, sheet: str | None, first_row: int,
                    typical: dict[str, float] | None = None, register: str) -> pd.DataFrame:
    """Wide indicator columns ('地区生产总值(万元)') -> long rows in each indicator's canonical unit.

    ``known`` maps indicator name -> canonical unit; an unknown or renamed column is an error (its fix
    says ``register``: where the vocabulary lives), and so is a unit that does not convert to it. Blank
    cells are dropped (not stored as zero); negative values are errors. With ``typical`` (indicator -> typical city value in the canonical unit), a column whose
    median is off by more than ``TYPICAL_SPAN`` orders of magnitude is an error (a wrong unit in the
    header). The rows carry ``_file``, ``_row`` and ``_part`` (sheet and column) for later checks.
    """
    parts = []
    prefix = f"sheet {sheet!r}, " if sheet else ""
    for header in indicator_columns:
        name, unit = split_header(header)
        where = f"{prefix}column {header!r}"
        if name not in known:
            raise IngestError(file, where, f"unknown indicator {name!r}",
                              f"use one of the known indicators ({', '.join(sorted(known)[:8])}, ...) or {register}")
        values = parse_number(table[header], file=file, column=header, row_offset=first_row, sheet=sheet)
        converted, canonical = to_canonical(values.to_numpy(), unit, file=file, where=where)
        if canonical != known[name]:
            raise IngestError(file, where, f"unit {unit!r} cannot be converted to {known[name]!r}",
                              f"give {name} in {known[name]} or a unit convertible to it")
        negative = converted < 0
        if np.any(negative):
            i = int(np.flatnonzero(negative)[0])
            raise IngestError(file, cell(row_of(values, i, first_row), repr(header), sheet), f"negative value {values.iloc[i]}",
                              "correct the value; these indicators cannot be negative")
        if typical and name in typical:
            _reject_off_scale(values.to_numpy(), unit, canonical, typical[name], name=name, file=file, where=where)
        keep = np.isfinite(converted)
        part = pd.DataFrame({k: v.to_numpy()[keep] for k, v in keys.items()})
        part["indicator"] = name
        part["value"] = converted[keep]
        part["unit"] = canonical
        part["_file"] = str(file)
        part["_row"] = [cell(first_row + i, repr(header), sheet) for i in table.index[keep]]
        part["_part"] = where
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _reject_off_scale(values: np.ndarray, unit: str, canonical: str, typical: float, *, name, file, where) -> None:
    """The column's median, converted, must lie within TYPICAL_SPAN orders of magnitude of ``typical``."""
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        return
    median = float(np.median(positive))
    factor = UNIT_CONVERSIONS[unit][1]
    if abs(np.log10(median * factor / typical)) <= TYPICAL_SPAN:
        return
    candidates = [u for u, (c, _) in UNIT_CONVERSIONS.items() if c == canonical]
    likely = min(candidates, key=lambda u: abs(np.log10(median * UNIT_CONVERSIONS[u][1] / typical)))
    raise IngestError(file, where,
                      f"the column's median {median:,.4g} {unit} is {median * factor / typical:.3g} times a typical "
                      f"city's {typical:g} {canonical}: the values look like {likely}, not {unit or 'unitless'}",
                      f"correct the unit in the header ({name}({likely})) or the values")


def reject_unit_jumps(long: pd.DataFrame, entity: list[str]) -> None:
    """A sheet/column (``_part``) whose values are orders of magnitude off the same entities' values in the
    other sheets (years) has the wrong unit in its header ('万吨' over values in 百万吨)."""
    value = long["value"].to_numpy(dtype=float)
    ok = np.isfinite(value) & (value > 0)
    frame = long.loc[ok, [*entity, "_part", "_file"]].assign(log=np.log10(value[ok]))
    frame["dev"] = frame["log"] - frame.groupby(entity)["log"].transform("median")
    per_part = frame.groupby(["_file", "_part"], sort=False)["dev"].agg(["median", "size"])
    off = per_part[per_part["median"].abs() >= YEAR_JUMP]
    if len(off):
        (file, part), row = next(iter(off.iterrows()))
        raise IngestError(file, part,
                          f"the values are {10 ** row['median']:.3g} times those of the other years for the same "
                          f"{int(row['size'])} rows (median): the unit in the header does not match the values",
                          "check the unit of this sheet's header against the other years and correct it")


def require_columns(table: pd.DataFrame, columns: list[str], *, file, sheet=None) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        where = f"sheet {sheet!r}, header" if sheet else "header"
        raise IngestError(file, where, f"missing column(s) {missing}; found {list(table.columns)[:10]}",
                          "keep the original header of the export")


def year_column(table: pd.DataFrame, column: str, *, file, first_row: int, sheet: str | None = None) -> pd.Series:
    return parse_year(table[column], file=file, column=column, row_offset=first_row, sheet=sheet)


def sheet_year(sheet: str, *, file) -> int:
    """The year a sheet is named for ('2019', '2019年')."""
    try:
        return int(parse_year(pd.Series([sheet]), file=file, column="sheet name").iloc[0])
    except IngestError as exc:
        raise IngestError(file, f"sheet name {sheet!r}", exc.problem, "name each sheet for its year (2019 or 2019年)") from None

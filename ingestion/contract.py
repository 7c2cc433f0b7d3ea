"""Source contracts: the columns, types, units and key a raw table promises.

A loader builds a DataFrame and calls ``contract.validate(frame, file=...)`` before anything is
written: missing columns, wrong types, nulls in required columns, duplicated keys and values out of
range each raise one ``IngestError`` naming the file, the offending row(s) and the fix.

Loaders say where each row came from in two optional columns, ``_file`` (the path) and ``_row`` (e.g.
"sheet '2015', row 7"), so that an error names the row as the user sees it; they are not stored.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.errors import IngestError

_PANDAS_KIND = {
    "varchar": "string",
    "integer": "int64",
    "bigint": "int64",
    "double": "float64",
    "date": "datetime64[ns]",
    "boolean": "bool",
    "blob": "object",
}


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # DuckDB type name: varchar, integer, bigint, double, date, boolean, blob
    description: str = ""
    unit: str | None = None
    nullable: bool = False
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Contract:
    """What one raw table holds. ``key`` columns are unique together and never null."""

    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str = ""
    shared: bool = False  # several sources write rows into this table (told apart by `source`)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def validate(self, frame: pd.DataFrame, *, file: str | Path, row_offset: int = 0) -> pd.DataFrame:
        """Check ``frame`` against the contract and return it with columns in contract order and types."""
        missing = [c for c in self.names if c not in frame.columns]
        if missing:
            raise IngestError(
                file, "loader output", f"the loader produced no column(s) {missing} for raw.{self.table}",
                "check that the file has the expected header",
            )
        origin = Origin(frame, file, row_offset)
        out = frame[self.names].copy()
        for col in self.columns:
            series = out[col.name]
            kind = _PANDAS_KIND[col.dtype]
            if kind in ("int64", "float64"):
                converted = pd.to_numeric(series, errors="coerce")
                bad = converted.isna() & series.notna()
                if bad.any():
                    i = int(np.flatnonzero(bad.to_numpy())[0])
                    raise IngestError(
                        origin.file(i), f"{origin.row(i)}, column {col.name}",
                        f"{series.iloc[i]!r} is not a number", "write plain numbers (no text or unit suffix)",
                    )
                if kind == "int64":
                    if converted.notna().all():
                        converted = converted.astype("int64")
                    else:
                        converted = converted.astype("Int64")
                series = converted
            elif kind == "string":
                series = series.astype("string")
            elif kind == "datetime64[ns]":
                series = pd.to_datetime(series, errors="coerce")
            out[col.name] = series
            if not col.nullable:
                nulls = series.isna()
                if nulls.any():
                    i = int(np.flatnonzero(nulls.to_numpy())[0])
                    raise IngestError(
                        origin.file(i), f"{origin.row(i)}, column {col.name}",
                        f"missing value ({int(nulls.sum())} row(s) in all)",
                        f"fill {col.name} or drop the row(s) at the source",
                    )
            if col.min is not None or col.max is not None:
                values = pd.to_numeric(series, errors="coerce")
                low = values < col.min if col.min is not None else pd.Series(False, index=values.index)
                high = values > col.max if col.max is not None else pd.Series(False, index=values.index)
                bad = (low | high).fillna(False).to_numpy()
                if bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    raise IngestError(
                        origin.file(i), f"{origin.row(i)}, column {col.name}",
                        f"value {float(values.iloc[i])!r} outside the allowed range {_range_text(col)}"
                        + (f" {col.unit}" if col.unit else "") + f" ({int(bad.sum())} row(s) in all)",
                        "correct the source values (negative emissions or counts are never valid)",
                    )
        dup = out.duplicated(list(self.key), keep=False)
        if dup.any():
            keys = out[list(self.key)]
            i = int(np.flatnonzero(dup.to_numpy())[0])
            first = keys.iloc[i]
            j = int(np.flatnonzero((keys == first).all(axis=1).to_numpy())[1])
            if origin.file(j) == origin.file(i):
                where = f"{origin.row(i)} and {origin.row(j)}"
            else:
                where = f"{origin.row(i)}; again in {origin.file(j)}" + (
                    f", {origin.row(j)}" if origin.row(j) != origin.row(i) else "")
            shown = {k: v.item() if hasattr(v, "item") else v for k, v in first.to_dict().items()}
            raise IngestError(
                origin.file(i), where,
                f"{int(dup.sum())} rows share a key of raw.{self.table} {list(self.key)}: {shown}",
                "remove the duplicated rows so each key appears once",
            )
        return out.reset_index(drop=True)

    def ddl(self) -> str:
        cols = ", ".join(f"{c.name} {c.dtype}" for c in self.columns)
        return f"create table if not exists raw.{self.table} ({cols})"


def _range_text(col: Column) -> str:
    if col.max is None:
        return f">= {col.min:g}"
    if col.min is None:
        return f"<= {col.max:g}"
    return f"[{col.min:g}, {col.max:g}]"


class Origin:
    """Where row ``i`` of a loader's frame came from: its ``_file`` / ``_row`` columns when the loader
    gives them, else row ``i + 1 + row_offset`` of ``file``."""

    def __init__(self, frame: pd.DataFrame, file, row_offset: int = 0):
        self._files = frame["_file"].to_numpy() if "_file" in frame.columns else None
        self._rows = frame["_row"].to_numpy() if "_row" in frame.columns else None
        self._file, self._offset = file, row_offset

    def file(self, i: int):
        return self._files[i] if self._files is not None else self._file

    def row(self, i: int) -> str:
        return str(self._rows[i]) if self._rows is not None else f"row {i + 1 + self._offset}"

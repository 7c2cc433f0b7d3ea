"""Source contracts: the columns, types, units and key a raw table promises.

A loader builds a DataFrame and calls ``contract.validate(frame, file=...)`` before anything is
written: missing columns, wrong types, nulls in required columns, duplicated keys and values out of
range each raise one ``IngestError`` naming the file, the offending row(s) and the fix.
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
                file, None, f"the loader produced no column(s) {missing} for raw.{self.table}",
                "check that the file has the expected header",
            )
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
                        file, f"row {i + 1 + row_offset}, column {col.name}",
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
                        file, f"row {i + 1 + row_offset}, column {col.name}",
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
                    rng = f"[{col.min}, {col.max}]"
                    raise IngestError(
                        file, f"row {i + 1 + row_offset}, column {col.name}",
                        f"value {values.iloc[i]!r} outside the allowed range {rng}"
                        + (f" {col.unit}" if col.unit else "") + f" ({int(bad.sum())} row(s) in all)",
                        "correct the source values (negative emissions or counts are never valid)",
                    )
        dup = out.duplicated(list(self.key), keep=False)
        if dup.any():
            first = out.loc[dup, list(self.key)].iloc[0].to_dict()
            raise IngestError(
                file, f"key {first}",
                f"{int(dup.sum())} rows share a key of raw.{self.table} {list(self.key)}",
                "remove the duplicated rows so each key appears once",
            )
        return out.reset_index(drop=True)

    def ddl(self) -> str:
        cols = ", ".join(f"{c.name} {c.dtype}" for c in self.columns)
        return f"create table if not exists raw.{self.table} ({cols})"

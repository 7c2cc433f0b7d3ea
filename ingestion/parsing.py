"""Parsing the quirks of Chinese statistical tables: encodings, "2019年" years, "1,234" numbers,
unit suffixes (万元, 亿元, 万人 ...), Excel title rows above the header.

Every indicator is stored in one documented unit (``CANONICAL_UNITS``); ``to_canonical`` converts.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.errors import IngestError

# unit -> (canonical unit, factor to multiply by)
UNIT_CONVERSIONS: dict[str, tuple[str, float]] = {
    "元": ("万元", 1e-4),
    "万元": ("万元", 1.0),
    "亿元": ("万元", 1e4),
    "美元": ("万美元", 1e-4),
    "万美元": ("万美元", 1.0),
    "亿美元": ("万美元", 1e4),
    "人": ("万人", 1e-4),
    "万人": ("万人", 1.0),
    "户": ("万户", 1e-4),
    "万户": ("万户", 1.0),
    "吨": ("吨", 1.0),
    "万吨": ("吨", 1e4),
    "百万吨": ("吨", 1e6),
    "千瓦时": ("万千瓦时", 1e-4),
    "万千瓦时": ("万千瓦时", 1.0),
    "亿千瓦时": ("万千瓦时", 1e4),
    "平方公里": ("平方公里", 1.0),
    "万吨标准煤": ("万吨标准煤", 1.0),
    "吨标准煤": ("万吨标准煤", 1e-4),
    "亿立方米": ("亿立方米", 1.0),
    "万立方米": ("亿立方米", 1e-4),
    "%": ("%", 1.0),
    "": ("", 1.0),
}

_HEADER_UNIT = re.compile(r"^\s*(?P<name>.+?)\s*[（(]\s*(?P<unit>[^()（）]*)\s*[)）]\s*$")
_YEAR = re.compile(r"^\s*(?P<year>(19|20)\d{2})\s*(年|年度)?\s*$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def split_header(header: str) -> tuple[str, str]:
    """'地区生产总值(万元)' -> ('地区生产总值', '万元'); a header without unit gives ''."""
    m = _HEADER_UNIT.match(str(header))
    if m:
        return m.group("name").strip(), m.group("unit").strip()
    return str(header).strip(), ""


def to_canonical(value: np.ndarray | pd.Series, unit: str, *, file, where: str) -> tuple[np.ndarray, str]:
    if unit not in UNIT_CONVERSIONS:
        raise IngestError(
            file, where, f"unknown unit {unit!r}",
            f"use one of {sorted(u for u in UNIT_CONVERSIONS if u)} or add it to ingestion/parsing.py",
        )
    canonical, factor = UNIT_CONVERSIONS[unit]
    return np.asarray(value, dtype=float) * factor, canonical


def parse_year(values: pd.Series, *, file, column: str, row_offset: int = 1) -> pd.Series:
    """Accept 2019, '2019', '2019年', '2019 年度'; anything else is an error naming the row."""
    text = values.astype("string").str.strip()
    years = text.str.extract(_YEAR)["year"]
    bad = years.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise IngestError(
            file, f"row {i + row_offset}, column {column}", f"{values.iloc[i]!r} is not a year",
            "write years as 2019 or 2019年",
        )
    return years.astype(int)


def parse_number(values: pd.Series, *, file, column: str, row_offset: int = 1, allow_missing=True) -> pd.Series:
    """Accept 1234, '1,234', '1，234.5', ' 12 '; '', '-', '—', '…' are missing; others are errors."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = values.astype("string").str.strip()
    text = text.str.replace(r"[,，\s]", "", regex=True)
    missing = text.isna() | text.isin(["", "-", "—", "--", "…", "...", "nan", "NaN", "NA", "null"])
    ok = text.str.match(_NUMBER.pattern).fillna(False)
    bad = ~missing & ~ok
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise IngestError(
            file, f"row {i + row_offset}, column {column}", f"{values.iloc[i]!r} is not a number",
            "remove unit suffixes and text from numeric cells (units belong in the header)",
        )
    if not allow_missing and missing.any():
        i = int(np.flatnonzero(missing.to_numpy())[0])
        raise IngestError(file, f"row {i + row_offset}, column {column}", "missing value", "fill the cell")
    out = pd.Series(np.nan, index=values.index, dtype=float)
    out[ok] = text[ok].astype(float)
    return out


def read_text_table(path: Path, **kwargs) -> pd.DataFrame:
    """Read a CSV that may be UTF-8 (with or without BOM) or GBK/GB18030, as strings."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            raw.decode(encoding)  # detection only: pandas' C parser then reads the bytes itself
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost anything
        raise IngestError(path, None, "the file is neither UTF-8 nor GBK/GB18030 text", "re-save it as UTF-8")
    try:
        return pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding=encoding, **kwargs)
    except pd.errors.ParserError as exc:
        raise IngestError(path, None, f"not a readable CSV table ({exc})", "check delimiters and quoting") from None
    except pd.errors.EmptyDataError:
        raise IngestError(path, None, "the file is empty", "re-export the table") from None


def find_header_row(frame: pd.DataFrame, required: set[str], *, file, sheet: str | None = None, scan: int = 10) -> int:
    """Index of the first row (within ``scan``) containing all ``required`` labels (title rows above it)."""
    for i in range(min(scan, len(frame))):
        labels = {split_header(v)[0] for v in frame.iloc[i].astype(str)}
        if required <= labels:
            return i
    where = f"sheet {sheet!r}" if sheet else None
    raise IngestError(
        file, where, f"no header row with the columns {sorted(required)} in the first {scan} rows",
        "keep the original header (columns may have been renamed or deleted)",
    )


def read_excel_sheets(path: Path) -> dict[str, pd.DataFrame]:
    """All sheets of an xlsx as raw string frames (no header inference); bad files fail clearly."""
    try:
        return pd.read_excel(path, sheet_name=None, header=None, dtype=str, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for corrupt zips
        raise IngestError(path, None, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})",
                          "re-export the workbook from Excel") from None


def table_with_header(raw: pd.DataFrame, required: set[str], *, file, sheet=None) -> tuple[pd.DataFrame, int]:
    """Cut title rows off ``raw`` and use the header row found; returns (table, 1-based first data row)."""
    h = find_header_row(raw, required, file=file, sheet=sheet)
    table = raw.iloc[h + 1:].copy()
    table.columns = [str(c).strip() for c in raw.iloc[h]]
    table = table.dropna(how="all")
    return table.reset_index(drop=True), h + 2

"""Parsing the quirks of Chinese statistical tables: encodings, "2019年" years, "1,234" numbers,
unit suffixes (万元, 亿元, 万人 ...), Excel title rows above the header.

Every indicator is stored in one documented unit (``CANONICAL_UNITS``); ``to_canonical`` converts.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
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

# what exports write for a missing value, after full-width folding (halfwidth): blank, dashes, ellipses,
# a slash ('－' folds to '-', '……' to '......'); 'nan' and friends from tools that wrote the file
MISSING = ("", "-", "--", "—", "——", "–", "...", "......", "…", "……", "/", "nan", "NaN", "NA", "null")
# rows that close a sheet with a note or a source line (注：..., 资料来源：...), not data
FOOTNOTE = re.compile(r"^\s*(注\s*\d*|注释|资料来源|数据来源|说明|备注)\s*[:：]")
_HEADER_UNIT = re.compile(r"^\s*(?P<name>.+?)\s*[（(]\s*(?P<unit>[^()（）]*)\s*[)）]\s*$")
_YEAR = re.compile(r"^\s*(?P<year>(19|20)\d{2})\s*(年|年度)?\s*$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
# commas only as thousands separators: '1,234' and '12,345,678.9' but not '246,85' (a decimal comma)
_GROUPED = re.compile(r"^[+-]?\d{1,3}([,，]\d{3})+(\.\d*)?$")
UTF8_BOM = b"\xef\xbb\xbf"
# bytes that never occur in text tables or reports: NUL and the C0 controls other than tab, newlines, form
# feed, DOS's end-of-file mark (0x1a) and escape
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x19\x1c-\x1f]")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


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


def cell(row: int, column: str, sheet: str | None = None) -> str:
    """How errors name a cell: "sheet '2015', row 7, column 城市" (no sheet for text tables)."""
    return (f"sheet {sheet!r}, " if sheet else "") + f"row {row}, column {column}"


def row_of(values: pd.Series, i: int, row_offset: int) -> int:
    """The row a user sees of ``values``' i-th element: its index label (a table's 0-based row, blank rows
    included, see ``table_with_header``) plus ``row_offset``; the position when the index is not numeric."""
    label = values.index[i]
    return int(label) + row_offset if isinstance(label, (int, np.integer)) else i + row_offset


def halfwidth(values: pd.Series) -> pd.Series:
    """Text with full-width digits, signs, brackets and separators folded to ASCII (NFKC: '１２３．４' ->
    '123.4', '－' -> '-', '…' -> '...'), as some exports type them."""
    return values.map(lambda v: unicodedata.normalize("NFKC", v) if isinstance(v, str) else v)


def parse_year(values: pd.Series, *, file, column: str, row_offset: int = 1, sheet: str | None = None) -> pd.Series:
    """Accept 2019, '2019', '2019年', '2019 年度'; anything else is an error naming the row."""
    text = halfwidth(values.astype("string")).astype("string").str.strip()
    years = text.str.extract(_YEAR)["year"]
    bad = years.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise IngestError(
            file, cell(row_of(values, i, row_offset), column, sheet), f"{values.iloc[i]!r} is not a year",
            "write years as 2019 or 2019年",
        )
    return years.astype(int)


def parse_number(values: pd.Series, *, file, column: str, row_offset: int = 1, allow_missing=True,
                 sheet: str | None = None) -> pd.Series:
    """Accept 1234, '1,234', '1，234.5', ' 12 ', full-width digits ('１２３４'); the missing markers of
    ``MISSING`` (blank, '-', '—', '…', '－', '/') are missing; others are errors.

    A comma must separate thousands: '246,85' (a decimal comma from another locale) is an error, not 24685.
    """
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = halfwidth(values.astype("string")).astype("string").str.strip()
    misgrouped = pd.Series(False, index=values.index)
    if text.str.contains(r"[,，\s]", regex=True).fillna(False).any():  # most columns have no separators
        text = text.str.replace(r"\s", "", regex=True)
        misgrouped = text.str.contains("[,，]", regex=True).fillna(False) & ~text.str.match(_GROUPED.pattern).fillna(False)
        text = text.str.replace(r"[,，]", "", regex=True)
    missing = text.isna() | text.isin(MISSING)
    ok = text.str.match(_NUMBER.pattern).fillna(False) & ~misgrouped
    bad = ~missing & ~ok
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        if misgrouped.iloc[i]:
            raise IngestError(
                file, cell(row_of(values, i, row_offset), column, sheet),
                f"{values.iloc[i]!r} is not a number (a comma must separate thousands, as in 1,234)",
                "write decimals with a point (246.85) and thousands as 1,234 or 1234",
            )
        raise IngestError(
            file, cell(row_of(values, i, row_offset), column, sheet), f"{values.iloc[i]!r} is not a number",
            "remove unit suffixes and text from numeric cells (units belong in the header)",
        )
    if not allow_missing and missing.any():
        i = int(np.flatnonzero(missing.to_numpy())[0])
        raise IngestError(file, cell(row_of(values, i, row_offset), column, sheet), "missing value", "fill the cell")
    out = pd.Series(np.nan, index=values.index, dtype=float)
    out[ok] = text[ok].astype(float)
    return out


def detect_encoding(raw: bytes, path) -> str:
    """'utf-8-sig' or 'gb18030' for text bytes; binary data, GBK labelled UTF-8 (a UTF-8 byte-order mark
    in front of GBK bytes) and files mixing both encodings are errors naming where they go wrong."""
    if raw.startswith(_UTF16_BOMS):
        raise IngestError(path, "byte 1", "UTF-16 text (Excel's 'Unicode text' export), not UTF-8 or GBK",
                          "save the table as 'CSV UTF-8' instead")
    binary = _BINARY.search(raw)
    if binary:
        at = binary.start()
        raise IngestError(path, f"byte {at + 1} (line {_line_of(raw, at)})",
                          f"binary data (byte 0x{raw[at]:02x}), not text: the file is not what its name says",
                          "export the table or report as text (CSV / .txt), not as a document or workbook")
    try:
        raw.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        at = exc.start
    line = _line_of(raw, at)
    if raw.startswith(UTF8_BOM):
        raise IngestError(path, f"line {line}, byte {at + 1}",
                          "the file starts with a UTF-8 byte-order mark but is not UTF-8 from here on "
                          "(GBK/GB18030 bytes labelled UTF-8)",
                          "re-save the whole file as UTF-8, or as GBK without the UTF-8 mark")
    utf8_chars = sum(1 for ch in raw[:at].decode("utf-8") if ord(ch) > 127)
    if line > 1 and utf8_chars >= 4:  # whole lines of Chinese text in UTF-8 before the first non-UTF-8 byte
        raise IngestError(path, f"line {line}",
                          f"mixed encodings: the file is UTF-8 up to line {line - 1} but not from here on "
                          "(GBK rows pasted into a UTF-8 file?)", "re-save the whole file in one encoding (UTF-8)")
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise IngestError(path, f"byte {exc.start + 1} (line {_line_of(raw, exc.start)})",
                          "the file is neither UTF-8 nor GBK/GB18030 text", "re-save it as UTF-8") from None
    return "gb18030"


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def decode_text(raw: bytes, path) -> str:
    """Text of a UTF-8 (with or without BOM) or GBK/GB18030 file; see ``detect_encoding`` for the errors."""
    if not _BINARY.search(raw):
        try:
            return raw.decode("utf-8-sig")  # the common case, decoded once
        except UnicodeDecodeError:
            pass
    return raw.decode(detect_encoding(raw, path))


def read_text_table(path: Path, **kwargs) -> pd.DataFrame:
    """Read a CSV that may be UTF-8 (with or without BOM) or GBK/GB18030, as strings."""
    raw = path.read_bytes()
    if not raw.strip():
        raise IngestError(path, f"{len(raw)} bytes", "the file is empty", "re-export the table")
    encoding = detect_encoding(raw, path)  # pandas' C parser then reads the bytes itself
    _reject_cut_last_line(raw, encoding, path)
    try:
        return pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding=encoding, **kwargs)
    except pd.errors.ParserError as exc:
        raise IngestError(path, "whole file", f"not a readable CSV table ({_one_line(exc)})",
                          "check delimiters and quoting") from None
    except pd.errors.EmptyDataError:
        raise IngestError(path, "whole file", "no table in the file (nothing but a byte-order mark or blanks)",
                          "export or download the file again") from None


def _reject_cut_last_line(raw: bytes, encoding: str, path) -> None:
    """A file that ends inside a line with fewer fields than its header was cut short (a broken download
    or a copy interrupted): reading it would silently drop the rest of the table."""
    if raw.endswith((b"\n", b"\r")):
        return
    lines = raw.decode(encoding).splitlines()
    fields = [len(next(csv.reader([line]), [])) for line in lines[:10]]
    last = len(next(csv.reader([lines[-1]]), []))
    if len(lines) > 1 and last < max(fields):
        raise IngestError(path, f"line {len(lines)}",
                          f"the last line has {last} of {max(fields)} fields and no line end: the file is truncated",
                          "export or download the file again (the rest of the table is missing)")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def find_header_row(frame: pd.DataFrame, required: set[str], *, file, sheet: str | None = None, scan: int = 10) -> int:
    """Index of the first row (within ``scan``) containing all ``required`` labels (title rows above it)."""
    for i in range(min(scan, len(frame))):
        labels = {split_header(v)[0] for v in frame.iloc[i].astype(str)}
        if required <= labels:
            return i
    where = (f"sheet {sheet!r}, " if sheet else "") + f"rows 1-{min(scan, len(frame))}"
    raise IngestError(
        file, where, f"no header row with the columns {sorted(required)} in the first {scan} rows",
        "keep the original header (columns may have been renamed or deleted)",
    )


def read_excel_sheets(path: Path) -> dict[str, pd.DataFrame]:
    """All sheets of an xlsx as raw string frames (no header inference); bad files fail clearly."""
    try:
        return pd.read_excel(path, sheet_name=None, header=None, dtype=str, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for corrupt zips
        raise IngestError(path, "whole file", f"not a readable .xlsx workbook ({type(exc).__name__}: {_one_line(exc)})",
                          "re-export the workbook from Excel") from None


def table_with_header(raw: pd.DataFrame, required: set[str], *, file, sheet=None) -> tuple[pd.DataFrame, int]:
    """Cut title rows off ``raw`` and use the header row found; returns (table, 1-based first data row).

    A header with blank labels over columns that hold values (merged header cells spanning two rows, as
    printed yearbooks have them) and a header without any rows under it are errors.
    """
    h = find_header_row(raw, required, file=file, sheet=sheet)
    labels = raw.iloc[h]
    body = raw.iloc[h + 1:]
    unlabelled = np.flatnonzero(_blank(labels).to_numpy() & ~body.apply(_blank).all().to_numpy())
    prefix = f"sheet {sheet!r}, " if sheet else ""
    if unlabelled.size:
        raise unlabelled_column_error(file, sheet, h, [int(j) for j in unlabelled])
    table = body.copy()
    table.columns = [str(c).strip() for c in labels]
    table = drop_blank_and_footnote_rows(table)
    if table.empty:
        raise IngestError(file, f"{prefix}below the header (row {h + 1})", "no data rows under the header",
                          "export the table with its rows (only the header is there)")
    # index = row below the header (0-based), blank rows counted: first data row + index is the row Excel
    # (or the CSV's line) shows
    return table.set_axis(table.index - (h + 1)), h + 2


def unlabelled_column_error(file, sheet: str | None, header_row: int, columns: list[int]) -> IngestError:
    """The one error for columns that hold values under no header label (0-based ``header_row`` and
    column positions; a sheet's columns are named by Excel letter, a CSV's by number)."""
    prefix = f"sheet {sheet!r}, " if sheet else ""
    j = columns[0]
    column = _column_letter(j) if sheet is not None else str(j + 1)
    return IngestError(file, f"{prefix}row {header_row + 1}, column {column}",
                       f"column {column} holds values but has no header label (merged header cells over "
                       f"several rows? {len(columns)} such column(s))",
                       "unmerge the header and keep one header row with one label per column, "
                       "e.g. 地区生产总值(万元)")


def drop_blank_and_footnote_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Without blank rows and the rows that close a sheet with a note (``FOOTNOTE``: 注：, 资料来源：), whose
    other cells are blank; the index (rows as read) is kept, so messages still name the rows Excel shows."""
    table = table[~table.apply(_blank).all(axis=1)]
    if table.empty:
        return table
    first = table.iloc[:, 0].astype("string").fillna("")
    rest_blank = table.iloc[:, 1:].apply(_blank).all(axis=1) if table.shape[1] > 1 else True
    note = first.str.match(FOOTNOTE.pattern).fillna(False) & rest_blank
    return table[~note]


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype("string").str.strip() == "").fillna(True)


def _column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (as Excel names columns)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters

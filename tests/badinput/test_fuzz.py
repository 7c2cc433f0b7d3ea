"""Fuzzing the tabular loaders with mutated real-layout files: whatever a cell, a row or the bytes become, a
loader either reads the file or raises the one IngestError whose message is a single line naming the file,
where (sheet / Excel row / column) and how to fix it -- never another exception (a traceback for the user).

Each mutation is drawn from a fixed seed over the tiny world's files of every layout (yearbook: wide CSV,
EPS panel, CSMAR, group row, years as columns, provincial workbook; CEADs: per-year and 290-city workbooks;
pilot lists; CNIPA record and search exports).
"""
from __future__ import annotations

import io
import shutil

import duckdb
import numpy as np
import openpyxl
import pytest

from ingestion.errors import IngestError
from ingestion.sources import ceads, patents, policy_lists, yearbook
from ingestion.sources.base import LoadContext

SEED = 18
PER_FILE = 12  # mutations per file
LOADERS = {"yearbook": yearbook, "ceads": ceads, "policy_lists": policy_lists, "patents": patents}
# what a mutated cell may become: junk text, markers, signs, full-width digits, a year, huge numbers, blanks
JUNK = ["", " ", "—", "…", "－", "/", "N/A", "-5", "１２３", "1,2,3", "12万", "2019年", "1e400", "nan", "注：见附表",
        "市辖区", "全市", "=SUM(A1)", "\u00a0", "北景市", "0", "第X批", "2015/13/45", "地区生产总值(亿元)"]


def _files(tiny_sources):
    out = []
    for source in LOADERS:
        paths = sorted((tiny_sources / source).iterdir())
        if source == "patents":
            paths = [paths[0], paths[-1]]  # the record export and the search export
        out += [(source, p) for p in paths]
    return out


def _mutate_xlsx(path, rng):
    book = openpyxl.load_workbook(path)
    ws = book.worksheets[int(rng.integers(len(book.worksheets)))]
    kind = rng.integers(4)
    if kind == 0 and ws.max_row > 2:  # delete a row (header included, sometimes)
        ws.delete_rows(int(rng.integers(1, min(ws.max_row, 8) + 1)))
    elif kind == 1:  # a blank row inserted
        ws.insert_rows(int(rng.integers(1, ws.max_row + 1)))
    else:
        for _ in range(int(rng.integers(1, 4))):
            r = int(rng.integers(1, min(ws.max_row, 12) + 1))
            c = int(rng.integers(1, ws.max_column + 1))
            if not isinstance(ws.cell(row=r, column=c), openpyxl.cell.cell.MergedCell):
                ws.cell(row=r, column=c).value = JUNK[int(rng.integers(len(JUNK)))]
    book.save(path)


def _mutate_csv(path, rng):
    raw = path.read_bytes()
    kind = rng.integers(4)
    if kind == 0:  # bytes cut
        path.write_bytes(raw[: int(rng.integers(1, len(raw)))])
        return
    encoding = "utf-8" if raw[:3] == b"\xef\xbb\xbf" or _utf8(raw) else "gb18030"
    lines = raw.decode(encoding).split("\n")
    i = int(rng.integers(0, min(len(lines), 12)))
    if kind == 1:
        lines.insert(i, "")
    else:
        fields = lines[i].split(",")
        fields[int(rng.integers(len(fields)))] = JUNK[int(rng.integers(len(JUNK)))]
        lines[i] = ",".join(fields)
    try:
        path.write_bytes("\n".join(lines).encode(encoding))
    except UnicodeEncodeError:
        path.write_bytes("\n".join(lines).encode("utf-8"))


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


@pytest.fixture(scope="module")
def cities(tiny_warehouse):
    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        return con.execute("select adcode, name_zh, name_en, province_zh, province_adcode, geometry_wkb "
                           "from raw.city_boundaries").df()


def test_every_mutated_file_loads_or_fails_with_one_line(tiny_sources, cities, tmp_path):
    rng = np.random.default_rng(SEED)
    failures, outcomes = [], {"read": 0, "refused": 0}
    for source, original in _files(tiny_sources):
        for k in range(PER_FILE):
            path = tmp_path / f"{k}" / original.name
            path.parent.mkdir(exist_ok=True)
            shutil.copy(original, path)
            (_mutate_xlsx if path.suffix == ".xlsx" else _mutate_csv)(path, rng)
            try:
                LOADERS[source].read([path], LoadContext(cities=cities))
                outcomes["read"] += 1
            except IngestError as exc:
                outcomes["refused"] += 1
                message = str(exc)
                if "\n" in message or path.name not in message or "How to fix:" not in message:
                    failures.append(f"{source} {original.name} #{k}: not one line with file and fix: {message!r}")
            except Exception as exc:  # noqa: BLE001 -- the point of the test
                failures.append(f"{source} {original.name} #{k}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)
    assert outcomes["refused"] > 0 and outcomes["read"] > 0, outcomes

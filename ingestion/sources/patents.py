"""CNIPA patent application records -> raw.patents (one row per application).

Two layouts: the CNIPA record export -- 申请号, 专利类型 (发明专利 / 实用新型 / 外观设计), 申请日, 授权公告日
(blank if not granted), 主分类号, IPC分类号 (';'-separated), 申请人, 申请人地址 -- and the patent search
system's export, whose field names (``SEARCH_FIELDS``: 公开（公告）号, 公开（公告）日, 申请（专利权）人, 发明类型,
申请人所在国（省）, ...) are read as the same fields; there 授权公告日 may be absent (the grant date is then
unknown, null, and the manifest says so) and 主分类号 may be absent (the first IPC code). Addresses may
start with a postal code (``215300 江苏省昆山市...``). The applicant's city is found in the
address in the year of application (``CityResolver.resolve_addresses``: the leftmost unit name of that year;
a county-level city such as 昆山 gives its prefecture). Green patents are classified in dbt against the
WIPO IPC Green Inventory seed, not here.
"""
from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from ingestion.cities import unit_code_doc
from ingestion.contract import Column, Contract
from ingestion.errors import IngestError
from ingestion.parsing import read_text_table
from ingestion.sources._tables import origin
from ingestion.sources.base import FileLayout, LoadContext, ReadResult, Source

TYPES = {"发明专利": "invention", "发明": "invention", "发明申请": "invention", "发明授权": "invention",
         "实用新型": "utility", "外观设计": "design"}
REQUIRED = ["申请号", "专利类型", "申请日", "主分类号", "IPC分类号", "申请人地址"]
# the search system's field names (full-width brackets folded) -> the record export's
SEARCH_FIELDS = {"发明类型": "专利类型", "申请(专利权)人": "申请人", "公开(公告)号": "公开号", "公开(公告)日": "公开日",
                 "申请人所在国(省)": "申请人所在省", "主分类": "主分类号"}

CONTRACT = Contract(
    table="patents",
    description="Patent applications (CNIPA), one row per application",
    key=("application_no",),
    columns=(
        Column("application_no", "varchar", "application number"),
        Column("patent_type", "varchar", "invention | utility | design"),
        Column("apply_date", "date", "application date"),
        Column("grant_date", "date", "grant announcement date (null if not granted)", nullable=True),
        Column("ipc_main", "varchar", "main IPC code, spaces removed"),
        Column("ipc_codes", "varchar", "all IPC codes, ';'-separated, spaces removed"),
        Column("adcode", "varchar", "applicant's city: " + unit_code_doc("the year of application")),
        Column("source_file", "varchar", "file the row came from"),
    ),
)


def read(files, ctx: LoadContext):
    resolver = ctx.resolver()
    parts, layouts = [], {}
    for path in files:
        table = read_text_table(path)
        folded = [unicodedata.normalize("NFKC", str(c)).strip() for c in table.columns]
        search = any(c in SEARCH_FIELDS for c in folded)
        table.columns = [SEARCH_FIELDS.get(c, c) for c in folded]
        if search and "主分类号" not in table.columns and "IPC分类号" in table.columns:
            table["主分类号"] = table["IPC分类号"].str.split(r"[;；]", regex=True).str[0]
        if "授权公告日" not in table.columns and search:
            table["授权公告日"] = ""  # the search export may not say whether (or when) a patent was granted
        missing = [c for c in [*REQUIRED, "授权公告日"] if c not in table.columns]
        if missing:
            raise IngestError(path, "header (line 1)", f"missing column(s) {missing}",
                              "keep the CNIPA export header (record export or patent search export)")
        layouts[path] = FileLayout({"product": "CNIPA", "layout": "search export" if search else "record export",
                                    "grant_dates": "from 授权公告日" if "授权公告日" in folded else "not in the export"})
        kind = table["专利类型"].str.strip().map(TYPES)
        if kind.isna().any():
            i = int(np.flatnonzero(kind.isna().to_numpy())[0])
            raise IngestError(path, f"row {i + 2}, column 专利类型", f"unknown patent type {table['专利类型'].iloc[i]!r}",
                              f"use one of {sorted(TYPES)}")
        apply = pd.to_datetime(table["申请日"], errors="coerce", format="%Y-%m-%d")
        if apply.isna().any():
            i = int(np.flatnonzero(apply.isna().to_numpy())[0])
            raise IngestError(path, f"row {i + 2}, column 申请日", f"{table['申请日'].iloc[i]!r} is not a date",
                              "write dates as YYYY-MM-DD")
        grant_text = table["授权公告日"].str.strip()
        grant = pd.to_datetime(grant_text.where(grant_text != ""), errors="coerce", format="%Y-%m-%d")
        bad_grant = grant.isna() & (grant_text != "")
        if bad_grant.any():
            i = int(np.flatnonzero(bad_grant.to_numpy())[0])
            raise IngestError(path, f"row {i + 2}, column 授权公告日", f"{grant_text.iloc[i]!r} is not a date",
                              "write dates as YYYY-MM-DD or leave the cell blank")
        early = grant < apply
        if early.any():
            i = int(np.flatnonzero(early.to_numpy())[0])
            raise IngestError(path, f"row {i + 2}", "grant date before application date", "check both dates")
        parts.append(pd.DataFrame({
            "application_no": table["申请号"].str.strip(),
            "patent_type": kind,
            "apply_date": apply,
            "grant_date": grant,
            "ipc_main": table["主分类号"].str.replace(" ", "", regex=False),
            "ipc_codes": table["IPC分类号"].str.replace(" ", "", regex=False),
            "adcode": resolver.resolve_addresses(table["申请人地址"], years=apply.dt.year, file=path,
                                                 column="申请人地址", row_offset=2),
            "source_file": path.name,
            **origin(path, None, 2, table.index),
        }))
    return ReadResult({"patents": pd.concat(parts, ignore_index=True)}, layouts)


SOURCE = Source(
    name="patents",
    description="CNIPA patent applications with IPC codes",
    product="CNIPA patent records (CSV export)",
    contracts=(CONTRACT,),
    patterns=("*.csv",),
    read=read,
    version="2",
)

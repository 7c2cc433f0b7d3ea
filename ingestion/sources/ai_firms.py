"""Enterprise registry export (Tianyancha-style) -> raw.firms (one row per firm).

Columns: 企业名称, 统一社会信用代码, 登记状态, 成立日期, 注销日期 ('-' if none), 所属省份, 所属城市,
国标行业门类, 经营范围. Whether a firm is an AI firm is decided in dbt from the business scope against
the AI keyword seed (study 004's text rule), not here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ingestion.cities import unit_code_doc
from ingestion.contract import Column, Contract
from ingestion.errors import IngestError
from ingestion.parsing import read_text_table
from ingestion.sources._tables import origin
from ingestion.sources.base import LoadContext, Source

REQUIRED = ["企业名称", "统一社会信用代码", "登记状态", "成立日期", "注销日期", "所属城市", "经营范围"]

CONTRACT = Contract(
    table="firms",
    description="Registered enterprises with registration and deregistration dates and business scope",
    key=("firm_id",),
    columns=(
        Column("firm_id", "varchar", "unified social credit code"),
        Column("firm_name", "varchar", "registered name"),
        Column("adcode", "varchar", "city of registration: " + unit_code_doc("the last year (the export is a snapshot)")),
        Column("status", "varchar", "registration status as exported (存续, 在业, 注销, 吊销 ...)"),
        Column("registered", "date", "date of establishment"),
        Column("deregistered", "date", "date of deregistration (null while operating)", nullable=True),
        Column("industry", "varchar", "national industry section", nullable=True),
        Column("business_scope", "varchar", "business scope text (经营范围)"),
        Column("source_file", "varchar", "file the row came from"),
    ),
)


def _dates(values: pd.Series, *, path, column: str, allow_blank: bool) -> pd.Series:
    text = values.astype(str).str.strip()
    blank = text.isin(["", "-", "—", "nan"])
    out = pd.to_datetime(text.where(~blank), errors="coerce", format="%Y-%m-%d")
    bad = out.isna() & ~blank
    if not allow_blank:
        bad = bad | blank
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise IngestError(path, f"row {i + 2}, column {column}", f"{values.iloc[i]!r} is not a date",
                          "write dates as YYYY-MM-DD" + (" ('-' for none)" if allow_blank else ""))
    return out


def read(files, ctx: LoadContext):
    resolver = ctx.resolver()
    parts = []
    for path in files:
        table = read_text_table(path)
        missing = [c for c in REQUIRED if c not in table.columns]
        if missing:
            raise IngestError(path, "header (line 1)", f"missing column(s) {missing}", "keep the registry export header")
        registered = _dates(table["成立日期"], path=path, column="成立日期", allow_blank=False)
        deregistered = _dates(table["注销日期"], path=path, column="注销日期", allow_blank=True)
        backwards = deregistered < registered
        if backwards.any():
            i = int(np.flatnonzero(backwards.to_numpy())[0])
            raise IngestError(path, f"row {i + 2}", "deregistered before it was registered", "check both dates")
        parts.append(pd.DataFrame({
            "firm_id": table["统一社会信用代码"].str.strip(),
            "firm_name": table["企业名称"].str.strip(),
            "adcode": resolver.resolve(table["所属城市"], years=None, file=path, column="所属城市",
                                       provinces=table.get("所属省份"), row_offset=2, county_cities="parent"),
            "status": table["登记状态"].str.strip(),
            "registered": registered,
            "deregistered": deregistered,
            "industry": table.get("国标行业门类"),
            "business_scope": table["经营范围"],
            "source_file": path.name,
            **origin(path, None, 2, table.index),
        }))
    return {"firms": pd.concat(parts, ignore_index=True)}


SOURCE = Source(
    name="ai_firms",
    description="enterprise registry (AI firms identified in dbt by business-scope keywords)",
    product="Tianyancha-style enterprise export (CSV, UTF-8 with BOM)",
    contracts=(CONTRACT,),
    patterns=("*.csv",),
    read=read,
)

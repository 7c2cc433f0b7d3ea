"""Pilot lists too long to keep as hand-made seeds (smart cities, low-carbon cities, Broadband China),
as published lists: 批次, 公布年份, 省份, 城市 -> raw.policy_lists. The policy comes from the file name.

Batches are written 第1批 or 第一批 (Chinese numerals up to 九十九). The 2010 low-carbon batch names provinces
(广东, 辽宁, 湖北, 陕西, 云南) beside cities: a row whose 城市 is a province is refused unless
``DUALCARBON_PILOT_PROVINCES=expand`` (ingestion.settings), which lists every prefecture-level unit of that
province in the code table of the batch's year (the convention of the studies that treat a pilot
province's cities as treated); a city also listed on its own keeps its own row. The rule is one of the
load's recorded inputs (``Source.settings``): changing it reloads the lists."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ingestion.cities import unit_code_doc
from ingestion.contract import Column, Contract
from ingestion.divisions import province_resolver
from ingestion.errors import IngestError
from ingestion.settings import PILOT_PROVINCES_ENV, pilot_provinces
from ingestion.parsing import cell, row_of
from ingestion.sources._tables import origin, read_tables, require_columns, year_column
from ingestion.sources.base import LoadContext, Source

POLICIES = {"智慧城市": "smart_city", "低碳城市": "low_carbon", "宽带中国": "broadband_china"}

CONTRACT = Contract(
    table="policy_lists",
    description="Cities named in pilot lists, with the year and batch of announcement",
    key=("policy", "adcode"),
    columns=(
        Column("policy", "varchar", "smart_city | low_carbon | broadband_china"),
        Column("adcode", "varchar", "city: " + unit_code_doc("the year of announcement")),
        Column("year", "integer", "year the batch was announced", min=2000, max=2100),
        Column("batch", "integer", "batch number", min=1, max=20),
        Column("source_file", "varchar", "file the row came from"),
    ),
)


def read(files, ctx: LoadContext):
    resolver = ctx.resolver()
    parts = []
    for path in files:
        policy = next((v for k, v in POLICIES.items() if k in path.name), None)
        if policy is None:
            raise IngestError(path, "file name", "cannot tell the policy from the file name",
                              f"name the file after one of {sorted(POLICIES)}")
        for sheet, table, first in read_tables(path, {"城市", "批次"}):
            require_columns(table, ["批次", "公布年份", "城市"], file=path, sheet=sheet)
            batch = table["批次"].map(batch_number)
            if batch.isna().any():
                i = int(np.flatnonzero(batch.isna().to_numpy())[0])
                raise IngestError(path, cell(row_of(batch, i, first), "批次", sheet), f"{table['批次'].iloc[i]!r} has no batch number",
                                  "write batches as 第1批 or 第一批")
            year = year_column(table, "公布年份", file=path, first_row=first, sheet=sheet)
            table, year, batch, expanded = _provinces_expanded(table, year, batch, resolver, path=path, sheet=sheet,
                                                               first=first)
            part = pd.DataFrame({
                "policy": policy,
                "adcode": resolver.resolve(table["城市"], years=year, file=path, column="城市",
                                           provinces=table.get("省份"), row_offset=first, sheet=sheet),
                "year": year,
                "batch": batch.astype(int),
                "source_file": path.name,
                **origin(path, sheet, first, table.index),
            })
            # a unit listed on its own row keeps it: the province's expansion does not list it again
            parts.append(part[~(expanded.to_numpy() & part["adcode"].isin(part.loc[~expanded.to_numpy(), "adcode"]))])
    return {"policy_lists": pd.concat(parts, ignore_index=True)}


_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}


def batch_number(text) -> float:
    """'第3批', '第三批', '第十二批', '3' -> the number; None when there is none."""
    text = str(text or "").strip()
    m = re.search(r"\d+", text)
    if m:
        return int(m.group(0))
    m = re.search(r"[零一二三四五六七八九十]+", text)
    if not m:
        return None
    word = m.group(0)
    if "十" in word:
        tens, _, ones = word.partition("十")
        return (_DIGITS.get(tens, 1) if tens else 1) * 10 + (_DIGITS.get(ones, 0) if ones else 0)
    return _DIGITS[word] if len(word) == 1 else None


def _provinces_expanded(table, year, batch, resolver, *, path, sheet, first):
    """Rows naming a province replaced by its prefecture-level units of the year (rule ``expand``), or the
    error asking to choose (rule ``refuse``)."""
    lookup = province_resolver()
    names = table["城市"].astype("string").str.strip()
    as_city = resolver.lookup(names.fillna(""), years=None)  # 北京市 is a city too: a city reading wins
    is_province = names.isin(list(lookup)).fillna(False) & as_city.map(lambda r: not isinstance(r, str)).astype(bool)
    if not is_province.any():
        return table, year, batch, pd.Series(False, index=table.index)
    i = int(np.flatnonzero(is_province.to_numpy())[0])
    if pilot_provinces() != "expand":
        raise IngestError(path, cell(row_of(names, i, first), "城市", sheet),
                          f"{names.iloc[i]!r} is a province, not a city ({int(is_province.sum())} such row(s))",
                          f"list the province's cities, or set {PILOT_PROVINCES_ENV}=expand to count every "
                          "prefecture-level unit of the province in the batch's year as listed")
    crosswalk = resolver.crosswalk
    rows, years, batches, expanded = [], [], [], []
    for k in range(len(table)):
        if not is_province.iloc[k]:
            rows.append(table.iloc[k]); years.append(year.iloc[k]); batches.append(batch.iloc[k]); expanded.append(False)
            continue
        code, y = lookup[names.iloc[k]], int(year.iloc[k])
        for p in crosswalk.periods:
            if p.is_unit and p.province_adcode == code and p.table_from <= y <= p.table_to:
                row = table.iloc[k].copy()
                row["城市"], row["省份"] = p.adcode, names.iloc[k]
                rows.append(row); years.append(y); batches.append(batch.iloc[k]); expanded.append(True)
    index = [r.name for r in rows]  # rows keep their table row (messages name the province's row)
    return (pd.DataFrame(rows, index=index), pd.Series(years, index=index, dtype="int64"),
            pd.Series(batches, index=index), pd.Series(expanded, index=index))


SOURCE = Source(
    name="policy_lists",
    description="smart-city, low-carbon and Broadband China pilot lists",
    product="published pilot lists (CSV or xlsx)",
    contracts=(CONTRACT,),
    patterns=("*.csv", "*.xlsx"),
    read=read,
    settings=(PILOT_PROVINCES_ENV,),  # refuse or expand a province row: a changed rule reloads the lists
)

"""Government work reports, one UTF-8 text per city-year -> raw.gov_reports.

File names carry the city and year: ``<year>/<adcode>_<city>_<year>年政府工作报告.txt`` (the adcode may
be omitted: ``<city>_<year>年政府工作报告.txt``). Keyword shares (environmental regulation, digital
economy) are computed in dbt from the text against the keyword seeds.
"""
from __future__ import annotations

import re

import pandas as pd

from ingestion.contract import Column, Contract
from ingestion.errors import IngestError
from ingestion.sources.base import LoadContext, Source

NAME = re.compile(r"^(?:(?P<adcode>\d{6})_)?(?P<city>[^_]+)_(?P<year>(19|20)\d{2})年?政府工作报告$")

CONTRACT = Contract(
    table="gov_reports",
    description="Government work report texts by city and year",
    key=("adcode", "year"),
    columns=(
        Column("adcode", "varchar", "city"),
        Column("year", "integer", "year of the report", min=1990, max=2100),
        Column("text", "varchar", "full text"),
        Column("n_chars", "integer", "characters in the text", min=1),
        Column("source_file", "varchar", "file the row came from"),
    ),
)


def read(files, ctx: LoadContext):
    resolver = ctx.resolver()
    rows = []
    for path in files:
        m = NAME.match(path.stem)
        if not m:
            raise IngestError(path, None, "file name does not say city and year",
                              "name it <adcode>_<city>_<year>年政府工作报告.txt")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            try:
                text = path.read_bytes().decode("gb18030")
            except UnicodeDecodeError:
                raise IngestError(path, None, "not UTF-8 or GBK text", "re-save the report as UTF-8") from None
        text = text.strip()
        if not text:
            raise IngestError(path, None, "empty report", "remove the file or add the text")
        rows.append((m.group("adcode") or m.group("city"), int(m.group("year")), text, len(text), path.as_posix()))
    frame = pd.DataFrame(rows, columns=["key", "year", "text", "n_chars", "path"])
    frame["adcode"] = resolver.resolve(frame["key"], file=files[0].parent, column="file name")
    frame["source_file"] = [p.split("/")[-2] + "/" + p.split("/")[-1] for p in frame.path]
    return {"gov_reports": frame.drop(columns=["key", "path"])}


SOURCE = Source(
    name="gov_reports",
    description="city government work report texts",
    product="government work report texts (UTF-8 .txt, one per city-year)",
    contracts=(CONTRACT,),
    patterns=("*.txt",),
    read=read,
)

"""Government work reports, one UTF-8 text per city-year -> raw.gov_reports.

File names carry the city and year: ``<year>/<adcode>_<city>_<year>年政府工作报告.txt`` (the adcode may
be omitted: ``<city>_<year>年政府工作报告.txt``). Keyword shares (environmental regulation, digital
economy) are computed in dbt from the text against the keyword seeds.
"""
from __future__ import annotations

import re

import pandas as pd

from ingestion.cities import unit_code_doc
from ingestion.contract import Column, Contract
from ingestion.errors import IngestError
from ingestion.parsing import decode_text
from ingestion.sources.base import LoadContext, Source

NAME = re.compile(r"^(?:(?P<adcode>\d{6})_)?(?P<city>[^_]+)_(?P<year>(19|20)\d{2})年?政府工作报告$")

CONTRACT = Contract(
    table="gov_reports",
    description="Government work report texts by city and year",
    key=("adcode", "year"),
    columns=(
        Column("adcode", "varchar", "city: " + unit_code_doc("the report's year")),
        Column("year", "integer", "year of the report", min=1990, max=2100),
        Column("text", "varchar", "full text"),
        Column("n_chars", "integer", "characters in the text", min=1),
        Column("source_file", "varchar", "file the row came from"),
    ),
)


def read(files, ctx: LoadContext):
    resolver = ctx.resolver()
    named, rows = [], []
    for path in files:
        m = NAME.match(path.stem)
        if not m:
            raise IngestError(path, "file name", "file name does not say city and year",
                              "name it <adcode>_<city>_<year>年政府工作报告.txt")
        text = decode_text(path.read_bytes(), path).strip()
        if not text:
            raise IngestError(path, "text", "empty report (blank lines only)", "remove the file or add the text")
        named.append((m.group("adcode"), m.group("city"), int(m.group("year"))))
        rows.append((int(m.group("year")), text, len(text), f"{path.parent.name}/{path.name}", str(path)))
    adcodes = _adcodes(named, files, resolver)
    frame = pd.DataFrame(rows, columns=["year", "text", "n_chars", "source_file", "_file"])
    frame.insert(0, "adcode", adcodes)
    frame["_row"] = "city and year in the file name"
    return {"gov_reports": frame}


def _adcodes(named: list[tuple[str | None, str, int]], files, resolver) -> list[str]:
    """The unit each file name gives, in the report's year: by its name, and by its adcode where it has
    one (the two must be the same unit; a name variant the resolver does not know is decided by the
    adcode)."""
    years = pd.Series([y for _a, _c, y in named])
    by_name = resolver.lookup(pd.Series([c for _a, c, _y in named]), years=years)
    by_code = resolver.lookup(pd.Series([a or "" for a, _c, _y in named]), years=years)
    out = []
    for path, (adcode, city, year), name_code, code in zip(files, named, by_name, by_code):
        if adcode is None:
            if isinstance(name_code, tuple):
                raise IngestError(path, "file name", *name_code)
            out.append(name_code)
            continue
        if isinstance(code, tuple):
            raise IngestError(path, "file name", *code)
        if isinstance(name_code, str) and name_code != code:
            raise IngestError(path, "file name", f"adcode {code} is {resolver.unit_label(code, year)} in {year}, "
                              f"not {city}", "correct the adcode or the city name in the file name")
        out.append(code)
    return out


SOURCE = Source(
    name="gov_reports",
    description="city government work report texts",
    product="government work report texts (UTF-8 .txt, one per city-year)",
    contracts=(CONTRACT,),
    patterns=("*.txt",),
    read=read,
)

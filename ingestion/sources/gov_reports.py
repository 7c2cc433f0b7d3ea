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
    cities: dict[tuple[str | None, str, int], str] = {}  # (adcode, city, year) of a file name -> adcode
    rows = []
    for path in files:
        m = NAME.match(path.stem)
        if not m:
            raise IngestError(path, "file name", "file name does not say city and year",
                              "name it <adcode>_<city>_<year>年政府工作报告.txt")
        text = decode_text(path.read_bytes(), path).strip()
        if not text:
            raise IngestError(path, "text", "empty report (blank lines only)", "remove the file or add the text")
        named = (m.group("adcode"), m.group("city"), int(m.group("year")))
        if named not in cities:
            cities[named] = _adcode(*named, path=path, resolver=resolver)
        rows.append((cities[named], named[2], text, len(text), f"{path.parent.name}/{path.name}",
                     str(path)))
    frame = pd.DataFrame(rows, columns=["adcode", "year", "text", "n_chars", "source_file", "_file"])
    frame["_row"] = "city and year in the file name"
    return {"gov_reports": frame}


def _adcode(adcode: str | None, city: str, year: int, *, path, resolver) -> str:
    """The city of a file name in the report's year; when it gives both an adcode and a name, they must
    be the same unit."""
    def resolve(key: str) -> str:
        return resolver.resolve(pd.Series([key]), years=year, file=path, column="file name").iloc[0]

    try:
        by_name = resolve(city)
    except IngestError as exc:
        if adcode is None:
            raise IngestError(path, "file name", exc.problem, exc.fix) from None
        by_name = None  # a name variant the boundaries do not know: the adcode decides
    if adcode is None:
        return by_name
    try:
        code = resolve(adcode)
    except IngestError as exc:
        raise IngestError(path, "file name", exc.problem, exc.fix) from None
    if by_name is not None and by_name != code:
        raise IngestError(path, "file name", f"adcode {code} is {resolver.unit_label(code, year)} in {year}, not {city}",
                          "correct the adcode or the city name in the file name")
    return code


SOURCE = Source(
    name="gov_reports",
    description="city government work report texts",
    product="government work report texts (UTF-8 .txt, one per city-year)",
    contracts=(CONTRACT,),
    patterns=("*.txt",),
    read=read,
)

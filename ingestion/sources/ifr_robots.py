"""IFR World Robotics: installations and operational stock by country x ISIC industry x year."""
from __future__ import annotations

import pandas as pd

from ingestion.contract import Column, Contract
from ingestion.parsing import parse_number
from ingestion.sources._tables import origin, read_tables, require_columns, year_column
from ingestion.sources.base import LoadContext, Source

COLUMNS = ["Country", "Industry code", "Industry", "Year", "Installations", "Operational stock"]

CONTRACT = Contract(
    table="ifr_robots",
    description="Industrial robot installations and operational stock (IFR), China and the United States",
    key=("country", "isic_code", "year"),
    columns=(
        Column("country", "varchar", "country"),
        Column("isic_code", "varchar", "IFR industry code (ISIC rev.4 groups)"),
        Column("industry", "varchar", "IFR industry name"),
        Column("year", "integer", "year", min=1990, max=2100),
        Column("installations", "double", "robots installed in the year", "units", min=0),
        Column("operational_stock", "double", "operational stock at year end", "units", min=0),
        Column("source_file", "varchar", "file the row came from"),
    ),
)


def read(files, ctx: LoadContext):
    parts = []
    for path in files:
        for sheet, table, first in read_tables(path, {"Country", "Year"}):
            require_columns(table, COLUMNS, file=path, sheet=sheet)
            parts.append(pd.DataFrame({
                "country": table["Country"].str.strip(),
                "isic_code": table["Industry code"].str.strip(),
                "industry": table["Industry"].str.strip(),
                "year": year_column(table, "Year", file=path, first_row=first, sheet=sheet),
                "installations": parse_number(table["Installations"], file=path, column="Installations",
                                              row_offset=first, sheet=sheet),
                "operational_stock": parse_number(table["Operational stock"], file=path, column="Operational stock",
                                                  row_offset=first, sheet=sheet),
                "source_file": path.name,
                **origin(path, sheet, first, table.index),
            }))
    return {"ifr_robots": pd.concat(parts, ignore_index=True)}


SOURCE = Source(
    name="ifr_robots",
    description="IFR robot installations and operational stock",
    product="IFR World Robotics tables (xlsx or CSV)",
    contracts=(CONTRACT,),
    patterns=("*.xlsx", "*.csv"),
    read=read,
    needs_cities=False,
)

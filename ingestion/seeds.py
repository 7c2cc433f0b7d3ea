"""The dbt seeds (``dbt_project/seeds/*.csv``) read from Python, typed as ``_seeds.yml`` types them for dbt.

One reader for every Python consumer of a seed (the division crosswalk of ``ingestion.divisions``, the
tests), so a seed's columns have one declared type: varchar columns stay text (codes keep their leading
digits), integers are nullable integers, an empty cell is missing (as dbt loads it).
"""
from __future__ import annotations

from functools import lru_cache

import pandas as pd
import yaml

from ingestion.settings import repo_root

SEEDS_DIR = repo_root() / "dbt_project" / "seeds"
_PANDAS_TYPES = {"varchar": "string", "integer": "Int64", "bigint": "Int64", "double": "float64",
                 "boolean": "boolean", "date": "string"}


@lru_cache(maxsize=1)
def _column_types() -> dict[str, dict[str, str]]:
    doc = yaml.safe_load((SEEDS_DIR / "_seeds.yml").read_text(encoding="utf-8"))
    return {s["name"]: s.get("config", {}).get("column_types", {}) for s in doc["seeds"]}


@lru_cache(maxsize=None)
def _read(name: str) -> pd.DataFrame:
    types = _column_types().get(name)
    if types is None:
        raise KeyError(f"no seed {name!r} in {SEEDS_DIR / '_seeds.yml'}")
    frame = pd.read_csv(SEEDS_DIR / f"{name}.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    for column in frame.columns:
        kind = _PANDAS_TYPES.get(types.get(column, "varchar"), "string")
        text = frame[column].replace("", None)
        if kind in ("Int64", "float64"):
            frame[column] = pd.to_numeric(text).astype(kind)
        elif kind == "boolean":
            frame[column] = text.str.lower().map({"true": True, "false": False}).astype(kind)
        else:
            frame[column] = text.astype(kind)
    return frame


def read_seed(name: str) -> pd.DataFrame:
    """The seed ``name`` (without ``.csv``) as a DataFrame, typed by its ``column_types`` (a copy)."""
    return _read(name).copy()

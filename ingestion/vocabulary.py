"""Vocabularies read from their one home, the dbt seeds (``dbt_project/seeds/*.csv``).

dbt loads these files into the warehouse's ``seeds`` schema for the SQL; the loaders and the sample
world read the same files through this module, so no list is copied into Python:

* ``seed_provinces`` and ``seed_municipalities``: the provinces (names, NBS region) and the four
  municipalities (``ingestion.divisions``, the sample world);
* ``seed_yearbook_indicators``: the yearbook vocabulary, one row per (indicator, scope, spelling) with
  the canonical unit and the typical city value (the yearbook loader, the sample writer and
  ``stg_yearbook__indicators``; see the seed's entry in ``dbt_project/seeds/_seeds.yml``);
* ``seed_division_units``, ``seed_division_changes``, ``seed_division_county_cities``: the national code
  tables 1999-2023 and their changes (``ingestion.divisions.Crosswalk``, which every loader resolves city
  names by, and the sample world's history; dbt harmonises the marts with the same files).

The files are read as text, as dbt types their code columns (leading digits survive). ``dbt_vars()`` reads
the conventions of ``dbt_project.yml`` (study windows, base years) for the Python side the same way.
"""
from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ingestion.errors import ConfigError
from ingestion.settings import repo_root

SEEDS = Path("dbt_project") / "seeds"
# the scope the marts use (the whole prefecture, counties included); the seed's other scope, 市辖区, is the
# urban districts only and never stands in for it (see _seeds.yml, dbt var yearbook_scope)
WHOLE_AREA = "全市"
# price bases a header may name: current prices, the seed's basis; constant-price figures are refused
CURRENT_PRICES = ("当年价格", "当年价", "现价", "现行价格")
CONSTANT_PRICES = ("可比价格", "可比价", "不变价格", "不变价")


def seed_path(name: str) -> Path:
    return repo_root() / SEEDS / f"{name}.csv"


_SEEDS_READ: set[str] = set()
_SEED_CACHES: list = []


def seed_cache(fn):
    """``functools.lru_cache`` for a function of seed contents, registered so that
    ``forget_cached_seeds`` clears it: a process that loads again after a seed changed reads it again."""
    cached = lru_cache(maxsize=None)(fn)
    _SEED_CACHES.append(cached)
    return cached


def forget_cached_seeds() -> None:
    """Drop every cached seed and everything computed from one (``ingestion.load.ingest`` calls it first)."""
    for cached in _SEED_CACHES:
        cached.cache_clear()


def seeds_read() -> frozenset[str]:
    """Every seed this process has asked ``read_seed`` for (cached or not): what a loader depends on, as
    the test of the loaders' declared inputs (``Source.inputs``) observes it."""
    return frozenset(_SEEDS_READ)


def seed_fingerprint(name: str) -> str:
    """sha256 of the seed file's bytes: a load records it, and reloads when it changes (``ingestion.load``)."""
    path = seed_path(name)
    if not path.exists():
        raise ConfigError(f"{path}: the dbt seed {name!r} is missing; it is part of the repository (restore it "
                          "from git)")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_seed(name: str) -> tuple[dict[str, str], ...]:
    """The rows of ``dbt_project/seeds/<name>.csv`` as dicts of text, in file order."""
    _SEEDS_READ.add(name)
    return _read_seed_file(name)


@seed_cache
def _read_seed_file(name: str) -> tuple[dict[str, str], ...]:
    path = seed_path(name)
    if not path.exists():
        raise ConfigError(f"{path}: the dbt seed {name!r} is missing; it is part of the repository (restore it "
                          "from git)")
    with open(path, encoding="utf-8", newline="") as fh:
        rows = tuple(csv.DictReader(fh))
    if not rows:
        raise ConfigError(f"{path}: the dbt seed {name!r} has no rows")
    return rows


@lru_cache(maxsize=1)
def dbt_vars() -> dict:
    """``vars:`` of dbt_project.yml (windows, base years, k of the kNN matrix)."""
    import yaml

    path = repo_root() / "dbt_project.yml"
    if not path.exists():
        raise ConfigError(f"{path}: missing; the dbt project is part of the repository")
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("vars", {}) or {}


def municipalities() -> tuple[str, ...]:
    """City adcodes of the four municipalities (直辖市), from ``seed_municipalities``."""
    return tuple(row["adcode"] for row in read_seed("seed_municipalities"))


@dataclass(frozen=True)
class YearbookIndicator:
    """One row of ``seed_yearbook_indicators``: a header spelling of an indicator in one scope."""

    indicator: str            # the canonical indicator, the column name downstream (gdp_10k_yuan)
    scope: str                # the area the figures cover: 全市 (whole city or province); later 市辖区
    spelling: str             # the indicator as an export's header spells it, unit bracket removed
    unit: str                 # the canonical unit the loader converts to ('' for an index)
    typical_city_value: float  # a prefecture-level city's order of magnitude, canonical unit


@seed_cache
def yearbook_indicators() -> tuple[YearbookIndicator, ...]:
    """Every row of ``seed_yearbook_indicators``, in file order."""
    return tuple(YearbookIndicator(row["indicator"], row["scope"], row["spelling"], row["unit"],
                                   float(row["typical_city_value"]))
                 for row in read_seed("seed_yearbook_indicators"))


def yearbook_spellings(scope: str = WHOLE_AREA) -> dict[str, YearbookIndicator]:
    """Header spelling -> its row, for the tables of one scope (what the loader accepts)."""
    return {row.spelling: row for row in yearbook_indicators() if row.scope == scope}


def yearbook_scopes() -> tuple[str, ...]:
    """The scopes of ``seed_yearbook_indicators`` (全市, 市辖区), in file order."""
    return tuple(dict.fromkeys(row.scope for row in yearbook_indicators()))


def closest_spellings(name: str, scope: str, n: int = 4) -> str:
    """The seed's spellings of ``scope`` closest to ``name``, with their indicators, for error messages."""
    import difflib

    rows = yearbook_spellings(scope)
    ranked = sorted(rows, key=lambda s: (-difflib.SequenceMatcher(None, s, name).ratio(), s))
    return ", ".join(f"{s} ({rows[s].indicator})" for s in ranked[:n])


def yearbook_header(indicator: str, unit: str | None = None, *, spelling: int = 0, scope: str = WHOLE_AREA) -> str:
    """The header an export writes for ``indicator``: its ``spelling``-th spelling in the seed (0 the
    first, -1 the last) with ``unit`` in brackets (default the canonical unit; none for an index)."""
    rows = [row for row in yearbook_indicators() if row.indicator == indicator and row.scope == scope]
    if not rows:
        raise KeyError(f"{indicator!r} is not an indicator of scope {scope} in {seed_path('seed_yearbook_indicators')}")
    row = rows[spelling]
    unit = row.unit if unit is None else unit
    return f"{row.spelling}({unit})" if unit else row.spelling

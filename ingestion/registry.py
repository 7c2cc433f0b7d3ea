"""The list of sources, in load order (boundaries first: the others resolve names against it).

Adding a source is adding one module under ``ingestion/sources`` and one line here.
"""
from __future__ import annotations

import importlib

from ingestion.sources.base import Source

SOURCE_MODULES: tuple[str, ...] = (
    "boundaries",
    "edgar_co2",
    "pm25",
    "pm25_daily",
    "ntl",
    "dem",
    "ceads",
    "yearbook",
    "energy",
    "patents",
    "ai_firms",
    "ifr_robots",
    "employment",
    "gov_reports",
    "baidu_index",
    "policy_lists",
)


def all_sources() -> dict[str, Source]:
    out = {}
    for name in SOURCE_MODULES:
        module = importlib.import_module(f"ingestion.sources.{name}")
        out[name] = module.SOURCE
    return out


def get(name: str) -> Source:
    if name not in SOURCE_MODULES:
        from ingestion.errors import ConfigError

        raise ConfigError(f"unknown source {name!r}; known sources: {', '.join(SOURCE_MODULES)}")
    return importlib.import_module(f"ingestion.sources.{name}").SOURCE

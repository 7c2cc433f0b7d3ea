"""Shared fixtures: the tiny sample world, generated once per test session, and a warehouse with it."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
os.environ.setdefault("DBT_VERSION_CHECK", "False")
os.environ.setdefault("MPLBACKEND", "Agg")

TINY_SEED = 11
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def tiny_sources(tmp_path_factory) -> Path:
    """The tiny world's source files (read-only: copy before changing anything)."""
    from ingestion.sample import generate

    out = tmp_path_factory.mktemp("tiny") / "sources"
    generate("tiny", TINY_SEED, out, progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_warehouse(tiny_sources, tmp_path_factory) -> Path:
    """A warehouse with every source of the tiny world loaded (read-only: copy before writing)."""
    from ingestion.load import ingest

    path = tmp_path_factory.mktemp("wh") / "tiny.duckdb"
    ingest(tiny_sources, path, progress=False, echo=lambda *_: None)
    return path


@pytest.fixture
def warehouse_copy(tiny_warehouse, tmp_path) -> Path:
    target = tmp_path / "copy.duckdb"
    shutil.copy(tiny_warehouse, target)
    return target

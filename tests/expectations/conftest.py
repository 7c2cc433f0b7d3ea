"""Fixtures of the expectation tests: the tiny world's marts (built once per session by the shared
``tiny_marts`` fixture of tests/conftest.py), read into pandas once, and one full check run on them."""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def tiny_frames(tiny_marts) -> dict[str, pd.DataFrame]:
    """Every mart that has a suite, as the runner reads it (copy before changing one)."""
    from expectations.runner import read_mart
    from expectations.suites import SUITES

    con = duckdb.connect(str(tiny_marts), read_only=True)
    try:
        return {mart: read_mart(con, suite) for mart, suite in SUITES.items()}
    finally:
        con.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def tiny_check(tiny_marts, tmp_path_factory):
    """One ``check_warehouse`` run over the tiny marts: (report, printed lines, docs dir, hash before)."""
    from expectations.runner import check_warehouse

    docs = tmp_path_factory.mktemp("docs") / "data_docs"
    before = sha256(tiny_marts)
    lines: list[str] = []
    report = check_warehouse(tiny_marts, docs_dir=docs, echo=lines.append)
    return report, lines, docs, before

"""Shared fixtures: the tiny sample world, generated once per test session, and a warehouse with it."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
os.environ.setdefault("DBT_VERSION_CHECK", "False")
os.environ.setdefault("MPLBACKEND", "Agg")

TINY_SEED = 11
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@contextlib.contextmanager
def holding_write_lock(path: Path):
    """Another process holds DuckDB's write lock on ``path`` for the duration of the block.
    Yields that process (its ``pid`` is what the "in use" message must name)."""
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys
        con = duckdb.connect({str(path)!r})
        print("ready", flush=True)
        sys.stdin.readline()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        yield holder
    finally:
        holder.communicate("\n", timeout=30)


def warehouse_snapshot(path: Path) -> dict:
    """Row count and an order-independent content hash of every raw table (and the manifest)."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name='raw' order by 1").fetchall()]
        return {t: con.execute(f"select count(*), sum(hash(t::varchar)) from raw.{t} t").fetchone() for t in tables}
    finally:
        con.close()


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


@pytest.fixture(scope="session")
def tiny_marts(tiny_warehouse, tmp_path_factory) -> Path:
    """A copy of the tiny warehouse after `dualcarbon build --skip-checks` (dbt seeds, models, tests).
    Read-only for tests: copy before writing. The dbt log is kept beside it as build.log."""
    import contextlib
    import io

    from dualcarbon.cli import main

    path = tmp_path_factory.mktemp("marts") / "tiny_marts.duckdb"
    shutil.copy(tiny_warehouse, path)
    out = io.StringIO()
    # dbt's target/ and logs/ of the test build stay beside the test warehouse, so test runs never
    # share (or clobber) the repository's target/ with a concurrent dbt invocation
    env = {"DBT_TARGET_PATH": str(path.parent / "target"), "DBT_LOG_PATH": str(path.parent / "logs")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out):
            code = main(["build", "--warehouse", str(path), "--skip-checks"])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    (path.parent / "build.log").write_text(out.getvalue(), encoding="utf-8")
    assert code == 0, out.getvalue()[-3000:]
    return path

"""The DuckDB warehouse: connections, the spatial extension (offline), and atomic publishing.

Writers take DuckDB's file lock; a second writer gets ``WarehouseInUse`` with a clear message.
Readers open read-only. A source is published in one transaction: its raw tables are replaced (or,
for tables shared by several sources such as ``raw.raster_zonal``, its rows are replaced) and its
manifest rows appended; any failure rolls back everything, leaving data and manifest as they were.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import duckdb
import pandas as pd

from ingestion.errors import WarehouseInUse

MANIFEST_COLUMNS = {
    "source": "varchar",
    "file": "varchar",
    "sha256": "varchar",
    "rows": "bigint",
    "loader_version": "varchar",
    "started": "timestamp",
    "finished": "timestamp",
    "status": "varchar",
    # what the loader recognised the file as (JSON object: product, release, variable, unit, conversion,
    # ...; see ingestion.sources.base.FileLayout); NULL for loaders that record nothing
    "layout": "json",
    # what the rows depend on besides the files, with its fingerprint at load time (JSON object: the
    # boundaries' load, the seeds the loader resolves by; see ingestion.load.input_fingerprints). A load
    # is skipped only when its files and every one of these are unchanged.
    "inputs": "json",
}
# statements fixed at import from the constants above (never from input)
_ADD_MANIFEST_COLUMN = {name: f"alter table raw._loads add column {name} {typ}" for name, typ in MANIFEST_COLUMNS.items()}


def spatial_extension_path() -> str:
    """Path of the spatial extension shipped in the ``duckdb-extension-spatial`` wheel."""
    import duckdb_extension_spatial

    root = Path(duckdb_extension_spatial.__file__).parent / "extensions"
    found = sorted(root.glob(f"v{duckdb.__version__}/spatial.duckdb_extension"))
    if not found:
        found = sorted(root.glob("*/spatial.duckdb_extension"))
    if not found:
        raise FileNotFoundError(f"no spatial.duckdb_extension under {root}")
    return str(found[0])


def install_spatial() -> str:
    """Copy the wheel's spatial extension into DuckDB's extension directory (offline).

    After this, ``INSTALL spatial`` is a no-op and ``LOAD spatial`` works for every client on the
    machine, dbt included. Returns the extension directory used.
    """
    con = duckdb.connect()
    try:
        con.execute(f"INSTALL '{spatial_extension_path()}'")
        con.execute("LOAD spatial")
        return con.execute("select current_setting('extension_directory')").fetchone()[0] or "~/.duckdb/extensions"
    finally:
        con.close()


def ensure_spatial_installed() -> None:
    """Install the spatial extension from the wheel unless DuckDB already has it (dbt loads it by name)."""
    con = duckdb.connect()
    try:
        installed = con.execute(
            "select installed from duckdb_extensions() where extension_name = 'spatial'").fetchone()
    finally:
        con.close()
    if not (installed and installed[0]):
        install_spatial()


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    """INSTALL the spatial extension from the wheel's file (never from the network) and LOAD it."""
    con.execute(f"INSTALL '{spatial_extension_path()}'")
    con.execute("LOAD spatial")


def connect(path: Path, *, read_only: bool = False, spatial: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; a lock held by another process becomes ``WarehouseInUse``."""
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(f"{path}: no warehouse here yet; run `dualcarbon ingest` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            pid = re.search(r"PID (\d+)", text)
            holder = f"PID {pid.group(1)}" if pid else "another process"
            raise WarehouseInUse(
                f"{path}: the warehouse is in use by {holder}. Wait for it to finish (or close that DuckDB "
                "session) and try again; readers can open it with read_only=True while nothing writes"
            ) from None
        raise
    if spatial:
        load_spatial(con)
    return con


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """The ``raw`` schema and the manifest; a manifest written before a column existed gains it (NULL)."""
    con.execute("create schema if not exists raw")
    cols = ", ".join(f"{name} {typ}" for name, typ in MANIFEST_COLUMNS.items())
    con.execute(f"create table if not exists raw._loads ({cols})")
    present = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'raw' and table_name = '_loads'"
    ).fetchall()}
    for name in MANIFEST_COLUMNS:
        if name not in present:
            con.execute(_ADD_MANIFEST_COLUMN[name])


@dataclass(frozen=True)
class FileRecord:
    """One input file of a load, as the manifest records it (``layout``: JSON text or None)."""

    file: str
    sha256: str
    rows: int
    layout: str | None = None


@dataclass(frozen=True)
class LastLoad:
    """The most recent successful load of a source, as the manifest recorded it."""

    files: frozenset[tuple[str, str]]   # (file, sha256)
    loader_version: str
    inputs: Mapping[str, str] | None    # None: recorded before inputs were (reload once)


def last_load(con: duckdb.DuckDBPyConnection, source: str) -> LastLoad | None:
    """The most recent successful load of ``source``, or None if it was never loaded."""
    ensure_raw_schema(con)
    rows = con.execute(
        """
        select file, sha256, loader_version, inputs from raw._loads
        where source = ? and status = 'loaded'
          and started = (select max(started) from raw._loads where source = ? and status = 'loaded')
        """,
        [source, source],
    ).fetchall()
    if not rows:
        return None
    inputs = rows[0][3]
    return LastLoad(frozenset((f, s) for f, s, _, _ in rows), rows[0][2],
                    json.loads(inputs) if inputs is not None else None)


def fingerprint_of_load(load: LastLoad | None) -> str:
    """One digest of a load's files and loader version (what the rows of that load were made from)."""
    if load is None:
        return "never loaded"
    text = "\n".join([load.loader_version, *(f"{f}\t{s}" for f, s in sorted(load.files))])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def publish(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    tables: Mapping[str, pd.DataFrame],
    shared_tables: Iterable[str],
    files: list[FileRecord],
    loader_version: str,
    started: dt.datetime,
    inputs: Mapping[str, str] | None = None,
) -> None:
    """Swap ``source``'s raw tables and append its manifest rows, all in one transaction.

    ``tables`` maps table names (inside ``raw``; from the source's contract, never from user input)
    to frames. Tables in ``shared_tables`` hold rows of several sources, told apart by a ``source``
    column: only this source's rows are replaced there.
    """
    shared = set(shared_tables)
    con.execute("begin transaction")
    try:
        ensure_raw_schema(con)
        for name, frame in tables.items():
            view = f"_stage_{name}"
            con.register(view, frame)
            try:
                if name in shared:
                    exists = con.execute(
                        "select count(*) from information_schema.tables where table_schema='raw' and table_name=?",
                        [name],
                    ).fetchone()[0]
                    if exists:
                        con.execute(f"delete from raw.{name} where source = ?", [source])
                        con.execute(f"insert into raw.{name} by name select * from {view}")
                    else:
                        con.execute(f"create table raw.{name} as select * from {view}")
                else:
                    con.execute(f"create or replace table raw.{name} as select * from {view}")
            finally:
                con.unregister(view)
        finished = dt.datetime.now()
        recorded = json.dumps(dict(inputs), sort_keys=True) if inputs is not None else None
        con.executemany(
            "insert into raw._loads (source, file, sha256, rows, loader_version, started, finished, status, layout, "
            "inputs) values (?, ?, ?, ?, ?, ?, ?, 'loaded', ?, ?)",
            [[source, f.file, f.sha256, f.rows, loader_version, started, finished, f.layout, recorded] for f in files],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


if __name__ == "__main__":  # `python -m ingestion.warehouse install-spatial` (run by `make install`)
    import sys

    if sys.argv[1:] == ["install-spatial"]:
        print(f"spatial extension installed ({install_spatial()})")
    else:
        sys.exit("usage: python -m ingestion.warehouse install-spatial")


COUNTY_TAG = "county"  # dbt tag of the county world's models (built when the boundaries are county-level)


def unit_level(con: duckdb.DuckDBPyConnection) -> str:
    """``county`` when the loaded boundaries are county-level units (the county world), else ``prefecture``
    (also when nothing is loaded yet: the prefecture build then reports what is missing)."""
    try:
        row = con.execute("select count(*) filter (where level = 'county'), count(*) from raw.city_boundaries").fetchone()
    except duckdb.Error:  # no raw.city_boundaries (or a warehouse of an older contract)
        return "prefecture"
    return "county" if row[1] and row[0] == row[1] else "prefecture"

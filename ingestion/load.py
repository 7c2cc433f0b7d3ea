"""Ingest orchestration: for each source, find files -> hash -> (skip if unchanged) -> read ->
validate against the contracts -> publish in one transaction (``warehouse.publish``).

Loading the same files again is a no-op (same file names, hashes and loader version as the last
successful load). A failure anywhere before the commit leaves the warehouse exactly as it was.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd
from tqdm.auto import tqdm

from ingestion import registry
from ingestion.errors import IngestError
from ingestion.sources.base import FileLayout, LoadContext, ReadResult, Source, sha256
from ingestion.warehouse import FileRecord, connect, ensure_raw_schema, last_load, publish


@dataclass(frozen=True)
class LoadOutcome:
    source: str
    status: str  # loaded | unchanged
    rows: dict[str, int]
    files: int
    seconds: float


def _cities(con) -> pd.DataFrame | None:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema='raw' and table_name='city_boundaries'"
    ).fetchone()[0]
    if not exists:
        return None
    return con.execute(
        "select adcode, name_zh, name_en, province_zh, province_adcode, geometry_wkb from raw.city_boundaries"
    ).df()


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def load_source(con, source: Source, root: Path, *, executor=None, progress=True, force=False) -> LoadOutcome:
    t0 = time.perf_counter()
    started = dt.datetime.now()
    files = source.find_files(root)
    hashes = {f: sha256(f) for f in files}
    current = {(_relative(f, root), h) for f, h in hashes.items()}
    if not force and current == last_load(con, source.name, source.version):
        return LoadOutcome(source.name, "unchanged", {}, len(files), time.perf_counter() - t0)
    ctx = LoadContext(cities=_cities(con) if source.needs_cities else None, executor=executor, progress=progress)
    if source.needs_cities:
        ctx.resolver()  # fail early with a clear message when boundaries are missing
    result = ReadResult.of(source.read(files, ctx))
    frames = result.tables
    layouts = {Path(f): layout for f, layout in result.files.items()}
    tables: dict[str, pd.DataFrame] = {}
    for contract in source.contracts:
        if contract.table not in frames:
            raise IngestError(None, "loader output", f"loader of {source.name} produced no table raw.{contract.table}")
        label = files[0].parent if len(files) > 1 else files[0]
        tables[contract.table] = contract.validate(frames[contract.table], file=label)
    per_file_rows = _rows_per_file(tables, files, root)
    for f, layout in layouts.items():  # rows the reader counted itself (tiles of a mosaic)
        if layout.rows is not None:
            per_file_rows[_relative(f, root)] = layout.rows
    for f in files:  # publishing would replace the source's rows by nothing from this file
        if layouts.get(f, FileLayout()).used and per_file_rows.get(_relative(f, root), 0) == 0:
            raise IngestError(f, "below the header", "no data rows (a header only, or every row blank)",
                              "export the file with its rows, or remove it from the folder")
    records = [FileRecord(_relative(f, root), hashes[f], per_file_rows.get(_relative(f, root), 0),
                          layouts[f].as_json() if f in layouts else None) for f in files]
    publish(
        con,
        source=source.name,
        tables=tables,
        shared_tables=[c.table for c in source.contracts if c.shared],
        files=records,
        loader_version=source.version,
        started=started,
    )
    return LoadOutcome(source.name, "loaded", {k: len(v) for k, v in tables.items()}, len(files),
                       time.perf_counter() - t0)


def _rows_per_file(tables: dict[str, pd.DataFrame], files: Sequence[Path], root: Path) -> dict[str, int]:
    """Rows contributed by each file, from the ``source_file`` column of the tables. Loaders name the
    file relative to the source's folder (``2019/x.txt``) or by its bare name; both are matched."""
    counts: dict[str, int] = {}
    for frame in tables.values():
        if "source_file" in frame.columns:
            for name, n in frame["source_file"].value_counts().items():
                counts[str(name)] = counts.get(str(name), 0) + int(n)
    out = {}
    for f in files:
        rel = _relative(f, root)
        within = rel.split("/", 1)[1] if "/" in rel else rel
        out[rel] = next((counts[k] for k in (rel, within, f.name) if k in counts), 0)
    return out


def ingest(sources_dir: Path, warehouse: Path, *, only: Sequence[str] | None = None, executor=None,
           progress: bool = True, force: bool = False, echo=print) -> list[LoadOutcome]:
    """Load the chosen sources (all by default) from ``sources_dir`` into ``warehouse``."""
    sources_dir = Path(sources_dir)
    if not sources_dir.is_dir():
        raise IngestError(sources_dir, "folder", "no such directory", "pass the folder written by `dualcarbon sample`")
    names = list(only) if only else list(registry.SOURCE_MODULES)
    chosen = [registry.get(n) for n in names]
    outcomes = []
    con = connect(warehouse)
    try:
        ensure_raw_schema(con)
        bar = tqdm(chosen, desc="ingest", unit="source", disable=not progress, leave=False)
        say = tqdm.write if progress and echo is print else echo
        for source in bar:
            bar.set_postfix_str(source.name)
            outcome = load_source(con, source, sources_dir, executor=executor, progress=progress, force=force)
            rows = ", ".join(f"raw.{k} {v:,}" for k, v in outcome.rows.items()) or "no change"
            say(f"{source.name:<13} {outcome.status:<9} {outcome.files:>4} file(s)  {rows}  ({outcome.seconds:.1f}s)")
            outcomes.append(outcome)
    finally:
        con.close()
    return outcomes

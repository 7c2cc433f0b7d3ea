"""Ingest orchestration: for each source, find files -> hash -> (skip if unchanged) -> read ->
validate against the contracts -> publish in one transaction (``warehouse.publish``).

A source's rows depend on its own files **and** on what its city names and polygons were resolved
against: the boundaries' last load and the dbt seeds its reader reads (the divisions crosswalk, the
indicator vocabulary, ...), and on the settings its reader reads (``DUALCARBON_PILOT_PROVINCES``,
``DUALCARBON_NTL_LAYER``: ``ingestion.settings.LOADER_SETTINGS``) (``Source.inputs``). Each load records those inputs' fingerprints in
``raw._loads.inputs``. Loading again is a no-op only when the file names and hashes, the loader version
and every input's fingerprint equal the last successful load's; otherwise the source reloads (all or
nothing, as ever) and the summary line says why (``yearbook  reloaded, boundaries changed``). A failure
anywhere before the commit leaves the warehouse exactly as it was.
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
from ingestion.settings import LOADER_SETTINGS, loader_setting
from ingestion.sources.base import FileLayout, LoadContext, ReadResult, Source, sha256
from ingestion.vocabulary import forget_cached_seeds, seed_fingerprint
from ingestion.warehouse import (FileRecord, LastLoad, connect, ensure_raw_schema, fingerprint_of_load, last_load,
                                 publish, unit_level)


@dataclass(frozen=True)
class LoadOutcome:
    source: str
    status: str  # loaded (first time) | reloaded | unchanged | skipped (``not_applicable``)
    rows: dict[str, int]
    files: int
    seconds: float
    reason: str | None = None  # why a reload happened: "files changed", "boundaries changed", ...

    @property
    def line(self) -> str:
        """The summary line of this source's load: status, files, rows and time, then why it reloaded."""
        rows = ", ".join(f"raw.{k} {v:,}" for k, v in self.rows.items()) or "no change"
        why = f"  {self.reason}" if self.reason else ""
        return f"{self.source:<13} {self.status:<9} {self.files:>4} file(s)  {rows}  ({self.seconds:.1f}s){why}"


def input_fingerprints(con, source: Source) -> dict[str, str]:
    """The fingerprint of every input ``source`` depends on besides its files (``Source.inputs``):
    the boundaries' last successful load (its files' hashes and loader version), each seed's sha256 and
    each setting's value in effect (an invalid value is a ConfigError here, before anything is read)."""
    out = {}
    for name in source.inputs():
        if name == "boundaries":
            out[name] = fingerprint_of_load(last_load(con, "boundaries"))
        elif name in LOADER_SETTINGS:
            out[name] = loader_setting(name)
        else:
            out[name] = seed_fingerprint(name)
    return out


def _changed(name: str, before: str | None, now: str) -> str:
    """How the summary line names a changed input: a setting with its old and new value, others by name."""
    if name in LOADER_SETTINGS:
        return (f"setting {name} changed ({before} -> {now})" if before is not None
                else f"setting {name} now an input ({now})")
    return f"{name} changed" if before is not None else f"{name} now an input"


def reload_reason(previous: LastLoad | None, files: set[tuple[str, str]], version: str,
                  inputs: dict[str, str]) -> str | None:
    """Why a source must load again (None: nothing changed, the load is a no-op)."""
    if previous is None:
        return "first load"
    why = []
    if previous.loader_version != version:
        why.append(f"loader version {previous.loader_version} -> {version}")
    if previous.files != files:
        before, now = dict(previous.files), dict(files)
        counts = ((len(now.keys() - before.keys()), "added"), (len(before.keys() - now.keys()), "removed"),
                  (sum(before[f] != now[f] for f in now.keys() & before.keys()), "changed"))
        why.append("files " + ", ".join(f"{n} {what}" for n, what in counts if n))
    if previous.inputs is None:
        why.append("inputs not recorded by the previous load")
    else:
        why += [_changed(name, previous.inputs.get(name), inputs[name])
                for name in inputs if previous.inputs.get(name) != inputs[name]]
    return ", ".join(why) or None


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
    inputs = input_fingerprints(con, source)
    previous = last_load(con, source.name)
    reason = "--force" if force else reload_reason(previous, current, source.version, inputs)
    if reason is None:
        return LoadOutcome(source.name, "unchanged", {}, len(files), time.perf_counter() - t0)
    ctx = LoadContext(cities=_cities(con) if source.needs_cities else None, executor=executor, progress=progress)
    if source.needs_cities:
        ctx.require_cities()  # fail early with a clear message when boundaries are missing
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
        inputs=inputs,
    )
    status = "loaded" if previous is None else "reloaded"
    return LoadOutcome(source.name, status, {k: len(v) for k, v in tables.items()}, len(files),
                       time.perf_counter() - t0, None if previous is None else reason)


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


def not_applicable(con, source: Source, root: Path) -> str | None:
    """Why a source is skipped when every source is loaded (``--only`` names sources to load, and then
    none is skipped): an optional product without its folder, or, in the county world (county-level
    boundaries), a source whose rows name prefecture-level units (``Source.resolves_names``)."""
    if source.optional and not (root / source.name).is_dir():
        return "no folder (an optional product)"
    if source.resolves_names and unit_level(con) == "county":
        return "not in the county world (a table of the prefecture-level panel)"
    return None


def ingest(sources_dir: Path, warehouse: Path, *, only: Sequence[str] | None = None, executor=None,
           progress: bool = True, force: bool = False, echo=print) -> list[LoadOutcome]:
    """Load the chosen sources (all by default) from ``sources_dir`` into ``warehouse``."""
    sources_dir = Path(sources_dir)
    if not sources_dir.is_dir():
        raise IngestError(sources_dir, "folder", "no such directory", "pass the folder written by `dualcarbon sample`")
    forget_cached_seeds()  # a seed edited since this process last read it is read again
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
            why_not = None if only else not_applicable(con, source, sources_dir)
            if why_not:
                outcome = LoadOutcome(source.name, "skipped", {}, 0, 0.0, why_not)
            else:
                outcome = load_source(con, source, sources_dir, executor=executor, progress=progress, force=force)
            say(outcome.line)
            outcomes.append(outcome)
    finally:
        con.close()
    return outcomes

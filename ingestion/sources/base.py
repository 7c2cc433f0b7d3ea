"""What a source module provides: its contracts, the files it reads, and a pure ``read`` function.

A source module defines ``SOURCE = Source(...)``. ``read(files, ctx)`` returns either a mapping from raw
table name to DataFrame (validated against the contracts by the orchestrator) or a ``ReadResult``: the
same mapping plus, per input file, what the file was recognised as (product, release, variable, unit,
the conversion applied, ...), which the manifest ``raw._loads`` keeps in its ``layout`` column. It must
not touch the warehouse: I/O of the inputs at the edge, pure transforms inside, publishing in
``ingestion.load``.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from ingestion.settings import LOADER_SETTINGS, inside
from ingestion.contract import Contract
from ingestion.errors import IngestError


@dataclass
class LoadContext:
    """What a reader may need besides its files: the city list (for names -> adcodes) and options."""

    # adcode, name_zh, name_en, province_zh, province_adcode, geometry_wkb: valid EPSG:4326 polygons (the
    # boundaries loader repairs them before they are stored; raster loaders rely on it)
    cities: pd.DataFrame | None = None
    executor: object | None = None  # ingestion.executor.Executor for raster tasks
    progress: bool = True

    _resolver: object | None = field(default=None, init=False, repr=False)

    def require_cities(self) -> pd.DataFrame:
        """The boundaries' cities, or the one error saying to load them first."""
        if self.cities is None or self.cities.empty:
            raise IngestError(
                None, "raw.city_boundaries", "no cities in the warehouse yet",
                "load the boundaries first: dualcarbon ingest --sources DIR --only boundaries",
            )
        return self.cities

    def resolver(self):
        """The one ``ingestion.cities.CityResolver`` of this load (names and codes by year -> units)."""
        from ingestion.cities import CityResolver

        self.require_cities()
        if self._resolver is None:
            self._resolver = CityResolver(self.cities)
        return self._resolver


@dataclass(frozen=True)
class FileLayout:
    """What one input file was recognised as, for the manifest (``raw._loads.layout``, JSON).

    ``facts`` is free-form but flat: product, release, layout, variable, substance, sector, layer,
    statistic, unit, canonical_unit, conversion, encoding, crs ... -- whatever the loader established.
    ``used = False`` marks a file read but not summed (a companion such as a shapefile's .dbf, or a
    layer served beside the one used); ``why`` says why. ``rows``, when given, is the number of rows the
    file contributed, for files the ``source_file`` column cannot count (tiles of a mosaic).
    """

    facts: Mapping[str, Any] = field(default_factory=dict)
    used: bool = True
    why: str | None = None
    rows: int | None = None

    def as_json(self) -> str:
        record = {k: v for k, v in self.facts.items() if v is not None}
        if not self.used:
            record["used"] = False
            record["why"] = self.why
        return json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)


@dataclass(frozen=True)
class ReadResult(MappingABC):
    """A reader's output: the raw tables and, per input file (as passed to ``read``), its layout. It
    reads as the mapping of tables (``result["raster_zonal"]``), like a reader that returns only those."""

    tables: Mapping[str, pd.DataFrame]
    files: Mapping[Path, FileLayout] = field(default_factory=dict)

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]

    def __iter__(self):
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    @classmethod
    def of(cls, output: "ReadResult | Mapping[str, pd.DataFrame]") -> "ReadResult":
        """Either kind of reader output as a ReadResult (a plain mapping records no layouts)."""
        return output if isinstance(output, ReadResult) else cls(dict(output))


Reader = Callable[[Sequence[Path], LoadContext], "Mapping[str, pd.DataFrame] | ReadResult"]


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    product: str  # the real product and its format
    contracts: tuple[Contract, ...]
    patterns: tuple[str, ...]  # glob patterns under <sources>/<name>/
    read: Reader
    version: str = "1"
    needs_cities: bool = True     # its rows are made against raw.city_boundaries (names or polygons)
    resolves_names: bool = True   # ... by resolving names and codes through the divisions crosswalk
    seeds: tuple[str, ...] = ()   # other dbt seeds its reader reads (vocabularies, lists)
    optional: bool = False        # a product not every world has (daily PM2.5): no folder -> skipped
    settings: tuple[str, ...] = ()  # the settings its reader reads (keys of ingestion.settings.LOADER_SETTINGS)
    notes: str = field(default="")

    def __post_init__(self):
        unknown = [s for s in self.settings if s not in LOADER_SETTINGS]
        if unknown:
            raise ValueError(f"source {self.name}: {unknown} not in ingestion.settings.LOADER_SETTINGS")

    def inputs(self) -> tuple[str, ...]:
        """What the rows depend on besides the source's own files: ``"boundaries"`` (the last load of the
        boundaries), the dbt seeds read and the settings read (``DUALCARBON_PILOT_PROVINCES``, ...).
        ``ingestion.load`` records their fingerprints (a setting's: its value) with every load and reloads
        when one changes; ``tests/ingestion/test_load_inputs.py`` checks that a loader reads no seed and no
        setting it does not declare here."""
        from ingestion.divisions import RESOLVER_SEEDS

        deps: list[str] = []
        if self.needs_cities:
            deps.append("boundaries")
            if self.resolves_names:
                deps += RESOLVER_SEEDS
        return tuple(dict.fromkeys([*deps, *self.seeds, *self.settings]))

    def contract(self, table: str) -> Contract:
        for c in self.contracts:
            if c.table == table:
                return c
        raise KeyError(table)

    def find_files(self, root: Path) -> list[Path]:
        folder = root / self.name
        if not folder.is_dir():
            raise IngestError(folder, "folder", f"no folder for source {self.name!r}",
                              f"put the {self.product} files under {folder}")
        files = sorted({p for pat in self.patterns for p in folder.rglob(pat) if p.is_file()})
        for path in files:  # a link may point anywhere: inputs must stay inside the sources folder
            if not inside(path, root):
                raise IngestError(path, "link target", f"resolves outside the sources folder {root}",
                                  "copy the file into the folder instead of linking to it")
            if path.stat().st_size == 0:
                raise IngestError(path, "0 bytes", "the file is empty",
                                  "download or export it again (or remove it from the folder)")
        if not files:
            raise IngestError(folder, "folder", f"no files matching {list(self.patterns)}",
                              f"put the {self.product} files there")
        return files


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()

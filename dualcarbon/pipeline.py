"""The stages of a dualcarbon run, each a function of plain arguments, and the timed chain of all of them.

    sample -> ingest -> build (dbt build, dbt docs) -> check (expectations) -> replicate -> report

Each stage returns an exit code (0 = success); errors of bad input or a busy warehouse are raised as
``ingestion.errors`` exceptions, which the command line turns into one line and an exit code. Every
stage is part of the project: a stage whose package is missing is an error, never skipped.
"""
from __future__ import annotations

import contextlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from dualcarbon.dbt import project_file, run_dbt, write_dbt_docs
from ingestion.errors import ConfigError

WORLDS = ("tiny", "default", "full", "county")
STAGES = ("sample", "ingest", "build", "check", "replicate", "report")


def sample(world: str, seed: int, out: Path, *, progress: bool = True) -> int:
    """Write the sample world ``world`` (seed ``seed``) in the real products' formats under ``out``."""
    from ingestion.sample import generate

    summary = generate(world, seed, Path(out), progress=progress)
    files = sum(summary.files.values())
    print(f"sample world {summary.world!r} (seed {summary.seed}): {files} files under {summary.out}; "
          f"truth in {summary.out / 'truth.json'}")
    print("  " + ", ".join(f"{k} {v:.1f}s" for k, v in summary.seconds.items()))
    return 0


@contextlib.contextmanager
def executor_for(workers: int = 1, dask: str | None = None):
    """The executor of a command: serial, a local process pool (``--workers N``) or a Dask cluster
    (``--dask ADDRESS``, connected here, before anything is read, and closed after the command)."""
    from ingestion.executor import LocalProcessExecutor, SerialExecutor

    if dask is None:
        yield SerialExecutor() if workers == 1 else LocalProcessExecutor(max_workers=workers)
        return
    if workers != 1:
        raise ConfigError("give --workers or --dask, not both")
    from ingestion.cluster import DaskExecutor

    with DaskExecutor(dask) as executor:
        yield executor


def ingest(sources: Path, warehouse: Path, *, only: list[str] | None = None, workers: int = 1,
           dask: str | None = None, force: bool = False, progress: bool = True) -> int:
    """Load every source folder under ``sources`` into the raw schema (atomic and idempotent per source);
    the raster tasks run on ``dask`` (an address, ``ingestion.cluster``) when given."""
    from ingestion.load import ingest as load_sources

    with executor_for(workers, dask) as executor:
        load_sources(Path(sources), warehouse, only=only, executor=executor, progress=progress, force=force)
    print(f"warehouse: {warehouse}")
    return 0


def build(warehouse: Path, *, checks: bool = True, dbt_docs: Path | None = None, docs_dir: Path | None = None,
          drift: str | None = None, boundary_vintage: int | None = None) -> int:
    """``dbt build`` (seeds, models, data and unit tests); then dbt's docs page if ``dbt_docs`` is given,
    then the expectation suites unless ``checks`` is False. ``boundary_vintage``: the year whose code table
    the panel's units are (dbt var boundary_vintage, default in dbt_project.yml); the boundaries loaded
    must be of that year."""
    project_file()
    if not Path(warehouse).exists():
        raise ConfigError(f"{warehouse}: no warehouse; run `dualcarbon ingest --sources DIR` first")
    from ingestion.warehouse import COUNTY_TAG, connect, ensure_spatial_installed, unit_level

    con = connect(Path(warehouse))   # a writer elsewhere: one line and exit code 3, before dbt starts
    try:
        county = unit_level(con) == "county"
    finally:
        con.close()
    ensure_spatial_installed()
    options = ("--vars", json.dumps({"boundary_vintage": int(boundary_vintage)})) if boundary_vintage else ()
    # the county world has the raster sources only: its models and what they read, without the checks of
    # prefecture-level boundaries (tag prefecture); the other worlds everything but the county models
    selection = (("--select", f"+tag:{COUNTY_TAG}", "--exclude", "tag:prefecture", "--indirect-selection", "cautious") if county
                 else ("--exclude", f"tag:{COUNTY_TAG}"))
    code = run_dbt(warehouse, "build", *selection, *options)
    if code != 0:
        print(f"dbt build failed (exit {code})", file=sys.stderr)
        return code
    if dbt_docs is not None:
        code = write_dbt_docs(warehouse, Path(dbt_docs), *options)
        if code != 0:
            return code
    if county:  # the expectation suites are of the prefecture marts; the county marts have dbt's tests
        return 0
    return check(warehouse, docs_dir=docs_dir, drift=drift) if checks else 0


def check(warehouse: Path, *, docs_dir: Path | None = None, drift: str | None = None) -> int:
    """The Great Expectations suites of every mart (read-only); data docs and the drift baseline."""
    from expectations.runner import run_checks

    return run_checks(warehouse, docs_dir=Path(docs_dir) if docs_dir else None, drift=drift)


def replicate(study: str, warehouse: Path, out: Path, *, truth: Path | None = None, dask: str | None = None) -> int:
    """Every table and figure of ``study`` (``"000"``..``"004"`` or ``"all"``) under ``out/<study>/``; the
    draws of the placebo and bootstrap loops run as chunks on ``dask`` (an address) when given."""
    from analysis.replications import replicate as replicate_study

    with executor_for(1, dask) as executor:
        return replicate_study(study, warehouse=warehouse, out=Path(out), truth=Path(truth) if truth else None,
                               executor=None if dask is None else executor)


def report(warehouse: Path, out: Path, *, replications: Path | None = None, validation: Path | None = None) -> int:
    """The static HTML report under ``out`` (``replications``: the folder of ``dualcarbon replicate``, else
    found beside ``out``; ``validation``: a ``dualcarbon validate`` folder, else ``validation/`` beside
    ``out`` if present). A missing warehouse or no replications is an error, not an empty page."""
    from analysis.report import build_report

    if not Path(warehouse).is_file():
        raise ConfigError(f"{warehouse}: no warehouse; build one (`dualcarbon run`, or ingest and build) or name it "
                          "with --warehouse")
    return build_report(warehouse=warehouse, out=Path(out), replications=replications, validation=validation)


@dataclass(frozen=True)
class StageTiming:
    stage: str
    seconds: float
    status: str


def run(world: str, seed: int, workdir: Path, warehouse: Path, *, workers: int = 1,
        progress: bool = True) -> int:
    """Every stage in turn, each timed; stops at the first that fails and prints the timing table."""
    workdir = Path(workdir)
    sources = workdir / "sources"
    chain: list[tuple[str, Callable[[], int]]] = [
        ("sample", lambda: sample(world, seed, sources, progress=progress)),
        ("ingest", lambda: ingest(sources, warehouse, workers=workers, progress=progress)),
        ("build", lambda: build(warehouse, checks=False, dbt_docs=workdir / "dbt_docs")),
        ("check", lambda: check(warehouse)),
        ("replicate", lambda: replicate("all", warehouse, workdir / "replications", truth=sources / "truth.json")),
        ("report", lambda: report(warehouse, workdir / "report")),
    ]
    assert tuple(name for name, _ in chain) == STAGES
    timings: list[StageTiming] = []
    code = 0
    for name, stage in chain:
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        code = stage()
        timings.append(StageTiming(name, time.perf_counter() - t0, "ok" if code == 0 else f"exit {code}"))
        if code != 0:
            break
    print_timings(timings)
    page = workdir / "report" / "index.html"
    if code == 0 and page.exists():
        print(f"\nreport: {page.resolve()}")
    return code


def print_timings(timings: list[StageTiming]) -> None:
    total = sum(t.seconds for t in timings)
    print("\nstage        seconds  status")
    print("-----------  -------  ------")
    for t in timings:
        print(f"{t.stage:<11}  {t.seconds:>7.1f}  {t.status}")
    print(f"{'total':<11}  {total:>7.1f}")

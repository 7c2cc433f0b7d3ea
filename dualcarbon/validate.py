"""``dualcarbon validate``: the Monte Carlo of the whole pipeline on the planted world.

For each of K seeds: sample the world, ingest every source into a fresh warehouse, ``dbt build`` the marts
the targets read (``analysis.validation.MARTS_READ`` and their parents; tests skipped: ``dualcarbon build``
runs them), then fit every declared target (``analysis.validation.TARGETS``) and compare it with the
planted truth of that world. Writes ``truth_recovery.csv``, ``summary.csv``, ``summary.md`` and
``validation.json`` under ``--out``; the report shows the summary when it finds the folder.

Seeds run one after another, each in its own work folder under ``<out>/work/seed_<n>/`` (removed after
use unless ``keep``). With ``--dask ADDRESS`` (``ingestion.cluster``) every seed's whole pipeline is one
task on the cluster (the seeds are independent worlds; each dbt build keeps its target/ and logs/ in its
seed's folder, so builds running side by side never share one); the records are the same as serially.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from dualcarbon import pipeline
from dualcarbon.dbt import run_dbt
from ingestion.errors import DualcarbonError


def build_marts(warehouse: Path) -> int:
    """``dbt build`` of the marts the validation reads and their parents, without data or unit tests."""
    from analysis.validation import MARTS_READ

    select = " ".join(f"+{m}" for m in MARTS_READ)
    scratch = Path(warehouse).parent
    return run_dbt(warehouse, "build", "--select", select, "--exclude-resource-type", "test",
                   "--exclude-resource-type", "unit_test", "--quiet", "--target-path", str(scratch / "target"),
                   "--log-path", str(scratch / "logs"))


def run_seed(world: str, seed: int, work: Path, *, fast: Mapping[str, int] | None = None,
             prebuilt: tuple[Path, Path] | None = None, echo: Callable[..., None] = print) -> list[dict]:
    """The whole pipeline for one seed; returns its records (``analysis.validation.estimate_targets``).
    ``prebuilt``: (sources folder, built warehouse) of this seed made elsewhere (the test suite's world)."""
    from analysis.replications.truth import read_truth
    from analysis.validation import estimate_targets

    if prebuilt is not None:
        sources, warehouse = prebuilt
    else:
        sources, warehouse = work / "sources", work / "warehouse.duckdb"
        if warehouse.exists():
            warehouse.unlink()
        pipeline.sample(world, seed, sources, progress=False)
        pipeline.ingest(sources, warehouse, progress=False)
        code = build_marts(warehouse)
        if code != 0:
            raise DualcarbonError(f"validate: dbt build of seed {seed} failed (exit {code}); see the dbt log above")
    truth = read_truth(sources / "truth.json")
    if truth.get("seed") != seed:
        raise DualcarbonError(f"validate: {sources / 'truth.json'} is the world of seed {truth.get('seed')}, not {seed}")
    return estimate_targets(warehouse, truth, fast=fast, echo=echo)


@dataclass(frozen=True)
class SeedTask:
    """One seed's pipeline as plain data (a task for ``ingestion.executor``)."""

    world: str
    seed: int
    work: Path
    fast: Mapping[str, int] | None = None
    prebuilt: tuple[Path, Path] | None = None


@dataclass(frozen=True)
class SeedOutcome:
    seed: int
    records: list
    seconds: float
    error: str | None = None   # why the pipeline refused this seed's world (its files are kept)


def run_seed_task(task: SeedTask) -> SeedOutcome:
    """:func:`run_seed` for one task; a world the pipeline refuses is an outcome, not an exception."""
    t0 = time.perf_counter()
    try:
        records = run_seed(task.world, task.seed, task.work, fast=task.fast, prebuilt=task.prebuilt)
    except (DualcarbonError, ValueError) as exc:
        return SeedOutcome(task.seed, [], time.perf_counter() - t0, " ".join(str(exc).split())[:500])
    return SeedOutcome(task.seed, records, round(time.perf_counter() - t0, 1))


def validate(world: str, seeds: list[int], out: Path, *, keep: bool = False, fast: Mapping[str, int] | None = None,
             prebuilt: Mapping[int, tuple[Path, Path]] | None = None, progress: bool = True,
             dask: str | None = None) -> int:
    """Run :func:`run_seed` for every seed (on the Dask cluster ``dask`` when given, one task per seed) and
    write the records and the summary under ``out``."""
    from tqdm.auto import tqdm

    from analysis.validation import write

    out = Path(out).resolve()
    prebuilt = dict(prebuilt or {})
    tasks = [SeedTask(world, seed, out / "work" / f"seed_{seed}", fast, prebuilt.get(seed)) for seed in seeds]
    records, seconds, failed = [], {}, {}

    def take(outcome: SeedOutcome) -> None:
        nonlocal records
        work = out / "work" / f"seed_{outcome.seed}"
        if outcome.error is not None:   # a world the pipeline refuses: say so, go on
            failed[str(outcome.seed)] = outcome.error
            print(f"validate: seed {outcome.seed} failed (its files are kept in {work}): {outcome.error}", flush=True)
            return
        records += outcome.records
        seconds[str(outcome.seed)] = outcome.seconds
        if not keep and work.exists():
            shutil.rmtree(work)
        print(f"validate: seed {outcome.seed} done in {outcome.seconds} s", flush=True)
        write(records, out, _meta(world, seeds, seconds, failed, fast))   # kept up to date seed by seed

    if dask is None:
        for task in tqdm(tasks, desc=f"validate {world}", unit="seed", disable=not progress):
            take(run_seed_task(task))
    else:
        with pipeline.executor_for(1, dask) as executor:
            for outcome in executor.map(run_seed_task, tasks):
                take(outcome)
    paths = write(records, out, _meta(world, seeds, seconds, failed, fast))
    if not keep and (out / "work").exists() and not any((out / "work").iterdir()):
        (out / "work").rmdir()
    print(f"validate: {len(records)} estimates of {len({r['parameter'] for r in records})} planted parameters "
          f"over {len(seeds) - len(failed)} of {len(seeds)} seeds -> {paths['records']}; summary {paths['markdown']}")
    if failed:
        raise DualcarbonError(f"validate: {len(failed)} of {len(seeds)} seeds failed ({', '.join(failed)}); "
                              f"the summary covers the others; see {paths['meta']}")
    return 0


def _meta(world: str, seeds, seconds: dict, failed: dict, fast) -> dict:
    return {"world": world, "seeds": [s for s in seeds if str(s) not in failed], "seeds_asked": list(seeds),
            "seconds_per_seed": seconds, "failed_seeds": failed, "fast": dict(fast or {})}

"""The sample world: ``generate(world, seed, out)`` writes every source in its real product's format.

See ``README.md`` in this folder for the structural model and the planted parameters.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingestion.sample.geography import WORLDS, build_world, write_boundaries
from ingestion.sample.model import EFFECT_COLUMNS, Simulation, simulate

TRUTH_FILE = "truth.json"
EFFECTS_FILE = "truth_effects.csv"
COUNTY_TRUTH_FILE = "truth_county_year.csv"


@dataclass(frozen=True)
class SampleSummary:
    world: str
    seed: int
    out: Path
    files: dict[str, int]
    seconds: dict[str, float]


def generate(world: str, seed: int, out: Path, *, progress: bool = True, echo=print) -> SampleSummary:
    """Write the sample world ``world`` with ``seed`` under ``out`` (deterministic: same bytes every time)."""
    from tqdm.auto import tqdm

    from ingestion.sample import tables
    from ingestion.sample.rasters import write_rasters

    if world not in WORLDS:
        raise ValueError(f"unknown world {world!r}; choose one of {sorted(WORLDS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if WORLDS[world].units == "county":
        return _generate_county(world, seed, out, progress=progress)
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    w = build_world(world)
    sim = simulate(w, seed)
    times["model"] = time.perf_counter() - t0

    # one child generator per writer, so adding a writer does not change the others' draws
    children = np.random.SeedSequence(seed).spawn(4)
    rng_patents, rng_firms, rng_reports, _ = (np.random.default_rng(s) for s in children)
    steps = [
        ("boundaries", lambda: write_boundaries(w, out)),
        ("rasters", lambda: write_rasters(w, sim.city, out, seed=seed)),
        ("ceads", lambda: tables.write_ceads(sim, out)),
        ("yearbook", lambda: tables.write_yearbook(sim, out)),
        ("energy", lambda: tables.write_energy(sim, out)),
        ("patents", lambda: tables.write_patents(sim, out, rng_patents)),
        ("ai_firms", lambda: tables.write_firms(sim, out, rng_firms)),
        ("ifr_robots", lambda: tables.write_ifr(sim, out)),
        ("employment", lambda: tables.write_employment(sim, out)),
        ("gov_reports", lambda: tables.write_gov_reports(sim, out, rng_reports)),
        ("baidu_index", lambda: tables.write_baidu(sim, out)),
        ("policy_lists", lambda: tables.write_policy_lists(sim, out)),
    ]
    files: dict[str, int] = {}
    for name, step in tqdm(steps, desc=f"sample {world}", unit="source", disable=not progress):
        t = time.perf_counter()
        written = step()
        files[name] = len(written) if written is not None else 0
        times[name] = time.perf_counter() - t
    write_truth(sim, out)
    return SampleSummary(world, seed, out, files, times)


def _generate_county(world: str, seed: int, out: Path, *, progress: bool) -> SampleSummary:
    """The county world: boundaries, the annual rasters and the daily PM2.5 files from the planted county
    panel (``county.py``); ``truth.json`` and ``truth_county_year.csv`` (the panel)."""
    from tqdm.auto import tqdm

    from ingestion.sample.county import county_panel, write_daily_pm25
    from ingestion.sample.rasters import write_rasters

    times: dict[str, float] = {}
    t0 = time.perf_counter()
    w = build_world(world)
    panel = county_panel(w, seed)
    times["model"] = time.perf_counter() - t0
    steps = [
        ("boundaries", lambda: write_boundaries(w, out)),
        ("rasters", lambda: write_rasters(w, panel, out, seed=seed)),
        ("pm25_daily", lambda: write_daily_pm25(w, panel, out, seed=seed)),
    ]
    files: dict[str, int] = {}
    for name, step in tqdm(steps, desc=f"sample {world}", unit="source", disable=not progress):
        t = time.perf_counter()
        files[name] = len(step())
        times[name] = time.perf_counter() - t
    panel.to_csv(out / COUNTY_TRUTH_FILE, index=False, float_format="%.10g", lineterminator="\n")
    truth = {"world": world, "seed": seed, "units": "county", "counties": len(w.cities),
             "years": [min(w.years), max(w.years)], "daily_pm25_years": list(w.spec.daily_pm25_years),
             "panel": {"file": COUNTY_TRUTH_FILE, "key": ["adcode", "year"],
                       "description": "planted county-year values (ingestion/sample/county.py)"}}
    (out / TRUTH_FILE).write_text(json.dumps(truth, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
    return SampleSummary(world, seed, out, files, times)


def write_truth(sim: Simulation, out: Path) -> list[Path]:
    """``truth.json`` (world, seed, every planted parameter with its meaning, and the description of the
    effects panel) and ``truth_effects.csv`` (per city-year: the planted derivatives and policy contrasts of
    ``EFFECT_COLUMNS``, from which the replications derive the planted counterpart of each estimate)."""
    w = sim.world
    truth = {"world": w.spec.name, "seed": sim.truth.params["seed"]["value"], "cities": len(w.cities),
             "years": [min(w.years), max(w.years)], "parameters": sim.truth.params,
             "effects": {"file": EFFECTS_FILE, "key": ["adcode", "year"], "columns": EFFECT_COLUMNS}}
    paths = [out / TRUTH_FILE, out / EFFECTS_FILE]
    paths[0].write_text(json.dumps(truth, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
    sim.effects[["adcode", "year", *EFFECT_COLUMNS]].to_csv(paths[1], index=False, float_format="%.10g",
                                                           lineterminator="\n")
    return paths

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
from ingestion.sample.model import simulate


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
    truth = {"world": world, "seed": seed, "cities": len(w.cities), "years": [min(w.years), max(w.years)],
             "parameters": sim.truth.params}
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
    return SampleSummary(world, seed, out, files, times)

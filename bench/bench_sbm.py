"""Benchmark: SBM efficiency with undesirable outputs for 284 cities x 15 years (study 001's GTFEE).

Target (issue 8): SBM scores for 284 cities x 15 years in under 30 seconds. Baseline measured in the
same run: the straightforward implementation, one ``linprog`` call per DMU against the full
reference set of its year (no batching, no pruning of dominated DMUs). Prints wall times and ratios.

Data: the default sample world (inputs fixed-asset investment, employment, energy; good output GDP;
bad outputs SO2, NOx, CO2), years 2009-2023, the first 284 cities; ``--synthetic`` uses a random
Cobb-Douglas world instead (no geometry load).

    .venv/bin/python bench/bench_sbm.py [--synthetic] [--quick]

``--quick``: the synthetic panel cut to 60 units (smoke run; the 30 s budget ratio is skipped).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from _common import Bench

from analysis.measures import efficiency_scores
from analysis.measures.sbm import _sbm_blocks

INPUTS = ["fai_10k_yuan", "employed_10k", "energy_10k_tce"]
GOOD = ["gdp_10k_yuan"]
BAD = ["so2_t", "nox_t", "co2_t"]
COMMON = dict(unit="adcode", year="year", inputs=INPUTS, good_outputs=GOOD, bad_outputs=BAD, progress=False)


def load_panel(synthetic: bool) -> pd.DataFrame:
    if not synthetic:
        try:
            from ingestion.sample.geography import build_world
            from ingestion.sample.model import simulate

            city = simulate(build_world("default"), 20240601).city
            keep = sorted(city.adcode.unique())[:284]
            return city[city.adcode.isin(keep) & city.year.between(2009, 2023)][["adcode", "year", *INPUTS, *GOOD, *BAD]]
        except Exception as exc:  # pragma: no cover - fall back when the world cannot be built
            print(f"sample world unavailable ({exc}); using a synthetic panel")
    rng = np.random.default_rng(1)
    n = 284 * 15
    x = rng.lognormal(0, 0.5, (n, 3))
    y = x.prod(1) ** 0.3 * rng.lognormal(0, 0.3, n)
    df = pd.DataFrame(x, columns=INPUTS)
    df["gdp_10k_yuan"] = y
    for c in BAD:
        df[c] = y * rng.lognormal(0, 0.5, n)
    df.insert(0, "year", np.tile(np.arange(2009, 2024), 284))
    df.insert(0, "adcode", np.repeat(np.arange(284), 15))
    return df


def naive_scores(df: pd.DataFrame) -> np.ndarray:
    """Baseline: one HiGHS call per DMU, full reference set of its year."""
    out = np.empty(len(df))
    for t in sorted(df.year.unique()):
        rows = np.flatnonzero(df.year.to_numpy() == t)
        x, y, b = (df.iloc[rows][c].to_numpy(float) for c in (INPUTS, GOOD, BAD))
        for k, o in enumerate(rows):
            c, a, rhs = _sbm_blocks(x[k : k + 1], y[k : k + 1], b[k : k + 1], x, y, b, False)
            res = linprog(c[0], A_eq=a[0], b_eq=rhs[0], bounds=(0, None), method="highs")
            out[o] = res.fun
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", action="store_true", help="a random Cobb-Douglas panel instead of the world")
    ap.add_argument("--quick", action="store_true", help="synthetic panel, 60 units (smoke run)")
    args = ap.parse_args(argv)
    bench = Bench("sbm", args=args, baseline=(
        "one linprog (HiGHS) per DMU against its year's full reference set, no batching or pruning, same run; "
        "the 30 s budget"))
    df = load_panel(args.synthetic or args.quick)
    if args.quick:
        df = df[df.adcode.isin(sorted(df.adcode.unique())[:60])]
    df = df.sort_values(["year", "adcode"]).reset_index(drop=True)
    bench.note("panel", f"{df.adcode.nunique()} units x {df.year.nunique()} years = {len(df)} DMUs")

    t0 = time.perf_counter()
    base = naive_scores(df)
    t_base = time.perf_counter() - t0
    bench.value("naive_s", t_base, "s", baseline="one linprog per DMU, contemporaneous frontier")

    variants = {  # key -> (what, efficiency_scores arguments)
        "sbm": ("SBM contemporaneous (batched, pruned)", dict(super_efficiency=False, gml=False)),
        "super_sbm": ("super-efficiency SBM contemporaneous", dict(super_efficiency=True, gml=False)),
        "super_sbm_global": ("super-efficiency SBM, global frontier",
                             dict(frontier="global", super_efficiency=True, gml=False)),
        "super_sbm_gml": ("super-SBM + GML index (the mart_efficiency call)", {}),
    }
    for key, (what, kw) in variants.items():
        t0 = time.perf_counter()
        scores = efficiency_scores(df, **COMMON, **kw)
        dt = time.perf_counter() - t0
        bench.ratio(f"{key}.speedup_vs_naive", t_base / dt, baseline=f"naive SBM s / ours {what} s")
        bench.value(f"{key}.s", dt, "s")
        if key == "sbm":
            merged = df[["adcode", "year"]].assign(base=base).merge(scores, on=["adcode", "year"])
            bench.value("sbm.max_abs_diff_vs_naive", float(np.max(np.abs(merged.base - merged.sbm_score))), "")
            bench.over_budget("sbm.over_budget", dt, 30.0, target="284 cities x 15 years",
                              skip_reason="--quick: 60 units" if args.quick else None)
        if key == "super_sbm":
            bench.value("super_sbm.efficient", int(scores.efficient.sum()), "city-years")
        if key == "super_sbm_gml":
            bench.value("super_sbm_gml.mean_gml", float(scores.gml.mean()), "")
    bench.emit()

if __name__ == "__main__":
    main()

"""Benchmark: SBM efficiency with undesirable outputs for 284 cities x 15 years (seed 001's GTFEE).

Target (issue 8): SBM scores for 284 cities x 15 years in under 30 seconds. Baseline measured in the
same run: the straightforward implementation, one ``linprog`` call per DMU against the full
reference set of its year (no batching, no pruning of dominated DMUs). Prints wall times and ratios.

Data: the default sample world (inputs fixed-asset investment, employment, energy; good output GDP;
bad outputs SO2, NOx, CO2), years 2009-2023, the first 284 cities; ``--synthetic`` uses a random
Cobb-Douglas world instead (no geometry load).

    .venv/bin/python bench/bench_sbm.py [--synthetic]
"""
from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
from scipy.optimize import linprog

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


def main() -> None:
    df = load_panel("--synthetic" in sys.argv).sort_values(["year", "adcode"]).reset_index(drop=True)
    print(f"panel: {df.adcode.nunique()} units x {df.year.nunique()} years = {len(df)} DMUs")

    t0 = time.perf_counter()
    base = naive_scores(df)
    t_base = time.perf_counter() - t0
    print(f"baseline (one linprog per DMU, contemporaneous frontier): {t_base:6.1f} s")

    t0 = time.perf_counter()
    ours = efficiency_scores(df, **COMMON, super_efficiency=False, gml=False)
    t_ours = time.perf_counter() - t0
    merged = df[["adcode", "year"]].assign(base=base).merge(ours, on=["adcode", "year"])
    dev = np.max(np.abs(merged.base - merged.sbm_score))
    print(f"ours, SBM contemporaneous (batched, pruned):            {t_ours:6.1f} s  "
          f"ratio baseline/ours = {t_base / t_ours:4.1f}x  max |diff| = {dev:.1e}  target < 30 s: "
          f"{'PASS' if t_ours < 30 else 'FAIL'}")

    t0 = time.perf_counter()
    sup = efficiency_scores(df, **COMMON, super_efficiency=True, gml=False)
    t_sup = time.perf_counter() - t0
    print(f"ours, super-efficiency SBM contemporaneous:              {t_sup:6.1f} s  "
          f"ratio baseline/ours = {t_base / t_sup:4.1f}x  (score max {sup.score.max():.3f}, "
          f"{int(sup.efficient.sum())} efficient city-years)")

    t0 = time.perf_counter()
    glob = efficiency_scores(df, **COMMON, frontier="global", super_efficiency=True, gml=False)
    t_glob = time.perf_counter() - t0
    print(f"ours, super-efficiency SBM global frontier:              {t_glob:6.1f} s  "
          f"ratio baseline/ours = {t_base / t_glob:4.1f}x  ({int(glob.efficient.sum())} efficient)")

    t0 = time.perf_counter()
    full = efficiency_scores(df, **COMMON)
    t_full = time.perf_counter() - t0
    print(f"ours, super-SBM + GML index (mart_efficiency call):      {t_full:6.1f} s  "
          f"ratio baseline/ours = {t_base / t_full:4.1f}x  (mean GML {full.gml.mean():.3f})")


if __name__ == "__main__":
    main()

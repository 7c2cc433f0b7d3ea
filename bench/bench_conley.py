"""Conley spatial-HAC standard errors on the default city panel (296 cities x 21 years): budget 2 s.

    .venv/bin/python bench/bench_conley.py [--warehouse FILE] [--cutoff 500] [--lags 2] [--repeat 3] [--quick]

Data: ``fct_city_year`` of a built default world (``--warehouse``, else ``$BENCH_WAREHOUSE``, else
``warehouse/dualcarbon.duckdb``): ln CEADs CO2 on ln AI firms and ln GDP per capita, city and year effects,
complete cases; distances from ``mart_spatial_weights`` (``load_distances_km``, timed apart).

Ours: ``fit_fe(..., vcov=Conley(cutoff_km, distances, "adcode", "year", "bartlett", lags))``: the fit with
Conley's spatial (same year, Bartlett in distance) plus serial (same city, Bartlett over lags) meat.
Baselines in the same run: the same fit with HC1 (what the Conley part adds), and the dense pairwise
construction of the same meat (``S' K S`` with K the n x n kernel of every pair of observations, the
textbook formula vectorised; the SEs are compared). Ratios: seconds / 2 s budget; dense s / ours s.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from _common import Bench, default_warehouse, timed

FORMULA = "ln_co2_ceads_10k_t ~ ln_ai_firms + ln_gdp_per_capita | adcode + year"


def dense_conley_cov(res, design, D, unit, year, cutoff, lags):
    """The textbook construction: the kernel of every pair of observations as one n x n matrix."""
    S = design.X * res.info["resid"][:, None]
    same_t = year[:, None] == year[None, :]
    d = D[unit[:, None], unit[None, :]]
    K = np.where(same_t & (d < cutoff), 1 - d / cutoff, 0.0)
    gap = np.abs(year[:, None] - year[None, :])
    K += np.where((unit[:, None] == unit[None, :]) & (gap > 0) & (gap <= lags), 1 - gap / (lags + 1), 0.0)
    n, k_dof = len(S), res.info["df_k"]
    bread = np.linalg.inv(design.X.T @ design.X)
    return n / (n - k_dof) * bread @ (S.T @ K @ S) @ bread


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", default=default_warehouse() or os.environ.get("DUALCARBON_WAREHOUSE",
                                                                                   "warehouse/dualcarbon.duckdb"))
    ap.add_argument("--cutoff", type=float, default=500.0, help="km")
    ap.add_argument("--lags", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one repeat")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeat = 1
    bench = Bench("conley", args=args, baseline="HC1 fit and the dense pairwise Conley construction, same run")
    if not Path(args.warehouse).exists():
        bench.skip("conley.over_budget", f"no warehouse at {args.warehouse}: build the default world (make run)")
        bench.emit()
        return
    from analysis.estimators import fit_fe
    from analysis.estimators.covariance import Conley
    from analysis.estimators.panel import within_design
    from analysis.marts import load_city_panel, load_distances_km

    panel = load_city_panel(args.warehouse).dropna(subset=["ln_co2_ceads_10k_t", "ln_ai_firms", "ln_gdp_per_capita"])
    t0 = time.perf_counter()
    D = load_distances_km(sorted(panel["adcode"].unique()), args.warehouse)
    t_dist = time.perf_counter() - t0
    con = Conley(args.cutoff, D, entity="adcode", time="year", kernel="bartlett", lags=args.lags)
    fit_fe(panel, FORMULA, vcov=con)
    t_ours, res = timed(lambda: fit_fe(panel, FORMULA, vcov=con), args.repeat)
    t_hc1, hc1 = timed(lambda: fit_fe(panel, FORMULA, vcov="HC1"), args.repeat)
    design, _ = within_design(panel, FORMULA, vcov=con)
    unit = D.index.get_indexer(panel["adcode"].to_numpy())
    year = panel["year"].to_numpy(dtype=float)
    t_dense, cov = timed(lambda: dense_conley_cov(res, design, D.to_numpy(), unit, year, args.cutoff, args.lags), 1)
    gap = float(np.max(np.abs(np.sqrt(np.diag(cov)) / res.bse.to_numpy() - 1)))

    bench.over_budget("conley.over_budget", t_ours, 2.0, target="Conley SEs on the default city panel under 2 s")
    bench.ratio("conley.speedup_vs_dense_pairwise", t_dense / t_ours, baseline="dense n x n kernel s / ours s")
    bench.ratio("conley.cost_over_hc1", t_ours / t_hc1, baseline="Conley fit s / HC1 fit s")
    bench.value("conley.ours_s", t_ours, "s", baseline=f"cutoff {args.cutoff:g} km, Bartlett, {args.lags} lags")
    bench.value("conley.hc1_s", t_hc1, "s")
    bench.value("conley.dense_s", t_dense, "s")
    bench.value("conley.load_distances_s", t_dist, "s", baseline="load_distances_km from mart_spatial_weights")
    bench.value("conley.max_rel_se_gap_vs_dense", gap, "")
    for term in res.params.index:
        bench.value(f"se.{term}.conley_over_hc1", float(res.bse[term] / hc1.bse[term]), "")
    bench.note("data", f"{len(panel):,} rows, {panel['adcode'].nunique()} cities x {panel['year'].nunique()} years")
    bench.emit()


if __name__ == "__main__":
    main()

"""Bootstrap loops against refitting per draw: the mediation cluster bootstrap (1,000 draws).

    .venv/bin/python bench/bench_bootstrap.py [--draws 1000] [--refit-draws 30] [--quick]

Data: a simulated 284-city x 13-year panel (3,692 rows) with a planted mediation x -> m -> y
(a = 0.5, b = 0.4, direct 0.2), six controls, city and year fixed effects, clusters = cities.

Ours: ``fit_mediation(..., n_boot=1000, cluster="city")``, whose cluster bootstrap demeans once and
turns every draw into a weighted sum of per-cluster cross-product matrices (vectorised over draws);
its bootstrap time is the fit with 1,000 draws minus the fit without draws, in the same run.
Baseline: the textbook loop, per draw: resample whole cities with replacement (duplicated cities get
new ids), refit paths a and b with ``panel.fit_fe`` (re-demeaning the resampled panel; iid SEs, the
cheapest setting, so the baseline is favoured). Timed on ``--refit-draws`` draws and extrapolated
per draw. Ratio: refit loop s / vectorised bootstrap s for the same number of draws.

The other resampling loops have their own scripts: the threshold bootstrap (bench_threshold), the
DID placebo (bench_placebo), the Fisher permutation test (bench_permutation). The DID multiplier
bootstrap (``did_cs.multiplier_bootstrap``) is one matrix product with no refit per draw, so it has
no refitting loop to compare against and is not benched.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from _common import Bench

from analysis.estimators.mediation import fit_mediation
from analysis.estimators.panel import fit_fe

CONTROLS = [f"c{j}" for j in range(6)]


def simulate(n: int = 284, t: int = 13, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"city": np.repeat(np.arange(n), t), "year": np.tile(np.arange(2011, 2011 + t), n)})
    mu = rng.normal(size=n)[df["city"]]
    tau = rng.normal(size=t)[df["year"] - 2011]
    df["x"] = rng.normal(size=len(df)) + 0.5 * mu
    for c in CONTROLS:
        df[c] = rng.normal(size=len(df))
    noise = df[CONTROLS].sum(axis=1) * 0.05
    df["m"] = 0.5 * df["x"] + mu + tau + noise + rng.normal(size=len(df))
    df["y"] = 0.2 * df["x"] + 0.4 * df["m"] + mu - tau + noise + rng.normal(size=len(df))
    return df


def refit_draws(df: pd.DataFrame, n_draws: int, seed: int = 1) -> np.ndarray:
    """a*b per cluster-bootstrap draw, refitting both paths on the resampled panel."""
    rng = np.random.default_rng(seed)
    rhs = " + ".join(CONTROLS)
    f_a, f_b = f"m ~ x + {rhs} | city + year", f"y ~ x + m + {rhs} | city + year"
    rows_of = df.groupby("city").indices
    cities = np.array(list(rows_of))
    out = np.empty(n_draws)
    for r in range(n_draws):
        drawn = rng.choice(cities, size=len(cities), replace=True)
        idx = np.concatenate([rows_of[c] for c in drawn])
        sample = df.iloc[idx].assign(city=np.repeat(np.arange(len(drawn)), [len(rows_of[c]) for c in drawn]))
        a = fit_fe(sample, f_a, vcov="iid").params["x"]
        b = fit_fe(sample, f_b, vcov="iid").params["m"]
        out[r] = a * b
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--refit-draws", type=int, default=30)
    ap.add_argument("--quick", action="store_true", help="200 draws, 5 refits (smoke run)")
    args = ap.parse_args(argv)
    if args.quick:
        args.draws, args.refit_draws = 200, 5
    bench = Bench("bootstrap", args=args, baseline=(
        "a loop refitting both mediation paths per cluster-bootstrap draw on the resampled panel "
        "(extrapolated from a few draws), same run"))
    df = simulate()
    kw = dict(x="x", mediator="m", y="y", controls=CONTROLS, fe=["city", "year"], cluster="city", progress=False)
    fit_mediation(df, n_boot=10, seed=0, **kw)  # warm-up (imports, first allocations) outside the timings
    t0 = time.perf_counter()
    fit_mediation(df, n_boot=0, **kw)
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = fit_mediation(df, n_boot=args.draws, seed=1, **kw)
    t_all = time.perf_counter() - t0
    t_boot = max(t_all - t_fit, 1e-9)
    t0 = time.perf_counter()
    naive = refit_draws(df, args.refit_draws)
    per_draw = (time.perf_counter() - t0) / args.refit_draws

    bench.ratio("mediation.speedup_vs_refit_loop", per_draw * args.draws / t_boot,
                baseline=f"refit loop s per draw x {args.draws} / vectorised bootstrap s (fit excluded)")
    bench.ratio("mediation.speedup_vs_refit_loop_incl_fit", (per_draw * args.draws + t_fit) / t_all,
                baseline="(refit loop + the three path fits) s / fit_mediation with the bootstrap s")
    bench.value("mediation.bootstrap_s", t_boot, "s", baseline=f"{args.draws} draws")
    bench.value("mediation.fit_s", t_fit, "s", baseline="three path fits, no draws")
    bench.value("mediation.refit_ms_per_draw", 1e3 * per_draw, "ms", baseline=f"mean of {args.refit_draws} draws")
    bench.value("mediation.vectorised_ms_per_draw", 1e3 * t_boot / args.draws, "ms")
    bench.value("mediation.indirect", float(res.params["indirect"]), "", baseline="planted 0.2")
    bench.value("mediation.boot_se", float(res.stats["boot_se"]), "")
    bench.value("mediation.refit_draws_sd", float(np.std(naive, ddof=1)), "",
                baseline=f"SD of a*b over the {args.refit_draws} refit draws (re-demeaned each draw)")
    bench.emit()


if __name__ == "__main__":
    main()

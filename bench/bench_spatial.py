"""Benchmarks of the spatial panel ML (not part of the test run).

    .venv/bin/python bench/bench_spatial.py            # all three parts
    .venv/bin/python bench/bench_spatial.py --quick    # skips the N = 50,000 run

1. Against spreg 1.9 on the models both fit (individual FE, direct approach): ML_LagFE (SAR),
   ML_LagFE(slx_lags=1) (SDM) and ML_ErrorFE (SEM), on Produc (N = 48, T = 17) and on a 30 x 30
   lattice (N = 900, T = 10). Prints seconds and the ratio spreg / ours (> 1: we are faster),
   after checking that the estimates agree.
2. Two-way Lee-Yu SDM with LeSage-Pace effects (1,000 draws) at N = 2,900, T = 13 (k-nearest-
   neighbour W): budget 30 s.
3. The same at N = 50,000, T = 10 with a sparse log-determinant (sparse LU and Monte Carlo) and
   the trace-based effects: budget 180 s; the peak resident memory is printed (a dense
   N x N float matrix would need 20 GB).

Ratios are against baselines measured in the same run (spreg; the budget; a non-spatial two-way
within regression on the same data).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.spatial import cKDTree

from analysis.estimators.spatial import fit_spatial_panel, row_standardise

REF = Path(__file__).resolve().parents[1].parent / "shared" / "reference-data" / "spatial"


def knn_weights(n: int, k: int = 6, seed: int = 1) -> sp.csr_matrix:
    """Symmetrised k-nearest-neighbour contiguity of random points, row-standardised."""
    pts = np.random.default_rng(seed).uniform(size=(n, 2))
    _, idx = cKDTree(pts).query(pts, k + 1)
    r, c = np.repeat(np.arange(n), k), idx[:, 1:].ravel()
    C = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(n, n))
    return row_standardise(((C + C.T) > 0).astype(float))


def lattice_weights(side: int) -> sp.csr_matrix:
    idx = np.arange(side * side).reshape(side, side)
    pairs = [(idx[:, :-1], idx[:, 1:]), (idx[:-1, :], idx[1:, :])]
    r = np.concatenate([np.r_[a.ravel(), b.ravel()] for a, b in pairs])
    c = np.concatenate([np.r_[b.ravel(), a.ravel()] for a, b in pairs])
    return row_standardise(sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(side * side,) * 2))


def simulate_sdm(W: sp.csr_matrix, T: int, seed: int = 2, rho: float = 0.5) -> pd.DataFrame:
    """Two-way SDM panel: y_t = (I - rho W)^-1 (X_t b + W X_t t + mu + alpha_t + e_t)."""
    n = W.shape[0]
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(T, n, 2))
    WX = np.stack([W @ X[t] for t in range(T)])
    rhs = X @ np.array([1.0, -0.5]) + WX @ np.array([0.3, 0.2]) + rng.normal(size=(T, n))
    rhs += rng.normal(size=n)[None, :] + rng.normal(size=T)[:, None]
    lu = spla.splu((sp.identity(n) - rho * W).tocsc())
    y = lu.solve(np.ascontiguousarray(rhs.T)).T
    grid = pd.MultiIndex.from_product([range(T), range(n)], names=["t", "i"]).to_frame(index=False)
    return grid.assign(x1=X[:, :, 0].ravel(), x2=X[:, :, 1].ravel(), y=y.ravel())


def timed(fn, repeat: int = 1):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def within_ols_seconds(d: pd.DataFrame) -> float:
    """Baseline: two-way within OLS of y on x1, x2 with numpy on the same panel."""
    def run():
        f = d.pivot(index="t", columns="i")
        arrs = [f[v].to_numpy() for v in ("y", "x1", "x2")]
        dm = [a - a.mean(0) - a.mean(1, keepdims=True) + a.mean() for a in arrs]
        X = np.column_stack([dm[1].ravel(), dm[2].ravel()])
        return np.linalg.lstsq(X, dm[0].ravel(), rcond=None)[0]
    return timed(run)[0]


# ---------------------------------------------------------------- 1. spreg
def bench_spreg() -> None:
    import libpysal
    import spreg

    print("1. against spreg 1.9 (individual FE, direct approach; ratio = spreg / ours)")
    d = pd.read_csv(REF / "munnell_produc.csv")
    Wp = pd.read_csv(REF / "usaww.csv", index_col=0)
    states = list(pd.unique(d["STATE"]))
    d = d.assign(y=np.log(d.GSP), x1=np.log(d.P_CAP), x2=np.log(d.PC), x3=np.log(d.EMP), x4=d.UNEMP)
    d = d.rename(columns={"STATE": "i", "YR": "t"})
    cases = [("Produc N=48 T=17", d, ["x1", "x2", "x3", "x4"], sp.csr_matrix(Wp.to_numpy()), states)]
    W900 = lattice_weights(30)
    cases.append(("lattice N=900 T=10", simulate_sdm(W900, 10, seed=5), ["x1", "x2"], W900, list(range(900))))
    for label, data, xs, W, ids in cases:
        data = data.sort_values(["t", "i"])
        y = data["y"].to_numpy()[:, None]
        X = data[xs].to_numpy()
        wobj = libpysal.weights.WSP(W, id_order=ids).to_W(silence_warnings=True)
        for model, ref_fn in (("sar", lambda: spreg.ML_LagFE(y, X, wobj)),
                              ("sdm", lambda: spreg.ML_LagFE(y, X, wobj, slx_lags=1)),
                              ("sem", lambda: spreg.ML_ErrorFE(y, X, wobj))):
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):  # spreg prints
                warnings.simplefilter("ignore")
                t_ref, ref = timed(ref_fn, repeat=5)
            t_ours, ours = timed(lambda: fit_spatial_panel(data, y="y", x=xs, w=W, w_ids=ids, entity="i", time="t",
                                                           model=model, effects="individual", lee_yu=False), repeat=5)
            gap = float(np.max(np.abs(ours.params.to_numpy() - ref.betas.ravel())))
            print(f"   {label:<20} {model.upper():<4} spreg {t_ref:7.3f}s  ours {t_ours:7.3f}s  "
                  f"ratio {t_ref / t_ours:6.1f}x   max |diff| {gap:.1e}")


# ---------------------------------------------------------------- 2 and 3. scale
def bench_scale(n: int, T: int, budget: float, logdets: tuple[str, ...]) -> None:
    W = knn_weights(n)
    d = simulate_sdm(W, T)
    base = within_ols_seconds(d)
    for logdet in logdets:
        t0 = time.perf_counter()
        res = fit_spatial_panel(d, y="y", x=["x1", "x2"], w=W, w_ids=list(range(n)), entity="i", time="t",
                                model="sdm", effects="twoways", lee_yu=True, logdet=logdet)
        t1 = time.perf_counter()
        imp = res.impacts(n_draws=1000, seed=1)
        t2 = time.perf_counter()
        total = t2 - t0
        peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        print(f"   N={n:,} T={T} logdet={res.info['logdet']:<9} fit {t1 - t0:6.1f}s + effects {t2 - t1:5.1f}s "
              f"= {total:6.1f}s; budget {budget:.0f}s -> {total / budget:4.2f} of budget "
              f"({'OK' if total < budget else 'OVER'}); {total / base:,.0f}x the within-OLS baseline "
              f"({base:.2f}s); peak RSS {peak_gb:.1f} GB")
        print(f"      rho {res.params['rho']:.4f} (true 0.5), direct x1 {imp.params['direct:x1']:.4f} "
              f"({imp.bse['direct:x1']:.4f}), indirect x1 {imp.params['indirect:x1']:.4f} "
              f"({imp.bse['indirect:x1']:.4f}) [{imp.info['method']}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the N = 50,000 run")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (timings are wall-clock)")
    bench_spreg()
    print("2. two-way Lee-Yu SDM + effects at county scale")
    bench_scale(2900, 13, 30.0, ("auto",))
    if not args.quick:
        print("3. two-way Lee-Yu SDM + effects at N = 50,000 with sparse log-determinants")
        bench_scale(50_000, 10, 180.0, ("sparse_lu", "mc"))


if __name__ == "__main__":
    main()

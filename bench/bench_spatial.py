"""Spatial panel ML against spreg on the same models and data, and its scaling in N (not a test).

    .venv/bin/python bench/bench_spatial.py            # every part
    .venv/bin/python bench/bench_spatial.py --quick    # skips the N = 50,000 runs

1. Against spreg 1.9 on the models both fit (individual FE, direct approach): ML_LagFE (SAR),
   ML_LagFE(slx_lags=1) (SDM) and ML_ErrorFE (SEM), on Produc (N = 48, T = 17) and on a 30 x 30
   lattice (N = 900, T = 10); the estimates must agree (max |diff| printed).
2. Scaling in N: SAR and SDM (individual FE, direct approach) on k-nearest-neighbour W at N = 284
   and 2,900 (T = 13) and 50,000 (T = 10), ours against spreg on the same data. spreg is not run at
   N = 50,000: ML_LagFE builds the dense N x N W (``w.full()``) and inverts I - rho W densely for
   its information matrix, 20 GB per dense matrix; it is recorded as skipped with that reason.
3. Two-way Lee-Yu SDM with LeSage-Pace effects (1,000 draws) at N = 2,900, T = 13: budget 30 s.
4. The same at N = 50,000, T = 10 with a sparse log-determinant (sparse LU and Monte Carlo) and
   the trace-based effects: budget 180 s; the peak resident memory is recorded.

Baselines, all measured in the same run: spreg (ratio spreg s / ours s, > 1: we are faster); the
budget (s / budget); a non-spatial two-way within regression of y on x with numpy on the same
panel (ratio ours / within OLS: the price of the spatial model over plain FE).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.spatial import cKDTree

from _common import Bench, peak_rss_mb, timed

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


def within_ols_seconds(d: pd.DataFrame) -> float:
    """Baseline: two-way within OLS of y on x1, x2 with numpy on the same panel."""
    def run():
        f = d.pivot(index="t", columns="i")
        arrs = [f[v].to_numpy() for v in ("y", "x1", "x2")]
        dm = [a - a.mean(0) - a.mean(1, keepdims=True) + a.mean() for a in arrs]
        X = np.column_stack([dm[1].ravel(), dm[2].ravel()])
        return np.linalg.lstsq(X, dm[0].ravel(), rcond=None)[0]
    return timed(run)[0]


# ---------------------------------------------------------------- 1 and 2. spreg
SPREG_MODELS = {
    "sar": lambda spreg, y, X, w: spreg.ML_LagFE(y, X, w),
    "sdm": lambda spreg, y, X, w: spreg.ML_LagFE(y, X, w, slx_lags=1),
    "sem": lambda spreg, y, X, w: spreg.ML_ErrorFE(y, X, w),
}
SPREG_MAX_N = 10_000  # ML_LagFE's dense N x N W and inverse: 0.8 GB each at 10,000, 20 GB at 50,000


def against_spreg(bench: Bench, label: str, data: pd.DataFrame, xs: list[str], W: sp.csr_matrix, ids: list,
                  models: tuple[str, ...], repeat: int) -> None:
    """Time ours and spreg on the same individual-FE direct-approach model; record ratio and agreement."""
    data = data.sort_values(["t", "i"])
    if W.shape[0] > SPREG_MAX_N:
        for model in models:
            bench.skip(f"{label}.{model}.speedup_vs_spreg",
                       f"spreg ML_LagFE densifies W (w.full()) and inverts I - rho W densely: "
                       f"{8 * W.shape[0] ** 2 / 1e9:.0f} GB per N x N matrix")
        for model in models:
            t_ours, _ = timed(lambda: fit(data, xs, W, ids, model), repeat=repeat)
            bench.value(f"{label}.{model}.ours_s", t_ours, "s")
        return

    import libpysal
    import spreg

    y = data["y"].to_numpy()[:, None]
    X = data[xs].to_numpy()
    wobj = libpysal.weights.WSP(W, id_order=ids).to_W(silence_warnings=True)
    for model in models:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):  # spreg prints
            warnings.simplefilter("ignore")
            t_ref, ref = timed(lambda: SPREG_MODELS[model](spreg, y, X, wobj), repeat=repeat)
        t_ours, ours = timed(lambda: fit(data, xs, W, ids, model), repeat=repeat)
        gap = float(np.max(np.abs(ours.params.to_numpy() - ref.betas.ravel())))
        bench.ratio(f"{label}.{model}.speedup_vs_spreg", t_ref / t_ours, baseline="spreg s / ours s, same model and data")
        bench.value(f"{label}.{model}.ours_s", t_ours, "s")
        bench.value(f"{label}.{model}.spreg_s", t_ref, "s")
        bench.value(f"{label}.{model}.max_abs_diff_vs_spreg", gap, "", baseline="max |ours - spreg| over the estimates")


def fit(data: pd.DataFrame, xs: list[str], W: sp.csr_matrix, ids: list, model: str):
    return fit_spatial_panel(data, y="y", x=xs, w=W, w_ids=ids, entity="i", time="t", model=model,
                             effects="individual", lee_yu=False)


def bench_reference(bench: Bench) -> None:
    d = pd.read_csv(REF / "munnell_produc.csv")
    Wp = pd.read_csv(REF / "usaww.csv", index_col=0)
    d = d.assign(y=np.log(d.GSP), x1=np.log(d.P_CAP), x2=np.log(d.PC), x3=np.log(d.EMP), x4=d.UNEMP)
    d = d.rename(columns={"STATE": "i", "YR": "t"})
    states = list(pd.unique(d["i"]))
    against_spreg(bench, "produc_n48", d, ["x1", "x2", "x3", "x4"], sp.csr_matrix(Wp.to_numpy()), states,
                  ("sar", "sdm", "sem"), repeat=5)
    W900 = lattice_weights(30)
    against_spreg(bench, "lattice_n900", simulate_sdm(W900, 10, seed=5), ["x1", "x2"], W900, list(range(900)),
                  ("sar", "sdm", "sem"), repeat=5)


def bench_scaling(bench: Bench, sizes: tuple[tuple[int, int], ...]) -> None:
    for n, T in sizes:
        W = knn_weights(n)
        against_spreg(bench, f"knn_n{n}", simulate_sdm(W, T), ["x1", "x2"], W, list(range(n)), ("sar", "sdm"),
                      repeat=5 if n < 1000 else 1)


# ---------------------------------------------------------------- 3 and 4. two-way Lee-Yu SDM with effects
def bench_effects(bench: Bench, n: int, T: int, budget: float, logdets: tuple[str, ...]) -> None:
    W = knn_weights(n)
    d = simulate_sdm(W, T)
    base = within_ols_seconds(d)
    bench.value(f"twoway_n{n}.within_ols_s", base, "s")
    for logdet in logdets:
        t0 = time.perf_counter()
        res = fit_spatial_panel(d, y="y", x=["x1", "x2"], w=W, w_ids=list(range(n)), entity="i", time="t",
                                model="sdm", effects="twoways", lee_yu=True, logdet=logdet)
        t1 = time.perf_counter()
        imp = res.impacts(n_draws=1000, seed=1)
        t2 = time.perf_counter()
        key = f"twoway_n{n}.{logdet}"
        bench.over_budget(f"{key}.over_budget", t2 - t0, budget, target="fit + effects")
        bench.ratio(f"{key}.over_within_ols", (t2 - t0) / base,
                    baseline="fit + effects s / two-way within OLS s on the same panel")
        bench.value(f"{key}.fit_s", t1 - t0, "s")
        bench.value(f"{key}.effects_s", t2 - t1, "s")
        bench.value(f"{key}.peak_rss_mb", peak_rss_mb(), "MB", baseline="this process so far (before any spreg run)")
        bench.value(f"{key}.rho", float(res.params["rho"]), "", baseline="true 0.5")
        bench.value(f"{key}.direct_x1", float(imp.params["direct:x1"]), "", baseline="true about 1.0")
        bench.note(f"{key}.method", f"logdet {res.info['logdet']}, effects {imp.info['method']}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the N = 50,000 runs")
    args = parser.parse_args(argv)
    bench = Bench("spatial", args=args, baseline=(
        "spreg 1.9 (ML_LagFE, ML_ErrorFE) on the same model and data; the budget; a two-way within OLS "
        "on the same panel; all in the same run"))
    # ours alone first, so that the peak memory recorded is ours and not spreg's dense matrices
    bench_effects(bench, 2900, 13, 30.0, ("auto",))
    if not args.quick:
        bench_effects(bench, 50_000, 10, 180.0, ("sparse_lu", "mc"))
    bench_reference(bench)
    bench_scaling(bench, ((284, 13), (2900, 13)) + (() if args.quick else ((50_000, 10),)))
    bench.emit()


if __name__ == "__main__":
    main()

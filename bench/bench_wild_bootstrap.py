"""Wild cluster bootstrap, 9,999 draws, on study 003's panel (30 provinces x 10 years): ours against
wildboottest in the same run.

    .venv/bin/python bench/bench_wild_bootstrap.py [--warehouse FILE] [--draws 9999] [--repeat 3] [--quick]

Data: study 003's Table 2 column (2) sample (ln CO2 on robot exposure and six controls, province and year
effects, clusters = provinces) from a built warehouse (``--warehouse``, else ``$BENCH_WAREHOUSE``, else
``warehouse/dualcarbon.duckdb``); without one, a simulated panel of the same shape (30 x 10, seven
regressors), said in a note.

Ours: ``wild_cluster_bootstrap(..., n_boot=9999)``, WCR, Rademacher, the p-value (``ci=False``: the work
wildboottest does) and, separately, with the test-inversion interval; the WRE of the Table 4 2SLS column.
Peer: wildboottest 0.3.2's ``WildboottestCL`` (type "11", the same test) on the dummy-variable form of the
regression (it does not absorb fixed effects), every step its ``wildboottest()`` runs, numba-parallel off
(2 cores shared); each call compiles its numba kernel again, which is what a call costs there.
Best of ``--repeat`` after one untimed call of each. The two p-values are recorded (same seed, same draws).
Ratio: wildboottest s / ours s (target: at least 5).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from _common import ROOT, Bench, default_warehouse, timed

sys.path.insert(0, str(ROOT))
from tests.estimators.peers import dummy_design, wildboottest_cl  # noqa: E402  (the parity tests' own call)


def study_003_sample(warehouse: Path) -> tuple[pd.DataFrame, str, str, bool]:
    """(sample, FE formula, 2SLS formula, real?) of study 003's Table 2 (2) / Table 4 column."""
    if warehouse.exists():
        from analysis.marts import load_province_panel
        from analysis.replications.s003 import STUDY, prepare
        from analysis.replications.sample import sample

        panel = prepare(load_province_panel(warehouse).copy(), warehouse)
        col = STUDY.tables[0].columns[1]
        data = sample(panel, col, STUDY)
        rhs = " + ".join([*col.regressors, *col.controls])
        iv = f"{col.dependent} ~ {' + '.join(col.controls)} | province_adcode + year | robot_exposure ~ robot_exposure_us"
        data = data.dropna(subset=["robot_exposure_us"])
        return data, f"{col.dependent} ~ {rhs} | province_adcode + year", iv, True
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"province_adcode": np.repeat(np.arange(30), 10), "year": np.tile(np.arange(2013, 2023), 30)})
    a = rng.normal(size=30)[df.province_adcode]
    for c in ("x", "z", *[f"c{j}" for j in range(6)]):
        df[c] = rng.normal(size=len(df)) + 0.3 * a
    df["x"] += 0.8 * df["z"]
    df["y"] = 0.1 * df["x"] + a + rng.normal(size=len(df))
    ctl = " + ".join(f"c{j}" for j in range(6))
    return (df, f"y ~ x + {ctl} | province_adcode + year", f"y ~ {ctl} | province_adcode + year | x ~ z", False)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", default=default_warehouse() or os.environ.get("DUALCARBON_WAREHOUSE",
                                                                                   "warehouse/dualcarbon.duckdb"))
    ap.add_argument("--draws", type=int, default=9999)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="999 draws, one repeat")
    args = ap.parse_args(argv)
    if args.quick:
        args.draws, args.repeat = 999, 1
    bench = Bench("wild_bootstrap", args=args, baseline="wildboottest 0.3.2 on the dummy-variable regression, same run")
    from analysis.estimators import wild_cluster_bootstrap

    data, f_fe, f_iv, real = study_003_sample(Path(args.warehouse))
    rhs = f_fe.split("~")[1].split("|")[0].split("+")
    regressors = [t.strip() for t in rhs]
    X = dummy_design(data, regressors, ["province_adcode", "year"])
    y = data[f_fe.split("~")[0].strip()].to_numpy(float)
    cl = data["province_adcode"].to_numpy()
    kw = dict(cluster="province_adcode", n_boot=args.draws, seed=1)

    def ours():
        return wild_cluster_bootstrap(data, f_fe, ci=False, **kw)

    def peer():
        return wildboottest_cl(X, y, cl, 0, n_boot=args.draws, seed=1)

    ours(), peer()
    t_ours, r_ours = timed(ours, args.repeat)
    t_peer, r_peer = timed(peer, args.repeat)
    t_ci, r_ci = timed(lambda: wild_cluster_bootstrap(data, f_fe, **kw), args.repeat)
    t_wre, r_wre = timed(lambda: wild_cluster_bootstrap(data, f_iv, **kw), args.repeat)

    bench.ratio("wcr.speedup_vs_wildboottest", t_peer / t_ours,
                baseline=f"wildboottest s / ours s, p-value of one coefficient, {args.draws} draws (target >= 5)")
    bench.value("wcr.ours_s", t_ours, "s")
    bench.value("wcr.wildboottest_s", t_peer, "s")
    bench.value("wcr.ours_with_interval_s", t_ci, "s", baseline="p-value and the test-inversion 95% interval")
    bench.value("wre.ours_with_interval_s", t_wre, "s", baseline="2SLS column: WRE p-value and interval")
    bench.value("wcr.p_ours", r_ours.p_value, "")
    bench.value("wcr.p_wildboottest", float(r_peer.pvalue), "", baseline="same seed and draws: equal to ours")
    bench.value("wcr.p_cr1", r_ours.p_value_cr1, "")
    bench.value("wre.p", r_wre.p_value, "")
    bench.note("data", f"{'study 003 Table 2 (2), ' + args.warehouse if real else 'simulated 30 x 10 panel'}: "
                       f"{len(data)} rows, {data['province_adcode'].nunique()} clusters; interval "
                       f"[{r_ci.conf_int[0]:.4f}, {r_ci.conf_int[1]:.4f}]")
    bench.emit()


if __name__ == "__main__":
    main()

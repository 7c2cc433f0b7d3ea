"""HonestDiD for one event study: budget 5 s; the Python port ``honestdid`` measured on the same input.

    .venv/bin/python bench/bench_honest_did.py [--peer-mbar 1] [--quick]

Data: the TWFE event study (t-4..t+3, base t-1, clustered by unit) of a simulated staggered panel
(``simulate_staggered_panel(seed=1)``, 220 units x 19 years): 3 pre-period and 4 post-period coefficients.
Ours: ``honest_did(es, restriction="rm", M=0, 0.5, ..., 2)`` (C-LF, 1,000-point grid, the R defaults) and
``restriction="sd"`` (FLCI) over five M, including the import of cvxpy the FLCI needs. Peer: honestdid
0.1.1's ``createSensitivityResults_relativeMagnitudes`` on the same beta and Sigma for ``--peer-mbar``
values (it takes minutes per value: its LPs are solved one by one with scipy, 1,000 least-favourable draws
and 1,000 grid points per (s, sign)), and ``createSensitivityResults`` (FLCI) for the five M. Ratios: seconds /
5 s budget; peer s / ours s per value of M.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from _common import ROOT, Bench, timed

import sys

sys.path.insert(0, str(ROOT))
from tests.estimators.peers import honestdid_numpy2  # noqa: E402  (the parity tests' own loader)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peer-mbar", type=int, default=1, help="values of Mbar the peer is timed on")
    ap.add_argument("--quick", action="store_true", help="no peer run")
    args = ap.parse_args(argv)
    bench = Bench("honest_did", args=args, baseline="honestdid 0.1.1 (Python port of the R package), same input")
    from analysis.estimators import event_study, honest_did
    from analysis.estimators.did.simulate import simulate_staggered_panel
    from analysis.estimators.inference.rambachan_roth import event_study_input

    df = simulate_staggered_panel(seed=1)
    es = event_study(df, y="y", entity="city", time="year", cohort="cohort", window=(-4, 3), cluster="city")
    beta, sigma, pre, post = event_study_input(es)
    mbar = [0.0, 0.5, 1.0, 1.5, 2.0]
    t0 = time.perf_counter()
    rm = honest_did(es, restriction="rm", M=mbar)
    t_rm = time.perf_counter() - t0
    m_sd = list(np.linspace(0, 0.04, 5))
    t0 = time.perf_counter()
    sd = honest_did(es, restriction="sd", M=m_sd)
    t_sd = time.perf_counter() - t0
    bench.over_budget("rm.over_budget", t_rm, 5.0, target="HonestDiD for one event study under 5 s (RM, 5 values)")
    bench.over_budget("sd.over_budget", t_sd, 5.0, target="HonestDiD for one event study under 5 s (SD, 5 values)")
    bench.value("rm.ours_s", t_rm, "s", baseline="C-LF, 5 values of Mbar, 1,000-point grid")
    bench.value("sd.ours_s", t_sd, "s", baseline="FLCI, 5 values of M (first call: cvxpy's import included)")
    if not args.quick:
        hd = honestdid_numpy2()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_peer_rm, peer_rm = timed(lambda: hd.createSensitivityResults_relativeMagnitudes(
                beta, sigma, len(pre), len(post), Mbarvec=mbar[2:2 + args.peer_mbar]))
            t_peer_sd, peer_sd = timed(lambda: hd.createSensitivityResults(beta, sigma, len(pre), len(post), Mvec=m_sd))
        ours_rm = rm.table.iloc[2:2 + args.peer_mbar]
        bench.ratio("rm.speedup_vs_honestdid", (t_peer_rm / args.peer_mbar) / (t_rm / len(mbar)),
                    baseline="peer s per Mbar / ours s per Mbar")
        bench.ratio("sd.speedup_vs_honestdid", t_peer_sd / t_sd, baseline="peer s / ours s, same 5 values of M")
        bench.value("rm.honestdid_s_per_mbar", t_peer_rm / args.peer_mbar, "s")
        bench.value("sd.honestdid_s", t_peer_sd, "s")
        bench.value("rm.max_abs_gap", float(np.abs(ours_rm[["lb", "ub"]].to_numpy()
                                                    - peer_rm[["lb", "ub"]].to_numpy()).max()), "",
                    baseline="same grid points expected: 0")
        bench.value("sd.max_abs_gap", float(np.abs(sd.table[["lb", "ub"]].to_numpy()
                                                    - peer_sd[["lb", "ub"]].to_numpy()).max()), "",
                    baseline="exact vs simulated folded-normal quantile and h search")
    else:
        bench.skip("rm.speedup_vs_honestdid", "--quick: the peer takes minutes")
    bench.note("event_study", f"{len(pre)} pre / {len(post)} post coefficients; original 95% CI "
                              f"[{rm.original[0]:.4f}, {rm.original[1]:.4f}]; {rm.breakdown_text()}")
    bench.emit()


if __name__ == "__main__":
    main()

"""TWFE event study on pyfixest's staggered panel ``df_het`` (46,500 rows): ours against pyfixest, warm and
in a fresh process.

    .venv/bin/python bench/bench_event_study.py [--repeat 5] [--fresh 3] [--quick]

Data: ``df_het`` as pyfixest ships it (``pyfixest/did/data/df_het.csv``: 1,500 units x 31 years, cohorts
2000 and 2010 and never treated). Model: ``dep_var`` on relative-year dummies -6..+6 (end points binned,
base -1) with unit and year effects, CR1 clustered by state; pyfixest:
``feols("dep_var ~ i(rel_year_binned, ref=-1) | unit + year", vcov={"CRV1": "state"})``, the same
regression (the coefficients are compared in the run).

* warm: best of ``--repeat`` calls in this process after one untimed call of each;
* fresh process: a new interpreter per call (``--fresh`` of each, interleaved), timed from the first
  line of the child (imports, reading the CSV and the fit; interpreter start-up is the same for both
  and excluded) -- what a user's first call of the day costs. The child's own split (imports and
  read / first fit) is recorded too.

Ratios: pyfixest s / ours s (above 1: ours faster).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from _common import ROOT, Bench, timed

FORMULA = "dep_var ~ i(rel_year_binned, ref=-1) | unit + year"
OURS = dict(y="dep_var", entity="unit", time="year", cohort="g", window=(-6, 6), cluster="state")

CHILD = {
    "ours": """
import time
t0 = time.perf_counter()
import importlib.resources, json
import pandas as pd
from analysis.estimators import event_study
df = pd.read_csv(importlib.resources.files("pyfixest") / "did/data/df_het.csv")
t1 = time.perf_counter()
res = event_study(df, y="dep_var", entity="unit", time="year", cohort="g", window=(-6, 6), cluster="state")
t2 = time.perf_counter()
print(json.dumps({"setup": t1 - t0, "fit": t2 - t1, "total": t2 - t0, "t+6": float(res.params["t+6"])}))
""",
    "pyfixest": """
import time
t0 = time.perf_counter()
import importlib.resources, json
import pandas as pd
import pyfixest as pf
df = pd.read_csv(importlib.resources.files("pyfixest") / "did/data/df_het.csv")
t1 = time.perf_counter()
fit = pf.feols("dep_var ~ i(rel_year_binned, ref=-1) | unit + year", data=df, vcov={"CRV1": "state"})
t2 = time.perf_counter()
print(json.dumps({"setup": t1 - t0, "fit": t2 - t1, "total": t2 - t0,
                  "t+6": float(fit.coef()["rel_year_binned::6"])}))
""",
}


def load():
    import importlib.resources

    import pandas as pd

    return pd.read_csv(importlib.resources.files("pyfixest") / "did/data/df_het.csv")


def fresh(which: str) -> dict:
    """One cold call in a new interpreter (the checkout first on the path, as the bench scripts run)."""
    out = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n" + CHILD[which]],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="warm calls of each (best is kept)")
    ap.add_argument("--fresh", type=int, default=3, help="fresh processes of each (median is kept)")
    ap.add_argument("--quick", action="store_true", help="2 warm calls, 1 fresh process each")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeat, args.fresh = 2, 1
    bench = Bench("event_study", args=args, baseline="pyfixest feols on the same regression, same run")
    import pyfixest as pf

    from analysis.estimators import event_study

    df = load()
    ours = event_study(df, **OURS)
    peer = pf.feols(FORMULA, data=df, vcov={"CRV1": "state"})
    gap = max(abs(ours.params[f"t{r:+d}" if r else "t"] - peer.coef()[f"rel_year_binned::{r}"])
              for r in range(-6, 7) if r != -1)
    se_gap = max(abs(ours.bse[f"t{r:+d}" if r else "t"] - peer.se()[f"rel_year_binned::{r}"])
                 for r in range(-6, 7) if r != -1)
    t_ours, _ = timed(lambda: event_study(df, **OURS), repeat=args.repeat)
    t_peer, _ = timed(lambda: pf.feols(FORMULA, data=df, vcov={"CRV1": "state"}), repeat=args.repeat)

    runs = {"ours": [], "pyfixest": []}
    for _ in range(args.fresh):          # interleaved, so that a load spike hits both
        for which in runs:
            runs[which].append(fresh(which))
    med = {w: {k: statistics.median(r[k] for r in rs) for k in ("setup", "fit", "total")} for w, rs in runs.items()}

    bench.ratio("warm.speedup_vs_pyfixest", t_peer / t_ours, baseline="pyfixest feols s / ours s, best of --repeat")
    bench.ratio("fresh.speedup_vs_pyfixest", med["pyfixest"]["total"] / med["ours"]["total"],
                baseline="pyfixest s / ours s: imports + CSV + first fit in a new interpreter, median of --fresh")
    bench.value("warm.ours_s", t_ours, "s")
    bench.value("warm.pyfixest_s", t_peer, "s")
    for who in ("ours", "pyfixest"):
        bench.value(f"fresh.{who}_total_s", med[who]["total"], "s", baseline="imports + read + first fit")
        bench.value(f"fresh.{who}_imports_and_read_s", med[who]["setup"], "s")
        bench.value(f"fresh.{who}_first_fit_s", med[who]["fit"], "s")
    bench.value("max_abs_coef_gap", gap, "", baseline="ours - pyfixest, 12 event-time coefficients")
    bench.value("max_abs_se_gap", se_gap, "", baseline="ours - pyfixest CRV1 (same small-sample convention)")
    bench.note("data", f"df_het: {len(df):,} rows, {df['unit'].nunique():,} units x {df['year'].nunique()} years")
    bench.emit()


if __name__ == "__main__":
    main()

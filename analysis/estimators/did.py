"""Difference-in-differences family for staggered pilot policies (studies 002 and 004).

What the studies did and what the modern literature says they should have done, all returning
`EstimationResult` subclasses:

* `fit_twfe_did` - Treat x Post with unit and period effects (optionally lagged, with exclusions).
* `event_study` - relative-time coefficients with binned end points, base period -1, joint
  pre-trend test and ``.plot()``.
* `placebo` - random reassignment of units / timing / both, vectorised by Frisch-Waugh-Lovell.
* `psm_did` - propensity-score matching (logit/probit, nearest neighbour, caliper, with or without
  replacement, pooled or by period), balance table, TWFE DID on the matched sample.
* `callaway_santanna` - ATT(g,t) (Callaway and Sant'Anna 2021) with never-treated or not-yet-treated
  controls, dr / ipw / reg, and ``aggregate("simple"|"group"|"dynamic"|"calendar")`` with analytic
  and multiplier-bootstrap standard errors; validated against R ``did`` on ``mpdta``.
* `sun_abraham` - interaction-weighted event study (Sun and Abraham 2021).
* `imputation_did` - imputation estimator (Borusyak, Jaravel and Spiess 2024) with their
  conservative clustered variance; point estimates equal Gardner's did2s.
* `bacon_decomposition` - Goodman-Bacon (2021) decomposition of the TWFE DID coefficient.

`analysis.estimators.did_sim.simulate_staggered_panel` simulates a staggered panel with a planted,
exposure-dependent effect (used by the tests and `bench/bench_placebo.py`).

Conventions shared by all (FE demeaning, HC1 / CRV1 small-sample corrections, t(G-1) inference)
are documented in `analysis.estimators.did_core`. Every estimator returns an `EstimationResult`
(or a subclass with its extras); its ``cov`` is the coefficient covariance for joint Wald tests.
"""
from analysis.estimators.did_cs import AggregatedATT, CallawaySantAnnaResult, callaway_santanna
from analysis.estimators.did_imputation import imputation_did
from analysis.estimators.did_psm import PSMDIDResult, psm_did
from analysis.estimators.did_robust import (
    BaconResult,
    SunAbrahamResult,
    bacon_decomposition,
    sun_abraham,
)
from analysis.estimators.did_twfe import (
    EventStudyResult,
    PlaceboResult,
    event_study,
    fit_twfe_did,
    placebo,
)

__all__ = [
    "AggregatedATT",
    "BaconResult",
    "CallawaySantAnnaResult",
    "EventStudyResult",
    "PSMDIDResult",
    "PlaceboResult",
    "SunAbrahamResult",
    "bacon_decomposition",
    "callaway_santanna",
    "event_study",
    "fit_twfe_did",
    "imputation_did",
    "placebo",
    "psm_did",
    "sun_abraham",
]

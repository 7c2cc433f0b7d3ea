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

`analysis.estimators.did.simulate.simulate_staggered_panel` simulates a staggered panel with a planted,
exposure-dependent effect (used by the tests and `bench/bench_placebo.py`).

One module per estimator: ``twfe`` (TWFE, event study, placebo), ``psm``, ``callaway_santanna``,
``sun_abraham``, ``imputation``, ``bacon``, the shared checks and FE fit in ``core``, and
``simulate``. Conventions shared by all (FE demeaning, HC1 / CR1 small-sample corrections, t(G-1)
inference) are the fixed-effects engine's (`analysis.estimators.fixed_effects`). Every estimator
returns an `EstimationResult` (or a subclass with its extras); its ``cov`` is the coefficient
covariance for joint Wald tests.
"""
from analysis.estimators.did.bacon import BaconResult, bacon_decomposition
from analysis.estimators.did.callaway_santanna import AggregatedATT, CallawaySantAnnaResult, callaway_santanna
from analysis.estimators.did.imputation import imputation_did
from analysis.estimators.did.psm import PSMDIDResult, psm_did
from analysis.estimators.did.simulate import simulate_staggered_panel
from analysis.estimators.did.sun_abraham import SunAbrahamResult, sun_abraham
from analysis.estimators.did.twfe import EventStudyResult, PlaceboResult, event_study, fit_twfe_did, placebo

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
    "simulate_staggered_panel",
    "sun_abraham",
]

"""The difference-in-differences family: ``psm`` (:func:`analysis.estimators.psm_did`), ``cs``
(:func:`analysis.estimators.callaway_santanna`, aggregated) and, for study 002's figures, the event
study and the placebo of the same column (:func:`event_study`, :func:`placebo`) and the HonestDiD
sensitivity analysis of that event study (:func:`honest_did`)."""
from __future__ import annotations

from analysis.estimators import EstimationResult
from analysis.replications.adapters.base import Adapter, with_constant

__all__ = ["PropensityScoreDiD", "CallawaySantAnna", "event_study", "placebo", "honest_did"]


class PropensityScoreDiD(Adapter):
    """``psm``: 1:1 nearest-neighbour matching on the logit score of the controls, then TWFE DID of
    ``dependent`` on the first regressor (the treatment) on the matched sample, with the printed
    constant. ``options["by"]``: ``"pooled"`` (default) or ``"year"`` (one logit per year); when the
    year-by-year logits separate on a small world the column falls back to pooled matching and says so
    in a note. Option ``cluster``."""

    def fit(self, data, col, study, ctx):
        from analysis.estimators import psm_did

        by = col.options.get("by", "pooled")
        kw = dict(y=col.dependent, treat=col.regressors[0], entity=study.entity, time="year",
                  match_on=col.controls, cluster=col.options.get("cluster"), seed=ctx.seed)
        try:
            res = psm_did(data, matching=by, **kw)
        except ValueError as exc:   # year-by-year logits separate on a small world: pool the years
            if by == "pooled":
                raise
            ctx.echo(f"    PSM by {by} failed ({str(exc)[:80]}...); pooled matching instead")
            res, by = psm_did(data, matching="pooled", **kw), "pooled"
        plain = EstimationResult(res.params, res.bse, res.nobs, res.model, res.df_resid,
                                 {**res.stats, "matching": by}, res.info, res.cov)
        return with_constant(plain, res.matched, col.dependent)

    def notes(self, res, col):
        if res.stats.get("matching") == col.options.get("by", "pooled"):
            return []
        return [f"{col.label}: matching by {col.options.get('by')} separates perfectly on this "
                f"sample; pooled matching used instead."]


class CallawaySantAnna(Adapter):
    """``cs``: Callaway-Sant'Anna ATT(g,t) of ``dependent`` with the cohort column ``options["cohort"]``
    (never-treated comparison group unless ``options["control_group"]``, outcome regression without
    covariates), aggregated by ``options["aggregate"]`` (``simple``: the average over treated unit-years,
    row ``ATT``; ``dynamic``: ``ATT`` and ``e=0``, ``e=1``, ... by event time). The treatment dummy named
    in ``regressors`` only defines the sample; units are never-treated when their cohort is empty."""

    implied_fixed_effects = True

    def fit(self, data, col, study, ctx):
        from analysis.estimators import callaway_santanna

        opts = col.options
        res = callaway_santanna(data, y=col.dependent, entity=study.entity, time="year", cohort=opts["cohort"],
                                control_group=opts.get("control_group", "never_treated"), method="reg")
        return res.aggregate(opts.get("aggregate", "simple"))


def event_study(data, col, study, *, cohort: str):
    """Event study of ``col.dependent`` with ``col.controls`` and the unit's first treated year
    ``cohort`` (:func:`analysis.estimators.event_study`, its default window and base period)."""
    from analysis.estimators import event_study as fit_event_study

    return fit_event_study(data, y=col.dependent, entity=study.entity, time="year", cohort=cohort,
                           controls=col.controls)


def placebo(data, col, study, ctx, *, cohort: str, n_draws: int):
    """``n_draws`` random reassignments of the treatment cohorts to units
    (:func:`analysis.estimators.placebo`; ``fast["n_draws"]`` in the test suite)."""
    from analysis.estimators import placebo as fit_placebo

    return fit_placebo(data, y=col.dependent, entity=study.entity, time="year", cohort=cohort,
                       controls=col.controls, n_draws=ctx.draws("n_draws", n_draws), seed=ctx.seed,
                       executor=ctx.executor, progress=False)


def honest_did(es, **options):
    """Rambachan-Roth sensitivity analysis of an event study (:func:`analysis.estimators.honest_did`): every
    keyword of it (``restriction``, ``M``, ``l_vec``, ``alpha``, ``grid_points``, ``seed``) is a study option."""
    from analysis.estimators import honest_did as sensitivity

    return sensitivity(es, **options)

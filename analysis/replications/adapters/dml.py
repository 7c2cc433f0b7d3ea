"""The double-machine-learning family: ``dml`` (:func:`analysis.estimators.fit_dml`)."""
from __future__ import annotations

from analysis.replications.adapters.base import Adapter

__all__ = ["DoubleML"]


class DoubleML(Adapter):
    """``dml``: partially linear (or, with ``options["instrument"]``, partially linear IV) DML of
    ``dependent`` on the first regressor, controls as nuisance covariates, unit and year effects.
    Options ``learner`` (``rf``), ``n_folds`` (5), ``squared`` (add squared controls),
    ``instrument``, ``instrument_series``, ``learner_params``; the test suite's ``fast["n_trees"]``
    shrinks the forests and boosted trees. Folds run in one process on samples under 2,000 rows."""

    def fit(self, data, col, study, ctx):
        from analysis.estimators import fit_dml

        opts = col.options
        return fit_dml(data, y=col.dependent, d=col.regressors[0], controls=list(col.controls),
                       entity=study.entity, time="year", learner=opts.get("learner", "rf"),
                       n_folds=opts.get("n_folds", 5),
                       squared_controls=opts.get("squared", False), instrument=opts.get("instrument"),
                       instrument_series=opts.get("instrument_series"), seed=ctx.seed, progress=False,
                       learner_params=learner_params(opts, ctx), n_jobs=1 if len(data) < 2000 else -1)


def learner_params(opts, ctx) -> dict | None:
    """Learner overrides: the column's own, or (tests only, ``fast["n_trees"]``) fewer trees."""
    params = dict(opts.get("learner_params") or {})
    if ctx.fast and "n_trees" in ctx.fast and opts.get("learner", "rf") in ("rf", "gbm"):
        params["n_estimators"] = int(ctx.fast["n_trees"])
    return params or None

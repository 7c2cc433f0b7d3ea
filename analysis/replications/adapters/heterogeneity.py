"""The group-comparison family: ``split`` (:func:`analysis.estimators.compare_groups`)."""
from __future__ import annotations

from analysis.estimators import EstimationResult
from analysis.estimators.statistics import PERM_P, SUEST_P
from analysis.replications.adapters.base import Adapter, formula, with_constant

__all__ = ["Split"]


class Split(Adapter):
    """``split``: the FE regression on one side of ``options["by"]`` (``options["group"]`` picks the
    side), from one :func:`compare_groups` fit shared by both sides (``ctx.cache``). With
    ``options["test"]`` the column also carries the between-group tests: the Fisher permutation p
    (``PERM_P``, ``options["n_perm"]`` draws, default 1,000) and the SUR z-test p (``SUEST_P``).
    Options ``cluster``, ``vcov`` as for ``fe``.
    """

    def fit(self, data, col, study, ctx):
        from analysis.estimators import compare_groups

        opts = col.options
        by = opts["by"]
        key = ("split", by, col.dependent, col.regressors, col.controls, len(data))
        if key not in ctx.cache:
            ctx.cache[key] = compare_groups(data, formula(col), by=by, coef=col.regressors[0],
                                            cluster=opts.get("cluster"), vcov=opts.get("vcov"),
                                            n_perm=ctx.draws("n_perm", opts.get("n_perm", 1000)),
                                            seed=ctx.seed, progress=False)
        comp = ctx.cache[key]
        group = opts["group"]
        fit = with_constant(comp.fits[group], self.fitted_rows(data, col), col.dependent)
        stats = dict(fit.stats)
        if opts.get("test"):
            stats[PERM_P] = comp.perm_pvalue
            stats[SUEST_P] = comp.suest_pvalue
        return EstimationResult(fit.params, fit.bse, fit.nobs, fit.model, fit.df_resid, stats, fit.info, fit.cov)

    def fitted_rows(self, data, col):
        return data[data[col.options["by"]] == col.options["group"]]

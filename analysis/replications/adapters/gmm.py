"""The dynamic-panel family: ``gmm`` (:func:`analysis.estimators.fit_system_gmm`)."""
from __future__ import annotations

from analysis.replications.adapters.base import Adapter

__all__ = ["SystemGMM"]

# column options that are not keywords of the estimator
_NOT_KEYWORDS = ("vcov", "cluster", "need")


class SystemGMM(Adapter):
    """``gmm``: system GMM of ``dependent`` on its lag, the regressors (endogenous) and the controls
    (exogenous); every other option (``collapse``, ``two_step``, ...) is passed to the estimator. The
    unit effects are differenced out, so a "Fixed effects" row reads Yes."""

    implied_fixed_effects = True

    def fit(self, data, col, study, ctx):
        from analysis.estimators import fit_system_gmm

        return fit_system_gmm(data, y=col.dependent, entity=study.entity, time="year", controls=col.controls,
                              endog=col.regressors,
                              **{k: v for k, v in col.options.items() if k not in _NOT_KEYWORDS})

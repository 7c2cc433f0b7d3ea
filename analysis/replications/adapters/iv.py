"""The instrumental-variables family: ``iv`` (second stage) and ``iv_first`` (its first stage) of
:func:`analysis.estimators.fit_iv`."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.estimators import EstimationResult
from analysis.estimators.statistics import FIRST_STAGE_F, PARTIAL_R2, R2
from analysis.replications.adapters.base import (
    Adapter,
    covariance_options,
    with_constant,
    with_weak_iv,
    with_wild_bootstrap,
)

__all__ = ["InstrumentalVariables"]


@dataclass(frozen=True)
class InstrumentalVariables(Adapter):
    """FE-2SLS of ``dependent ~ controls | fe | regressors ~ instruments`` (options ``cluster``,
    ``vcov`` as for ``fe``: multiway clusters and Conley SEs included). ``first_stage=False`` gives the second stage (a printed "F" row is the first-stage F of
    the excluded instruments); ``True`` gives the first stage of the first regressor, whose R² is the
    partial R² of the excluded instruments (its constant prints without a standard error). The two
    columns of one 2SLS share one fit (``ctx.cache``). ``wild_bootstrap`` adds the WRE test of the
    endogenous coefficient (second stage) or the WCR test of the first instrument's first-stage coefficient;
    ``weak_iv`` adds the Anderson-Rubin test and confidence set (second stage; the effective F is always there).
    """

    first_stage: bool = False

    @property
    def f_row(self) -> str | None:
        return None if self.first_stage else FIRST_STAGE_F

    def main_term(self, col):
        return col.instruments[0] if self.first_stage else col.regressors[0]

    def fit(self, data, col, study, ctx):
        from analysis.estimators import fit_iv

        key = ("iv", col.dependent, col.regressors, col.controls, col.instruments, len(data))
        fe = f" | {' + '.join(col.fe)}" if col.fe else ""
        if key not in ctx.cache:
            exog = " + ".join(col.controls) or "1"
            f = (f"{col.dependent} ~ {exog}" + fe + f" | {' + '.join(col.regressors)} ~ {' + '.join(col.instruments)}")
            ctx.cache[key] = fit_iv(data, f, **covariance_options(col, data, study, ctx))
        res = ctx.cache[key]
        if not self.first_stage:
            out = with_wild_bootstrap(with_constant(res, data, col.dependent), data, res.info["formula"], col, ctx,
                                      self.main_term(col))
            return with_weak_iv(out, data, res.info["formula"], col, study, ctx)
        first = res.info["first_stage"][col.regressors[0]]
        # the column carries no covariance of the first stage, so its printed constant has no standard
        # error and an "F" row stays blank (as the replications have always printed it)
        first = EstimationResult(first.params, first.bse, first.nobs, first.model, first.df_resid,
                                 {**first.stats, R2: first.stats.get(PARTIAL_R2, np.nan)}, first.info)
        first_formula = f"{col.regressors[0]} ~ {' + '.join([*col.controls, *col.instruments])}" + fe
        return with_wild_bootstrap(with_constant(first, data, col.regressors[0]), data, first_formula, col, ctx,
                                   self.main_term(col))

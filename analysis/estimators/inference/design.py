"""The demeaned design of one formula that the inference tools share (wild bootstrap, weak-IV tests).

``FormulaDesign(data, "y ~ w | fe | x ~ z", cluster=..., vcov=...)`` checks the data, absorbs the fixed
effects with the engine's ``Demeaner`` and splits the demeaned columns into the outcome ``y``, the exogenous
regressors ``W`` (an intercept column when there are no fixed effects), the endogenous ``Y`` and the excluded
instruments ``Z``; ``spec`` is the engine's covariance choice for the same cluster / vcov arguments; ``data``
the estimation sample after the missing-values policy (``missing``, as in ``fit_fe``), ``n_dropped_na`` the
rows it dropped.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.estimators.fixed_effects import Demeaner, cluster_columns, factorize, resolve_vcov
from analysis.estimators.formula import parse_formula
from analysis.estimators.inputs import DEFAULT_MISSING, check_frame, vcov_request

__all__ = ["FormulaDesign"]


class FormulaDesign:
    """Demeaned data of one formula and the annihilator of its fixed effects and exogenous columns."""

    def __init__(self, data: pd.DataFrame, formula: str, cluster=None, vcov=None, missing: str = DEFAULT_MISSING,
                 who: str = ""):
        f = parse_formula(formula)
        self.formula = f
        numeric = [f.y, *f.exog, *f.endog, *f.instruments]
        cluster, vcov = vcov_request(cluster, vcov)
        data, self.n_dropped_na = check_frame(data, numeric, list(f.fe) + cluster_columns(cluster),
                                              missing=missing, who=who)
        self.data, self.cluster, self.vcov = data, cluster, vcov
        self.demeaner = Demeaner([factorize(data[c].to_numpy())[0] for c in f.fe])
        self.spec = resolve_vcov(data, cluster, vcov)
        dm = self.demeaner(data[numeric].to_numpy(dtype=float))
        n = dm.shape[0]
        self.n = n
        k_w = len(f.exog)
        self.y = dm[:, 0]
        W = dm[:, 1:1 + k_w]
        self.exog_names = list(f.exog)
        if not f.fe and f.intercept:
            W = np.column_stack([np.ones(n), W])
            self.exog_names = ["Intercept", *self.exog_names]
        self.W = W
        self.Y = dm[:, 1 + k_w:1 + k_w + len(f.endog)]
        self.Z = dm[:, 1 + k_w + len(f.endog):]

    def annihilate(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """``M A``: A demeaned by the fixed effects, then residualised on the (demeaned) columns ``B``."""
        A = self.demeaner(A)
        if B.shape[1] == 0:
            return A
        return A - B @ np.linalg.lstsq(B, A, rcond=None)[0]

    def partial_w(self, A: np.ndarray) -> np.ndarray:
        """Already demeaned columns ``A`` residualised on ``W``."""
        if self.W.shape[1] == 0:
            return A
        return A - self.W @ np.linalg.lstsq(self.W, A, rcond=None)[0]

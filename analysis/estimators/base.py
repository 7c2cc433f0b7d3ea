"""The result object every estimator returns.

Modelled on linearmodels / statsmodels results: ``params``, ``bse``, ``pvalues``, ``conf_int()``,
``nobs``, ``summary()`` and a tidy ``to_frame()``. Estimator-specific statistics (R², fixed effects,
first-stage F, AR tests, ...) go into ``stats`` (scalars shown under the coefficients) and ``info``
(anything else), so that one table renderer can lay out any result the way economists read it:
coefficient, standard error in parentheses, stars, then N, R², FE rows and tests.

Inference: if ``df_resid`` is given, p-values and intervals use Student's t with that many degrees
of freedom (the Stata / pyfixest convention for clustered OLS uses G - 1); otherwise the normal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy import stats as sps

STAR_LEVELS: tuple[tuple[float, str], ...] = ((0.01, "***"), (0.05, "**"), (0.10, "*"))


def stars(p: float, levels: tuple[tuple[float, str], ...] = STAR_LEVELS) -> str:
    """Significance stars: *** p<0.01, ** p<0.05, * p<0.10 (the legend printed under every table)."""
    if p is None or not np.isfinite(p):
        return ""
    for cut, mark in levels:
        if p < cut:
            return mark
    return ""


@dataclass(frozen=True)
class EstimationResult:
    """Immutable estimation result.

    Parameters
    ----------
    params, bse : pd.Series indexed by term name.
    nobs : number of observations used.
    model : short name of the estimator (``"FE-OLS"``, ``"SDM"``, ``"DML-PLR"``...).
    df_resid : degrees of freedom for t inference; ``None`` means normal (z) inference.
    stats : scalar statistics reported under the coefficients (``{"R2": 0.41, "F": 12.3}``).
    info : anything else (fixed effects, cluster variable, first stage, draws, ...).
    """

    params: pd.Series
    bse: pd.Series
    nobs: int
    model: str = ""
    df_resid: float | None = None
    stats: Mapping[str, float] = field(default_factory=dict)
    info: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        params = pd.Series(self.params, dtype=float)
        bse = pd.Series(self.bse, dtype=float).reindex(params.index)
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "bse", bse)

    # ---------- inference
    @property
    def tvalues(self) -> pd.Series:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.params / self.bse

    @property
    def pvalues(self) -> pd.Series:
        t = self.tvalues.abs()
        if self.df_resid is not None and np.isfinite(self.df_resid) and self.df_resid > 0:
            p = 2 * sps.t.sf(t, self.df_resid)
        else:
            p = 2 * sps.norm.sf(t)
        return pd.Series(p, index=self.params.index)

    def _critical(self, alpha: float) -> float:
        if self.df_resid is not None and np.isfinite(self.df_resid) and self.df_resid > 0:
            return float(sps.t.ppf(1 - alpha / 2, self.df_resid))
        return float(sps.norm.ppf(1 - alpha / 2))

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        c = self._critical(alpha)
        return pd.DataFrame(
            {"lower": self.params - c * self.bse, "upper": self.params + c * self.bse},
            index=self.params.index,
        )

    # ---------- presentation
    def to_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """Tidy table: one row per term (term, estimate, std_error, statistic, p_value, conf_low, conf_high)."""
        ci = self.conf_int(alpha)
        out = pd.DataFrame(
            {
                "term": self.params.index,
                "estimate": self.params.values,
                "std_error": self.bse.values,
                "statistic": self.tvalues.values,
                "p_value": self.pvalues.values,
                "conf_low": ci["lower"].values,
                "conf_high": ci["upper"].values,
            }
        )
        return out.reset_index(drop=True)

    def summary(self, digits: int = 4) -> str:
        """Plain-text summary: coefficients with SE in parentheses and stars, then N and statistics."""
        lines = [f"{self.model or 'Estimation'} results", "-" * 60]
        p = self.pvalues
        for term in self.params.index:
            est, se = self.params[term], self.bse[term]
            lines.append(f"{term:<28}{est:>{digits + 8}.{digits}f}{stars(p[term]):<4}")
            lines.append(f"{'':<28}{'(' + format(se, f'.{digits}f') + ')':>{digits + 9}}")
        lines.append("-" * 60)
        lines.append(f"{'N':<28}{self.nobs:>{digits + 8}d}")
        for key, value in self.stats.items():
            if isinstance(value, (int, float, np.floating)) and np.isfinite(value):
                lines.append(f"{key:<28}{value:>{digits + 8}.{digits}f}")
        lines.append("Standard errors in parentheses; *** p<0.01, ** p<0.05, * p<0.10")
        return "\n".join(lines)

    def __repr__(self) -> str:  # pragma: no cover - convenience
        return self.summary()

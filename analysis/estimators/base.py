"""The result object every estimator returns.

Modelled on linearmodels / statsmodels results: ``params``, ``bse``, ``pvalues``, ``conf_int()``,
``cov`` (the coefficient covariance matrix), ``wald_test()``, ``nobs``, ``summary()`` and a tidy
``to_frame()``. Estimator-specific statistics (R², first-stage F, AR tests, ...) go into ``stats``
under the names of :mod:`analysis.estimators.statistics` (scalars shown under the coefficients) and
``info`` (anything else; the keys shared by all estimators are ``statistics.INFO_KEYS``), so that
one table renderer (``analysis.estimators.etable``, in ``publication_table.py``) can lay out any
result the way economists read it: coefficient, SE in parentheses, stars, N, R², FE rows, tests.

Inference: if ``df_resid`` is given, p-values and intervals use Student's t with that many degrees
of freedom (the Stata / pyfixest convention for clustered OLS uses G - 1); otherwise the normal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import analysis.estimators.distributions as dist

from analysis.estimators.statistics import is_count

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
    stats : scalar statistics reported under the coefficients, keyed by the constants of
        :mod:`analysis.estimators.statistics` (``{R2: 0.41, N_CLUSTERS: 30}``).
    info : anything else (fixed effects, cluster variable, first stage, draws, ...); the shared
        keys are ``statistics.INFO_KEYS``.
    cov : covariance matrix of the coefficients (DataFrame indexed and columned by term), where
        the estimator has one; ``None`` otherwise (e.g. mediation, whose paths come from separate
        regressions). It may carry ancillary parameters beyond ``params`` (``sigma2`` of ML models).
    """

    params: pd.Series
    bse: pd.Series
    nobs: int
    model: str = ""
    df_resid: float | None = None
    stats: Mapping[str, float] = field(default_factory=dict)
    info: Mapping[str, Any] = field(default_factory=dict)
    cov: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        params = pd.Series(self.params, dtype=float)
        bse = pd.Series(self.bse, dtype=float).reindex(params.index)
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "bse", bse)
        if self.cov is not None:
            missing = [t for t in params.index if t not in self.cov.index]
            if missing:
                raise ValueError(f"cov lacks the coefficient(s) {missing}")

    # ---------- statistics
    def statistic(self, name: str) -> float:
        """The statistic ``name`` (a constant of :mod:`analysis.estimators.statistics`).

        Raises ``KeyError`` naming the estimator and the statistics it does define when this
        result has no such statistic: a within R² is never replaced by the overall one.
        """
        if name in ("N", "nobs"):
            return self.nobs
        if name not in self.stats:
            defined = ", ".join(map(str, self.stats)) or "none"
            raise KeyError(f"{name!r} is not defined for {self.model or type(self).__name__} results "
                           f"(defined: {defined})")
        return self.stats[name]

    # ---------- inference
    @property
    def tvalues(self) -> pd.Series:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.params / self.bse

    @property
    def pvalues(self) -> pd.Series:
        t = self.tvalues.abs()
        if self.df_resid is not None and np.isfinite(self.df_resid) and self.df_resid > 0:
            p = 2 * dist.t_sf(t, self.df_resid)
        else:
            p = 2 * dist.norm_sf(t)
        return pd.Series(p, index=self.params.index)

    def _critical(self, alpha: float) -> float:
        if self.df_resid is not None and np.isfinite(self.df_resid) and self.df_resid > 0:
            return float(dist.t_ppf(1 - alpha / 2, self.df_resid))
        return float(dist.norm_ppf(1 - alpha / 2))

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        c = self._critical(alpha)
        return pd.DataFrame(
            {"lower": self.params - c * self.bse, "upper": self.params + c * self.bse},
            index=self.params.index,
        )

    def wald_test(self, terms: Sequence[str]) -> dict[str, float]:
        """Joint Wald test that all ``terms`` are zero: ``F = b' V^-1 b / q`` with ``V = cov``.

        Returns ``{"F", "df_num", "df_den", "p_value", "chi2", "p_value_chi2"}``; the F p-value uses
        ``df_resid`` as denominator df (Stata's ``test`` after reghdfe), the chi2 one is asymptotic.
        ``V^-1`` is the Moore-Penrose inverse (a singular ``V`` tests the identified combinations).
        """
        if self.cov is None:
            raise ValueError(f"{self.model or type(self).__name__} results carry no covariance matrix "
                             "(cov is None); a Wald test needs one")
        terms = list(terms)
        missing = [t for t in terms if t not in self.params.index]
        if missing:
            raise ValueError(f"terms {missing} are not coefficients of this model")
        b = self.params[terms].to_numpy()
        V = self.cov.loc[terms, terms].to_numpy()
        chi2 = float(b @ np.linalg.pinv(V) @ b)
        q = len(terms)
        F = chi2 / q
        df_den = self.df_resid if self.df_resid is not None else np.inf
        p_f = float(dist.f_sf(F, q, df_den)) if np.isfinite(df_den) else float(dist.chi2_sf(chi2, q))
        return {"F": F, "df_num": q, "df_den": float(df_den), "p_value": p_f, "chi2": chi2,
                "p_value_chi2": float(dist.chi2_sf(chi2, q))}

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
        dropped = self.info.get("n_dropped_na") if isinstance(self.info, Mapping) else None
        if dropped:
            lines.append(f"{'N dropped (missing values)':<28}{int(dropped):>{digits + 8}d}")
        for key, value in self.stats.items():
            if isinstance(value, (int, float, np.integer, np.floating)) and np.isfinite(value):
                if is_count(key) and float(value).is_integer():
                    lines.append(f"{key:<28}{int(value):>{digits + 8}d}")
                else:
                    lines.append(f"{key:<28}{value:>{digits + 8}.{digits}f}")
        lines.append("Standard errors in parentheses; *** p<0.01, ** p<0.05, * p<0.10")
        return "\n".join(lines)

    def __repr__(self) -> str:  # pragma: no cover - convenience
        return self.summary()

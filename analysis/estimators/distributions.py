"""The reference distributions of the estimators' tests, in one place: tail probabilities and quantiles of
N(0, 1), Student's t, chi-squared and F.

They are scipy's own special functions (``ndtr``, ``stdtr``, ``chdtrc``, ``fdtrc``, ``ndtri``, ``stdtrit``, ``gammaincinv``, ``fdtri``), the
very functions ``scipy.stats.norm/t/chi2/f`` evaluate, so every p-value equals scipy.stats' to the last bit.
Importing ``scipy.special`` costs a twentieth of importing ``scipy.stats`` (about 1 s on this machine, most
of a fresh process's first estimate), which is why the estimators call these instead.
"""
from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["norm_sf", "norm_cdf", "norm_ppf", "t_sf", "t_ppf", "chi2_sf", "chi2_ppf", "f_sf", "f_ppf"]


def norm_sf(x):
    """P(Z > x), Z ~ N(0, 1) (``scipy.stats.norm.sf``)."""
    return special.ndtr(-np.asarray(x, dtype=float))


def norm_cdf(x):
    """P(Z <= x) (``scipy.stats.norm.cdf``)."""
    return special.ndtr(np.asarray(x, dtype=float))


def norm_ppf(q):
    """The q-quantile of N(0, 1) (``scipy.stats.norm.ppf``)."""
    return special.ndtri(np.asarray(q, dtype=float))


def t_sf(x, df):
    """P(T > x), T ~ t(df) (``scipy.stats.t.sf``)."""
    return special.stdtr(df, -np.asarray(x, dtype=float))


def t_ppf(q, df):
    """The q-quantile of t(df) (``scipy.stats.t.ppf``)."""
    return special.stdtrit(df, np.asarray(q, dtype=float))


def chi2_sf(x, df):
    """P(X > x), X ~ chi2(df) (``scipy.stats.chi2.sf``)."""
    return special.chdtrc(df, np.asarray(x, dtype=float))


def chi2_ppf(q, df):
    """The q-quantile of chi2(df) (``scipy.stats.chi2.ppf``)."""
    return 2.0 * special.gammaincinv(np.asarray(df, dtype=float) / 2.0, np.asarray(q, dtype=float))


def f_sf(x, dfn, dfd):
    """P(F > x), F ~ F(dfn, dfd) (``scipy.stats.f.sf``)."""
    return special.fdtrc(dfn, dfd, np.asarray(x, dtype=float))


def f_ppf(q, dfn, dfd):
    """The q-quantile of F(dfn, dfd) (``scipy.stats.f.ppf``)."""
    return special.fdtri(dfn, dfd, np.asarray(q, dtype=float))

"""A staggered-adoption panel with a planted, time-varying effect (tests, benches).

``y_it = alpha_i + lambda_t + 0.5 x_it + tau(t - G_i) 1[t >= G_i] + e_it``, with
``x_it = N(0,1) + 0.3 alpha_i`` and ``e_it ~ N(0, noise^2)``. The default effect grows with exposure,
``tau(e) = -0.2 - 0.1 e``, the textbook case in which TWFE is biased (already-treated units act as
controls and absorb part of the growing effect; Goodman-Bacon 2021, de Chaisemartin and
D'Haultfoeuille 2020).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd


def simulate_staggered_panel(n_units: int = 220, periods: Sequence[int] = range(2003, 2022), *,
                             cohorts: Sequence[int] = (2008, 2012, 2016),
                             share_treated: float = 0.6,
                             effect: Callable[[np.ndarray], np.ndarray] | None = None,
                             noise: float = 0.5, drop_share: float = 0.0,
                             seed: int | None = None) -> pd.DataFrame:
    """Simulate a panel; columns ``city, year, cohort (0 = never), treat, x1, y, tau``.

    ``tau`` is the planted effect of each row (0 when untreated), so the true ATT of any set of
    treated rows is the mean of ``tau`` over them. ``drop_share`` removes that share of rows at
    random to make the panel unbalanced.
    """
    rng = np.random.default_rng(seed)
    effect = effect or (lambda e: -0.2 - 0.1 * e)
    periods = np.asarray(list(periods))
    T = len(periods)
    unit = np.repeat(np.arange(n_units), T)
    year = np.tile(periods, n_units)
    g_unit = np.where(rng.random(n_units) < share_treated, rng.choice(np.asarray(cohorts), n_units), 0)
    g = g_unit[unit]
    alpha = rng.normal(size=n_units)[unit]
    lam = np.linspace(0, 1, T)[year - periods[0]] + rng.normal(scale=0.2, size=T)[year - periods[0]]
    x1 = rng.normal(size=len(unit)) + 0.3 * alpha
    treated = (g > 0) & (year >= g)
    tau = np.where(treated, effect(np.where(treated, year - g, 0).astype(float)), 0.0)
    y = alpha + lam + 0.5 * x1 + tau + rng.normal(scale=noise, size=len(unit))
    df = pd.DataFrame({"city": unit, "year": year, "cohort": g, "treat": treated.astype(float),
                       "x1": x1, "y": y, "tau": tau})
    if drop_share > 0:
        keep = rng.random(len(df)) >= drop_share
        df = df.loc[keep].reset_index(drop=True)
    return df

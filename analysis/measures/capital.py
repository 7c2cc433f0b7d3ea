"""Perpetual-inventory capital stock (study 003: Shan Haojie 2008, base year 2000, depreciation 10.96%).

Equation (Goldsmith 1951; Zhang, Wu & Zhang 2004; Shan 2008)::

    K_t = (1 - delta) K_{t-1} + I_t / P_t,        t > base year
    K_b = I_b / (g + delta)                       (Hall & Jones 1999 steady-state start)

where ``I_t`` is nominal gross fixed capital formation (or fixed-asset investment), ``P_t`` the
investment deflator rebased to 1 in the base year (so K is in base-year prices), ``delta`` the
depreciation rate and ``g`` the average annual growth rate of real investment over the
``growth_window`` years after the base year (geometric mean; Hall & Jones use the first decade,
study 003 does not say: our default is all available years, pass ``growth_window`` to change it).
``initial`` may instead give K_b directly (for example the 1952 stocks of Shan 2008 rolled forward).
Years before the base year are dropped; the series must have no gaps.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["capital_stock"]


def _as_frame(obj, name: str) -> pd.DataFrame:
    if isinstance(obj, pd.Series):
        return obj.to_frame(name=obj.name if obj.name is not None else "unit")
    if isinstance(obj, pd.DataFrame):
        return obj
    raise ValueError(f"capital_stock: `{name}` must be a pandas Series (index = year) or DataFrame "
                     "(index = year, one column per unit)")


def capital_stock(
    investment: pd.Series | pd.DataFrame,
    deflator: pd.Series | pd.DataFrame,
    *,
    base_year: int = 2000,
    depreciation: float = 0.1096,
    initial: float | pd.Series | None = None,
    growth_window: int | None = None,
) -> pd.Series | pd.DataFrame:
    """Real capital stock by perpetual inventory.

    Parameters
    ----------
    investment : nominal investment, index = year (int), one column per unit (or a Series).
    deflator : investment price index, same layout, or a Series by year applied to every unit;
        any base (it is rebased to the base year).
    base_year, depreciation : study 003 uses 2000 and 0.1096.
    initial : base-year stock (scalar or Series by unit); default I_b / (g + delta).
    growth_window : years after the base used for g (default: all).

    Returns the same shape as ``investment`` (years from ``base_year`` on), in base-year prices.
    """
    was_series = isinstance(investment, pd.Series)
    inv = _as_frame(investment, "investment").sort_index()
    if not (0 < depreciation < 1):
        raise ValueError(f"capital_stock: depreciation must be in (0, 1), got {depreciation}")
    years = np.asarray(inv.index)
    if not np.issubdtype(years.dtype, np.integer):
        raise ValueError("capital_stock: the index of `investment` must be integer years")
    if base_year not in set(years.tolist()):
        raise ValueError(f"capital_stock: base year {base_year} not in the investment years "
                         f"{years.min()}-{years.max()}")
    inv = inv.loc[inv.index >= base_year]
    if (np.diff(inv.index.to_numpy()) != 1).any():
        raise ValueError("capital_stock: investment years have gaps; the perpetual inventory needs every year")
    if inv.isna().any().any():
        bad = inv.columns[inv.isna().any()].tolist()
        raise ValueError(f"capital_stock: missing investment for unit(s) {bad[:5]}; fill or drop them")
    if (inv <= 0).any().any():
        raise ValueError("capital_stock: investment must be positive")

    if isinstance(deflator, pd.Series):
        defl = pd.DataFrame({c: deflator for c in inv.columns})
    else:
        defl = _as_frame(deflator, "deflator")
        if list(defl.columns) != list(inv.columns):
            raise ValueError("capital_stock: `deflator` columns must match `investment` columns")
    defl = defl.sort_index().reindex(inv.index)
    if defl.isna().any().any():
        raise ValueError("capital_stock: deflator missing for some years in the window; it must cover "
                         f"{inv.index.min()}-{inv.index.max()}")
    if (defl <= 0).any().any():
        raise ValueError("capital_stock: deflator must be positive")
    real = inv / (defl / defl.loc[base_year])

    if initial is None:
        window = real if growth_window is None else real.iloc[: growth_window + 1]
        if len(window) < 2:
            raise ValueError("capital_stock: need at least two years to estimate the growth rate g")
        g = (window.iloc[-1] / window.iloc[0]) ** (1.0 / (len(window) - 1)) - 1.0
        k0 = real.loc[base_year] / (g + depreciation)
        if (g + depreciation <= 0).any():
            raise ValueError("capital_stock: g + delta <= 0 for some unit; pass `initial` explicitly")
    else:
        k0 = pd.Series(initial, index=inv.columns, dtype=float)

    values = real.to_numpy(dtype=float)
    k = np.empty_like(values)
    k[0] = k0.to_numpy(dtype=float)
    for t in range(1, len(values)):
        k[t] = (1.0 - depreciation) * k[t - 1] + values[t]
    out = pd.DataFrame(k, index=real.index, columns=real.columns)
    return out.iloc[:, 0].rename("capital_stock") if was_series else out

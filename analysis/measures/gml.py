"""Global Malmquist-Luenberger productivity index from an SBM directional distance function.

Distance function: the slacks-based directional distance function of Fukuyama & Weber (2009,
Socio-Econ. Plan. Sci. 43) with the direction equal to the observed data, g = (x_o, y_o, b_o)::

    D(x_o, y_o, b_o) = max 1/2 [ (1/m) sum_i s-_i / x_io + 1/(s1+s2) (sum_r sg_r / y_ro + sum_k sb_k / b_ko) ]
    s.t. X lambda + s- = x_o,  Y lambda - sg = y_o,  B lambda + sb = b_o,  lambda, s >= 0  (VRS: sum lambda = 1)

(the form used by the Chinese "SBM-GML" literature that study 003 follows: Liu & Xin, after
Fukuyama-Weber and Oh). D >= 0, and D = 0 on the frontier.

Index (Oh 2010, J. Prod. Anal. 34): with D^G on the *global* frontier spanned by all periods and
D^t on the contemporaneous frontier of period t::

    GML(t, t+1) = (1 + D^G(t)) / (1 + D^G(t+1))
    EC          = (1 + D^t(t)) / (1 + D^{t+1}(t+1))                 (efficiency change)
    TC          = GML / EC                                           (best-practice-gap change)

GML > 1 is productivity growth. The global frontier makes the index circular and always feasible
(no infeasible mixed-period LPs, unlike the Chung-Fare-Grosskopf ML index). Many applied papers
report the cumulative index (product of GML from the first year, first year = 1); ``cumulative``
gives it. Study 003's GTFP (mean 1.124, max 2.557) is more consistent with the cumulative index than
with the year-on-year one; the replication chooses, this module offers both.
"""
from __future__ import annotations

from typing import Literal, Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from analysis.measures.sbm import as_matrix, nondominated, solve_blocks

__all__ = ["sbm_ddf", "gml_index"]


def _ddf_blocks(xo, yo, bo, xr, yr, br, vrs):
    """LP blocks (minimisation of -D) for each evaluated DMU. Variables: [lambda (n_r), s-, sg, sb]."""
    nb, m = xo.shape
    s1, s2 = yo.shape[1], bo.shape[1]
    nr = xr.shape[0]
    nv = nr + m + s1 + s2
    ne = m + s1 + s2 + (1 if vrs else 0)
    i_sx, i_sg, i_sb = nr, nr + m, nr + m + s1
    c = np.zeros((nb, nv))
    c[:, i_sx:i_sg] = -0.5 / (m * xo)
    c[:, i_sg:i_sb] = -0.5 / ((s1 + s2) * yo)
    c[:, i_sb:] = -0.5 / ((s1 + s2) * bo)
    a = np.zeros((nb, ne, nv))
    rhs = np.zeros((nb, ne))
    r = 0
    a[:, r : r + m, :nr] = xr.T
    a[:, r : r + m, i_sx:i_sg] = np.eye(m)
    rhs[:, r : r + m] = xo
    r += m
    a[:, r : r + s1, :nr] = yr.T
    a[:, r : r + s1, i_sg:i_sb] = -np.eye(s1)
    rhs[:, r : r + s1] = yo
    r += s1
    a[:, r : r + s2, :nr] = br.T
    a[:, r : r + s2, i_sb:] = np.eye(s2)
    rhs[:, r : r + s2] = bo
    r += s2
    if vrs:
        a[:, r, :nr] = 1.0
        rhs[:, r] = 1.0
    return c, a, rhs


def sbm_ddf(
    inputs,
    good_outputs,
    bad_outputs,
    *,
    reference: np.ndarray | None = None,
    rts: Literal["crs", "vrs"] = "crs",
    candidates: np.ndarray | None = None,
    batch_size: int = 64,
) -> np.ndarray:
    """SBM directional distance D of every DMU against the frontier of the ``reference`` DMUs.

    Evaluated DMUs outside the reference set may lie beyond the frontier; the LP is then infeasible
    and D is NaN (GML never needs that case). ``candidates``: a superset of the efficient (D = 0)
    reference DMUs; only these span the LPs (optimal reference sets consist of efficient DMUs, as
    for the SBM), which leaves D unchanged.
    """
    x, _ = as_matrix(inputs, "inputs")
    n = x.shape[0]
    y, _ = as_matrix(good_outputs, "good_outputs", n)
    b, _ = as_matrix(bad_outputs if bad_outputs is not None else np.zeros((n, 0)), "bad_outputs", n,
                     allow_empty=True)
    if rts not in ("crs", "vrs"):
        raise ValueError("sbm_ddf: rts must be 'crs' or 'vrs'")
    ref = np.ones(n, dtype=bool) if reference is None else np.asarray(reference, dtype=bool)
    if candidates is not None:
        ref = ref & np.asarray(candidates, dtype=bool)
    ridx = np.flatnonzero(ref)
    ridx = ridx[nondominated(np.hstack([x, -y, b])[ridx])]
    c, a, rhs = _ddf_blocks(x, y, b, x[ridx], y[ridx], b[ridx], rts == "vrs")
    obj, _, ok = solve_blocks(c, a, rhs, batch_size=batch_size)
    return np.where(ok, np.maximum(-obj, 0.0), np.nan)


def gml_index(
    panel: pd.DataFrame,
    *,
    unit: str,
    year: str,
    inputs: Sequence[str],
    good_outputs: Sequence[str],
    bad_outputs: Sequence[str],
    rts: Literal["crs", "vrs"] = "crs",
    batch_size: int = 64,
    progress: bool = True,
) -> pd.DataFrame:
    """GML index with its EC and TC parts for a balanced or unbalanced unit x year panel.

    Returns one row per unit-year with columns ``unit, year, ddf_global, ddf_contemporaneous, gml,
    gml_ec, gml_tc, gml_cumulative``; the first year of each unit (and any year whose previous year
    is missing) has NaN for the year-on-year parts; ``gml_cumulative`` is 1 in a unit's first year.
    """
    cols = [unit, year, *inputs, *good_outputs, *bad_outputs]
    missing = [c for c in cols if c not in panel.columns]
    if missing:
        raise ValueError(f"gml_index: column(s) {missing} not in the panel")
    if panel[[unit, year]].isna().any().any():
        raise ValueError(f"gml_index: missing values in the key columns {unit!r}/{year!r}")
    if panel.duplicated([unit, year]).any():
        raise ValueError(f"gml_index: duplicated {unit} x {year} rows; the panel needs one row per unit-year")
    df = panel[cols].sort_values([unit, year]).reset_index(drop=True)
    x, y, b = df[list(inputs)], df[list(good_outputs)], df[list(bad_outputs)]
    d_contemp = np.full(len(df), np.nan)
    yv = df[year].to_numpy()
    for t in tqdm(np.unique(yv), desc="GML (contemporaneous frontiers)", disable=not progress):
        rows = np.flatnonzero(yv == t)
        d_contemp[rows] = sbm_ddf(x.iloc[rows], y.iloc[rows], b.iloc[rows], rts=rts, batch_size=batch_size)
    # a DMU efficient on the global frontier is efficient in its own year: the year-efficient DMUs
    # (a loose tolerance only adds columns) are a superset of the global reference set
    d_global = sbm_ddf(x, y, b, rts=rts, candidates=d_contemp < 1e-6, batch_size=batch_size)
    out = df[[unit, year]].copy()
    out["ddf_global"] = d_global
    out["ddf_contemporaneous"] = d_contemp
    prev_g = out.groupby(unit)["ddf_global"].shift(1)
    prev_c = out.groupby(unit)["ddf_contemporaneous"].shift(1)
    consecutive = (out.groupby(unit)[year].diff() == 1).to_numpy()
    gml = np.where(consecutive, (1 + prev_g) / (1 + out["ddf_global"]), np.nan)
    ec = np.where(consecutive, (1 + prev_c) / (1 + out["ddf_contemporaneous"]), np.nan)
    out["gml"] = gml
    out["gml_ec"] = ec
    out["gml_tc"] = gml / ec
    first = out.groupby(unit)["ddf_global"].transform("first")
    # cumulative index = (1 + D^G(first year)) / (1 + D^G(t)), equal to the product of the yearly GML
    out["gml_cumulative"] = (1 + first) / (1 + out["ddf_global"])
    return out

"""Slacks-based measure with undesirable outputs (Tone 2004) and its super-efficiency variant.

Model (Tone 2004, "Dealing with undesirable outputs in DEA: a slacks-based measure (SBM)
approach", GRIPS; Cooper, Seiford & Tone 2007, *Data Envelopment Analysis*, 2nd ed., ch. 13),
for DMU o with inputs x (m), desirable outputs y (s1) and undesirable outputs b (s2)::

    rho* = min  (1 - (1/m) sum_i s-_i / x_io) / (1 + 1/(s1+s2) (sum_r sg_r / y_ro + sum_k sb_k / b_ko))
    s.t.  x_o = X lambda + s-,   y_o = Y lambda - sg,   b_o = B lambda + sb,   lambda, s >= 0
          (VRS: sum lambda = 1)

solved as one LP after the Charnes-Cooper transformation (t = 1 / denominator). rho* is in (0, 1];
rho* = 1 iff the DMU is SBM-efficient (all slacks zero).

Super-efficiency (Tone 2002, EJOR 143; with undesirable outputs as in MaxDEA's "Super-SBM-
Undesirable" and Cheng 2014), solved only for SBM-efficient DMUs, with o removed from the
reference set::

    delta* = min (1 + (1/m) sum s-_i / x_io) / (1 - 1/(s1+s2)(sum sg_r / y_ro + sum sb_k / b_ko))
    s.t.  X lambda - s- <= x_o,  Y lambda + sg >= y_o,  B lambda - sb <= b_o,  sg <= y_o,  lambda, s >= 0

delta* >= 1. With ``super_efficiency=True`` the returned score is rho* for inefficient DMUs and delta*
for efficient ones (the combined score the Chinese GTFEE literature reports; study 001's Gtfe reaches
1.193, which only a super-efficiency score can). VRS super-efficiency can be infeasible: such DMUs
get NaN and a warning.

Conventions that change numbers: the returns to scale (``rts``), the reference set (one frontier per
year or a global one: choose it by what you pass in, see :func:`analysis.measures.efficiency_scores`),
and strictly positive data (zeros would divide by zero in the slack ratios: we refuse them).
All programmes go to HiGHS through ``scipy.optimize.linprog``, stacked into block-diagonal batches;
dominated DMUs are dropped from the reference set first (this leaves rho* unchanged, see
:func:`nondominated`).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

__all__ = ["SBMResult", "sbm", "solve_blocks", "nondominated", "as_matrix"]




def _stack(blocks: np.ndarray) -> sparse.csr_matrix:
    """Block-diagonal sparse matrix from a (B, r, v) array of dense blocks."""
    b, r, v = blocks.shape
    bi, ii, jj = np.nonzero(blocks)
    data = blocks[bi, ii, jj]
    return sparse.csr_matrix((data, (bi * r + ii, bi * v + jj)), shape=(b * r, b * v))


def _solve_one(c, a_eq, b_eq, a_ub, b_ub, bounds):
    res = linprog(
        c,
        A_eq=None if a_eq is None else sparse.csr_matrix(a_eq),
        b_eq=b_eq,
        A_ub=None if a_ub is None else sparse.csr_matrix(a_ub),
        b_ub=b_ub,
        bounds=bounds,
        method="highs",
    )
    return res


def solve_blocks(
    c: np.ndarray,
    a_eq: np.ndarray | None,
    b_eq: np.ndarray | None,
    a_ub: np.ndarray | None = None,
    b_ub: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    batch_size: int = 64,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve B independent minimisation LPs ``min c_b'z  s.t. A_eq_b z = b_eq_b, A_ub_b z <= b_ub_b,
    0 <= z <= upper_b``.

    Shapes: c (B, v); a_eq (B, r_eq, v); b_eq (B, r_eq); a_ub (B, r_ub, v); b_ub (B, r_ub);
    upper (B, v) with ``inf`` for no bound. Returns (objective (B,), solution (B, v), ok (B,) bool).
    """
    n_prob, n_var = c.shape
    obj = np.full(n_prob, np.nan)
    sol = np.full((n_prob, n_var), np.nan)
    ok = np.zeros(n_prob, dtype=bool)
    if upper is None:
        upper = np.full((n_prob, n_var), np.inf)
    for start in range(0, n_prob, max(1, batch_size)):
        sl = slice(start, min(start + batch_size, n_prob))
        nb = sl.stop - sl.start
        bounds = np.column_stack([np.zeros(nb * n_var), upper[sl].ravel()])
        res = linprog(
            c[sl].ravel(),
            A_eq=None if a_eq is None else _stack(a_eq[sl]),
            b_eq=None if b_eq is None else b_eq[sl].ravel(),
            A_ub=None if a_ub is None else _stack(a_ub[sl]),
            b_ub=None if b_ub is None else b_ub[sl].ravel(),
            bounds=bounds,
            method="highs",
        )
        if res.status == 0:
            z = res.x.reshape(nb, n_var)
            sol[sl] = z
            obj[sl] = np.einsum("bv,bv->b", c[sl], z)
            ok[sl] = True
            continue
        # one member infeasible/unbounded: fall back to single solves for this batch
        for k in range(sl.start, sl.stop):
            r1 = _solve_one(
                c[k],
                None if a_eq is None else a_eq[k],
                None if b_eq is None else b_eq[k],
                None if a_ub is None else a_ub[k],
                None if b_ub is None else b_ub[k],
                np.column_stack([np.zeros(n_var), upper[k]]),
            )
            if r1.status == 0:
                sol[k], obj[k], ok[k] = r1.x, r1.fun, True
    return obj, sol, ok


def nondominated(z: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Mask of rows of ``z`` (smaller is better in every column) not dominated by another row.

    Row j is dominated if some row k is <= in every column and < in at least one; of exactly equal
    rows only the first is kept. Dropping dominated DMUs from a reference set leaves SBM / DDF
    optima unchanged (swapping lambda_j for lambda_k only enlarges every slack and keeps sum lambda),
    which makes the LPs on a global frontier much smaller.
    """
    n = z.shape[0]
    keep = np.ones(n, dtype=bool)
    for s in range(0, n, chunk):
        zj = z[s : s + chunk, None, :]
        le = (z[None, :, :] <= zj).all(axis=2)
        lt = (z[None, :, :] < zj).any(axis=2)
        dominated = (le & lt).any(axis=1)
        eq = (z[None, :, :] == zj).all(axis=2)
        earlier = np.arange(n)[None, :] < np.arange(s, min(s + chunk, n))[:, None]
        dup = (eq & earlier).any(axis=1)
        keep[s : s + chunk] = ~(dominated | dup)
    return keep


# ---------------------------------------------------------------------------------------------
# data checks


def as_matrix(data, name: str, n: int | None = None, allow_empty: bool = False) -> tuple[np.ndarray, list[str]]:
    """(n x k) float array and column names from a DataFrame / 2-D array / 1-D array; strictly positive."""
    if isinstance(data, pd.Series):
        data = data.to_frame()
    if isinstance(data, pd.DataFrame):
        cols = [str(c) for c in data.columns]
        non_num = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
        if non_num:
            raise ValueError(f"{name}: column(s) {non_num} are not numeric; convert them first")
        arr = data.to_numpy(dtype=float)
    else:
        arr = np.asarray(data, dtype=float)
        if arr.ndim == 1:
            arr = arr[:, None]
        cols = [f"{name}{j}" for j in range(arr.shape[1])]
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D table (DMUs x variables)")
    if arr.shape[1] == 0 and not allow_empty:
        raise ValueError(f"{name}: at least one variable is needed")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name}: has {arr.shape[0]} rows but the inputs have {n}; all tables need one row per DMU")
    if np.isnan(arr).any():
        bad = sorted({cols[j] for j in np.argwhere(np.isnan(arr))[:, 1]})
        raise ValueError(f"{name}: missing values in {bad}; impute or drop those DMUs first")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: infinite values")
    if (arr <= 0).any():
        bad = sorted({cols[j] for j in np.argwhere(arr <= 0)[:, 1]})
        raise ValueError(
            f"{name}: SBM needs strictly positive data, {bad} has zeros or negatives "
            "(slacks are divided by the observed values); replace zeros by a small positive number "
            "or drop the variable"
        )
    return arr, cols


# ---------------------------------------------------------------------------------------------
# the programmes


@dataclass(frozen=True)
class SBMResult:
    """Scores and slacks of :func:`sbm` (row order of the input).

    ``score``: rho* (or the combined super-efficiency score); ``sbm_score``: rho* always;
    ``super_score``: delta* for efficient DMUs, NaN otherwise (only with ``super_efficiency``);
    ``efficient``: rho* = 1 (within ``tol``); ``slacks``: s-, sg, sb of the SBM programme, one
    column per variable prefixed ``s_in_``, ``s_good_``, ``s_bad_``.
    """

    score: pd.Series
    sbm_score: pd.Series
    super_score: pd.Series
    efficient: pd.Series
    slacks: pd.DataFrame
    rts: str

    def to_frame(self) -> pd.DataFrame:
        return pd.concat([self.score.rename("score"), self.sbm_score.rename("sbm_score"),
                          self.super_score.rename("super_score"), self.efficient.rename("efficient"),
                          self.slacks], axis=1)


def _sbm_blocks(xo, yo, bo, xr, yr, br, vrs):
    """Charnes-Cooper LP blocks of the SBM for DMUs (rows of xo, yo, bo) against reference (xr, yr, br).

    Variables per block: [t, Lambda (n_r), S- (m), Sg (s1), Sb (s2)]."""
    nb, m = xo.shape
    s1, s2 = yo.shape[1], bo.shape[1]
    nr = xr.shape[0]
    nv = 1 + nr + m + s1 + s2
    ne = 1 + m + s1 + s2 + (1 if vrs else 0)
    i_l, i_sx, i_sg, i_sb = 1, 1 + nr, 1 + nr + m, 1 + nr + m + s1
    a = np.zeros((nb, ne, nv))
    b = np.zeros((nb, ne))
    c = np.zeros((nb, nv))
    c[:, 0] = 1.0
    c[:, i_sx:i_sg] = -1.0 / (m * xo)
    # normalisation row: t + 1/(s1+s2) (sum Sg/y + sum Sb/b) = 1
    a[:, 0, 0] = 1.0
    a[:, 0, i_sg:i_sb] = 1.0 / ((s1 + s2) * yo)
    a[:, 0, i_sb:] = 1.0 / ((s1 + s2) * bo)
    b[:, 0] = 1.0
    r = 1
    a[:, r : r + m, 0] = -xo
    a[:, r : r + m, i_l:i_sx] = xr.T
    a[:, r : r + m, i_sx:i_sg] = np.eye(m)
    r += m
    a[:, r : r + s1, 0] = -yo
    a[:, r : r + s1, i_l:i_sx] = yr.T
    a[:, r : r + s1, i_sg:i_sb] = -np.eye(s1)
    r += s1
    a[:, r : r + s2, 0] = -bo
    a[:, r : r + s2, i_l:i_sx] = br.T
    a[:, r : r + s2, i_sb:] = np.eye(s2)
    r += s2
    if vrs:
        a[:, r, 0] = -1.0
        a[:, r, i_l:i_sx] = 1.0
    return c, a, b


def _super_blocks(xo, yo, bo, xr, yr, br, vrs):
    """LP blocks of the super-efficiency SBM (slack form after Charnes-Cooper), same variable layout."""
    nb, m = xo.shape
    s1, s2 = yo.shape[1], bo.shape[1]
    nr = xr.shape[0]
    nv = 1 + nr + m + s1 + s2
    i_l, i_sx, i_sg, i_sb = 1, 1 + nr, 1 + nr + m, 1 + nr + m + s1
    c = np.zeros((nb, nv))
    c[:, 0] = 1.0
    c[:, i_sx:i_sg] = 1.0 / (m * xo)
    ne = 1 + (1 if vrs else 0)
    a_eq = np.zeros((nb, ne, nv))
    b_eq = np.zeros((nb, ne))
    a_eq[:, 0, 0] = 1.0
    a_eq[:, 0, i_sg:i_sb] = -1.0 / ((s1 + s2) * yo)
    a_eq[:, 0, i_sb:] = -1.0 / ((s1 + s2) * bo)
    b_eq[:, 0] = 1.0
    if vrs:
        a_eq[:, 1, 0] = -1.0
        a_eq[:, 1, i_l:i_sx] = 1.0
    nu = m + s1 + s2 + s1
    a_ub = np.zeros((nb, nu, nv))
    r = 0
    a_ub[:, r : r + m, 0] = -xo                      # X L - S- - t x_o <= 0
    a_ub[:, r : r + m, i_l:i_sx] = xr.T
    a_ub[:, r : r + m, i_sx:i_sg] = -np.eye(m)
    r += m
    a_ub[:, r : r + s1, 0] = yo                      # -(Y L + Sg - t y_o) <= 0
    a_ub[:, r : r + s1, i_l:i_sx] = -yr.T
    a_ub[:, r : r + s1, i_sg:i_sb] = -np.eye(s1)
    r += s1
    a_ub[:, r : r + s2, 0] = -bo                     # B L - Sb - t b_o <= 0
    a_ub[:, r : r + s2, i_l:i_sx] = br.T
    a_ub[:, r : r + s2, i_sb:] = -np.eye(s2)
    r += s2
    a_ub[:, r : r + s1, 0] = -yo                     # Sg - t y_o <= 0 (projected good output >= 0)
    a_ub[:, r : r + s1, i_sg:i_sb] = np.eye(s1)
    return c, a_eq, b_eq, a_ub, np.zeros((nb, nu))


def sbm(
    inputs,
    good_outputs,
    bad_outputs,
    *,
    rts: Literal["crs", "vrs"] = "crs",
    super_efficiency: bool = False,
    reference: np.ndarray | None = None,
    candidates: np.ndarray | None = None,
    batch_size: int = 64,
    tol: float = 1e-7,
) -> SBMResult:
    """SBM efficiency with undesirable outputs (Tone 2004); optional super-efficiency (see module doc).

    Parameters
    ----------
    inputs, good_outputs, bad_outputs : tables with one row per DMU (DataFrames keep their index and
        column names; arrays get 0..n-1). ``bad_outputs`` may have zero columns (plain SBM, Tone 2001).
    rts : ``"crs"`` (constant returns, study 001's default reading) or ``"vrs"``.
    super_efficiency : return delta* for SBM-efficient DMUs (combined score).
    reference : optional boolean mask of the DMUs that span the frontier (default: all).
    candidates : optional boolean mask, a superset of the SBM-efficient DMUs of the reference set
        (e.g. the union of the year-by-year efficient DMUs when scoring on a global frontier). The
        SBM programmes then use only these columns: optimal reference sets consist of efficient DMUs
        (Tone 2001, Thm. 3), so scores are unchanged and the LPs much smaller. Not used by the
        super-efficiency programmes (a DMU dominated only by o may be needed there).
    batch_size : LPs per HiGHS call.
    """
    if rts not in ("crs", "vrs"):
        raise ValueError("sbm: rts must be 'crs' or 'vrs'")
    index = inputs.index if isinstance(inputs, (pd.DataFrame, pd.Series)) else pd.RangeIndex(np.shape(inputs)[0])
    x, xn = as_matrix(inputs, "inputs")
    n = x.shape[0]
    y, yn = as_matrix(good_outputs, "good_outputs", n)
    if bad_outputs is None:
        bad_outputs = np.zeros((n, 0))
    b, bn = as_matrix(bad_outputs, "bad_outputs", n, allow_empty=True)
    vrs = rts == "vrs"
    ref = np.ones(n, dtype=bool) if reference is None else np.asarray(reference, dtype=bool)
    if ref.shape != (n,) or not ref.any():
        raise ValueError("sbm: `reference` must be a boolean mask with one entry per DMU, not all False")

    z = np.hstack([x, -y, b])
    cand = ref if candidates is None else ref & np.asarray(candidates, dtype=bool)
    if not cand.any():
        raise ValueError("sbm: `candidates` excludes every reference DMU")
    ridx = np.flatnonzero(cand)
    ridx = ridx[nondominated(z[ridx])]
    c, a, rhs = _sbm_blocks(x, y, b, x[ridx], y[ridx], b[ridx], vrs)
    obj, sol, ok = solve_blocks(c, a, rhs, batch_size=batch_size)
    if not ok.all():  # cannot happen for SBM (the DMU's own projection is feasible); guard anyway
        warnings.warn(f"sbm: {int((~ok).sum())} programme(s) failed; their scores are NaN", stacklevel=2)
    rho = np.clip(obj, 0.0, 1.0)
    t = sol[:, 0:1]
    m, s1 = x.shape[1], y.shape[1]
    nr = len(ridx)
    slacks = np.maximum(sol[:, 1 + nr :] / t, 0.0)  # clip solver round-off (-1e-17)
    slack_cols = [f"s_in_{c_}" for c_ in xn] + [f"s_good_{c_}" for c_ in yn] + [f"s_bad_{c_}" for c_ in bn]
    efficient = rho >= 1.0 - tol

    sup = np.full(n, np.nan)
    if super_efficiency:
        eff = np.flatnonzero(efficient & ok)
        if len(eff):
            rall = np.flatnonzero(ref)
            cs, ae, be, au, bu = _super_blocks(x[eff], y[eff], b[eff], x[rall], y[rall], b[rall], vrs)
            upper = np.full(cs.shape, np.inf)
            pos = {j: k for k, j in enumerate(rall)}
            for row, o in enumerate(eff):
                if o in pos:
                    upper[row, 1 + pos[o]] = 0.0  # remove o from its own reference set
            sobj, _, sok = solve_blocks(cs, ae, be, au, bu, upper=upper, batch_size=batch_size)
            if (~sok).any():
                warnings.warn(
                    f"sbm: super-efficiency programme infeasible for {int((~sok).sum())} DMU(s) "
                    f"(rts={rts!r}); their super scores are NaN", stacklevel=2)
            sup[eff] = np.where(sok, np.maximum(sobj, 1.0), np.nan)
    score = np.where(efficient & super_efficiency, sup, rho) if super_efficiency else rho
    return SBMResult(
        score=pd.Series(score, index=index, name="score"),
        sbm_score=pd.Series(rho, index=index, name="sbm_score"),
        super_score=pd.Series(sup, index=index, name="super_score"),
        efficient=pd.Series(efficient, index=index, name="efficient"),
        slacks=pd.DataFrame(slacks, index=index, columns=slack_cols),
        rts=rts,
    )

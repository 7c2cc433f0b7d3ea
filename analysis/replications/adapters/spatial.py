"""The spatial-panel family, for study 000's custom-layout tables: one :class:`SpatialDesign` (the
balanced panel, the dependent variable, the regressors and W) and the calls into the spatial
estimators of ``analysis.estimators`` that those tables make (fits, LM / LR / Wald tests, Moran's I).
Study 000 lays its tables out itself (tests by row, effects, Moran's I by year), so this family has no
column adapter in the registry."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["SpatialDesign", "lr_test", "wald_test"]


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

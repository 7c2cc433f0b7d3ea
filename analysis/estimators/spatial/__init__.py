"""Spatial panel econometrics (study 000): SAR, SEM, SDM, SDEM and SLX panels with fixed or random
effects by maximum likelihood, LeSage-Pace impacts, specification tests and Moran's I.

Modules: ``model`` (the estimators, equations and conventions), ``panel`` (balanced arrays aligned with
W, within demeaning, spatial lags), ``weights`` (alignment, checks, the mart edge table), ``logdet``
(log-determinant backends and traces), ``impacts`` (direct / indirect / total effects), ``diagnostics``
(LM, LR, Wald, Hausman, Moran's I).
"""
from analysis.estimators.spatial.diagnostics import (
    MoranByYear,
    TestResult,
    hausman,
    hausman_panel,
    lm_tests,
    lr_effects_test,
    lr_test,
    moran_by_year,
    wald_test,
)
from analysis.estimators.spatial.impacts import ImpactsResult, impacts
from analysis.estimators.spatial.model import SpatialPanelResult, fit_spatial_panel
from analysis.estimators.spatial.panel import EFFECTS, MODELS, PanelData, prepare_panel
from analysis.estimators.spatial.weights import AlignedWeights, align_weights, row_standardise, weights_from_edges

__all__ = [
    "AlignedWeights",
    "EFFECTS",
    "ImpactsResult",
    "MODELS",
    "MoranByYear",
    "PanelData",
    "SpatialPanelResult",
    "TestResult",
    "align_weights",
    "fit_spatial_panel",
    "hausman",
    "hausman_panel",
    "impacts",
    "lm_tests",
    "lr_effects_test",
    "lr_test",
    "moran_by_year",
    "prepare_panel",
    "row_standardise",
    "wald_test",
    "weights_from_edges",
]

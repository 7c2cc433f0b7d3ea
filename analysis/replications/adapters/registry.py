"""The one place where estimator names of :class:`~analysis.replications.spec.ColumnSpec` meet their
adapters. Adding an estimator family to the replications: write its adapter (a subclass of
:class:`~analysis.replications.adapters.base.Adapter`) and add one line here."""
from __future__ import annotations

from analysis.replications.adapters.base import Adapter
from analysis.replications.adapters.did import PropensityScoreDiD
from analysis.replications.adapters.dml import DoubleML
from analysis.replications.adapters.gmm import SystemGMM
from analysis.replications.adapters.heterogeneity import Split
from analysis.replications.adapters.iv import InstrumentalVariables
from analysis.replications.adapters.panel import FixedEffects
from analysis.replications.adapters.threshold import Threshold

__all__ = ["ADAPTERS", "adapter"]

ADAPTERS: dict[str, Adapter] = {
    "fe": FixedEffects(),
    "iv": InstrumentalVariables(),
    "iv_first": InstrumentalVariables(first_stage=True),
    "gmm": SystemGMM(),
    "threshold": Threshold(),
    "psm": PropensityScoreDiD(),
    "dml": DoubleML(),
    "split": Split(),
}


def adapter(name: str) -> Adapter:
    """The adapter registered as ``name``; a ValueError naming the registered ones otherwise."""
    try:
        return ADAPTERS[name]
    except KeyError:
        raise ValueError(f"unknown estimator {name!r}: the replications know {', '.join(sorted(ADAPTERS))} "
                         f"(analysis/replications/adapters/registry.py)") from None

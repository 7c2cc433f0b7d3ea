"""Replications of the five studies: ``replicate(study, *, warehouse, out)``.

One module per study (``s000.py`` ... ``s004.py``) declares ``STUDY`` (:mod:`.spec`); :mod:`.runner`
runs its tables through the estimator adapters (:mod:`.adapters`, one per family, registered in
:mod:`.adapters.registry`), fills the printed statistic rows (:mod:`.rows`) and puts the planted truth
beside them (:mod:`.truth`); the printed numbers are package data in ``published/``. ``study="all"``
runs every study module present (:mod:`.studies`).

The names below are loaded on first use, so that listing the studies (the command line's choices)
does not import the estimators.
"""
from __future__ import annotations

import importlib

_PUBLIC = {"replicate": "runner", "run_study": "runner", "available_studies": "studies", "load_study": "studies"}

__all__ = list(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(f"analysis.replications.{_PUBLIC[name]}"), name)
    raise AttributeError(f"module 'analysis.replications' has no attribute {name!r}")

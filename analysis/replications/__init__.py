"""Replications of the five studies: ``replicate(study, *, warehouse, out)``.

One module per study (``s000.py`` ... ``s004.py``) declares ``STUDY`` (:mod:`.spec`); :mod:`.runner`
runs its tables through the estimator adapters (:mod:`.adapters`, one per family, registered in
:mod:`.adapters.registry`), fills the printed statistic rows (:mod:`.rows`) and puts the planted truth
beside them (:mod:`.truth`); the printed numbers are package data in ``published/``. ``study="all"``
runs every study module present (:mod:`.studies`).
"""
from analysis.replications.runner import replicate, run_study
from analysis.replications.studies import available_studies, load_study

__all__ = ["replicate", "available_studies", "load_study", "run_study"]

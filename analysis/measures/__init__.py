"""Measures built from the panel before estimation: entropy-weight indices (``entropy``), SBM efficiency
with undesirable outputs and super-efficiency (``sbm``), the Global Malmquist-Luenberger index
(``gml``), perpetual-inventory capital stocks (``capital``) and the mart-shaped efficiency scores that
combine them (``efficiency``).
"""
from analysis.measures.capital import capital_stock
from analysis.measures.efficiency import efficiency_scores, gtfp_scores, mart_efficiency_scores
from analysis.measures.entropy import EntropyResult, entropy_weights, study_entropy_index
from analysis.measures.gml import gml_index, sbm_ddf
from analysis.measures.sbm import SBMResult, sbm

__all__ = [
    "EntropyResult",
    "SBMResult",
    "capital_stock",
    "efficiency_scores",
    "gtfp_scores",
    "mart_efficiency_scores",
    "entropy_weights",
    "gml_index",
    "sbm",
    "sbm_ddf",
    "study_entropy_index",
]

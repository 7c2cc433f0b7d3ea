"""Measures built from the panel before estimation: SBM efficiency with undesirable outputs (and
super-efficiency), the Global Malmquist-Luenberger index and perpetual-inventory capital stocks.

``efficiency_scores`` turns a tidy unit x year table into scores (unit, year, score, GML parts), as for
study 001's city GTFEE; ``gtfp_scores`` adds the perpetual-inventory capital for study 003's provincial
GTFP. Both take the names of the columns to use as arguments: the library knows no mart. The dbt Python
model ``int_efficiency_scored`` maps the warehouse's columns onto them. Entropy weights live in SQL (the
dbt macro ``entropy_weights``).
"""
from analysis.measures.capital import capital_stock
from analysis.measures.efficiency import efficiency_scores, gtfp_scores
from analysis.measures.gml import gml_index, sbm_ddf
from analysis.measures.sbm import SBMResult, sbm

__all__ = [
    "SBMResult",
    "capital_stock",
    "efficiency_scores",
    "gtfp_scores",
    "gml_index",
    "sbm",
    "sbm_ddf",
]

"""End to end on the tiny sample world: study 001's city GTFEE (super-SBM, contemporaneous frontier)
and study 003's provincial GTFP (perpetual-inventory capital + SBM-DDF GML), the two calls that
``mart_efficiency`` will make."""
import importlib.util

import numpy as np
import pandas as pd
import pytest

from analysis.measures import efficiency_scores, gtfp_scores
from tests.conftest import REPO

MODEL = REPO / "dbt_project" / "models" / "intermediate" / "efficiency" / "int_efficiency_scored.py"


def _efficiency_model():
    """The dbt Python model as a module (its ``score`` maps the warehouse's columns onto the library)."""
    spec = importlib.util.spec_from_file_location("int_efficiency_scored", MODEL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def world():
    from ingestion.sample.geography import build_world
    from ingestion.sample.model import simulate

    return simulate(build_world("tiny"), 20240601)


def test_city_gtfee_study001(world):
    city = world.city
    out = efficiency_scores(city, unit="adcode", year="year",
                            inputs=["fai_10k_yuan", "employed_10k", "energy_10k_tce"],
                            good_outputs=["gdp_10k_yuan"], bad_outputs=["so2_t", "nox_t", "co2_t"])
    assert len(out) == len(city) and out.score.notna().all()
    assert (out.score > 0).all() and out.score.max() > 1  # super-efficiency above 1, as study 001's 1.193
    assert out.groupby("year").efficient.any().all()
    assert out.measure.eq("sbm_undesirable").all()


def test_province_gtfp_study003(world):
    prov = world.province
    first = int(prov.year.min())
    out = gtfp_scores(prov, unit="province_adcode", year="year", labour="employed_10k",
                      investment="fai_10k_yuan", energy="energy_10k_tce", gdp="gdp_10k_yuan", co2="co2_10k_t",
                      base_year=first, years=(first + 1, int(prov.year.max())))
    assert out.year.min() == first + 1 and out.capital_stock.gt(0).all()
    g = out.dropna(subset=["gml"])
    np.testing.assert_allclose(g.gml, g.gml_ec * g.gml_tc, rtol=1e-12)
    assert 0.5 < g.gml.mean() < 2.0
    with pytest.raises(ValueError, match="base year 1990"):
        gtfp_scores(prov, unit="province_adcode", year="year", labour="employed_10k", investment="fai_10k_yuan",
                    energy="energy_10k_tce", gdp="gdp_10k_yuan", co2="co2_10k_t", base_year=1990)


def test_the_dbt_model_scores_fill_the_mart_shape(world):
    city = world.city.rename(columns={"adcode": "unit_code", "fai_10k_yuan": "investment_10k_yuan"})
    city["unit_level"] = "city"
    prov = world.province.rename(columns={"province_adcode": "unit_code", "fai_10k_yuan": "investment_10k_yuan",
                                          "co2_10k_t": "co2_t"})
    prov["unit_level"], prov["so2_t"], prov["nox_t"] = "province", np.nan, np.nan
    prov["co2_t"] = prov["co2_t"] * 1e4
    cols = ["unit_level", "unit_code", "year", "investment_10k_yuan", "employed_10k", "energy_10k_tce",
            "gdp_10k_yuan", "so2_t", "nox_t", "co2_t"]
    mart = pd.concat([city[cols], prov[cols]], ignore_index=True)
    mart.loc[0, "so2_t"] = np.nan  # one incomplete city-year
    with pytest.warns(UserWarning, match="1 city-year"):
        out = _efficiency_model().score(mart, gtfp_base_year=int(prov.year.min()), progress=False)
    assert len(out) == len(mart) and list(out.columns[:4]) == ["unit_level", "unit_code", "year", "efficiency_score"]
    assert np.isnan(out.efficiency_score.iloc[0]) and out.efficiency_score.iloc[1:].notna().all()
    p = out[out.unit_level == "province"]
    assert p.capital_stock.notna().all() and p.gml_index.notna().sum() == len(p) - p.unit_code.nunique()
    assert out[out.unit_level == "city"].gml_index.isna().all()  # city GML only on request


def test_the_dbt_model_accumulates_capital_from_the_base_year_before_the_panel(world):
    """The capital stock of the panel's years comes from the investment series since the GTFP base year:
    a longer history changes the stock (and so GTFP), and a base year the history lacks is an error."""
    model = _efficiency_model()
    prov = world.province.rename(columns={"province_adcode": "unit_code", "fai_10k_yuan": "investment_10k_yuan",
                                          "co2_10k_t": "co2_t"}).assign(unit_level="province", so2_t=np.nan, nox_t=np.nan)
    first = int(prov.year.min())
    history = prov[["unit_code", "year", "investment_10k_yuan"]]
    earlier = history[history.year == first].assign(year=first - 1, investment_10k_yuan=lambda d: d.investment_10k_yuan / 1.1)
    own = model.score(prov, gtfp_base_year=first)
    longer = model.score(prov, gtfp_base_year=first - 1, investment_history=pd.concat([earlier, history]))
    assert len(own) == len(longer) == len(prov) and longer.capital_stock.notna().all()
    assert not np.allclose(own.capital_stock, longer.capital_stock)
    with pytest.raises(ValueError, match=f"base year {first - 2} not in the investment years"):
        model.score(prov, gtfp_base_year=first - 2, investment_history=pd.concat([earlier, history]))

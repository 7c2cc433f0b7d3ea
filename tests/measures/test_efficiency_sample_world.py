"""End to end on the tiny sample world: study 001's city GTFEE (super-SBM, contemporaneous frontier)
and study 003's provincial GTFP (perpetual-inventory capital + SBM-DDF GML), the two calls that
``mart_efficiency`` will make."""
import numpy as np
import pandas as pd
import pytest

from analysis.measures import efficiency_scores, gtfp_scores, mart_efficiency_scores


@pytest.fixture(scope="module")
def world():
    from ingestion.sample.geography import build_world
    from ingestion.sample.model import simulate

    return simulate(build_world("tiny"), 20240601)


def test_city_gtfee_seed001(world):
    city = world.city
    out = efficiency_scores(city, unit="adcode", year="year",
                            inputs=["fai_10k_yuan", "employed_10k", "energy_10k_tce"],
                            good_outputs=["gdp_10k_yuan"], bad_outputs=["so2_t", "nox_t", "co2_t"])
    assert len(out) == len(city) and out.score.notna().all()
    assert (out.score > 0).all() and out.score.max() > 1  # super-efficiency above 1, as study 001's 1.193
    assert out.groupby("year").efficient.any().all()
    assert out.measure.eq("sbm_undesirable").all()


def test_province_gtfp_seed003(world):
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


def test_mart_efficiency_scores_fill_the_mart_shape(world):
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
        out = mart_efficiency_scores(mart, progress=False)
    assert len(out) == len(mart) and list(out.columns[:4]) == ["unit_level", "unit_code", "year", "efficiency_score"]
    assert np.isnan(out.efficiency_score.iloc[0]) and out.efficiency_score.iloc[1:].notna().all()
    p = out[out.unit_level == "province"]
    assert p.capital_stock.notna().all() and p.gml_index.notna().sum() == len(p) - p.unit_code.nunique()
    assert out[out.unit_level == "city"].gml_index.isna().all()  # city GML only on request

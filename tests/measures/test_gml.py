"""GML index on the SBM directional distance: analytic single input/output case, the LP dual as an
independent formulation, Oh (2010) identities (GML = EC x TC, circularity), the mart-shaped call."""
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from analysis.measures import efficiency_scores, gml_index, sbm_ddf
from analysis.measures.gml import _ddf_blocks


def test_single_input_output_closed_form():
    # D = max (a + b)/2 with (1 + b)/(1 - a) = 1/theta  =>  a = 0, D = (1/theta - 1)/2, theta = CCR score
    rng = np.random.default_rng(2)
    x, y = rng.uniform(1, 4, 15), rng.uniform(1, 4, 15)
    theta = (y / x) / (y / x).max()
    d = sbm_ddf(x, y, None)
    np.testing.assert_allclose(d, (1 / theta - 1) / 2, atol=1e-9)


def test_ddf_equals_its_lp_dual():
    rng = np.random.default_rng(7)
    n = 20
    x = rng.lognormal(0, 0.4, (n, 3))
    y = (x.prod(axis=1) ** 0.3 * rng.lognormal(0, 0.3, n))[:, None]
    b = y * rng.lognormal(0, 0.4, (n, 2))
    for rts in ("crs", "vrs"):
        d = sbm_ddf(x, y, b, rts=rts)
        c, a, rhs = _ddf_blocks(x, y, b, x, y, b, rts == "vrs")  # primal: min c z, A z = r, z >= 0
        for o in range(n):
            # dual: max r'pi s.t. A' pi <= c, pi free  (strong duality: equal optimum)
            res = linprog(-rhs[o], A_ub=a[o].T, b_ub=c[o], bounds=(None, None), method="highs")
            assert res.fun == pytest.approx(d[o], abs=1e-8)  # min -r.pi = -(-D)
        assert (d >= 0).all() and (d == 0).any()


@pytest.fixture(scope="module")
def province_panel():
    rng = np.random.default_rng(2013)
    units, years = 12, 6
    df = pd.DataFrame({"province": np.repeat(np.arange(units), years), "year": np.tile(np.arange(2013, 2013 + years), units)})
    tech = 1.03 ** (df["year"] - 2013)  # planted technical progress
    df["labour"] = rng.lognormal(0, 0.3, len(df))
    df["capital"] = rng.lognormal(1, 0.3, len(df))
    df["energy"] = rng.lognormal(0, 0.3, len(df))
    df["gdp"] = tech * (df.labour * df.capital * df.energy) ** 0.3 * rng.lognormal(0, 0.15, len(df))
    df["co2"] = df.energy * rng.lognormal(0, 0.2, len(df)) / tech
    return df


def test_gml_identities(province_panel):
    g = gml_index(province_panel, unit="province", year="year", inputs=["labour", "capital", "energy"],
                  good_outputs=["gdp"], bad_outputs=["co2"])
    yy = g.dropna(subset=["gml"])
    np.testing.assert_allclose(yy.gml, yy.gml_ec * yy.gml_tc, rtol=1e-12)
    # circularity: product of the yearly indices = the cumulative index
    for _, grp in g.groupby("province"):
        np.testing.assert_allclose(np.cumprod(grp.gml.fillna(1.0)), grp.gml_cumulative, rtol=1e-10)
    # the global frontier envelops every period: D^G >= D^t
    assert (g.ddf_global >= g.ddf_contemporaneous - 1e-9).all()
    # planted 3% technical progress and falling CO2 per unit of output: average GML above 1
    assert yy.gml.mean() > 1.0 and yy.gml_tc.mean() > 1.0


def test_efficiency_scores_mart_shape(province_panel):
    out = efficiency_scores(province_panel, unit="province", year="year", inputs=["labour", "capital", "energy"],
                            good_outputs=["gdp"], bad_outputs=["co2"])
    assert list(out.columns[:4]) == ["province", "year", "measure", "frontier"]
    assert {"score", "sbm_score", "efficient", "gml", "gml_ec", "gml_tc", "gml_cumulative"} <= set(out.columns)
    assert len(out) == len(province_panel) and not out.duplicated(["province", "year"]).any()
    # each year has at least one efficient province on its own frontier, scoring >= 1 (super-efficiency)
    assert out.groupby("year")["efficient"].any().all()
    assert (out.loc[out.efficient, "score"] >= 1).all() and (out.loc[~out.efficient, "score"] < 1).all()
    glob = efficiency_scores(province_panel, unit="province", year="year", inputs=["labour", "capital", "energy"],
                             good_outputs=["gdp"], bad_outputs=["co2"], frontier="global", gml=False)
    assert glob.efficient.sum() < out.efficient.sum()  # one frontier for all years: fewer efficient DMUs
    with pytest.raises(ValueError, match="duplicated"):
        efficiency_scores(pd.concat([province_panel, province_panel.head(1)]), unit="province", year="year",
                          inputs=["labour"], good_outputs=["gdp"], bad_outputs=["co2"])
    with pytest.raises(ValueError, match=r"\['nox'\] not in the data"):
        efficiency_scores(province_panel, unit="province", year="year", inputs=["labour"],
                          good_outputs=["gdp"], bad_outputs=["nox"])


@pytest.mark.parametrize("rts", ["crs", "vrs"])
def test_global_frontier_shortcut_is_exact(province_panel, rts):
    # candidates = year-efficient DMUs must give the same global scores as the full reference set
    df = province_panel
    cols = dict(inputs=["labour", "capital", "energy"], good_outputs=["gdp"], bad_outputs=["co2"])
    from analysis.measures import sbm
    fast = efficiency_scores(df, unit="province", year="year", rts=rts, frontier="global", gml=False,
                             super_efficiency=False, **cols)
    full = sbm(df[cols["inputs"]], df[cols["good_outputs"]], df[cols["bad_outputs"]], rts=rts)
    order = df.sort_values(["province", "year"]).index
    np.testing.assert_allclose(fast.score.to_numpy(), full.sbm_score.loc[order].to_numpy(), atol=1e-9)
    g = gml_index(df, unit="province", year="year", rts=rts, **cols)
    d_full = sbm_ddf(df.loc[order, cols["inputs"]], df.loc[order, cols["good_outputs"]],
                     df.loc[order, cols["bad_outputs"]], rts=rts)
    np.testing.assert_allclose(g.ddf_global.to_numpy(), d_full, atol=1e-9)


def test_unbalanced_panel_gap_gives_nan_year_on_year(province_panel):
    df = province_panel[~((province_panel.province == 3) & (province_panel.year == 2015))]
    g = gml_index(df, unit="province", year="year", inputs=["labour", "capital", "energy"],
                  good_outputs=["gdp"], bad_outputs=["co2"], progress=False)
    row = g[(g.province == 3) & (g.year == 2016)].iloc[0]
    assert np.isnan(row.gml) and np.isnan(row.gml_ec)  # no 2015 to compare with
    assert np.isfinite(row.gml_cumulative)  # the global frontier still compares 2016 with 2013
    assert g[(g.province == 3) & (g.year == 2017)].gml.notna().all()

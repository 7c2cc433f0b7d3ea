"""`dualcarbon build` on the tiny world: every dbt model, seed, data test and unit test passes, and the
marts carry what the generator planted."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from ingestion.sample.geography import build_world
from ingestion.sample.model import simulate
from tests.conftest import REPO, TINY_SEED

MARTS = ["dim_city", "fct_city_year", "mart_emissions_intensity", "mart_pollution_index", "mart_pollution_index_weights",
         "mart_patents", "mart_ai", "mart_robot_exposure", "mart_policy_treatment", "mart_spatial_weights",
         "fct_province_year", "mart_efficiency"]


@pytest.fixture(scope="module")
def sim():
    return simulate(build_world("tiny"), TINY_SEED)


def q(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_build_passes_every_node(tiny_marts):
    log = (tiny_marts.parent / "build.log").read_text(encoding="utf-8")
    done = re.findall(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)", log)
    assert done, log[-2000:]
    passed, warned, errors, skipped = map(int, done[-1])
    assert errors == 0 and skipped == 0
    assert passed > 300  # seeds, models, data tests and unit tests


def test_every_mart_exists_in_the_marts_schema(tiny_marts):
    tables = q(tiny_marts, "select table_schema, table_name from information_schema.tables")
    assert set(MARTS) <= set(tables[tables.table_schema == "marts"].table_name)
    assert {"staging", "intermediate", "seeds", "marts", "raw"} <= set(tables.table_schema)


def test_an_analyst_query_works_read_only(tiny_marts):
    rows = q(tiny_marts, "select * from marts.fct_city_year limit 5")
    assert len(rows) == 5 and {"adcode", "year", "carbon_intensity", "ln_ai_firms"} <= set(rows.columns)


def test_panel_carries_the_planted_truth(tiny_marts, sim):
    """On the city-years whose territory is the vintage's (boundary_break false). The sources name the
    units of their own year (莱芜, 巢湖, 襄樊, 海东地区): this goes through the whole crosswalk."""
    f = q(tiny_marts, "select * from marts.fct_city_year")
    everything = sim.city.merge(f, on=["adcode", "year"], suffixes=("_truth", ""))
    assert len(everything) == len(sim.city) == 240
    m = everything[~everything.boundary_break]
    assert len(m) == 240 - 10  # 合肥 2010-2011 (巢湖), 济南 2018 (莱芜), 成都 2010-2016 (简阳)
    assert np.array_equal(m.ai_firms_truth if "ai_firms_truth" in m else m.ai_firms, m.ai_firms)
    assert np.allclose(m.ln_ai_firms_truth, m.ln_ai_firms)
    assert (m.green_apps == m.green_applications).all()
    assert (m.pilot == m.ai_pilot).all() and (m.smart_city == m.smart_city_pilot).all()
    assert np.allclose(m.co2_edgar_t, m.co2_t, rtol=1e-5)
    assert np.allclose(m.ln_industrial_so2, m.ln_so2, atol=1e-3)
    assert np.allclose(m.carbon_intensity, m.co2_t / m.gdp_10k_yuan_truth, rtol=1e-5)
    assert np.allclose(m.ln_gdp_per_capita, m.ln_pgdp, atol=1e-3)  # yearbook values are rounded
    assert np.allclose(m.tertiary_share, m.tertiary_share_truth, atol=1e-6)
    assert np.allclose(m.environment_word_share, m.er_share, atol=5e-4)  # whole keywords: within ~1 character
    assert np.allclose(m.ln_pop_hukou, np.log(m.pop_hukou_10k_truth * 1e4), atol=1e-4)


def test_boundary_breaks_are_the_changes_of_territory(tiny_marts, sim):
    """boundary_break marks exactly the city-years before a split or transfer of territory (and the year a
    merger took effect); there the yearbook's amounts cover the territory of that year (the share the
    sample world wrote: 0.8 of 合肥 before 巢湖 was dissolved into it, 0.9 of 成都 before 简阳 joined), while
    ratios and the firm registry (today's units) stay on the truth."""
    f = q(tiny_marts, "select adcode, year, boundary_break, boundary_break_reason, gdp_10k_yuan, ai_firms, "
                      "tertiary_share, ln_gdp_per_capita from marts.fct_city_year")
    flagged = f[f.boundary_break].sort_values(["adcode", "year"])
    assert [(a, int(y)) for a, y in zip(flagged.adcode, flagged.year)] == (
        [("340100", 2010), ("340100", 2011), ("370100", 2018)] + [("510100", y) for y in range(2010, 2017)])
    assert flagged.boundary_break_reason.str.contains("split 2011: 巢湖市 -> 合肥市|merge 2018: 莱芜市 -> 济南市|"
                                                      "transfer 2016: 资阳市 -> 成都市").all()
    assert f[~f.boundary_break].boundary_break_reason.isna().all()
    m = sim.city.merge(flagged, on=["adcode", "year"], suffixes=("_truth", ""))
    share = {"340100": 0.8, "370100": 1.0, "510100": 0.9}
    expected = m.gdp_10k_yuan_truth * m.adcode.map(share)
    # the yearbook names the units of 31 December: in a change's own year (2011, 2016) it reports the new territory
    after = ((m.adcode == "340100") & (m.year == 2011)) | ((m.adcode == "510100") & (m.year == 2016))
    expected[after] = m.gdp_10k_yuan_truth[after]
    assert np.allclose(m.gdp_10k_yuan, expected, atol=1.0)
    assert (m.ai_firms == m.ai_firms_truth).all()
    assert np.allclose(m.tertiary_share, m.tertiary_share_truth, atol=1e-6)
    assert np.allclose(m.ln_gdp_per_capita, m.ln_pgdp, atol=1e-3)


def test_sources_named_by_units_of_their_year_are_harmonised(tiny_marts):
    """Every kind of change of the tiny world crosses the crosswalk: 莱芜 (merged into 济南) is summed, 襄樊
    (renamed) and 海东地区 (new code) map one to one, 巢湖 (split) and 资阳 (no polygon) are kept out, each with
    its reason; the panel stays balanced on the vintage's 20 cities."""
    mapped = q(tiny_marts, "select adcode, year, vintage_adcode, rule, in_panel from intermediate.int_division_years_mapped "
                           "where adcode in ('371200', '420600', '632100', '341400', '512000') "
                           "and year = case adcode when '420600' then 2009 else 2010 end")  # 襄樊 to 2009
    rules = {r.adcode: (r.vintage_adcode, r.rule, r.in_panel) for r in mapped.itertuples()}
    assert rules["371200"] == ("370100", "merged", True)
    assert rules["420600"] == ("420600", "renamed", True)
    assert rules["632100"] == ("630200", "new_code", True)
    assert rules["341400"][1:] == ("split", False) and pd.isna(rules["341400"][0])
    assert rules["512000"] == ("512000", "unchanged", False)
    out = q(tiny_marts, "select source, adcode, reason, sum(n_rows) as n from intermediate.int_division_rows_kept_out "
                        "group by all")
    assert set(out.adcode) == {"341400", "512000"}
    assert set(out[out.adcode == "341400"].reason) == {"dissolved with no single successor (split)"}
    assert {"yearbook", "ceads", "patents", "gov_reports", "employment"} <= set(out.source)
    summed = q(tiny_marts, "select n_reported_units from intermediate.int_yearbook_indicators_harmonised "
                           "where adcode = '370100' and year < 2018 and indicator = 'gdp_10k_yuan'")
    assert (summed.n_reported_units == 2).all() and len(summed) == 8
    panel = q(tiny_marts, "select count(distinct adcode) as n, count(*) as rows from marts.fct_city_year")
    assert panel.n[0] == 20 and panel.rows[0] == 240


def test_province_panel_reproduces_ipcc_co2_and_robot_exposure(tiny_marts, sim):
    p = q(tiny_marts, "select * from marts.fct_province_year")
    m = sim.province.merge(p, on=["province_adcode", "year"], suffixes=("_truth", ""))
    assert len(m) == len(sim.province)
    assert np.allclose(m.co2_ipcc_10k_t, m.co2_10k_t, rtol=1e-4)  # fuels are written with 2 decimals
    assert np.allclose(m.robot_exposure, m.robot_exposure_truth, rtol=1e-3)
    assert np.allclose(m.robot_exposure_us, m.robot_exposure_us_truth, rtol=1e-3)


def test_spatial_weights_are_row_stochastic_with_symmetric_raw_distances(tiny_marts):
    w = q(tiny_marts, "select * from marts.mart_spatial_weights")
    sums = w.groupby(["matrix", "adcode_i"]).weight.sum()
    assert np.allclose(sums, 1, atol=1e-9)
    inv = w[w.matrix == "inverse_distance"].pivot(index="adcode_i", columns="adcode_j", values="weight_raw")
    assert np.allclose(inv.to_numpy(), inv.T.to_numpy(), equal_nan=True)
    queen = w[w.matrix == "queen"].groupby("adcode_i").size()
    # a 5 x 4 grid of squares: 16 + 15 horizontal/vertical and 24 diagonal neighbour pairs, 3 to 8 per city
    assert queen.min() == 3 and queen.max() == 8 and queen.sum() == 2 * (16 + 15 + 24)
    assert (w[w.matrix == "knn"].groupby("adcode_i").size() == 5).all()


def test_the_dbt_macro_agrees_with_the_reference_entropy_weights(tiny_marts):
    """The entropy_weights macro in the built marts gives the weights of the reference implementation
    (tests/measures/entropy_reference.py)."""
    from tests.measures.entropy_reference import entropy_weights

    inputs = q(tiny_marts, "select * from intermediate.int_city_year_emissions_joined")
    cols = ["industrial_wastewater_t", "industrial_so2_t", "industrial_dust_t"]
    result = entropy_weights(inputs.dropna(subset=cols), cols, direction={c: "positive" for c in cols},
                             pooling="all", epsilon=0.0)
    weights = q(tiny_marts, "select indicator, weight from marts.mart_pollution_index_weights "
                            "where index_name = 'pollution_index_000'").set_index("indicator").weight
    python_weights = pd.Series(np.asarray(result.weights).ravel()[: len(cols)], index=cols) \
        if not isinstance(result.weights, pd.DataFrame) else result.weights.iloc[0][cols]
    assert np.allclose(python_weights[cols].to_numpy(dtype=float), weights[cols].to_numpy(), atol=1e-11)


def test_plain_dbt_from_the_root_uses_the_in_repo_profile(tiny_marts):
    env = dict(os.environ, DUALCARBON_WAREHOUSE=str(tiny_marts))
    dbt = Path(sys.executable).with_name("dbt")
    proc = subprocess.run([str(dbt), "ls", "--resource-type", "model", "--output", "name"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "fct_city_year" in proc.stdout and "stg_boundaries__cities" in proc.stdout


def test_docs_generate_shows_sources_staging_and_marts_in_the_lineage(tiny_marts, tmp_path):
    env = dict(os.environ, DUALCARBON_WAREHOUSE=str(tiny_marts))
    dbt = Path(sys.executable).with_name("dbt")
    proc = subprocess.run([str(dbt), "docs", "generate", "--target-path", str(tmp_path / "target"),
                           "--log-path", str(tmp_path / "logs")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    assert (tmp_path / "target" / "index.html").exists()
    ancestors, frontier = set(), {"model.dualcarbon.fct_city_year"}
    while frontier:
        node = frontier.pop()
        for parent in manifest["parent_map"].get(node, []):
            if parent not in ancestors:
                ancestors.add(parent)
                frontier.add(parent)
    assert any(a.startswith("source.dualcarbon.") for a in ancestors)
    assert any(".stg_" in a for a in ancestors) and any(".int_" in a for a in ancestors)
    assert "model.dualcarbon.fct_city_year" in catalog["nodes"]


def test_efficiency_mart_scores_every_unit_year(tiny_marts):
    """GTFEE for cities (super-efficiency SBM: the frontier units score >= 1) and GTFP for provinces
    (cumulative GML = 1 in the first year, = product of the yearly indices afterwards)."""
    e = q(tiny_marts, "select * from marts.mart_efficiency")
    city, prov = e[e.unit_level == "city"], e[e.unit_level == "province"]
    assert city.efficiency_score.notna().all() and (city.efficiency_score > 0).all()
    assert (city.groupby("year").efficiency_score.max() >= 1 - 1e-9).all()
    assert (city.efficiency_score < 1 - 1e-9).any()
    prov = prov.sort_values(["unit_code", "year"])
    first = prov.groupby("unit_code").head(1)
    assert np.allclose(first.gml_cumulative, 1.0)
    rest = prov.dropna(subset=["gml_index"])
    product = rest.groupby("unit_code").gml_index.prod()
    last = prov.groupby("unit_code").gml_cumulative.last()
    assert np.allclose(product, last.loc[product.index], rtol=1e-9)
    assert np.allclose(rest.gml_index, rest.gml_efficiency_change * rest.gml_technical_change, rtol=1e-9)


def test_the_duckdb_command_line_client_reads_the_marts(tiny_marts):
    """`duckdb warehouse/dualcarbon.duckdb "select * from marts.fct_city_year limit 5"` as an analyst runs it."""
    cli = Path(sys.executable).with_name("duckdb")
    proc = subprocess.run([str(cli), "-readonly", "-csv", str(tiny_marts),
                           "select adcode, year, carbon_intensity from marts.fct_city_year order by adcode, year limit 5"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == "adcode,year,carbon_intensity" and len(lines) == 6


def test_build_writes_self_contained_dbt_docs(tiny_marts, tmp_path, monkeypatch, capsys):
    """`--dbt-docs DIR` writes dbt's --static page: manifest and catalog embedded, so it opens from disk
    (the plain index.html fetches manifest.json, which browsers refuse on file://)."""
    from dualcarbon.dbt import write_dbt_docs

    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    assert write_dbt_docs(tiny_marts, tmp_path / "docs") == 0
    page = (tmp_path / "docs" / "index.html").read_text(encoding="utf-8")
    assert "model.dualcarbon.fct_city_year" in page and "source.dualcarbon." in page   # manifest inside
    assert '"catalog"' in page or "catalog" in page
    assert "dbt docs:" in capsys.readouterr().out


def test_the_sample_world_plants_its_sdm_in_the_marts_inverse_distance_w(tiny_marts):
    """One definition of W: the world's W (ingestion.geometry on the world's polygons) is the mart's
    row-standardised inverse_distance matrix (the loader's centroids, the dbt macro's distance)."""
    from ingestion.geometry import centroids_lonlat, inverse_distance_weights

    world = build_world("tiny")
    w = q(tiny_marts, "select adcode_i, adcode_j, weight from marts.mart_spatial_weights where matrix = 'inverse_distance'")
    mart = w.pivot(index="adcode_i", columns="adcode_j", values="weight").reindex(
        index=world.cities.adcode, columns=world.cities.adcode).fillna(0.0).to_numpy()
    planted = inverse_distance_weights(centroids_lonlat(world.cities.geometry))
    assert np.abs(mart - planted).sum(axis=1).max() < 1e-9     # rows differed by up to 0.16 in L1 before
    centroids = q(tiny_marts, "select adcode, centroid_lon, centroid_lat from marts.dim_city order by adcode")
    assert np.allclose(centroids[["centroid_lon", "centroid_lat"]].to_numpy(),
                       centroids_lonlat(world.cities.geometry), atol=1e-9)


def test_the_earth_radius_has_one_home(tiny_marts):
    """The dbt macro and ingestion.geometry read the great-circle radius from dbt_project.yml's vars; no copy of
    the value elsewhere (ingestion.geodesy's ellipsoid is another quantity)."""
    from ingestion.geometry import earth_radius_km

    assert earth_radius_km() == 6371.0088
    offenders = [p for p in [*REPO.joinpath("dbt_project").rglob("*.sql"), *REPO.joinpath("ingestion").rglob("*.py"),
                             *REPO.joinpath("analysis").rglob("*.py")] if "6371.0088" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_a_gtfp_base_year_the_data_lacks_fails_the_build(tiny_marts, tmp_path):
    """Study 003's capital stock starts in var('gtfp_base_year'): a base year the provincial investment
    does not reach is a failing dbt test that names the rule, not a silent fallback to the first year."""
    import shutil

    warehouse = tmp_path / "copy.duckdb"
    shutil.copy(tiny_marts, warehouse)
    env = dict(os.environ, DUALCARBON_WAREHOUSE=str(warehouse))
    dbt = Path(sys.executable).with_name("dbt")
    test = "every_province_reports_investment_in_the_gtfp_base_year"

    def run(*extra):
        return subprocess.run([str(dbt), "test", "--select", test, "--target-path", str(tmp_path / "target"),
                               "--log-path", str(tmp_path / "logs"), *extra], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=600)

    ok = run()
    assert ok.returncode == 0 and "PASS=1" in ok.stdout, ok.stdout[-2000:]
    missing = run("--vars", "{gtfp_base_year: 1990}")
    assert missing.returncode != 0, missing.stdout[-2000:]
    # the tiny world's 16 provinces (its 20 cities: 襄阳 and 海东 since the divisions crossed, issue 16)
    assert f"Failure in test {test}" in missing.stdout and "Got 16 results" in missing.stdout, missing.stdout[-2000:]


def test_the_boundary_vintage_must_be_the_boundaries_year(tiny_marts, tmp_path):
    """The tiny world's boundaries are units of 2023: as the vintage of 2023 they pass, as a vintage of 2009
    the build refuses them (海东市 630200 exists from 2013; 420600 was 襄樊市 then, the same code and
    territory) (boundary_vintage, dualcarbon build --boundary-vintage)."""
    import shutil

    from dualcarbon.dbt import dbt_env

    path = tmp_path / tiny_marts.name  # the same file name: the staging views name their catalog
    shutil.copy(tiny_marts, path)
    env = dict(dbt_env(path), DBT_TARGET_PATH=str(tmp_path / "target"), DBT_LOG_PATH=str(tmp_path / "logs"))
    dbt = Path(sys.executable).with_name("dbt")

    def run(vintage: int) -> subprocess.CompletedProcess:
        return subprocess.run([str(dbt), "test", "--select", "assert_boundaries_are_units_of_the_vintage",
                               "--vars", json.dumps({"boundary_vintage": vintage})], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=300)

    assert run(2023).returncode == 0
    refused = run(2009)
    assert refused.returncode != 0 and "Got 1 result," in refused.stdout, refused.stdout[-2000:]


def test_a_prefecture_world_builds_no_county_model(tiny_marts):
    """The county models (dbt tag county) are built on county-level boundaries only (test_county.py)."""
    tables = q(tiny_marts, "select table_name from information_schema.tables")
    assert not [t for t in tables.table_name if t.startswith(("int_county", "mart_county"))]

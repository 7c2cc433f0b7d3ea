"""The county world: DataV county-level boundaries with their prefectures, the daily ChinaHighPM2.5 loader
(annual means from daily grids against a known grid; wrong statistic, wrong period and missing days
refused), the county sample world on a reduced subset, and the county spatial weights' properties."""
from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import duckdb
import geopandas as gpd
import netCDF4
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from ingestion.errors import IngestError
from ingestion.load import ingest
from ingestion.sample.geography import WORLDS, RasterGrid, World, build_world, prefecture_of, write_boundaries, \
    write_datav_counties
from ingestion.sample.rasters import write_chap_file
from ingestion.sources.pm25_daily import FILE_NAMES

YEAR = 2022
GRID = RasterGrid(116.0, 30.0, 118.0, 32.0, 0.1)  # 20 x 20 cells
# (adcode, name, prefecture): a prefecture's districts, a municipality's district, a directly
# administered county-level unit; synthetic squares of whole cells, side by side
UNITS = (("340102", "瑶海区", "340100"), ("340103", "庐阳区", "340100"), ("110101", "东城区", "110100"),
         ("429004", "仙桃市", "429004"))


def unit_boxes() -> gpd.GeoDataFrame:
    rows = []
    for k, (adcode, name, prefecture) in enumerate(UNITS):
        west = 116.2 + 0.4 * k
        rows.append({"adcode": adcode, "name_zh": name, "prefecture_adcode": prefecture,
                     "geometry": box(west, 30.5, west + 0.3, 31.2)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def day_values(d: int) -> np.ndarray:
    """Day ``d``'s grid (north-up), on CHAP's 0.01 ug/m3 steps so that the file holds it exactly."""
    rows, cols = np.mgrid[0:GRID.height, 0:GRID.width]
    values = 20 + 0.37 * rows + 0.53 * cols + 9 * np.sin(2 * np.pi * d / 365) * (1 + 0.02 * cols)
    return np.round(values, 2)


def expected_means() -> np.ndarray:
    """Per unit: the mean over the days of the plain mean over its (whole) cells."""
    total = np.zeros(len(UNITS))
    for d in range(365):
        values = day_values(d)
        for k in range(len(UNITS)):
            c0 = int(round((116.2 + 0.4 * k - GRID.west) / GRID.res))
            r0 = int(round((GRID.north - 31.2) / GRID.res))
            total[k] += values[r0:r0 + 7, c0:c0 + 3].mean()
    return total / 365


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("county_daily") / "sources"
    (root / "boundaries").mkdir(parents=True)
    write_datav_counties(unit_boxes(), root / "boundaries")
    folder = root / "pm25_daily"
    folder.mkdir()
    for d in range(365):
        date = dt.date(YEAR, 1, 1) + dt.timedelta(days=d)
        write_chap_file(folder / FILE_NAMES["chap_daily"].format(date=f"{date:%Y%m%d}"), GRID, day_values(d),
                        "daily sample")
    return root


@pytest.fixture(scope="module")
def warehouse(sources, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("county_wh") / "w.duckdb"
    ingest(sources, path, only=["boundaries", "pm25_daily"], progress=False, echo=lambda *_: None)
    return path


def query(path: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_county_boundaries_carry_level_and_prefecture(warehouse):
    got = query(warehouse, "select adcode, level, prefecture_adcode from raw.city_boundaries order by adcode")
    want = sorted((a, "county", p) for a, _, p in UNITS)
    assert list(got.itertuples(index=False, name=None)) == want


def test_daily_loader_gives_annual_means_of_the_known_grid(warehouse):
    got = query(warehouse, "select adcode, year, stat, value, coverage, source_file from raw.raster_zonal "
                "where source = 'pm25_daily' order by adcode")
    assert set(got["year"]) == {YEAR} and set(got["stat"]) == {"mean"}
    want = pd.Series(expected_means(), index=[a for a, _, _ in UNITS])
    rel = np.abs(got.set_index("adcode")["value"] / want.loc[got["adcode"]].to_numpy() - 1)
    assert rel.max() <= 1e-6
    assert np.allclose(got["coverage"], 1.0)
    assert got["source_file"].str.contains("(365 days)", regex=False).all()
    loads = query(warehouse, "select layout from raw._loads where source = 'pm25_daily'")
    assert len(loads) == 365  # one manifest row per file: its date, release, statistic and period
    assert loads["layout"].str.contains('"period": "daily"').all()
    assert loads["layout"].str.contains('"days_in_year": 365').all()
    assert loads["layout"].str.contains("ChinaHighPM2.5 V4").all()


def _copy(sources: Path, tmp_path: Path) -> Path:
    root = tmp_path / "sources"
    shutil.copytree(sources, root)
    return root


def test_daily_loader_refuses_another_statistic(sources, tmp_path):
    root = _copy(sources, tmp_path)
    path = sorted((root / "pm25_daily").glob("*.nc"))[40]
    with netCDF4.Dataset(path, "a") as ds:
        ds["PM2.5"].long_name = "standard deviation of daily PM2.5"
    with pytest.raises(IngestError, match=path.name) as err:
        ingest(root, tmp_path / "w.duckdb", only=["boundaries", "pm25_daily"], progress=False, echo=lambda *_: None)
    assert "daily mean" in str(err.value)


def test_daily_loader_refuses_a_yearly_file_and_missing_days(sources, tmp_path):
    root = _copy(sources, tmp_path)
    first = sorted((root / "pm25_daily").glob("*.nc"))[0]
    shutil.copy(first, first.with_name(f"CHAP_PM2.5_Y1K_{YEAR}_V4.nc"))
    with pytest.raises(IngestError, match="annual"):
        ingest(root, tmp_path / "w.duckdb", only=["boundaries", "pm25_daily"], progress=False, echo=lambda *_: None)
    first.with_name(f"CHAP_PM2.5_Y1K_{YEAR}_V4.nc").unlink()
    (root / "pm25_daily" / FILE_NAMES["chap_daily"].format(date=f"{YEAR}0307")).unlink()
    with pytest.raises(IngestError, match=f"{YEAR}-03-07"):
        ingest(root, tmp_path / "w2.duckdb", only=["boundaries", "pm25_daily"], progress=False, echo=lambda *_: None)


def test_prefecture_of_counties():
    prefectures = {"340100", "110100", "500100"}
    assert prefecture_of("340102", prefectures) == "340100"
    assert prefecture_of("110101", prefectures) == "110100"
    assert prefecture_of("500235", prefectures) == "500100"  # a Chongqing county (5002xx)
    assert prefecture_of("429004", prefectures) == "429004"  # directly administered


# --------------------------------------------------------------------------- county world, reduced subset
@pytest.fixture(scope="module")
def county_subset(tmp_path_factory):
    """The county world restricted to Anhui's counties, two annual years and one daily year written."""
    cities = build_world("county", provinces=("34",)).cities
    spec = dataclasses.replace(WORLDS["county"], years=(2021, 2022), daily_pm25_years=(2022,))
    world = World(spec=spec, cities=cities, native=cities)
    from ingestion.sample.county import county_panel, write_daily_pm25
    from ingestion.sample.rasters import write_rasters

    out = tmp_path_factory.mktemp("county_world") / "sources"
    out.mkdir()
    panel = county_panel(world, 7)
    write_boundaries(world, out)
    write_rasters(world, panel, out, seed=7)
    write_daily_pm25(world, panel, out, seed=7)
    path = out.parent / "w.duckdb"
    outcomes = ingest(out, path, progress=False, echo=lambda *_: None)  # every source, as `dualcarbon ingest`
    return world, panel, out, path, outcomes


def test_county_world_has_every_county_with_its_prefecture(county_subset):
    world, _, out, path, outcomes = county_subset
    assert len(WORLDS["county"].daily_pm25_years) >= 2
    got = query(path, "select adcode, prefecture_adcode, level from raw.city_boundaries order by adcode")
    assert list(got["adcode"]) == sorted(world.cities["adcode"])
    assert (got["level"] == "county").all()
    assert (got["prefecture_adcode"] == got["adcode"].str[:4] + "00").all()  # Anhui: no direct units
    assert len(list((out / "pm25_daily").glob("CHAP_PM2.5_D1K_2022*_V4.nc"))) == 365
    # the county world has the raster products only: the table sources are skipped, saying why
    from ingestion import registry

    status = {o.source: o.status for o in outcomes}
    rasters = {"boundaries", "edgar_co2", "pm25", "pm25_daily", "ntl", "dem"}
    assert {s for s in status if status[s] == "loaded"} == rasters
    assert {s for s in status if status[s] == "skipped"} == set(registry.SOURCE_MODULES) - rasters

def test_county_world_daily_and_annual_means_recover_the_panel(county_subset):
    world, panel, _, path, _ = county_subset
    got = query(path, "select source, adcode, value from raw.raster_zonal where year = 2022")
    planted = panel[panel["year"] == 2022].set_index("adcode")["pm25_ugm3"]
    wide = got.pivot(index="adcode", columns="source", values="value")
    rel_daily = (wide["pm25_daily"] / planted.loc[wide.index] - 1).abs()
    rel_annual = (wide["pm25"] / planted.loc[wide.index] - 1).abs()
    # counties with cells of their own are planted exactly (to CHAP's rounding); the median is one of them
    assert rel_daily.median() < 1e-3 and rel_annual.median() < 1e-3
    # the daily product's annual means and the annual product's agree county by county
    assert ((wide["pm25_daily"] / wide["pm25"] - 1).abs().median() < 1e-3)


# ------------------------------------------------------------------------ county marts: weights and SDM
@pytest.fixture(scope="module")
def county_marts(county_subset):
    """`dualcarbon build` on the reduced county warehouse: the county models only (tag county)."""
    import contextlib
    import io
    import os

    from dualcarbon.cli import main

    _, _, _, source, _ = county_subset
    path = source.parent / "county_marts.duckdb"  # not marts.duckdb: the catalog would shadow the schema
    shutil.copy(source, path)
    env = {"DBT_TARGET_PATH": str(path.parent / "target"), "DBT_LOG_PATH": str(path.parent / "logs")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            code = main(["build", "--warehouse", str(path), "--skip-checks"])
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    assert code == 0, out.getvalue()[-3000:]
    return path


def test_county_build_has_the_county_marts_only(county_marts, county_subset):
    world = county_subset[0]
    tables = query(county_marts, "select table_schema, table_name from information_schema.tables")
    marts = set(tables[tables.table_schema == "marts"].table_name)
    assert marts == {"mart_county_year", "mart_county_spatial_weights", "mart_county_prefecture_year"}
    panel = query(county_marts, "select * from marts.mart_county_year")
    assert len(panel) == len(world.cities) * len(world.years)
    assert panel.loc[panel.year == 2022, "pm25_daily_ugm3"].notna().all()
    prefectures = query(county_marts, "select * from marts.mart_county_prefecture_year")
    assert set(prefectures.prefecture_adcode) == set(world.cities.prefecture_adcode)


def test_county_weights_properties(county_marts):
    from ingestion.vocabulary import dbt_vars

    edges = query(county_marts, "select * from marts.mart_county_spatial_weights")
    units = set(query(county_marts, "select distinct adcode from marts.mart_county_year").adcode)
    k = int(dbt_vars()["knn_k"])
    for matrix, part in edges.groupby("matrix"):
        assert not (part.adcode_i == part.adcode_j).any(), matrix
        sums = part.groupby("adcode_i").weight.sum()
        assert np.allclose(sums, 1.0, atol=1e-12), matrix  # row-standardised
    pairs = {m: set(zip(p.adcode_i, p.adcode_j)) for m, p in edges.groupby("matrix")}
    assert pairs["queen"] == {(j, i) for i, j in pairs["queen"]}  # contiguity is symmetric
    assert pairs["distance_band"] == {(j, i) for i, j in pairs["distance_band"]}
    knn_rows = edges[edges.matrix == "knn"].groupby("adcode_i").size()
    assert set(knn_rows.index) == units and (knn_rows == k).all()  # k neighbours for every unit
    assert set(edges[edges.matrix == "distance_band"].adcode_i) == units  # no unit without a neighbour
    assert len(pairs["queen"]) > len(units)  # most units have several touching neighbours


def test_two_way_sdm_runs_on_the_county_mart(county_marts):
    from analysis.estimators.spatial import fit_spatial_panel, impacts, weights_from_edges

    panel = query(county_marts, "select adcode, year, pm25_ugm3, co2_edgar_t from marts.mart_county_year")
    edges = query(county_marts, "select * from marts.mart_county_spatial_weights")
    panel = panel.assign(ln_pm25=np.log(panel.pm25_ugm3), ln_co2=np.log(panel.co2_edgar_t))
    ids = sorted(panel.adcode.unique())
    W = weights_from_edges(edges, ids, matrix="knn")
    res = fit_spatial_panel(panel, y="ln_pm25", x=["ln_co2"], w=W, w_ids=ids, entity="adcode", time="year",
                            model="sdm", effects="twoways", logdet="sparse_lu")
    assert np.isfinite(res.params).all() and -1 < res.params["rho"] < 1
    effects = impacts(res, n_draws=200, seed=1).table()
    assert np.isfinite(effects.to_numpy(dtype=float)).all()


def test_county_ingest_on_a_local_cluster_equals_the_serial_load(county_subset, tmp_path, capsys):
    """`ingest --dask local:2` of the Anhui county world (daily PM2.5 included: 365 band tasks) gives the
    serial load's raw tables row for row."""
    from dualcarbon.cli import main
    from tests.conftest import warehouse_snapshot

    _, _, out, serial, _ = county_subset
    target = tmp_path / "dask.duckdb"
    assert main(["ingest", "--sources", str(out), "--warehouse", str(target), "--dask", "local:2", "--quiet"]) == 0
    capsys.readouterr()
    got, want = warehouse_snapshot(target), warehouse_snapshot(serial)
    got.pop("_loads"), want.pop("_loads")  # the load log's times differ by run
    assert got == want
    daily = query(target, "select count(*) n from raw.raster_zonal where source = 'pm25_daily'")
    assert daily["n"].iloc[0] > 0  # the daily source went through the cluster too

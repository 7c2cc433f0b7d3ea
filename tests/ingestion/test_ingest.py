"""Ingesting the tiny world: every raw table populated, values equal to what the generator planted,
re-ingest a no-op, and a second writer told the warehouse is in use."""
from __future__ import annotations

import subprocess
import sys

import duckdb
import numpy as np
import pandas as pd
import pytest

from ingestion.errors import WarehouseInUse
from ingestion.load import ingest
from ingestion.sample.geography import build_world
from ingestion.sample.history import History
from ingestion.sample.model import simulate
from ingestion.sample.vocab import GREEN_IPC_SAMPLE
from ingestion.warehouse import connect
from tests.conftest import TINY_SEED, holding_write_lock, warehouse_snapshot


@pytest.fixture(scope="module")
def sim():
    return simulate(build_world("tiny"), TINY_SEED)


def query(path, sql, params=()):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()


def test_every_raw_table_is_populated(tiny_warehouse):
    counts = query(tiny_warehouse, """
        select table_name, estimated_size from duckdb_tables() where schema_name = 'raw'""")
    tables = set(counts.table_name)
    expected = {"city_boundaries", "raster_zonal", "ceads_co2", "yearbook", "province_energy", "patents", "firms",
                "ifr_robots", "employment", "gov_reports", "baidu_index", "policy_lists", "_loads"}
    assert expected <= tables
    for table in expected:
        n = query(tiny_warehouse, f"select count(*) as n from raw.{table}").n[0]
        assert n > 0, table
    sources = query(tiny_warehouse, "select distinct source from raw.raster_zonal").source
    assert set(sources) == {"edgar_co2", "pm25", "ntl", "dem"}


def test_manifest_records_every_file_once(tiny_warehouse, tiny_sources):
    loads = query(tiny_warehouse, "select * from raw._loads")
    files = [p for p in tiny_sources.rglob("*") if p.is_file() and p.name not in ("truth.json", "truth_effects.csv")]
    assert len(loads) == len(files)
    assert set(loads.status) == {"loaded"}
    assert loads.sha256.str.fullmatch(r"[0-9a-f]{64}").all()
    assert (loads.finished >= loads.started).all()
    assert loads.groupby("source").rows.sum().min() > 0


def test_ai_firm_stock_from_registry_equals_the_planted_count(tiny_warehouse, sim):
    """Counting firms whose scope names an AI keyword and which operate at year end recovers ai_firms."""
    stock = query(tiny_warehouse, """
        with years as (select distinct year from raw.yearbook)
        select f.adcode, y.year, count(*) as n
        from raw.firms f join years y
          on f.registered <= make_date(y.year, 12, 31)
         and (f.deregistered is null or f.deregistered > make_date(y.year, 12, 31))
        where regexp_matches(f.business_scope, '人工智能|智能机器人|计算机视觉|图像识别|语音识别|芯片|传感器|机器学习|深度学习|自然语言处理')
        group by 1, 2""")
    merged = sim.city[["adcode", "year", "ai_firms"]].merge(stock, on=["adcode", "year"], how="left").fillna(0)
    assert (merged.n == merged.ai_firms).all()


def on_the_world_units(frame: pd.DataFrame, sim, values: list[str]) -> pd.DataFrame:
    """Raw rows (units of their own year: 莱芜, 巢湖, 海东地区) summed onto the tiny world's units through the
    sample world's history, with ``parts``: how many rows each sum adds up. In the tiny world every unit
    a row names belongs to one world unit (巢湖 only sends territory to 合肥, 资阳 only to 成都)."""
    history = History(sim.world.cities[["adcode", "name_zh"]])
    owner: dict[tuple[str, int], str] = {}
    for adcode in sim.world.cities.adcode:
        for year in sim.world.years:
            for habit in ("start", "end"):
                for part in history.report(adcode, year, habit):
                    assert owner.setdefault((part.adcode, year), adcode) == adcode
    world = frame.assign(adcode=[owner[(a, int(y))] for a, y in zip(frame.adcode, frame.year)])
    keys = [c for c in frame.columns if c not in values]
    return world.groupby(keys, as_index=False)[values].sum().merge(
        world.groupby(keys).size().rename("parts").reset_index(), on=keys)


def test_green_patent_applications_equal_the_planted_counts(tiny_warehouse, sim):
    """Exactly, once the units of each application's year (莱芜, 巢湖, 资阳) are added to their world units."""
    codes = "|".join(c.replace("/", "\\/") for c in GREEN_IPC_SAMPLE)
    green = query(tiny_warehouse, f"""
        select adcode, year(apply_date) as year, count(*) as n from raw.patents
        where regexp_matches(ipc_main, '^({codes})') group by 1, 2""")
    named = set(query(tiny_warehouse, "select distinct adcode from raw.patents").adcode)
    assert {"371200", "341400", "512000"} <= named  # 莱芜, 巢湖, 资阳: parts of 济南, 合肥, 成都 (many patents)
    # a unit renamed later (海东地区 -> 海东市 in 2013) is named by its code of the year whenever the world
    # gives it applications in those years (this world's draws decide whether it has any)
    history = History(sim.world.cities[["adcode", "name_zh"]])
    own = {history.report(a, int(y), "end")[0].adcode
           for a, y in sim.city.loc[sim.city.green_apps > 0, ["adcode", "year"]].itertuples(index=False)}
    assert own - set(sim.world.cities.adcode) <= named
    green = on_the_world_units(green, sim, ["n"])
    merged = sim.city[["adcode", "year", "green_apps"]].merge(green, on=["adcode", "year"], how="left").fillna(0)
    assert (merged.n == merged.green_apps).all()


def test_units_are_converted_to_the_canonical_unit(tiny_warehouse, sim):
    """Each row within its rounding of the planted value, the rows naming parts of one world unit added up
    (rounding once per row)."""
    yb = query(tiny_warehouse, """
        select adcode, year, indicator, value, unit from raw.yearbook
        where indicator in ('地区生产总值', '地方一般公共预算支出', '工业废水排放量', '普通高等学校在校学生数')
          and scope = '全市' and length(adcode) = 6 and adcode not like '%0000'""")
    wide = yb.pivot_table(index=["adcode", "year"], columns="indicator", values="value").reset_index()
    wide = on_the_world_units(wide, sim, ["地区生产总值", "地方一般公共预算支出", "工业废水排放量", "普通高等学校在校学生数"])
    merged = sim.city.merge(wide, on=["adcode", "year"])
    assert len(merged) == len(sim.city) and merged.parts.max() == 2
    assert (np.abs(merged["地区生产总值"] - merged.gdp_10k_yuan) <= 0.5 * merged.parts).all()  # '1,234' integers
    assert np.allclose(merged["地方一般公共预算支出"], merged.budget_exp_10k_yuan, rtol=1e-6, atol=1.0)  # 亿元 -> 万元
    # 万吨 with one decimal -> 吨: within 0.05 万吨 = 500 t per row (a relative 1e-4 failed below 500 万吨)
    assert (np.abs(merged["工业废水排放量"] - merged.wastewater_10k_t * 1e4) <= 500.0 * merged.parts + 1e-6).all()
    assert (np.abs(merged["普通高等学校在校学生数"] - merged.college_students / 1e4) <= 1e-4 * merged.parts).all()  # 人 -> 万人
    assert set(yb.unit) == {"万元", "吨", "万人"}
    ceads = on_the_world_units(query(tiny_warehouse, "select adcode, year, co2_total_t from raw.ceads_co2"), sim,
                               ["co2_total_t"])
    m = sim.city.merge(ceads, on=["adcode", "year"])
    assert len(m) == sim.city.ceads_co2_t.notna().sum()
    assert np.allclose(m.co2_total_t, m.ceads_co2_t, rtol=1e-4)  # 百万吨 (4 decimals) -> 吨


def test_province_tables_resolve_to_province_codes(tiny_warehouse):
    prov = query(tiny_warehouse, "select distinct adcode from raw.yearbook where adcode like '%0000'")
    energy = query(tiny_warehouse, "select province_adcode, count(distinct fuel) as k from raw.province_energy group by 1")
    assert set(energy.province_adcode) == set(prov.adcode)
    assert (energy.k == 9).all()


def test_reingest_changes_nothing(warehouse_copy, tiny_sources):
    before = warehouse_snapshot(warehouse_copy)
    outcomes = ingest(tiny_sources, warehouse_copy, progress=False, echo=lambda *_: None)
    assert {o.status for o in outcomes if o.source != "pm25_daily"} == {"unchanged"}
    # the tiny world has no daily PM2.5: the optional source is skipped with its reason, every time
    (daily,) = [o for o in outcomes if o.source == "pm25_daily"]
    assert daily.status == "skipped" and "optional" in daily.reason
    assert warehouse_snapshot(warehouse_copy) == before


def test_forced_reload_replaces_rows_without_duplicating(warehouse_copy, tiny_sources):
    before = query(warehouse_copy, "select source, count(*) n from raw.raster_zonal group by 1 order by 1")
    ingest(tiny_sources, warehouse_copy, only=["pm25", "yearbook"], progress=False, force=True, echo=lambda *_: None)
    after = query(warehouse_copy, "select source, count(*) n from raw.raster_zonal group by 1 order by 1")
    pd.testing.assert_frame_equal(before, after)
    loads = query(warehouse_copy, "select source, count(*) n from raw._loads group by 1")
    assert loads.set_index("source").n["pm25"] == 2 * len(list((tiny_sources / "pm25").glob("*.nc")))


def test_second_writer_gets_a_clear_in_use_message(warehouse_copy):
    with holding_write_lock(warehouse_copy):
        with pytest.raises(WarehouseInUse, match=r"in use by PID \d+"):
            connect(warehouse_copy)


def test_cli_reports_in_use_with_exit_code_3(warehouse_copy, tiny_sources):
    with holding_write_lock(warehouse_copy):
        proc = subprocess.run([sys.executable, "-m", "dualcarbon", "ingest", "--sources", str(tiny_sources),
                               "--warehouse", str(warehouse_copy), "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 3
    assert "in use" in proc.stderr and proc.stderr.count("\n") == 1


def test_whole_city_and_district_figures_land_in_their_own_scopes(tiny_warehouse, sim):
    """The panel file's 地区生产总值_当年价格_市辖区_万元 and the group row's 市辖区 columns are stored as 市辖区,
    at their planted share of the whole city, beside the 全市 rows; every 全市 row still equals the world."""
    from ingestion.sample.tables import DISTRICTS

    yb = query(tiny_warehouse, """
        select adcode, year, scope, value from raw.yearbook
        where indicator in ('地区生产总值', '工业废水排放量') and adcode = '110100'
        order by indicator, year, scope""")
    assert set(yb.scope) == {"全市", "市辖区"}
    wide = yb.pivot_table(index=["year"], columns="scope", values="value", aggfunc="count")
    assert (wide["全市"] == 2).all() and (wide["市辖区"] <= 2).all()  # two indicators, districts sometimes missing
    gdp = query(tiny_warehouse, """
        select year, scope, value from raw.yearbook where indicator = '地区生产总值' and adcode = '110100'""")
    whole = gdp[gdp.scope == "全市"].set_index("year").value
    part = gdp[gdp.scope == "市辖区"].set_index("year").value
    share = DISTRICTS["gdp_10k_yuan"][1] * (0.8 + 0.4 * (110100 % 13) / 12)
    ratio = (part / whole.loc[part.index]).to_numpy()
    assert len(part) >= len(whole) - 2 and np.allclose(ratio, share, rtol=1e-5)
    planted = sim.city.set_index(["adcode", "year"]).gdp_10k_yuan.loc["110100"]
    assert (np.abs(whole - planted.loc[whole.index]) <= 0.5).all()

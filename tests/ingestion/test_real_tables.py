"""Real tabular exports (issue 18) loaded through the command line: pilot lists with 第一批 and a province
row (refused by default, expanded to its units with DUALCARBON_PILOT_PROVINCES=expand), the CNIPA search
export of the sample world, and the yearbook layouts of the sample world (one file each)."""
from __future__ import annotations

import shutil

import duckdb
import pytest

from dualcarbon.cli import main


def _ingest(sources, warehouse, *only) -> int:
    return main(["ingest", "--sources", str(sources), "--warehouse", str(warehouse), "--quiet", "--only", *only])


@pytest.fixture
def pilot_folder(tiny_sources, tmp_path):
    folder = tmp_path / "sources"
    shutil.copytree(tiny_sources / "boundaries", folder / "boundaries")
    (folder / "policy_lists").mkdir()
    (folder / "policy_lists" / "低碳城市试点名单.csv").write_text(
        "批次,公布年份,省份,城市\n第一批,2010,山东省,青岛市\n第一批,2010,湖北省,湖北省\n第十二批,2012,江苏省,苏州市\n",
        encoding="utf-8")
    return folder


def test_a_province_row_is_refused_unless_the_expansion_rule_is_chosen(pilot_folder, tmp_path, monkeypatch, capsys):
    warehouse = tmp_path / "w.duckdb"
    monkeypatch.delenv("DUALCARBON_PILOT_PROVINCES", raising=False)
    assert _ingest(pilot_folder, warehouse, "boundaries") == 0
    assert _ingest(pilot_folder, warehouse, "policy_lists") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "row 3, column 城市" in err[0] and "'湖北省' is a province" in err[0]
    monkeypatch.setenv("DUALCARBON_PILOT_PROVINCES", "expand")
    assert _ingest(pilot_folder, warehouse, "policy_lists") == 0
    rows = duckdb.connect(str(warehouse), read_only=True).sql(
        "select adcode, year, batch from raw.policy_lists order by adcode").fetchall()
    assert ("370200", 2010, 1) in rows and ("320500", 2012, 12) in rows  # 第一批, 第十二批
    hubei = {a for a, y, b in rows if a.startswith("42")}
    assert {"420100", "420600"} <= hubei and all(y == 2010 for a, y, b in rows if a.startswith("42"))


def test_batch_numbers_in_chinese_numerals():
    from ingestion.sources.policy_lists import batch_number

    assert [batch_number(t) for t in ("第一批", "第三批", "第十批", "第十二批", "第二十批", "第3批", "批")] == \
        [1, 3, 10, 12, 20, 3, None]


def test_the_search_export_loads_like_the_record_export(tiny_warehouse, tiny_sources):
    """The sample world's last patent year is a search export (公开（公告）号, 申请（专利权）人, 发明类型,
    postal codes before the addresses): its applications are there, typed, with cities."""
    last = sorted((tiny_sources / "patents").glob("*.csv"))[-1]
    head = last.read_text(encoding="utf-8").splitlines()[:2]
    assert "公开（公告）号" in head[0] and "发明类型" in head[0] and head[1].split(",")[8].strip('"')[:6].isdigit()
    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    n, types, cities = con.sql(f"""select count(*), count(distinct patent_type), count(adcode) from raw.patents
                                   where source_file = '{last.name}'""").fetchone()
    assert n > 0 and types == 2 and cities == n


def test_every_yearbook_layout_is_a_file_of_the_sample_world(tiny_warehouse):
    """One file per layout; each file's rows land in the scopes it declares."""
    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    scopes = dict(con.sql("""select source_file, string_agg(distinct scope, ',' order by scope) from raw.yearbook
                             group by source_file""").fetchall())
    assert scopes["城市面板数据_EPS.csv"] == "全市,市辖区" and scopes["城市统计年鉴_资源环境.xlsx"] == "全市,市辖区"
    assert scopes["城市统计年鉴_分年指标_全市.xlsx"] == "全市" and scopes["CSMAR_中国城市数据库_人口与教育.xlsx"] == "全市"
    assert scopes["城市统计年鉴_分指标_全市.xlsx"] == "全市"  # years as columns, the indicator in the sheet name


def test_a_city_listed_on_its_own_is_not_listed_again_by_its_province(pilot_folder, tmp_path, monkeypatch):
    path = pilot_folder / "policy_lists" / "低碳城市试点名单.csv"
    path.write_text(path.read_text(encoding="utf-8") + "第一批,2010,湖北省,武汉市\n", encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    monkeypatch.setenv("DUALCARBON_PILOT_PROVINCES", "expand")
    assert _ingest(pilot_folder, warehouse, "boundaries") == 0
    assert _ingest(pilot_folder, warehouse, "policy_lists") == 0
    wuhan = duckdb.connect(str(warehouse), read_only=True).sql(
        "select count(*) from raw.policy_lists where adcode = '420100'").fetchone()[0]
    assert wuhan == 1


def _published_ceads(path, rows, note="Unit: million tonnes (Mt) of CO2.", matrix=None):
    """The 290-city workbook as CEADs publishes it: NOTE, emission vector (ID, city, year, emission) and
    emission matrix (city, then the years as text headers), the matrix holding ``matrix`` (city, year ->
    figure; the vector's figures by default)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "NOTE"
    book["NOTE"].append(["Unit/单位", note])
    vector = book.create_sheet("emission vector")
    vector.append(["ID", "city", "year", "emission"])
    for city, year, emission in rows:
        vector.append([f"{city}{year}", city, year, emission])
    figures = {(city, year): emission for city, year, emission in rows} if matrix is None else matrix
    years = sorted({y for _c, y in figures})
    sheet = book.create_sheet("emission matrix")
    sheet.append(["city", *[str(y) for y in years]])
    for city in dict.fromkeys(c for c, _y in figures):
        sheet.append([city, *[figures.get((city, y)) for y in years]])
    book.save(path)


def test_the_published_ceads_workbook_through_the_command_line(tiny_sources, tmp_path):
    """Province-prefixed names resolve in their year through the crosswalk (安徽巢湖 in 2010, 山东莱芜 in 2017,
    湖北潜江: a directly administered county-level unit); 伊犁州直属县 (a part of a unit) is kept out and listed
    in the manifest; the unit comes from NOTE (Mt -> t)."""
    folder = tmp_path / "sources"
    shutil.copytree(tiny_sources / "boundaries", folder / "boundaries")
    (folder / "ceads").mkdir()
    _published_ceads(folder / "ceads" / "The_Emission_Inventories_for_290_Chinese_Cities_from_1997_to_2019.xlsx",
                     [("安徽巢湖", 2010, 12.5), ("山东莱芜", 2017, 30.25), ("湖北潜江", 2015, 4.0),
                      ("新疆伊犁州直属县", 2015, 20.0), ("湖北恩施州", 2015, 6.5)])
    warehouse = tmp_path / "w.duckdb"
    assert _ingest(folder, warehouse, "boundaries", "ceads") == 0
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = dict(con.sql("select adcode || '/' || year, co2_total_t from raw.ceads_co2").fetchall())
    assert rows == {"341400/2010": 12.5e6, "371200/2017": 30.25e6, "429005/2015": 4.0e6, "422800/2015": 6.5e6}
    layout = con.sql("select layout from raw._loads where source = 'ceads'").fetchone()[0]
    assert "伊犁州直属县" in layout and "百万吨 (from NOTE)" in layout


def test_a_published_ceads_workbook_whose_note_states_no_unit_is_refused(tiny_sources, tmp_path, capsys):
    folder = tmp_path / "sources"
    shutil.copytree(tiny_sources / "boundaries", folder / "boundaries")
    (folder / "ceads").mkdir()
    _published_ceads(folder / "ceads" / "ceads_290.xlsx", [("北京", 2015, 100.0)], note="Apparent emissions.")
    warehouse = tmp_path / "w.duckdb"
    assert _ingest(folder, warehouse, "boundaries") == 0
    assert _ingest(folder, warehouse, "ceads") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ceads_290.xlsx: sheet 'NOTE': NOTE does not state the unit" in err[0]


def test_a_matrix_that_disagrees_with_the_vector_is_refused(tiny_sources, tmp_path, capsys):
    """The emission matrix repeats the vector (cities x years): a figure changed in one sheet only is
    refused at its cell, with both totals; a difference within the printed rounding is not one."""
    folder = tmp_path / "sources"
    shutil.copytree(tiny_sources / "boundaries", folder / "boundaries")
    (folder / "ceads").mkdir()
    path = folder / "ceads" / "The_Emission_Inventories_for_290_Chinese_Cities_from_1997_to_2019.xlsx"
    rows = [("山东济南", 2015, 80.125), ("湖北潜江", 2015, 4.0), ("湖北潜江", 2016, 4.25)]
    warehouse = tmp_path / "w.duckdb"
    assert _ingest(folder, warehouse, "boundaries") == 0

    rounded = {("山东济南", 2015): 80.1, ("湖北潜江", 2015): 4.0, ("湖北潜江", 2016): 4.25}  # printed to 0.1
    _published_ceads(path, rows, matrix=rounded)
    assert _ingest(folder, warehouse, "ceads") == 0
    capsys.readouterr()

    _published_ceads(path, rows, matrix={**rounded, ("湖北潜江", 2016): 4.5})
    assert _ingest(folder, warehouse, "ceads") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert (f"{path.name}: sheet 'emission matrix', row 3, column C: 湖北潜江 2016: the emission matrix gives 4.5 "
            "百万吨 but the emission vector (row 4) gives 4.25 百万吨") in err[0]
    assert "How to fix" in err[0]
    con = duckdb.connect(str(warehouse), read_only=True)  # the refused load changed nothing
    assert con.sql("select count(*) from raw.ceads_co2").fetchone()[0] == 3

    _published_ceads(path, rows, matrix={k: v for k, v in rounded.items() if k != ("湖北潜江", 2015)})
    con.close()
    assert _ingest(folder, warehouse, "ceads") == 2
    err = capsys.readouterr().err.strip()
    assert "row 3, column B: 湖北潜江 2015: the emission matrix gives nothing but the emission vector (row 3)" in err


def test_years_as_columns_with_the_indicator_in_the_sheet_name(tiny_sources, tmp_path):
    """The sample world's one-sheet-per-indicator file (years as columns, no 指标 column; the sheet named for
    the indicator, an index without a unit) loads through the command line: every figure of every sheet is
    in raw.yearbook under the sheet's indicator, in 全市, for the city of its row; the manifest names the
    layout."""
    import openpyxl

    name = "城市统计年鉴_分指标_全市.xlsx"
    folder = tmp_path / "sources"
    shutil.copytree(tiny_sources / "boundaries", folder / "boundaries")
    (folder / "yearbook").mkdir()
    shutil.copy(tiny_sources / "yearbook" / name, folder / "yearbook" / name)
    warehouse = tmp_path / "w.duckdb"
    assert _ingest(folder, warehouse, "boundaries", "yearbook") == 0

    expected = {}
    book = openpyxl.load_workbook(folder / "yearbook" / name, read_only=True)
    assert {"数字普惠金融指数", "年末金融机构各项存款余额(万元)"} <= set(book.sheetnames)  # an index has no unit
    for ws in book.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        header = next(r for r in rows if r[0] == "城市")
        assert "指标" not in header
        indicator = ws.title.split("(")[0]
        for row in rows[rows.index(header) + 1:]:
            for year, figure in zip(header[1:], row[1:]):
                if figure is not None:
                    expected[(row[0], int(year), indicator)] = figure
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.sql(f"""select b.name_zh, y.year, y.indicator, y.value from raw.yearbook y
                       left join raw.city_boundaries b using (adcode) where y.source_file = '{name}'""").fetchall()
    assert con.sql("select distinct scope from raw.yearbook").fetchall() == [("全市",)]
    assert len(expected) > 100 and len(rows) == len(expected)
    # today's cities by their name (units of earlier code tables, 莱芜 or 巢湖, have no polygon of their own)
    got = {(city, year, indicator): value for city, year, indicator, value in rows if city is not None}
    assert len(got) > 0.8 * len(expected) and got.keys() <= expected.keys()
    assert all(abs(got[k] - expected[k]) <= 1e-9 * abs(expected[k]) for k in got)  # 万元: the canonical unit
    layout = con.sql(f"select layout->>'layout' from raw._loads where file = 'yearbook/{name}'").fetchone()[0]
    assert layout == "years as columns, indicator from the sheet name"

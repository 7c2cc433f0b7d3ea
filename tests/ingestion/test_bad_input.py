"""Bad input gets one clear error (file, where, what, how to fix) and the warehouse stays as it was.

Each case copies one source folder of the tiny world, breaks it the way real files break, loads it
into a copy of the loaded warehouse and checks the message and that no table or manifest row changed.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from ingestion.errors import IngestError
from ingestion.load import ingest
from tests.conftest import warehouse_snapshot as snapshot


def csv_edit(path: Path, edit, encoding="utf-8"):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    frame = edit(frame)
    frame.to_csv(path, index=False, encoding=encoding)


def xlsx_edit(path: Path, edit):
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)


def first(folder: Path, pattern: str) -> Path:
    return sorted(folder.rglob(pattern))[0]


def _set_cell(sheet_index: int, row: int, col: int, value):
    def edit(wb):
        wb.worksheets[sheet_index].cell(row=row, column=col).value = value
    return edit


# source, how to break it, words the message must contain
CASES = {
    "boundaries-no-crs": ("boundaries", lambda d: _strip_crs(first(d, "*.geojson")), ["are not degrees", "CRS"]),
    "boundaries-bad-adcode": ("boundaries", lambda d: _replace_text(first(d, "*.geojson"), '"110100"', '"11010X"'),
                              ["not a 6-digit adcode"]),
    "edgar-negative": ("edgar_co2", lambda d: _negative_netcdf(first(d, "*.nc")), ["negative"]),
    "edgar-truncated": ("edgar_co2", lambda d: _truncate(first(d, "*.nc")), ["EDGAR"]),
    "pm25-corrupt": ("pm25", lambda d: first(d, "*.nc").write_bytes(b"CDF\x01garbage"), ["pm25"]),
    "ntl-no-crs": ("ntl", lambda d: _tif_without_crs(first(d, "*.tif")), ["CRS"]),
    "dem-truncated": ("dem", lambda d: _truncate(first(d, "*.tif")), ["dem"]),
    "ceads-duplicate-city": ("ceads", lambda d: xlsx_edit(first(d, "*.xlsx"), _duplicate_row(0, 4)),
                             ["rows share a key", "remove the duplicated rows"]),
    "ceads-negative": ("ceads", lambda d: xlsx_edit(first(d, "*.xlsx"), _set_cell(0, 4, 3, -5.0)),
                       ["outside the allowed range", "negative"]),
    "yearbook-renamed-column": ("yearbook", lambda d: csv_edit(first(d, "*综合经济.csv"),
                                lambda f: f.rename(columns={"地区生产总值(万元)": "GDP总值(万元)"}), "gbk"),
                                ["unknown indicator 'GDP总值'", "known indicators"]),
    "yearbook-unknown-city": ("yearbook", lambda d: csv_edit(first(d, "*人口就业.csv"),
                              lambda f: f.assign(城市=f.城市.where(f.index != 3, "北景市")), "gbk"),
                              ["unknown city '北景市'", "closest known: 北京市 (110100)"]),
    "yearbook-unit-suffix": ("yearbook", lambda d: csv_edit(first(d, "*综合经济.csv"),
                             lambda f: f.assign(**{"工业增加值(万元)": f["工业增加值(万元)"].where(f.index != 5, "12万")}),
                             "gbk"), ["'12万' is not a number", "remove unit suffixes"]),
    "yearbook-bad-year": ("yearbook", lambda d: csv_edit(first(d, "*人口就业.csv"),
                          lambda f: f.assign(年份=f.年份.where(f.index != 2, "二〇一九")), "gbk"),
                          ["'二〇一九' is not a year"]),
    "yearbook-duplicate-city-year": ("yearbook", lambda d: csv_edit(first(d, "*人口就业.csv"),
                                     lambda f: pd.concat([f, f.iloc[[7]]]), "gbk"), ["rows share a key"]),
    "yearbook-unknown-unit": ("yearbook", lambda d: csv_edit(first(d, "*综合经济.csv"),
                              lambda f: f.rename(columns={"工业增加值(万元)": "工业增加值(万万元)"}), "gbk"),
                              ["unknown unit '万万元'"]),
    "energy-missing-fuel": ("energy", lambda d: xlsx_edit(first(d, "*.xlsx"), _delete_column(0, 10)),
                            ["missing fuel column", "天然气"]),
    "patents-bad-date": ("patents", lambda d: csv_edit(first(d, "*.csv"),
                         lambda f: f.assign(申请日=f.申请日.where(f.index != 4, "2015/13/45"))),
                         ["row 6, column 申请日", "not a date"]),
    "patents-unknown-type": ("patents", lambda d: csv_edit(first(d, "*.csv"),
                             lambda f: f.assign(专利类型=f.专利类型.where(f.index != 0, "商标"))), ["unknown patent type"]),
    "firms-deregistered-first": ("ai_firms", lambda d: csv_edit(first(d, "*.csv"),
                                 lambda f: f.assign(注销日期=f.注销日期.where(f.index != 2, "1990-01-01")), "utf-8-sig"),
                                 ["deregistered before it was registered"]),
    "firms-missing-column": ("ai_firms", lambda d: csv_edit(first(d, "*.csv"), lambda f: f.drop(columns=["经营范围"]),
                             "utf-8-sig"), ["missing column(s) ['经营范围']"]),
    "ifr-missing-column": ("ifr_robots", lambda d: xlsx_edit(first(d, "*.xlsx"), _delete_column(0, 6)),
                           ["missing column(s) ['Operational stock']"]),
    "employment-unknown-province": ("employment", lambda d: xlsx_edit(first(d, "*.xlsx"), _set_province(0, "火星省")),
                                    ["unknown province '火星省'"]),
    "gov-report-bad-name": ("gov_reports", lambda d: first(d, "*.txt").rename(first(d, "*.txt").with_name("report.txt")),
                            ["file name does not say city and year"]),
    "baidu-negative": ("baidu_index", lambda d: csv_edit(first(d, "*.csv"),
                       lambda f: f.assign(日均值=f.日均值.where(f.index != 1, "-3"))), ["outside the allowed range"]),
    "policy-unknown-file": ("policy_lists", lambda d: first(d, "*.csv").rename(first(d, "*.csv").with_name("名单.csv")),
                            ["cannot tell the policy from the file name"]),
}


def _strip_crs(path: Path):
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("crs", None)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _replace_text(path: Path, old: str, new: str):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _truncate(path: Path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _negative_netcdf(path: Path):
    import netCDF4

    with netCDF4.Dataset(path, "a") as ds:
        var = ds.variables["emissions"]
        values = var[:]
        values[values.shape[0] // 2, values.shape[1] // 2] = -10.0
        var[:] = values


def _tif_without_crs(path: Path):
    import rasterio

    with rasterio.open(path) as src:
        profile, data = src.profile, src.read()
    profile.pop("crs", None)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)


def _duplicate_row(sheet: int, row: int):
    def edit(wb):
        ws = wb.worksheets[sheet]
        values = [c.value for c in ws[row]]
        ws.append(values)
    return edit


def _delete_column(sheet: int, col: int):
    def edit(wb):
        wb.worksheets[sheet].delete_cols(col)
    return edit


def _set_province(sheet: int, name: str):
    def edit(wb):
        ws = wb.worksheets[sheet]
        header_row = next(r for r in range(1, 6) if ws.cell(row=r, column=2).value == "地区")
        for r in range(header_row + 1, ws.max_row + 1):
            if ws.cell(row=r, column=1).value == "省":
                ws.cell(row=r, column=2).value = name
                return
    return edit


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_rejected_and_nothing_is_written(case, tiny_sources, warehouse_copy, tmp_path):
    source, breaker, words = CASES[case]
    sources = tmp_path / "sources"
    shutil.copytree(tiny_sources / source, sources / source)
    breaker(sources / source)
    before = snapshot(warehouse_copy)
    with pytest.raises(IngestError) as info:
        ingest(sources, warehouse_copy, only=[source], progress=False, force=True, echo=lambda *_: None)
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert info.value.file, message  # the message names the file (or folder)
    assert snapshot(warehouse_copy) == before


def test_every_source_has_a_bad_input_case():
    from ingestion import registry

    covered = {source for source, _, _ in CASES.values()}
    assert covered == set(registry.SOURCE_MODULES)


def test_loading_before_boundaries_says_what_to_do(tiny_sources, tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(tiny_sources / "yearbook", sources / "yearbook")
    with pytest.raises(IngestError, match="load the boundaries first"):
        ingest(sources, tmp_path / "empty.duckdb", only=["yearbook"], progress=False, echo=lambda *_: None)


def test_a_file_linking_outside_the_sources_folder_is_refused(tiny_sources, tmp_path, warehouse_copy):
    sources = tmp_path / "sources"
    (sources / "baidu_index").mkdir(parents=True)
    outside = tmp_path / "elsewhere.csv"
    shutil.copy(first(tiny_sources / "baidu_index", "*.csv"), outside)
    (sources / "baidu_index" / "linked.csv").symlink_to(outside)
    with pytest.raises(IngestError, match="outside the sources folder"):
        ingest(sources, warehouse_copy, only=["baidu_index"], progress=False, echo=lambda *_: None)


def test_gbk_and_utf8_exports_load_the_same(tiny_sources, tmp_path, warehouse_copy):
    """A yearbook CSV re-saved as UTF-8 gives the same rows as the GBK original."""
    import duckdb as ddb

    sources = tmp_path / "sources"
    shutil.copytree(tiny_sources / "yearbook", sources / "yearbook")
    path = first(sources / "yearbook", "*综合经济.csv")
    path.write_text(path.read_bytes().decode("gbk"), encoding="utf-8")
    before = ddb.connect(str(warehouse_copy), read_only=True).execute(
        "select adcode, year, indicator, value from raw.yearbook order by all").df()
    ingest(sources, warehouse_copy, only=["yearbook"], progress=False, force=True, echo=lambda *_: None)
    after = ddb.connect(str(warehouse_copy), read_only=True).execute(
        "select adcode, year, indicator, value from raw.yearbook order by all").df()
    pd.testing.assert_frame_equal(before, after)

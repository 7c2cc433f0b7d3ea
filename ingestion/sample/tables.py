"""Writers of the tabular sources in the real products' own formats.

Each writer takes the simulation and a folder and writes the files a data team would receive: GBK
CSVs and xlsx workbooks with Chinese headers, title rows above the header, "2019年" years,
"1,234" numbers and units in the header (China City Statistical Yearbook exports), CEADs workbooks
with one sheet per year, CNIPA patent records, a Tianyancha-style firm export, IFR tables, census
employment, government work report texts and Baidu-index series.

Byte-for-byte determinism: xlsx files are zip archives with timestamps inside; ``_freeze_xlsx``
rewrites them with fixed dates so the same world and seed give identical files.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.sample.history import History
from ingestion.sample.model import FUELS, INDUSTRIES, Simulation
from ingestion.sample.vocab import (
    AI_SCOPE_PHRASES, DIGITAL_KEYWORDS, ENV_KEYWORDS, FILLER_SENTENCES, GREEN_IPC_SAMPLE, NON_AI_SCOPE_PHRASES,
    OTHER_IPC_SAMPLE,
)
from ingestion.vocabulary import WHOLE_AREA, dbt_vars, yearbook_header, yearbook_indicators

FIXED_ZIP_DATE = (2024, 1, 1, 0, 0, 0)


def _freeze_xlsx(path: Path) -> None:
    """Rewrite an xlsx with fixed entry dates and fixed document properties (deterministic bytes)."""
    with zipfile.ZipFile(path) as zin:
        items = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in items:
            if name == "docProps/core.xml":
                import re

                data = re.sub(rb"<dcterms:(created|modified)([^>]*)>[^<]*</dcterms:\1>",
                              rb"<dcterms:\1\2>2024-01-01T00:00:00Z</dcterms:\1>", data)
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)
    path.write_bytes(buf.getvalue())


def _write_xlsx(path: Path, sheets: dict[str, tuple[str | None, pd.DataFrame]]) -> None:
    """Sheets: name -> (title row or None, table). Title rows sit above the header as in yearbooks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, (title, frame) in sheets.items():
            start = 0
            if title:
                pd.DataFrame([[title]]).to_excel(writer, sheet_name=name, header=False, index=False)
                start = 2  # a title row, a blank row, then the header
            frame.to_excel(writer, sheet_name=name, index=False, startrow=start)
    _freeze_xlsx(path)


def _write_csv_fast(columns: dict[str, np.ndarray], path: Path, *, bom: bool = False) -> None:
    """Large exports through pyarrow's CSV writer (quoting only where needed); optional UTF-8 BOM."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.table({k: pa.array(np.asarray(v, dtype=object).astype(str)) for k, v in columns.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        if bom:
            fh.write("\ufeff".encode("utf-8"))
        pacsv.write_csv(table, fh, pacsv.WriteOptions(quoting_style="needed"))


def _iso(dates) -> np.ndarray:
    return np.asarray(dates, dtype="datetime64[D]").astype(str)


def _thousands(values: np.ndarray, digits: int = 0) -> list[str]:
    """Format numbers the way yearbook exports do: '1,234' (and blanks for missing)."""
    return ["" if not np.isfinite(v) else f"{v:,.{digits}f}" for v in values]


def _names(sim: Simulation) -> pd.DataFrame:
    c = sim.world.cities[["adcode", "name_zh", "province_zh"]]
    return c.set_index("adcode")


# ----------------------------------------------------------------------------------------------
def _history(sim: Simulation) -> History:
    return History(sim.world.cities[["adcode", "name_zh"]])


# the provinces whose cities the sample world writes in the 290-city workbook as CEADs publishes it (NOTE,
# emission vector, emission matrix; province-prefixed names); the others go to the one-sheet-per-year workbook
CEADS_PUBLISHED_PROVINCES = ("34", "37", "42", "44", "63")
_PROVINCE_SUFFIX = re.compile(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区)$")


def write_ceads(sim: Simulation, out: Path) -> list[Path]:
    """CEADs names the units of each year's code table (莱芜 to 2017, 巢湖 to 2010): a workbook with one
    sheet per year (Chinese headers, 百万吨) and the 290-city workbook as published (``_write_ceads_published``)."""
    c = _history(sim).reported(sim.city[["adcode", "year", "ceads_co2_t"]], "end",
                               extensive=["ceads_co2_t"]).dropna(subset=["ceads_co2_t"])
    published = c.adcode.str[:2].isin(CEADS_PUBLISHED_PROVINCES).to_numpy()
    sheets = {}
    for year, part in c[~published].groupby("year"):
        total = part.ceads_co2_t.to_numpy() / 1e6
        frame = pd.DataFrame({
            "省份": part.province_zh.to_numpy(),
            "城市": part.name_zh.to_numpy(),
            "二氧化碳排放总量(百万吨)": total.round(4),
            "能源活动排放(百万吨)": (total * 0.88).round(4),
            "工业过程排放(百万吨)": (total * 0.12).round(4),
        })
        sheets[str(year)] = (f"中国城市二氧化碳排放清单（{year}年） 数据来源：CEADs", frame)
    path = out / "ceads" / "CEADs_city_CO2_inventory.xlsx"
    _write_xlsx(path, sheets)
    return [path, _write_ceads_published(c[published], out)]


def _write_ceads_published(c: pd.DataFrame, out: Path) -> Path:
    """The 290-city workbook's layout: NOTE (the only place the unit, Mt, is stated), ``emission vector``
    (ID = city and year, city, year, emission) and ``emission matrix`` (cities x years, the years as text
    headers): the same figures, so the loader's check of the one against the other passes; names behind
    their province's short name (山东济南, 湖北襄樊)."""
    from ingestion.cities import short_name

    names = [_PROVINCE_SUFFIX.sub("", p) + short_name(n) for p, n in zip(c.province_zh, c.name_zh)]
    vector = pd.DataFrame({"city": names, "year": c.year.to_numpy(), "emission": (c.ceads_co2_t / 1e6).round(4).to_numpy()})
    matrix = vector.pivot_table(index="city", columns="year", values="emission", aggfunc="first", sort=False)
    note = [["The Emission Inventories for Chinese Cities (CEADs)"], [],
            ["Unit: million tonnes (Mt) of CO2. Emissions are apparent emissions of the administrative area."],
            ["Cities are named with their province; units abolished or created in the period are listed for "
             "the years they existed."]]
    rows_matrix = [["city", *[str(y) for y in matrix.columns]]] + [
        [k, *[None if pd.isna(v) else float(v) for v in r]] for k, r in matrix.iterrows()]
    rows_vector = [["ID", "city", "year", "emission"]] + [[f"{a}{int(b)}", a, int(b), float(e)]
                                                          for a, b, e in vector.itertuples(index=False)]
    years = c.year.astype(int)
    path = out / "ceads" / f"The_Emission_Inventories_for_290_Chinese_Cities_from_{years.min()}_to_{years.max()}.xlsx"
    _write_xlsx_rows(path, {"NOTE": note, "emission vector": rows_vector, "emission matrix": rows_matrix}, {})
    return path


# file -> (layout, columns); a column is (indicator of seed_yearbook_indicators, unit written in the header,
# simulation column, factor from the simulation column to that unit, digits). Headers are the seed's
# spellings (ingestion.vocabulary.yearbook_header); some units differ from the canonical one on purpose (亿元,
# 万吨, 人), as in real exports, so that the loader's conversions are exercised. Each layout the loader accepts
# (ingestion/sources/_yearbook_layouts.py) is one file of every world:
#   wide    城市, 年份 + 地区生产总值(万元); the scope (全市) in the file name or the title row
#   panel   城市, 行政区划代码, 年份 + 行政区域土地面积_全市_平方公里, 地区生产总值_当年价格_市辖区_万元 (EPS and the
#           panels circulated with papers); missing markers, full-width digits, footnote rows
#   group   a 全市 / 市辖区 group row (merged cells) above a header that repeats the indicators
#   years   城市, 指标 + one column per year (2011年, ...)
#   sheets  years as columns without a 指标 column: one sheet per indicator, named for it (its header)
#   csmar   CSMAR: field codes (SGNYEAR, AREACODE, ...), the Chinese names and the units in the two rows below
YEARBOOK_FILES: dict[str, tuple[str, list[tuple[str, str, str, float, int]]]] = {
    "城市统计年鉴_综合经济_全市.csv": ("wide", [
        ("gdp_10k_yuan", "万元", "gdp_10k_yuan", 1.0, 0),
        ("gdp_primary_10k_yuan", "万元", "gdp_primary_10k_yuan", 1.0, 0),
        ("gdp_secondary_10k_yuan", "万元", "gdp_secondary_10k_yuan", 1.0, 0),
        ("gdp_tertiary_10k_yuan", "万元", "gdp_tertiary_10k_yuan", 1.0, 0),
        ("industry_va_10k_yuan", "万元", "industry_va_10k_yuan", 1.0, 0),
        ("fixed_asset_investment_10k_yuan", "万元", "fai_10k_yuan", 1.0, 0),
        ("retail_sales_10k_yuan", "万元", "retail_10k_yuan", 1.0, 0),
        ("trade_10k_yuan", "万元", "trade_10k_yuan", 1.0, 0),
        ("fdi_10k_usd", "万美元", "fdi_10k_usd", 1.0, 0),
    ]),
    "城市统计年鉴_人口就业_全市.csv": ("wide", [
        ("pop_hukou_10k", "万人", "pop_hukou_10k", 1.0, 2),
        ("pop_resident_10k", "万人", "pop_resident_10k", 1.0, 2),
        ("pop_urban_10k", "万人", "urban_pop_10k", 1.0, 2),
        ("employed_10k", "万人", "employed_10k", 1.0, 2),
    ]),
    "城市面板数据_EPS.csv": ("panel", [
        ("land_area_km2", "平方公里", "land_area_km2", 1.0, 0),
    ]),
    "CSMAR_中国城市数据库_人口与教育.xlsx": ("csmar", [
        ("mining_employed_10k", "万人", "mining_employed_10k", 1.0, 3),
        ("college_students_10k", "人", "college_students", 1.0, 0),
    ]),
    "城市统计年鉴_财政金融.xlsx": ("wide", [
        ("budget_revenue_10k_yuan", "亿元", "budget_rev_10k_yuan", 1e-4, 4),
        ("budget_expenditure_10k_yuan", "亿元", "budget_exp_10k_yuan", 1e-4, 4),
        ("education_expenditure_10k_yuan", "万元", "edu_exp_10k_yuan", 1.0, 0),
        ("science_expenditure_10k_yuan", "万元", "sci_exp_10k_yuan", 1.0, 0),
        ("government_investment_10k_yuan", "万元", "gov_invest_10k_yuan", 1.0, 0),
        ("loans_10k_yuan", "万元", "loans_10k_yuan", 1.0, 0),
    ]),
    "城市统计年鉴_资源环境.xlsx": ("group", [
        ("industrial_so2_t", "吨", "so2_t", 1.0, 0),
        ("industrial_wastewater_t", "万吨", "wastewater_10k_t", 1.0, 1),
        ("industrial_dust_t", "吨", "dust_t", 1.0, 0),
        ("industrial_nox_t", "吨", "nox_t", 1.0, 0),
        ("pollution_control_investment_10k_yuan", "万元", "pollution_invest_10k_yuan", 1.0, 1),
        ("energy_10k_tce", "万吨标准煤", "energy_10k_tce", 1.0, 2),
        ("electricity_10k_kwh", "万千瓦时", "electricity_10k_kwh", 1.0, 0),
    ]),
    "城市统计年鉴_分年指标_全市.xlsx": ("years", [
        ("broadband_users_10k", "万户", "broadband_10k_households", 1.0, 2),
    ]),
    "城市统计年鉴_分指标_全市.xlsx": ("sheets", [
        ("deposits_10k_yuan", "万元", "deposits_10k_yuan", 1.0, 0),
        ("digital_finance_index", "", "digital_finance_index", 1.0, 2),  # an index: the sheet name has no unit
    ]),
}
# 市辖区 (urban districts) columns beside the 全市 ones: indicator -> (file, the districts' share of the whole
# city, spread +-20% over cities by code). The marts must never read them (dbt var yearbook_scope); the
# world has no district truth, these only test that the scopes stay apart.
DISTRICTS: dict[str, tuple[str, float]] = {
    "gdp_10k_yuan": ("城市面板数据_EPS.csv", 0.55),
    "pop_hukou_10k": ("城市面板数据_EPS.csv", 0.35),
    "land_area_km2": ("城市面板数据_EPS.csv", 0.15),
    "industrial_so2_t": ("城市统计年鉴_资源环境.xlsx", 0.4),
    "industrial_wastewater_t": ("城市统计年鉴_资源环境.xlsx", 0.5),
    "industrial_dust_t": ("城市统计年鉴_资源环境.xlsx", 0.4),
}
# what the panel file writes for a missing (districts') value, in turn, and its closing notes
MISSING_MARKERS = ("", "—", "…", "－", "/")
FOOTNOTES = ("注：市辖区指标不含下辖县（市）。", "资料来源：中国城市统计年鉴，EPS数据平台。")
_FULL_WIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")


# The provincial workbook (国家统计局 分省年度数据) spells indicators with the seed's last spelling (年末就业人员
# where city tables say 年末单位从业人员), so the sample world exercises alternative spellings.
PROVINCE_COLUMNS: list[tuple[str, str, str, float, int]] = [
    ("gdp_10k_yuan", "亿元", "gdp_10k_yuan", 1e-4, 2),
    ("gdp_secondary_10k_yuan", "亿元", "gdp_secondary_10k_yuan", 1e-4, 2),
    ("gdp_tertiary_10k_yuan", "亿元", "gdp_tertiary_10k_yuan", 1e-4, 2),
    ("pop_resident_10k", "万人", "pop_10k", 1.0, 2),
    ("pop_urban_10k", "万人", "urban_pop_10k", 1.0, 2),
    ("employed_10k", "万人", "employed_10k", 1.0, 2),
    ("fixed_asset_investment_10k_yuan", "亿元", "fai_10k_yuan", 1e-4, 2),
    ("energy_10k_tce", "万吨标准煤", "energy_10k_tce", 1.0, 2),
    ("electricity_10k_kwh", "亿千瓦时", "electricity_10k_kwh", 1e-4, 2),
    ("loans_10k_yuan", "亿元", "loans_10k_yuan", 1e-4, 2),
    ("budget_expenditure_10k_yuan", "亿元", "budget_exp_10k_yuan", 1e-4, 2),
    ("trade_10k_yuan", "亿元", "trade_10k_yuan", 1e-4, 2),
    ("pollution_control_investment_10k_yuan", "万元", "pollution_invest_10k_yuan", 1.0, 1),
    ("land_area_km2", "平方公里", "area_km2", 1.0, 0),
]
PROVINCE_SPELLING = -1


def investment_before_the_panel(province: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """Province rows for the years from ``base_year`` to the world's first year with fixed-asset investment
    only, as the NBS provincial series reach back further than the panel: study 003's capital stock starts
    in its base year (dbt var ``gtfp_base_year``). Each province's investment is carried back from its
    first simulated year at its own average growth over the simulated years (no random draw, so the rest
    of the world is unchanged); every other indicator of those years is blank."""
    first = int(province.year.min())
    if base_year >= first:
        return province.iloc[:0]
    rows = []
    for code, part in province.sort_values("year").groupby("province_adcode", sort=True):
        fai = part.fai_10k_yuan.to_numpy(dtype=float)
        growth = (fai[-1] / fai[0]) ** (1.0 / (len(fai) - 1))
        rows += [(code, year, fai[0] * growth ** (year - first)) for year in range(base_year, first)]
    return pd.DataFrame(rows, columns=["province_adcode", "year", "fai_10k_yuan"])


def write_yearbook(sim: Simulation, out: Path) -> list[Path]:
    """City tables in the layouts of ``YEARBOOK_FILES`` (with the 市辖区 columns of ``DISTRICTS``) and a
    province workbook (with fixed-asset investment from the GTFP base year on, see
    ``investment_before_the_panel``). The city rows name the units of each year's code table (``History``,
    habit "end"): amounts are split between the units that held a city's territory, an index (no unit in
    the seed) is carried to each of them."""
    folder = out / "yearbook"
    folder.mkdir(parents=True, exist_ok=True)
    entries = [entry for _layout, cols in YEARBOOK_FILES.values() for entry in cols]
    c = _history(sim).reported(sim.city[["adcode", "year", *[col for _i, _u, col, _f, _d in entries]]], "end",
                               extensive=[col for _i, unit, col, _f, _d in entries if unit],
                               intensive=[col for _i, unit, col, _f, _d in entries if not unit])
    spread = 0.8 + 0.4 * (c.adcode.astype(int).to_numpy() % 13) / 12  # districts' share varies by city
    paths = []
    for fname, (layout, cols) in YEARBOOK_FILES.items():
        columns = []  # (header words: spelling, scope, unit, price basis), values, digits
        for indicator, unit, col, factor, digits in cols:
            values = c[col].to_numpy(dtype=float) * factor
            columns.append((indicator, WHOLE_AREA, unit, values, digits))
        for indicator, unit, col, factor, digits in entries:
            if DISTRICTS.get(indicator, ("",))[0] == fname:
                share = DISTRICTS[indicator][1] * spread
                columns.append((indicator, "市辖区", unit, c[col].to_numpy(dtype=float) * factor * share, digits))
        path = folder / fname
        _YEARBOOK_WRITERS[layout](path, c, columns)
        paths.append(path)
    p = sim.province
    from ingestion.sample.geography import PROVINCES

    p = pd.concat([p, investment_before_the_panel(p, int(dbt_vars()["gtfp_base_year"]))], ignore_index=True)
    frame = pd.DataFrame({"省份": [PROVINCES[a[:2]][0] for a in p.province_adcode], "年份": p.year.to_numpy()})
    for indicator, unit, col, factor, digits in PROVINCE_COLUMNS:
        header = yearbook_header(indicator, unit, spelling=PROVINCE_SPELLING)
        frame[header] = np.round(p[col].to_numpy(dtype=float) * factor, digits)
    path = folder / "中国统计年鉴_分省年度数据.xlsx"
    _write_xlsx(path, {"分省年度数据": ("国家统计局 分省年度数据", frame)})
    paths.append(path)
    return paths


def _spelling(indicator: str, scope: str, last: bool = False) -> str:
    rows = [r.spelling for r in yearbook_indicators() if r.indicator == indicator and r.scope == scope]
    return rows[-1 if last else 0]


def _write_wide(path: Path, c: pd.DataFrame, columns) -> None:
    frame = pd.DataFrame({"城市": c.name_zh.to_numpy(), "年份": [f"{y}年" for y in c.year]})
    for indicator, _scope, unit, values, digits in columns:
        frame[yearbook_header(indicator, unit)] = (_thousands(values, digits) if path.suffix == ".csv"
                                                   else np.round(values, digits))
    if path.suffix == ".csv":
        frame.to_csv(path, index=False, encoding="gbk", lineterminator="\n")
    else:
        _write_xlsx(path, {"数据": (f"中国城市统计年鉴 {path.stem.split('_')[1]} (全市)", frame)})


def _write_panel(path: Path, c: pd.DataFrame, columns) -> None:
    """EPS-style panel: 指标_当年价格_全市_万元 headers (the price basis on money), a missing marker for each
    missing value in turn, every seventh value in full-width digits, footnote rows under the table."""
    frame = pd.DataFrame({"城市": c.name_zh.to_numpy(), "行政区划代码": c.adcode.to_numpy(), "年份": c.year.to_numpy()})
    for indicator, scope, unit, values, digits in columns:
        # the districts' figures of every eleventh row are missing (not published for every city)
        values = np.where((np.arange(len(values)) % 11 == 3) & (scope != WHOLE_AREA), np.nan, values)
        words = [_spelling(indicator, scope, last=True), *(["当年价格"] if unit.endswith("元") else []), scope, unit]
        text = [MISSING_MARKERS[k % len(MISSING_MARKERS)] if not np.isfinite(v) else
                (f"{v:.{digits}f}".translate(_FULL_WIDTH) if k % 7 == 5 else f"{v:.{digits}f}")
                for k, v in enumerate(values)]
        frame["_".join(w for w in words if w)] = text
    notes = pd.DataFrame([[note] + [""] * (frame.shape[1] - 1) for note in FOOTNOTES], columns=frame.columns)
    pd.concat([frame, notes], ignore_index=True).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


def _write_group(path: Path, c: pd.DataFrame, columns) -> None:
    """A group row (全市 over the whole-city columns, 市辖区 over the districts', merged) above a header that
    repeats the indicator names."""
    keys = ["城市", "年份"]
    group = [None] * len(keys)
    header = list(keys)
    body = [c.name_zh.to_numpy(), c.year.to_numpy()]
    merges = []
    for scope in (WHOLE_AREA, "市辖区"):
        mine = [col for col in columns if col[1] == scope]
        if not mine:
            continue
        merges.append((len(header) + 1, len(header) + len(mine)))
        group += [scope] + [None] * (len(mine) - 1)
        for indicator, _scope, unit, values, digits in mine:
            header.append(yearbook_header(indicator, unit))
            body.append(np.round(values, digits))
    rows = [[f"中国城市统计年鉴 {path.stem.split('_')[1]}"], [], group, header]
    rows += [[v.item() if hasattr(v, "item") else v for v in row] for row in zip(*body)]
    _write_xlsx_rows(path, {"数据": rows}, {"数据": [(3, a, b) for a, b in merges]})


def _write_years(path: Path, c: pd.DataFrame, columns) -> None:
    """Years as columns: one row per city and indicator (指标 with its unit), one column per year."""
    years = sorted(c.year.unique())
    rows = [["中国城市统计年鉴 分年指标（全市）"], [], ["城市", "指标", *[f"{y}年" for y in years]]]
    for indicator, _scope, unit, values, digits in columns:
        header = yearbook_header(indicator, unit)
        rows += [[name, header, *figures] for name, figures in _by_year(c, values, digits, years)]
    _write_xlsx_rows(path, {"数据": rows}, {})


def _write_sheets(path: Path, c: pd.DataFrame, columns) -> None:
    """Years as columns, one sheet per indicator named for it (地区生产总值(万元), or the bare name of an
    index) and no 指标 column: 城市 and one column per year (2011, ...) under a title row."""
    years = sorted(c.year.unique())
    sheets = {}
    for indicator, _scope, unit, values, digits in columns:
        header = yearbook_header(indicator, unit)
        sheets[header] = [[f"中国城市统计年鉴 {header}（全市）"], ["城市", *[int(y) for y in years]],
                          *[[name, *figures] for name, figures in _by_year(c, values, digits, years)]]
    _write_xlsx_rows(path, sheets, {})


def _by_year(c: pd.DataFrame, values: np.ndarray, digits: int, years) -> list[tuple[str, list]]:
    """(city name, figures of ``years`` with None where missing) for each city, in the order of ``c``."""
    table = pd.DataFrame({"name": c.name_zh.to_numpy(), "year": c.year.to_numpy(), "v": np.round(values, digits)})
    wide = table.pivot_table(index="name", columns="year", values="v", aggfunc="first", sort=False)
    return [(name, [None if not np.isfinite(row.get(y, np.nan)) else float(row[y]) for y in years])
            for name, row in wide.iterrows()]


def _write_csmar(path: Path, c: pd.DataFrame, columns) -> None:
    """CSMAR's download: field codes, the fields' Chinese names, their units, then the data."""
    codes, names, units = ["SGNYEAR", "AREACODE"], ["统计年度", "行政区划代码"], ["没有单位", "没有单位"]
    body = [c.year.to_numpy(), c.adcode.to_numpy()]
    for k, (indicator, scope, unit, values, digits) in enumerate(columns):
        codes.append(f"F{k + 1:03d}")  # CSMAR's codes are per table; the loader reads the Chinese names
        names.append(f"{_spelling(indicator, scope)}_{scope}")
        units.append(unit or "没有单位")
        body.append(np.round(values, digits))
    rows = [codes, names, units] + [[v.item() if hasattr(v, "item") else v for v in row] for row in zip(*body)]
    _write_xlsx_rows(path, {"CITY_Economy": rows}, {})


def _write_xlsx_rows(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[tuple[int, int, int]]]) -> None:
    """Sheets given row by row (None for an empty cell); merges as (row, first column, last column), 1-based."""
    import openpyxl

    path.parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append([None if isinstance(v, float) and not np.isfinite(v) else v for v in row])
        for r, a, b in merges.get(name, []):
            if b > a:
                ws.merge_cells(start_row=r, start_column=a, end_row=r, end_column=b)
    book.save(path)
    _freeze_xlsx(path)


_YEARBOOK_WRITERS = {"wide": _write_wide, "panel": _write_panel, "group": _write_group, "years": _write_years,
                     "sheets": _write_sheets, "csmar": _write_csmar}


def write_energy(sim: Simulation, out: Path) -> list[Path]:
    """China Energy Statistical Yearbook: regional final consumption of the nine fuels, a sheet per year."""
    from ingestion.sample.geography import PROVINCES

    p = sim.province
    sheets = {}
    for year, part in p.groupby("year"):
        frame = pd.DataFrame({"地区": [PROVINCES[a[:2]][0] for a in part.province_adcode]})
        for name, unit, *_ in FUELS:
            frame[f"{name}({unit})"] = np.round(part[name].to_numpy(dtype=float), 2)
        sheets[f"{year}年"] = (f"分地区能源消费量（实物量） {year}年", frame)
    path = out / "energy" / "中国能源统计年鉴_分地区九类能源消费.xlsx"
    _write_xlsx(path, sheets)
    return [path]


def _addresses(history: History, city: np.ndarray, year: int, apply: pd.DatetimeIndex,
               u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(province, unit name) of each record's address: the units in force on its application date (before
    the change of its year was decided: the old ones), a record going to each part of its vintage unit
    with that part's share (``u``: one uniform draw per record)."""
    province, name = np.empty(len(city), dtype=object), np.empty(len(city), dtype=object)
    for code in np.unique(city):
        idx = np.flatnonzero(city == code)
        cut = history.cutoff(code, year)
        early = np.asarray(apply[idx] < cut) if cut is not None else np.zeros(len(idx), bool)
        for habit, mask in (("start", early), ("end", ~early)):
            sub = idx[mask]
            parts = history.report(code, year, habit)
            bounds = np.cumsum([p.share for p in parts])[:-1]
            which = np.searchsorted(bounds, u[sub], side="right")
            province[sub] = np.array([p.province_zh for p in parts], dtype=object)[which]
            name[sub] = np.array([p.name_zh for p in parts], dtype=object)[which]
    return province, name


def write_patents(sim: Simulation, out: Path, rng: np.random.Generator) -> list[Path]:
    """CNIPA-style records, one CSV per application year: 申请号, 专利类型, 申请日, 授权公告日,
    主分类号, IPC分类号, 申请人, 申请人地址. Non-green applications are 1.5x the green ones. The address
    names the city of the application date (``History``: 莱芜市 before 2018, 襄樊市 before Nov 2010)."""
    history = _history(sim)
    folder = out / "patents"
    folder.mkdir(parents=True, exist_ok=True)
    c = sim.city
    green_n = c.green_apps.to_numpy()
    other_n = np.round(green_n * 1.5).astype(np.int64)
    paths = []
    districts = np.array(["高新区", "经济开发区", "中心城区", "新区", "工业园区"])
    for year in sorted(c.year.unique()):
        sel = (c.year == year).to_numpy()
        counts_g, counts_o = green_n[sel], other_n[sel]
        codes = c.adcode.to_numpy()[sel]
        city = np.repeat(np.concatenate([codes, codes]), np.concatenate([counts_g, counts_o]))
        green = np.repeat(np.r_[np.ones(len(codes), bool), np.zeros(len(codes), bool)],
                          np.concatenate([counts_g, counts_o]))
        k = len(city)
        if k == 0:
            continue
        order = rng.permutation(k)
        city, green = city[order], green[order]
        invention = rng.random(k) < np.where(green, 0.5, 0.4)
        day = rng.integers(0, 365, k)
        apply = pd.Timestamp(f"{year}-01-01") + pd.to_timedelta(day, unit="D")
        lag = np.where(invention, rng.integers(500, 1400, k), rng.integers(150, 420, k))
        granted = rng.random(k) < np.where(invention, 0.55, 0.92)
        grant = apply + pd.to_timedelta(lag, unit="D")
        grant_ok = granted & (grant <= pd.Timestamp(f"{max(sim.world.years)}-12-31"))
        main = np.where(green, rng.choice(GREEN_IPC_SAMPLE, k), rng.choice(OTHER_IPC_SAMPLE, k))
        extra = rng.choice(OTHER_IPC_SAMPLE, k)
        ipc_all = np.where(rng.random(k) < 0.5, pd.Series(main) + ";" + pd.Series(extra), main)
        province, city_name = _addresses(history, city, int(year), apply, rng.random(k))
        serial = np.arange(k)
        kind = np.where(invention, "1", "2")
        appno = [f"CN{year}{t}{s:07d}.{(s * 7 + year) % 10}" for t, s in zip(kind, serial)]
        frame = dict({
            "申请号": appno,
            "专利类型": np.where(invention, "发明专利", "实用新型"),
            "申请日": _iso(apply),
            "授权公告日": np.where(grant_ok, _iso(grant), ""),
            "主分类号": main,
            "IPC分类号": ipc_all,
            "申请人": [f"申请人{s % 997:03d}" for s in serial],
            "申请人地址": province + city_name + rng.choice(districts, k).astype(object),
        })
        if year == max(c.year):  # the last year as the patent search system exports it
            frame = _search_export(frame, city, apply, invention)
        path = folder / f"CNIPA_patent_applications_{year}.csv"
        _write_csv_fast(frame, path)
        paths.append(path)
    return paths


def _search_export(frame: dict, city: np.ndarray, apply, invention: np.ndarray) -> dict:
    """The patent search system's field names (will4906/PatentCrawler's items): 公开（公告）号 and 日,
    申请（专利权）人, 发明类型, 申请人所在国（省）; addresses behind a postal code ("215300 江苏省昆山市...")."""
    postal = np.array([f"{(int(code) * 7) % 900000 + 100000:06d}" for code in city], dtype=object)
    published = apply + pd.to_timedelta(np.where(invention, 540, 120), unit="D")
    return {
        "申请号": frame["申请号"], "申请日": frame["申请日"],
        "公开（公告）号": [f"CN{n[2:-2].lstrip('0')[:9]}{'A' if inv else 'U'}" for n, inv in zip(frame["申请号"], invention)],
        "公开（公告）日": _iso(published), "授权公告日": frame["授权公告日"],
        "IPC分类号": frame["IPC分类号"], "主分类号": frame["主分类号"],
        "申请（专利权）人": frame["申请人"], "申请人地址": postal + " " + frame["申请人地址"],
        "申请人所在国（省）": [a[:2] for a in frame["申请人地址"]],
        "发明类型": np.where(invention, "发明申请", "实用新型"),
    }


def write_firms(sim: Simulation, out: Path, rng: np.random.Generator) -> list[Path]:
    """Tianyancha-style export: one row per firm with registration / deregistration dates and scope.

    The AI-firm stock of every city-year equals the planted count: at each year end the number of AI
    firms registered and not yet deregistered is exactly ``ai_firms``. Non-AI firms (no AI keyword in
    their business scope) are mixed in so that the keyword rule matters.
    """
    names = _names(sim)
    c = sim.city.sort_values(["adcode", "year"])
    years = np.array(sim.world.years)
    rows_city, rows_reg, rows_dereg, rows_ai = [], [], [], []
    for adcode, part in c.groupby("adcode", sort=True):
        stock = part.ai_firms.to_numpy()
        total = int(stock[0] + np.maximum(np.diff(stock), 0).sum() + stock.max())  # room for entries and exits
        reg = np.zeros(total, np.int64)
        exit_year = np.zeros(total, np.int64)
        alive = np.zeros(total, bool)
        used = 0
        for k, year in enumerate(years):
            alive_idx = np.flatnonzero(alive)
            exits = int(rng.binomial(len(alive_idx), 0.03)) if len(alive_idx) else 0
            need = int(stock[k]) - (len(alive_idx) - exits)
            if need < 0:
                exits, need = exits - need, 0
            if exits:
                gone = rng.choice(alive_idx, size=exits, replace=False)
                exit_year[gone] = year
                alive[gone] = False
            if used + need > total:  # grow (rare: many exits replaced)
                grow = used + need - total + 1024
                reg, exit_year, alive = (np.r_[reg, np.zeros(grow, np.int64)], np.r_[exit_year, np.zeros(grow, np.int64)],
                                         np.r_[alive, np.zeros(grow, bool)])
                total += grow
            reg[used:used + need] = rng.integers(1995, years[0], need) if k == 0 else year
            alive[used:used + need] = True
            used += need
        reg_years, dereg_years = reg[:used], exit_year[:used]
        m = len(reg_years)
        rows_city.append(np.full(m, adcode))
        rows_reg.append(reg_years)
        rows_dereg.append(dereg_years)
        rows_ai.append(np.ones(m, bool))
        n_other = int(round(0.2 * m))
        rows_city.append(np.full(n_other, adcode))
        rows_reg.append(rng.integers(1995, years[-1] + 1, n_other))
        rows_dereg.append(np.zeros(n_other, np.int64))
        rows_ai.append(np.zeros(n_other, bool))
    city = np.concatenate(rows_city)
    reg = np.concatenate(rows_reg)
    dereg = np.concatenate(rows_dereg)
    is_ai = np.concatenate(rows_ai)
    k = len(city)
    def jan1(y):
        return (np.asarray(y) - 1970).astype("datetime64[Y]").astype("datetime64[D]")

    reg_date = jan1(reg) + rng.integers(0, 365, k).astype("timedelta64[D]")
    dereg_year = np.where(dereg > 0, dereg, 2000)
    dereg_date = jan1(dereg_year) + rng.integers(0, 365, k).astype("timedelta64[D]")
    # a firm registered and deregistered in the same year must close after it opened, within that year
    dereg_date = np.where(dereg_date > reg_date, dereg_date, reg_date + np.timedelta64(1, "D"))
    dereg_date = np.minimum(dereg_date, jan1(dereg_year + 1) - np.timedelta64(1, "D"))
    scope_ai = rng.choice(AI_SCOPE_PHRASES, k).astype(object) + "；" + rng.choice(NON_AI_SCOPE_PHRASES, k).astype(object)
    scope_other = rng.choice(NON_AI_SCOPE_PHRASES, k).astype(object) + "；" + rng.choice(NON_AI_SCOPE_PHRASES, k).astype(object)
    serial = np.arange(k)
    frame = dict({
        "企业名称": [f"{n[:-1] if n.endswith('市') else n}{'智算' if a else '恒信'}{s:06d}有限公司"
                 for n, a, s in zip(names.loc[city, "name_zh"].to_numpy(), is_ai, serial)],
        "统一社会信用代码": [f"91{a}MA{s:08X}" for a, s in zip(city, serial)],
        "登记状态": np.where(dereg > 0, "注销", "存续"),
        "成立日期": _iso(reg_date),
        "注销日期": np.where(dereg > 0, _iso(dereg_date), "-"),
        "所属省份": names.loc[city, "province_zh"].to_numpy(),
        "所属城市": names.loc[city, "name_zh"].to_numpy(),
        "国标行业门类": np.where(is_ai, "信息传输、软件和信息技术服务业", "批发和零售业"),
        "经营范围": np.where(is_ai, scope_ai, scope_other),
    })
    path = out / "ai_firms" / "tianyancha_enterprise_export.csv"
    _write_csv_fast(frame, path, bom=True)
    return [path]


def write_ifr(sim: Simulation, out: Path) -> list[Path]:
    frame = sim.industry.rename(columns={
        "country": "Country", "isic_code": "Industry code", "industry": "Industry", "year": "Year",
        "installations": "Installations", "operational_stock": "Operational stock"})
    path = out / "ifr_robots" / "IFR_World_Robotics_CN_US_by_industry.xlsx"
    _write_xlsx(path, {"Data": ("World Robotics - Industrial Robots: installations and operational stock", frame)})
    return [path]


def write_employment(sim: Simulation, out: Path) -> list[Path]:
    from ingestion.sample.geography import PROVINCES

    e = sim.employment
    upper = e[e.geo_level.isin(["country", "province"]) & (e.geo_code != "USA")]
    # the census's city rows name the units of its year (History: 襄樊市, 毕节地区, 莱芜市, 巢湖市 in 2004)
    city = _history(sim).reported(
        e[e.geo_level == "city"].rename(columns={"geo_code": "adcode"})[["adcode", "year", "industry",
                                                                          "employment_persons"]],
        "end", extensive=["employment_persons"], keys=("industry",))
    frame = pd.concat([
        pd.DataFrame({"地区级别": upper.geo_level.map({"country": "全国", "province": "省"}).to_numpy(),
                      "地区": ["全国" if lvl == "country" else PROVINCES[g[:2]][0]
                             for lvl, g in zip(upper.geo_level, upper.geo_code)],
                      "所属省份": [PROVINCES.get(g[:2], ("",))[0] for g in upper.geo_code],
                      "行业": upper.industry.to_numpy(), "年份": upper.year.to_numpy(),
                      "从业人员(人)": upper.employment_persons.to_numpy()}),
        pd.DataFrame({"地区级别": "地级市", "地区": city.name_zh.to_numpy(), "所属省份": city.province_zh.to_numpy(),
                      "行业": city.industry.to_numpy(), "年份": city.year.to_numpy(),
                      "从业人员(人)": city.employment_persons.to_numpy()}),
    ], ignore_index=True)
    frame["从业人员(人)"] = np.round(frame["从业人员(人)"].to_numpy(dtype=float)).astype(np.int64)
    p1 = out / "employment" / "第一次全国经济普查_分行业从业人员_2004.xlsx"
    _write_xlsx(p1, {"从业人员": ("第一次全国经济普查 法人单位从业人员（按行业分）", frame)})
    us = e[e.geo_code == "USA"]
    p2 = out / "employment" / "US_employment_by_industry_1990.csv"
    pd.DataFrame({"industry_code": us.isic_code, "industry": us.industry, "year": us.year,
                  "employment": np.round(us.employment_persons).astype(np.int64)}).to_csv(
        p2, index=False, lineterminator="\n")
    return [p1, p2]


def _keywords_for_share(rng, keywords, share: float, total_chars: int, template_chars: int):
    """Keywords whose characters make ``share`` of a text that ends up ``total_chars`` long plus the
    template characters around each keyword: draw at random, then close the gap with the keyword
    whose length is nearest to what remains (within about one character)."""
    lengths = {k: len(k) for k in keywords}
    chosen: list[str] = []
    for _ in range(3):  # the text grows with every keyword sentence: iterate to the fixed point
        length = total_chars + sum(lengths[k] + template_chars for k in chosen)
        need = share * length - sum(lengths[k] for k in chosen)
        while need >= max(lengths.values()):
            k = str(rng.choice(keywords))
            chosen.append(k)
            need -= lengths[k]
        if need <= 0:
            continue
        best = min(keywords, key=lambda k: abs(lengths[k] - need))
        if abs(lengths[best] - need) < need:
            chosen.append(best)
    return chosen


def write_gov_reports(sim: Simulation, out: Path, rng: np.random.Generator) -> list[Path]:
    """One UTF-8 text per city-year. The characters of environmental and digital-economy keywords make
    up the planted shares (er_share, digital_share) of the whole text, to within about one character."""
    folder = out / "gov_reports"
    paths = []
    filler = np.array(FILLER_SENTENCES, dtype=object)
    env_template, dig_template = "持续推进{}工作。", "加快发展{}。"
    # a report is delivered early in its year: it names the units in force on 1 January (襄樊 in 2010)
    reports = _history(sim).reported(sim.city[["adcode", "year", "er_share", "digital_share"]], "start",
                                     extensive=[], intensive=["er_share", "digital_share"])
    for r in reports.itertuples(index=False):
        title = f"{r.year}年{r.name_zh}人民政府工作报告\n"
        body = list(rng.choice(filler, int(rng.integers(110, 150))))
        base = len(title) + sum(len(x) for x in body)
        env = _keywords_for_share(rng, ENV_KEYWORDS, r.er_share, base, len(env_template) - 2)
        base += sum(len(k) + len(env_template) - 2 for k in env)
        dig = _keywords_for_share(rng, DIGITAL_KEYWORDS, r.digital_share, base, len(dig_template) - 2)
        parts = body + [env_template.format(k) for k in env] + [dig_template.format(k) for k in dig]
        order = rng.permutation(len(parts))
        text = title + "".join(parts[j] for j in order)
        path = folder / str(r.year) / f"{r.adcode}_{r.name_zh}_{r.year}年政府工作报告.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def write_baidu(sim: Simulation, out: Path) -> list[Path]:
    names = _names(sim)
    c = sim.city.dropna(subset=["baidu_ai_daily"])
    frame = pd.DataFrame({"城市": names.loc[c.adcode, "name_zh"].to_numpy(), "关键词": "人工智能",
                          "年份": c.year.to_numpy(), "日均值": np.round(c.baidu_ai_daily.to_numpy(), 1)})
    path = out / "baidu_index" / "百度指数_人工智能_城市年度日均值.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return [path]


POLICY_FILES = {"smart_city": "国家智慧城市试点名单.csv", "low_carbon": "低碳城市试点名单.csv",
                "broadband_china": "宽带中国示范城市名单.csv"}


def write_policy_lists(sim: Simulation, out: Path) -> list[Path]:
    """A list names each city as it was when the batch was announced (毕节地区 in a 2010 list)."""
    history = _history(sim)
    paths = []
    for policy, fname in POLICY_FILES.items():
        part = sim.policies[sim.policies.policy == policy]
        named = [history.report(a, int(y), "end")[0] for a, y in zip(part.adcode, part.year)]
        frame = pd.DataFrame({"批次": [f"第{b}批" for b in part.batch], "公布年份": part.year.to_numpy(),
                              "省份": [p.province_zh for p in named],
                              "城市": [p.name_zh for p in named]})
        path = out / "policy_lists" / fname
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        paths.append(path)
    return paths

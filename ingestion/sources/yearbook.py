"""China City Statistical Yearbook indicators (and the provincial yearbook) -> raw.yearbook.

Exports come as GBK or UTF-8 CSV or xlsx with title rows, Chinese headers with units in brackets
("地区生产总值(万元)"), "2019年" years and "1,234" numbers. Every indicator is stored in one unit
(``INDICATORS``); 亿元 become 万元, 人 become 万人 where the canonical unit is 万人, and so on.
City names resolve to adcodes (unknown names fail with the closest suggestions); province tables
(a 省份 column) resolve to province adcodes.
"""
from __future__ import annotations

import pandas as pd

from ingestion.cities import unit_code_doc
from ingestion.contract import Column, Contract
from ingestion.sources._tables import (melt_indicators, provinces, read_tables, reject_unit_jumps,
                                       require_columns, year_column)
from ingestion.sources.base import LoadContext, Source

# indicator -> canonical unit (one documented unit per indicator)
INDICATORS: dict[str, str] = {
    "地区生产总值": "万元", "第一产业增加值": "万元", "第二产业增加值": "万元", "第三产业增加值": "万元",
    "工业增加值": "万元", "固定资产投资总额": "万元", "社会消费品零售总额": "万元", "货物进出口总额": "万元",
    "当年实际使用外资金额": "万美元", "年末户籍人口": "万人", "年末常住人口": "万人", "城镇常住人口": "万人",
    "年末单位从业人员": "万人", "年末就业人员": "万人", "采矿业从业人员": "万人", "普通高等学校在校学生数": "万人",
    "行政区域土地面积": "平方公里", "地方一般公共预算收入": "万元", "地方一般公共预算支出": "万元",
    "教育支出": "万元", "科学技术支出": "万元", "政府投资总额": "万元", "年末金融机构各项存款余额": "万元",
    "年末金融机构各项贷款余额": "万元", "数字普惠金融指数": "", "工业二氧化硫排放量": "吨",
    "工业废水排放量": "吨", "工业烟粉尘排放量": "吨", "工业氮氧化物排放量": "吨", "工业污染治理完成投资": "万元",
    "能源消费总量": "万吨标准煤", "全社会用电量": "万千瓦时", "互联网宽带接入用户数": "万户",
}

# indicator -> the order of magnitude of a prefecture-level city's value, in the canonical unit. Only used
# to catch a wrong unit in a header (a column's median further than x316 from it; 亿元 vs 万元 is x10^4).
TYPICAL: dict[str, float] = {
    "地区生产总值": 1e7, "第一产业增加值": 1e6, "第二产业增加值": 5e6, "第三产业增加值": 5e6,
    "工业增加值": 5e6, "固定资产投资总额": 1e7, "社会消费品零售总额": 5e6, "货物进出口总额": 3e6,
    "当年实际使用外资金额": 3e4, "年末户籍人口": 400, "年末常住人口": 400, "城镇常住人口": 200,
    "年末单位从业人员": 50, "年末就业人员": 200, "采矿业从业人员": 0.5, "普通高等学校在校学生数": 8,
    "行政区域土地面积": 1e4, "地方一般公共预算收入": 1e6, "地方一般公共预算支出": 3e6,
    "教育支出": 5e5, "科学技术支出": 4e4, "政府投资总额": 6e5, "年末金融机构各项存款余额": 2e7,
    "年末金融机构各项贷款余额": 2e7, "数字普惠金融指数": 150, "工业二氧化硫排放量": 3e4,
    "工业废水排放量": 3e7, "工业烟粉尘排放量": 1e4, "工业氮氧化物排放量": 2e4, "工业污染治理完成投资": 2e4,
    "能源消费总量": 1e3, "全社会用电量": 2e7, "互联网宽带接入用户数": 70,
}

CONTRACT = Contract(
    table="yearbook",
    description="City (and province) statistical yearbook indicators, long format, canonical units",
    key=("adcode", "year", "indicator"),
    columns=(
        Column("adcode", "varchar", "city: " + unit_code_doc() + "; or province adcode for provincial tables"),
        Column("year", "integer", "statistical year", min=1978, max=2100),
        Column("indicator", "varchar", "indicator name as in the yearbook (Chinese)"),
        Column("value", "double", "value in the canonical unit", min=0),
        Column("unit", "varchar", "canonical unit of the indicator", nullable=True),
        Column("source_file", "varchar", "file the row came from"),
    ),
)


def read(files, ctx: LoadContext):
    resolver = ctx.resolver()
    parts = []
    for path in files:
        for sheet, table, first in read_tables(path, {"年份"}):
            require_columns(table, ["年份"], file=path, sheet=sheet)
            year = year_column(table, "年份", file=path, first_row=first, sheet=sheet)
            if "城市" in table.columns:
                adcode = resolver.resolve(table["城市"], years=year, file=path, column="城市", row_offset=first,
                                          sheet=sheet)
                key_cols = ["城市", "年份"]
            else:
                require_columns(table, ["省份", "年份"], file=path, sheet=sheet)
                adcode = provinces(table["省份"], file=path, column="省份", row_offset=first, sheet=sheet)
                key_cols = ["省份", "年份"]
            indicators = [c for c in table.columns if c not in key_cols]
            long = melt_indicators(table, {"adcode": adcode, "year": year}, indicators, known=INDICATORS,
                                   file=path, sheet=sheet, first_row=first, typical=TYPICAL)
            long["source_file"] = path.name
            parts.append(long)
    out = pd.concat(parts, ignore_index=True)
    reject_unit_jumps(out, ["adcode", "indicator"])
    out["unit"] = out["unit"].replace("", None)
    return {"yearbook": out}


SOURCE = Source(
    name="yearbook",
    description="China City Statistical Yearbook and provincial yearbook indicators",
    product="yearbook exports (CSV in GBK or UTF-8, or xlsx; Chinese headers with units)",
    contracts=(CONTRACT,),
    patterns=("*.csv", "*.xlsx"),
    read=read,
)

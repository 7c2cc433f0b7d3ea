"""Property-based tests of the tabular parsers (hypothesis): numbers, years, units and city names."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingestion.cities import CityResolver, short_name
from ingestion.divisions import Crosswalk, province_resolver
from ingestion.errors import IngestError
from ingestion.parsing import UNIT_CONVERSIONS, parse_number, parse_year, split_header, to_canonical

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_thousands_separators_round_trip(n):
    text = f"{n:,}"
    assert parse_number(pd.Series([text, text.replace(",", "，")]), file="f", column="c").tolist() == [n, n]


@given(finite)
def test_plain_numbers_round_trip(x):
    assert parse_number(pd.Series([repr(x)]), file="f", column="c").iloc[0] == pytest.approx(x, rel=1e-12, abs=1e-300)


@given(st.sampled_from(["", "-", "—", "…", "nan", "NA"]))
def test_missing_markers_are_missing_not_zero(marker):
    assert np.isnan(parse_number(pd.Series([marker]), file="f", column="c").iloc[0])


@given(st.integers(min_value=1, max_value=10**6), st.sampled_from(["万", "亿", "元", "吨", "%", "万元", "abc"]))
def test_unit_suffixes_in_cells_are_rejected(n, suffix):
    with pytest.raises(IngestError, match="is not a number"):
        parse_number(pd.Series([f"{n}{suffix}"]), file="f.csv", column="c")


@given(st.integers(min_value=1900, max_value=2099), st.sampled_from(["", "年", " 年", "年度", " "]))
def test_year_spellings(year, suffix):
    assert parse_year(pd.Series([f"{year}{suffix}"]), file="f", column="年份").iloc[0] == year


@given(st.text(min_size=1, max_size=8).filter(lambda s: not s.strip().isdigit()))
def test_non_years_are_rejected_with_the_row(text):
    with pytest.raises(IngestError, match=r"row 1, column 年份"):
        parse_year(pd.Series([text]), file="f", column="年份")


@given(st.sampled_from(sorted(u for u in UNIT_CONVERSIONS if u)), finite)
def test_unit_conversion_is_linear_and_names_the_canonical_unit(unit, x):
    converted, canonical = to_canonical(np.array([x, 2 * x]), unit, file="f", where="w")
    assert canonical == UNIT_CONVERSIONS[unit][0]
    assert converted[1] == pytest.approx(2 * converted[0], rel=1e-12, abs=1e-300)


@given(st.sampled_from(["万元", "亿元", "元"]), st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_money_units_agree_in_万元(unit, x):
    factor = {"元": 1e-4, "万元": 1.0, "亿元": 1e4}[unit]
    assert to_canonical(np.array([x]), unit, file="f", where="w")[0][0] == pytest.approx(x * factor)


@given(st.text(alphabet=st.characters(categories=["Lo"]), min_size=1, max_size=6),
       st.sampled_from(["万元", "亿元", "吨", "万人", ""]))
def test_header_units_split(name, unit):
    header = f"{name}({unit})" if unit else name
    assert split_header(header) == (name, unit)
    assert split_header(f"{name}（{unit}）" if unit else name) == (name, unit)


CITIES = pd.DataFrame({"adcode": ["110100", "130100", "220200", "152900"],
                       "name_zh": ["北京市", "石家庄市", "吉林市", "阿拉善盟"],
                       "name_en": [None, None, None, None],
                       "province_zh": ["北京市", "河北省", "吉林省", "内蒙古自治区"]})


def _names_of_units(year: int) -> dict[str, set[str]]:
    """Every spelling of a unit of the code table of ``year`` (name, short name, 州 form, code) -> codes."""
    out: dict[str, set[str]] = {}
    for p in Crosswalk.load().periods:
        if p.is_unit and p.table_from <= year <= p.table_to:
            keys = {p.name_zh, p.short_name, p.adcode} | ({p.short_name + "州"} if p.name_zh.endswith("自治州") else set())
            for key in keys:
                out.setdefault(key, set()).add(p.adcode)
    return out


UNITS_2020 = _names_of_units(2020)
PROVINCE_NAMES = sorted(province_resolver(), key=len, reverse=True)


@settings(max_examples=200)
@given(st.text(max_size=12))
def test_unknown_names_never_resolve_silently(text):
    """A text resolves only to a unit it names in that year's code table (behind a province at most);
    anything else is one error."""
    resolver = CityResolver(CITIES)
    try:
        code = resolver.resolve(pd.Series([text]), years=2020, file="f.csv", column="城市").iloc[0]
    except IngestError as exc:
        assert exc.where == "row 1, column 城市" and exc.fix
        return
    name = text.strip().replace(" ", "")
    spellings = [name] + [name[len(p):] for p in PROVINCE_NAMES if name.startswith(p)]
    assert any(code in UNITS_2020.get(s, ()) for s in spellings), (text, code)


def test_a_province_name_is_not_taken_for_the_city_of_the_same_name():
    with pytest.raises(IngestError, match="unknown city '吉林省'"):
        CityResolver(CITIES).resolve(pd.Series(["吉林省"]), years=2020, file="f.csv", column="城市")


@given(st.sampled_from(["北京市", "北京", " 北京市 ", "110100", "吉林市", "吉林", "阿拉善盟", "阿拉善"]))
def test_names_with_or_without_suffix_resolve(name):
    code = CityResolver(CITIES).resolve(pd.Series([name]), years=2020, file="f", column="城市").iloc[0]
    assert code == {"北京": "110100", "110100": "110100", "吉林": "220200", "阿拉善": "152900"}[short_name(name.strip())]

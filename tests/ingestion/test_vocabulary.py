"""One home for the yearbook vocabulary and the municipalities: the dbt seeds, read by the SQL, the loader
and the sample writer. These tests fail when a copy of a list reappears or when the three drift apart."""
from __future__ import annotations

import ast
import re

import pytest

from ingestion.parsing import UNIT_CONVERSIONS, split_header
from ingestion.sample import tables
from ingestion.vocabulary import (WHOLE_AREA, municipalities, read_seed, yearbook_header, yearbook_indicators,
                                  yearbook_scopes, yearbook_spellings)
from tests.conftest import REPO

PRODUCT_PACKAGES = ("ingestion", "analysis", "expectations", "dualcarbon")
YEARBOOK_SQL = (REPO / "dbt_project" / "models" / "staging" / "yearbook" / "stg_yearbook__indicators.sql",
                REPO / "dbt_project" / "macros" / "yearbook_pivot.sql")


def _code_strings(path) -> set[str]:
    """String constants of a module that are not docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings}


def test_the_seed_is_consistent():
    rows = yearbook_indicators()
    assert len(rows) >= 30
    keys = [(r.spelling, r.scope) for r in rows]
    assert len(keys) == len(set(keys)), "a spelling is listed twice in one scope"
    units = {}
    for r in rows:
        assert units.setdefault(r.indicator, r.unit) == r.unit, f"{r.indicator}: two canonical units"
        assert r.unit in UNIT_CONVERSIONS and UNIT_CONVERSIONS[r.unit][0] == r.unit, \
            f"{r.spelling}: {r.unit!r} is not a canonical unit of ingestion.parsing"
        assert r.typical_city_value > 0
        assert re.fullmatch(r"[a-z][a-z0-9_]*", r.indicator)


def test_every_header_the_sample_world_writes_resolves_through_the_seed(tiny_sources):
    """Every indicator header of every layout, read by the loader's header grammar in its column's scope,
    is a spelling of the seed in that scope with a unit convertible to the seed's; every 全市 indicator is
    written, and 市辖区 columns too."""
    from ingestion.sources._tables import raw_sheets
    from ingestion.sources._yearbook_layouts import column_scope, indicator_of_sheet, parse_header, recognise

    seen = set()
    for path in sorted((tiny_sources / "yearbook").iterdir()):
        for name, raw in raw_sheets(path):
            sheet = recognise(raw, file=path, sheet=name)
            province = "city" not in sheet.keys and "code" not in sheet.keys
            if sheet.years:
                texts = (set(sheet.key("indicator")) if "indicator" in sheet.keys else {indicator_of_sheet(sheet)})
                columns = [(min(sheet.years), t) for t in texts]
            else:
                columns = list(sheet.headers.items())
            for j, text in columns:
                header = parse_header(text, file=path, where="")
                scope = column_scope(sheet, j, header, province=province)
                known = yearbook_spellings(scope)
                assert header.name in known, f"{path.name}: header {text!r} is not a spelling of the seed ({scope})"
                assert UNIT_CONVERSIONS[header.unit][0] == known[header.name].unit, f"{path.name}: {text!r}"
                seen.add((known[header.name].indicator, scope))
    assert {i for i, s in seen if s == WHOLE_AREA} == {r.indicator for r in yearbook_indicators()}, \
        "an indicator of the seed is never written"
    assert {s for _i, s in seen} == set(yearbook_scopes())


def test_the_sample_writer_names_indicators_of_the_seed():
    written = [(ind, unit) for _layout, cols in tables.YEARBOOK_FILES.values() for ind, unit, *_ in cols]
    written += [(ind, unit) for ind, unit, *_ in tables.PROVINCE_COLUMNS]
    for indicator, unit in written:
        header = yearbook_header(indicator, unit)   # KeyError for an indicator the seed does not know
        assert split_header(header)[0] in yearbook_spellings()
    assert yearbook_header("employed_10k", "万人", spelling=-1) != yearbook_header("employed_10k", "万人")


@pytest.mark.parametrize("path", YEARBOOK_SQL, ids=lambda p: p.name)
def test_the_yearbook_sql_holds_no_indicator_list(path):
    sql = path.read_text(encoding="utf-8")
    assert "seed_yearbook_indicators" in sql
    for row in yearbook_indicators():
        assert row.spelling not in sql, f"{path.name} spells {row.spelling!r}: read it from the seed"
        assert not re.search(rf"\b{row.indicator}\b", sql), f"{path.name} names {row.indicator!r}: read it from the seed"
    code = re.sub(r"\{#.*?#\}", "", sql, flags=re.S)  # the scope the marts read is var('yearbook_scope')
    assert not re.findall(r"[\u4e00-\u9fff]+", code)


def test_no_python_module_copies_the_vocabulary():
    spellings = {r.spelling for r in yearbook_indicators()}
    headers = {f"{r.spelling}({u})" for r in yearbook_indicators() for u, (c, _) in UNIT_CONVERSIONS.items()
               if c == r.unit and u}
    codes = set(municipalities())
    offenders = []
    for package in PRODUCT_PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            strings = _code_strings(path)
            if strings & (spellings | headers):
                offenders.append(f"{path.relative_to(REPO)}: {sorted(strings & (spellings | headers))[:3]}")
            text = path.read_text(encoding="utf-8")
            # a tuple or list of the four municipality codes (city or province level)
            for level in (codes, {c[:2] + "0000" for c in codes}):
                if all(f'"{c}"' in text or f"'{c}'" in text for c in level) and "TINY_CITIES" not in text:
                    offenders.append(f"{path.relative_to(REPO)}: the municipality codes {sorted(level)}")
    assert not offenders, "vocabulary copied outside the seeds:\n" + "\n".join(offenders)


def test_the_loader_reads_the_seed_and_points_an_unknown_spelling_to_it(tmp_path):
    import pandas as pd

    from ingestion.errors import IngestError
    from ingestion.sources.base import LoadContext
    from ingestion.sources.yearbook import read

    ctx = LoadContext(cities=pd.DataFrame({"adcode": ["110100"], "name_zh": ["北京市"], "province_zh": ["北京市"]}))
    good = tmp_path / "good.csv"
    good.write_text("省份,年份,年末就业人员(万人),地区生产总值(亿元)\n北京市,2019,1200,35000\n", encoding="utf-8")
    out = read([good], ctx)["yearbook"].set_index("indicator")
    assert out.loc["地区生产总值", "value"] == 35000 * 1e4 and out.loc["地区生产总值", "unit"] == "万元"
    bad = tmp_path / "bad.csv"
    bad.write_text("省份,年份,GDP总值(万元)\n北京市,2019,1\n", encoding="utf-8")
    with pytest.raises(IngestError, match="seed_yearbook_indicators.csv"):
        read([bad], ctx)


def test_municipalities_come_from_the_seed():
    assert municipalities() == tuple(row["adcode"] for row in read_seed("seed_municipalities"))

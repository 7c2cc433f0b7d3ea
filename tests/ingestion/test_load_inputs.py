"""A load is skipped only when its files AND what its rows were resolved against are unchanged (#22).

A source's rows depend on its files, on the boundaries (names and polygons) and on the dbt seeds its
reader reads (the divisions crosswalk, the indicator vocabulary, ...): ``Source.inputs``. Each load records
their fingerprints in ``raw._loads.inputs``; a change to any of them reloads the source and says why.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import duckdb
import pandas as pd
import pytest

from ingestion import registry, vocabulary
from ingestion.errors import ConfigError, IngestError
from ingestion.load import ingest
from tests.conftest import REPO

SOURCES = {name: s for name, s in registry.all_sources().items() if not s.optional}  # the tiny world's
DEPENDS_ON_BOUNDARIES = {name for name, s in SOURCES.items() if "boundaries" in s.inputs()}


def load(sources, warehouse):
    outcomes = ingest(sources, warehouse, progress=False, echo=lambda *_: None)
    return {o.source: o for o in outcomes if o.source in SOURCES}  # not the optional products the tiny world lacks


def raw_tables(path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' and table_name <> '_loads'").fetchall()]
        out = {}
        for name in names:
            frame = con.execute(f"select * from raw.{name}").df()
            for column in frame.columns:  # WKB geometries compare as text
                if frame[column].map(lambda v: isinstance(v, (bytes, bytearray, memoryview))).any():
                    frame[column] = frame[column].map(lambda v: bytes(v).hex() if v is not None else None)
            out[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
        return out
    finally:
        con.close()


def assert_frames_equal(ta, tb):
    assert ta.keys() == tb.keys()
    for name in ta:
        pd.testing.assert_frame_equal(ta[name], tb[name], check_exact=False, rtol=1e-12, obj=f"raw.{name}")


def assert_same_rows(a, b):
    assert_frames_equal(raw_tables(a), raw_tables(b))


@pytest.fixture
def copy_of_tiny(tiny_sources, tiny_warehouse, tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(tiny_sources, sources)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(tiny_warehouse, warehouse)
    return sources, warehouse


@pytest.fixture
def seeds_copy(tmp_path, monkeypatch):
    """The dbt seeds in a scratch folder the loaders read instead of the repository's."""
    folder = tmp_path / "seeds"
    shutil.copytree(REPO / vocabulary.SEEDS, folder)
    monkeypatch.setattr(vocabulary, "seed_path", lambda name: folder / f"{name}.csv")
    yield folder
    vocabulary.forget_cached_seeds()


def edit_boundaries(sources):
    """Rename one city (南京市 -> 南京) and move one polygon's northern edge 30 km south (杭州)."""
    path = sources / "boundaries" / "tiny_cities_utm50n.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    touched = set()
    for feature in data["features"]:
        props = feature["properties"]
        if props["adcode"] == "320100":
            props["name"] = "南京"
            touched.add("rename")
        if props["adcode"] == "330100":
            ring = feature["geometry"]["coordinates"][0]
            top = max(y for _, y in ring)
            feature["geometry"]["coordinates"][0] = [[x, y - 30_000.0 if y == top else y] for x, y in ring]
            touched.add("move")
    assert touched == {"rename", "move"}, "the tiny world no longer has 南京 and 杭州 in its GeoJSON"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_nothing_changed_is_a_no_op(copy_of_tiny):
    sources, warehouse = copy_of_tiny
    outcomes = load(sources, warehouse)
    assert {o.status for o in outcomes.values()} == {"unchanged"}


def test_changed_boundaries_reload_every_source_resolved_against_them(copy_of_tiny, tmp_path):
    sources, warehouse = copy_of_tiny
    before = raw_tables(warehouse)
    edit_boundaries(sources)
    outcomes = load(sources, warehouse)

    assert DEPENDS_ON_BOUNDARIES >= {"edgar_co2", "pm25", "ntl", "dem", "yearbook", "ceads", "patents"}
    reloaded = {n for n, o in outcomes.items() if o.status == "reloaded"}
    assert reloaded == DEPENDS_ON_BOUNDARIES | {"boundaries"}
    for name in DEPENDS_ON_BOUNDARIES:
        assert "boundaries changed" in outcomes[name].reason, outcomes[name].line
    assert outcomes["boundaries"].reason == "files 1 changed"
    skipped = {n for n, o in outcomes.items() if o.status == "unchanged"}
    assert skipped == set(SOURCES) - DEPENDS_ON_BOUNDARIES - {"boundaries"} and skipped  # energy, IFR robots

    # the rows follow the new boundaries: exactly what a fresh load of the edited files gives
    fresh = tmp_path / "fresh.duckdb"
    load(sources, fresh)
    assert_same_rows(warehouse, fresh)
    after = raw_tables(warehouse)
    name = after["city_boundaries"].set_index("adcode").loc["320100", "name_zh"]
    assert name == "南京"
    zonal = {k: v.set_index(["source", "variable", "adcode", "year", "stat"]).value
             for k, v in (("before", before["raster_zonal"]), ("after", after["raster_zonal"]))}
    moved = zonal["after"].xs("330100", level="adcode") != zonal["before"].xs("330100", level="adcode")
    assert moved.any(), "the moved polygon's zonal statistics did not change"


def test_a_changed_crosswalk_reloads_the_sources_that_resolve_names(copy_of_tiny, seeds_copy, tmp_path):
    sources, warehouse = copy_of_tiny
    path = seeds_copy / "seed_division_changes.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, "note"] = "edited by the test"
    frame.to_csv(path, index=False)

    outcomes = load(sources, warehouse)
    resolving = {n for n, s in SOURCES.items() if "seed_division_changes" in s.inputs()}
    assert {"yearbook", "ceads", "patents", "boundaries"} <= resolving
    assert {n for n, o in outcomes.items() if o.status == "reloaded"} == resolving
    assert all("seed_division_changes changed" in outcomes[n].reason for n in resolving)
    assert outcomes["edgar_co2"].status == "unchanged" and outcomes["energy"].status == "unchanged"
    fresh = tmp_path / "fresh.duckdb"
    load(sources, fresh)
    assert_same_rows(warehouse, fresh)


def test_a_changed_indicator_map_reloads_the_yearbook_only(copy_of_tiny, seeds_copy):
    sources, warehouse = copy_of_tiny
    with open(seeds_copy / "seed_yearbook_indicators.csv", "a", encoding="utf-8") as fh:
        fh.write("gdp_10k_yuan,全市,GDP总量,万元,1e7\n")
    outcomes = load(sources, warehouse)
    assert {n for n, o in outcomes.items() if o.status == "reloaded"} == {"yearbook"}
    assert outcomes["yearbook"].reason == "seed_yearbook_indicators changed"
    # and the new spelling is what the reload read: the loader's vocabulary has it
    assert "GDP总量" in vocabulary.yearbook_spellings()
    assert load(sources, warehouse)["yearbook"].status == "unchanged"


def test_a_changed_pilot_province_rule_reloads_the_policy_lists_only(copy_of_tiny, monkeypatch):
    """DUALCARBON_PILOT_PROVINCES is an input of policy_lists: rows expanded under ``expand`` are not kept
    silently once the rule is back to ``refuse`` (the reload refuses the province row), and an unchanged
    rule is a no-op."""
    sources, warehouse = copy_of_tiny
    path = sources / "policy_lists" / "低碳城市试点名单.csv"
    path.write_text(path.read_text(encoding="utf-8") + "第一批,2010,湖北省,湖北省\n", encoding="utf-8")
    monkeypatch.setenv("DUALCARBON_PILOT_PROVINCES", "expand")
    outcomes = load(sources, warehouse)
    assert {n for n, o in outcomes.items() if o.status == "reloaded"} == {"policy_lists"}
    assert outcomes["policy_lists"].reason == "files 1 changed, setting DUALCARBON_PILOT_PROVINCES changed (refuse -> expand)"
    con = duckdb.connect(str(warehouse), read_only=True)
    hubei = con.sql("select adcode from raw.policy_lists where policy = 'low_carbon' and adcode like '42%'").fetchall()
    assert {("420100",), ("420600",)} <= set(hubei)  # 武汉 and 襄阳, listed by their province
    recorded = con.sql("select inputs from raw._loads where source = 'policy_lists' order by started desc limit 1"
                       ).fetchone()[0]
    con.close()
    assert json.loads(recorded)["DUALCARBON_PILOT_PROVINCES"] == "expand"
    assert load(sources, warehouse)["policy_lists"].status == "unchanged"

    monkeypatch.setenv("DUALCARBON_PILOT_PROVINCES", "refuse")
    before = raw_tables(warehouse)
    with pytest.raises(IngestError, match="'湖北省' is a province"):
        load(sources, warehouse)
    assert_frames_equal(before, raw_tables(warehouse))  # the refused reload wrote nothing

    path.write_text(path.read_text(encoding="utf-8").replace("第一批,2010,湖北省,湖北省\n", ""), encoding="utf-8")
    monkeypatch.delenv("DUALCARBON_PILOT_PROVINCES")  # unset: the default, refuse
    outcomes = load(sources, warehouse)
    assert outcomes["policy_lists"].reason == "files 1 changed, setting DUALCARBON_PILOT_PROVINCES changed (expand -> refuse)"
    assert "reloaded" in outcomes["policy_lists"].line and outcomes["policy_lists"].reason in outcomes["policy_lists"].line
    assert {n for n, o in outcomes.items() if o.status == "reloaded"} == {"policy_lists"}
    monkeypatch.setenv("DUALCARBON_PILOT_PROVINCES", "refuse")  # the default named: the same rule, no reload
    assert load(sources, warehouse)["policy_lists"].status == "unchanged"


def test_a_changed_ntl_layer_reloads_the_lights_only(copy_of_tiny, monkeypatch):
    """DUALCARBON_NTL_LAYER is an input of ntl: with an ``average`` layer beside each ``average_masked`` one
    (here the same radiance), naming it reloads the lights from those files, and naming it again is a no-op."""
    sources, warehouse = copy_of_tiny
    for f in sorted((sources / "ntl").glob("*.average_masked.*")):
        shutil.copy(f, f.with_name(f.name.replace(".average_masked.", ".average.")))
    outcomes = load(sources, warehouse)
    assert outcomes["ntl"].status == "reloaded" and outcomes["ntl"].reason.startswith("files ")
    monkeypatch.setenv("DUALCARBON_NTL_LAYER", "average")
    outcomes = load(sources, warehouse)
    assert {n for n, o in outcomes.items() if o.status == "reloaded"} == {"ntl"}
    assert outcomes["ntl"].reason == "setting DUALCARBON_NTL_LAYER changed (average_masked -> average)"
    con = duckdb.connect(str(warehouse), read_only=True)
    used = {f for f, layout in con.sql("select file, layout from raw._loads where source = 'ntl' and started = "
                                       "(select max(started) from raw._loads where source = 'ntl')").fetchall()
            if '"used": false' not in layout}
    con.close()
    assert used and all(".average." in f for f in used)
    assert load(sources, warehouse)["ntl"].status == "unchanged"


def test_an_invalid_setting_is_refused_before_anything_is_read(copy_of_tiny, monkeypatch):
    sources, warehouse = copy_of_tiny
    monkeypatch.setenv("DUALCARBON_PILOT_PROVINCES", "maybe")
    with pytest.raises(ConfigError, match="DUALCARBON_PILOT_PROVINCES='maybe': use one of refuse, expand"):
        ingest(sources, warehouse, only=["policy_lists"], progress=False, echo=lambda *_: None)


def test_the_manifest_records_each_input_fingerprint(tiny_warehouse):
    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    try:
        rows = con.execute("select distinct source, inputs from raw._loads").fetchall()
    finally:
        con.close()
    recorded = {source: json.loads(inputs) for source, inputs in rows}
    assert set(recorded) == set(SOURCES)
    for name, inputs in recorded.items():
        assert sorted(inputs) == sorted(SOURCES[name].inputs())
    assert recorded["yearbook"]["seed_yearbook_indicators"] == vocabulary.seed_fingerprint("seed_yearbook_indicators")
    assert recorded["policy_lists"]["DUALCARBON_PILOT_PROVINCES"] == "refuse"  # a setting: its value in effect
    assert recorded["ntl"]["DUALCARBON_NTL_LAYER"] == "average_masked"


PROBE = textwrap.dedent("""
    import json, shutil, sys
    from pathlib import Path
    from ingestion import registry, settings, vocabulary
    from ingestion.load import ingest
    name, sources, base, warehouse = sys.argv[1:5]
    if name != "boundaries":
        shutil.copy(base, warehouse)
    ingest(Path(sources), Path(warehouse), only=[name], progress=False, echo=lambda *_: None)
    print(json.dumps(sorted(vocabulary.seeds_read() | settings.loader_settings_read())))
""")


@pytest.fixture(scope="module")
def boundaries_only(tiny_sources, tmp_path_factory):
    path = tmp_path_factory.mktemp("inputs") / "boundaries.duckdb"
    ingest(tiny_sources, path, only=["boundaries"], progress=False, echo=lambda *_: None)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_loader_reads_no_seed_it_does_not_declare(name, tiny_sources, boundaries_only, tmp_path):
    """Each loader in a fresh process (no seed cached), on the tiny world: every seed and every setting of
    ``ingestion.settings.LOADER_SETTINGS`` it reads is one of its declared inputs, or a change to it would
    not reload it."""
    out = subprocess.run([sys.executable, "-c", PROBE, name, str(tiny_sources), str(boundaries_only),
                          str(tmp_path / "w.duckdb")], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    read = set(json.loads(out.stdout.strip().splitlines()[-1]))
    undeclared = read - set(SOURCES[name].inputs())
    assert not undeclared, f"{name} reads {sorted(undeclared)} without declaring it (Source.seeds / Source.settings)"

"""Crash safety (a load killed with SIGKILL), the "in use" message, and hostile names and paths."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pandas as pd
import pytest

from ingestion.errors import IngestError, WarehouseInUse
from ingestion.load import ingest
from ingestion.warehouse import connect
from tests.conftest import holding_write_lock, warehouse_snapshot

INGEST = textwrap.dedent("""
    import sys
    from pathlib import Path
    from ingestion.load import ingest
    ingest(Path(sys.argv[1]), Path(sys.argv[2]), only=sys.argv[3:], force=True, progress=False)
    print("done", flush=True)
""")


@pytest.mark.parametrize("delay", [0.5, 1.5, 3.0, 5.0])
def test_a_load_killed_at_any_point_leaves_the_previous_data(delay, tiny_sources, warehouse_copy):
    before = warehouse_snapshot(warehouse_copy)
    loads_before = before.pop("_loads")
    proc = subprocess.Popen([sys.executable, "-c", INGEST, str(tiny_sources), str(warehouse_copy),
                             "patents", "ai_firms", "yearbook"], stdout=subprocess.PIPE, text=True)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    after = warehouse_snapshot(warehouse_copy)
    loads_after = after.pop("_loads")
    assert after == before  # data tables: same rows whether or not a load had committed (same files)
    n_before, n_after = loads_before[0], loads_after[0]
    assert n_before <= n_after  # committed loads append their manifest rows; nothing else changes
    # the next run succeeds and is a no-op for what was committed
    outcomes = ingest(tiny_sources, warehouse_copy, only=["patents", "ai_firms", "yearbook"], progress=False,
                      echo=lambda *_: None)
    assert {o.status for o in outcomes} == {"unchanged"}
    assert warehouse_snapshot(warehouse_copy) == {**before, "_loads": warehouse_snapshot(warehouse_copy)["_loads"]}


def test_second_writer_is_told_which_process_holds_the_warehouse(warehouse_copy):
    with holding_write_lock(warehouse_copy) as holder:
        with pytest.raises(WarehouseInUse, match=rf"in use by PID {holder.pid}"):
            connect(warehouse_copy)


HOSTILE = "x'); drop table raw._loads; --"


def test_hostile_city_names_are_rejected_as_data(tiny_sources, warehouse_copy, tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(tiny_sources / "baidu_index", sources / "baidu_index")
    path = next((sources / "baidu_index").glob("*.csv"))
    frame = pd.read_csv(path, dtype=str)
    frame.loc[0, "城市"] = HOSTILE
    frame.to_csv(path, index=False)
    before = warehouse_snapshot(warehouse_copy)
    with pytest.raises(IngestError, match="unknown city"):
        ingest(sources, warehouse_copy, only=["baidu_index"], progress=False, force=True, echo=lambda *_: None)
    assert warehouse_snapshot(warehouse_copy) == before


def test_hostile_file_names_are_stored_as_data(tiny_sources, warehouse_copy, tmp_path):
    sources = tmp_path / "sources"
    (sources / "baidu_index").mkdir(parents=True)
    original = next((tiny_sources / "baidu_index").glob("*.csv"))
    shutil.copy(original, sources / "baidu_index" / f"{HOSTILE}.csv")
    ingest(sources, warehouse_copy, only=["baidu_index"], progress=False, force=True, echo=lambda *_: None)
    con = duckdb.connect(str(warehouse_copy), read_only=True)
    try:
        files = [r[0] for r in con.execute("select file from raw._loads where source = 'baidu_index'").fetchall()]
        stored = con.execute("select distinct source_file from raw.baidu_index").fetchall()
    finally:
        con.close()
    assert f"baidu_index/{HOSTILE}.csv" in files and stored == [(f"{HOSTILE}.csv",)]


def test_unknown_source_names_are_refused_before_any_path_is_built(tiny_sources, warehouse_copy):
    from ingestion.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown source"):
        ingest(tiny_sources, warehouse_copy, only=["../../etc"], progress=False, echo=lambda *_: None)


def test_no_sql_is_built_from_values():
    """Every f-string SQL statement in the ingestion code interpolates identifiers from contracts or the
    registry, never values: values go through parameters (checked by reading the code)."""
    import re
    from pathlib import Path

    offenders = []
    for path in Path(__file__).resolve().parents[2].joinpath("ingestion").rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r'execute\(f["\']', line):
                # identifiers from contracts / the registry / MANIFEST_COLUMNS, and the wheel's own path
                allowed = ("raw.{name}", "{view}", "raw.{t}", "raw._loads ({cols})",
                           "INSTALL '{spatial_extension_path()}'")
                if not any(a in line for a in allowed):
                    offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert offenders == []

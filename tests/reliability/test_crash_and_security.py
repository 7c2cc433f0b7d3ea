"""Crash safety (a load killed with SIGKILL), the "in use" message, and hostile names and paths."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

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


def test_a_source_file_linking_outside_the_sources_folder_is_refused(tiny_sources, warehouse_copy, tmp_path):
    """`../` escapes: a symlinked file (or folder) that resolves outside the sources folder is refused."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    original = next((tiny_sources / "baidu_index").glob("*.csv"))
    shutil.copy(original, outside / "secret.csv")
    sources = tmp_path / "sources"
    (sources / "baidu_index").mkdir(parents=True)
    (sources / "baidu_index" / "index.csv").symlink_to(Path("..") / ".." / "elsewhere" / "secret.csv")
    before = warehouse_snapshot(warehouse_copy)
    with pytest.raises(IngestError, match="resolves outside the sources folder"):
        ingest(sources, warehouse_copy, only=["baidu_index"], progress=False, force=True, echo=lambda *_: None)
    (sources / "baidu_index" / "index.csv").unlink()
    (sources / "baidu_index" / "sub").symlink_to(outside, target_is_directory=True)   # folder links: not followed
    with pytest.raises(IngestError, match="no files matching"):
        ingest(sources, warehouse_copy, only=["baidu_index"], progress=False, force=True, echo=lambda *_: None)
    assert warehouse_snapshot(warehouse_copy) == before


def test_readers_are_told_which_process_writes(tiny_marts, tmp_path):
    """analysis (marts loaders) and expectations open read-only; under a writer they name its PID."""
    from analysis.marts import load_city_panel
    from expectations.runner import run_checks

    copy = tmp_path / "copy.duckdb"        # (a file named marts.duckdb would shadow the marts schema)
    shutil.copy(tiny_marts, copy)
    with holding_write_lock(copy) as holder:
        with pytest.raises(WarehouseInUse, match=rf"in use by PID {holder.pid}"):
            load_city_panel(copy)
        with pytest.raises(WarehouseInUse, match=rf"in use by PID {holder.pid}"):
            run_checks(copy, docs_dir=tmp_path / "docs")
    assert len(load_city_panel(copy)) > 0          # and work once the writer is gone


def test_readers_work_side_by_side_while_nothing_writes(tiny_marts):
    """A second process holding a read-only connection does not stop analysis or a SQL reader."""
    from analysis.marts import load_city_panel, load_weights

    reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys
        con = duckdb.connect({str(tiny_marts)!r}, read_only=True)
        print(con.execute("select count(*) from marts.fct_city_year").fetchone()[0], flush=True)
        sys.stdin.readline()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        n_other = int(reader.stdout.readline())
        panel = load_city_panel(tiny_marts)
        assert len(panel) == n_other
        ids = sorted(panel["adcode"].unique())
        assert load_weights("inverse_distance", ids, tiny_marts).shape == (len(ids), len(ids))
    finally:
        reader.communicate("\n", timeout=30)


def test_a_hostile_weight_matrix_name_is_a_value_not_sql(tiny_marts):
    from analysis.marts import load_city_panel, load_weights

    ids = sorted(load_city_panel(tiny_marts)["adcode"].unique())
    with pytest.raises(ValueError, match="unknown weight matrix"):
        load_weights(HOSTILE, ids, tiny_marts)
    with duckdb.connect(str(tiny_marts), read_only=True) as con:
        assert con.execute("select count(*) from raw._loads").fetchone()[0] > 0


CODE_DIRS = ("ingestion", "analysis", "expectations", "dbt_project")


def _code_lines():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for folder in CODE_DIRS:
        for path in sorted((root / folder).rglob("*.py")):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                yield path.relative_to(root), n, line


def test_no_sql_is_formatted_from_values_anywhere():
    """Across every package: an f-string SQL statement may only splice identifiers that come from code
    (contracts, the registry, suite definitions, constant column lists), never a value."""
    import re

    allowed = ("raw.{name}", "{view}", "raw.{t}", "raw._loads ({cols})", "INSTALL '{spatial_extension_path()}'",
               '"{suite.schema}"."{suite.mart}"', "{groups} from marts.fct_city_year")
    pattern = re.compile(r"""(execute|sql|query)\(\s*f["']""")
    offenders = [f"{p}:{n}: {line.strip()}" for p, n, line in _code_lines()
                 if pattern.search(line) and not any(a in line for a in allowed)]
    # a value spliced into a quoted SQL literal: ... = '{x}'
    offenders += [f"{p}:{n}: {line.strip()}" for p, n, line in _code_lines()
                  if re.search(r"\b(select|where|from)\b", line, re.I) and re.search(r"""=\s*'\{[^}]+\}'""", line)]
    assert offenders == []


def test_no_pickle_or_eval_of_inputs():
    """Input files are parsed, never unpickled or evaluated."""
    import re

    banned = re.compile(r"\bpickle\.loads?\(|\bread_pickle\(|\beval\(|\bexec\(|allow_pickle\s*=\s*True|"
                        r"yaml\.load\((?![^)]*SafeLoader)|\bmarshal\.loads?\(|\bjoblib\.load\(")
    offenders = [f"{p}:{n}: {line.strip()}" for p, n, line in _code_lines() if banned.search(line)]
    assert offenders == []

"""--dask: the raster tasks of ingest and the chunks of estimator draws on a Dask cluster (issue #19).

A LocalCluster of 2 worker processes gives the same raw tables as the serial load, row for row; the
same seed gives the same placebo and bootstrap draws serially and on 1 or 2 workers; an unreachable
scheduler is one line (exit 4) before anything is read; a worker killed mid-load is replaced and the
load completes identically, or (no retries allowed) the load fails with one error and the warehouse is
as before; a real ``dask scheduler`` and two ``dask worker`` processes ingest through tcp://.
"""
from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO, warehouse_snapshot


def raw_tables(path: Path) -> dict:
    """The raw tables' row counts and content hashes, without the load log (its times differ by run)."""
    return {t: v for t, v in warehouse_snapshot(path).items() if t != "_loads"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    from ingestion.cluster import DaskExecutor

    with DaskExecutor("local:2") as executor:
        yield executor


# ------------------------------------------------------------------------------------------- no dask
def test_without_dask_the_commands_never_import_dask(tiny_sources, tmp_path):
    code = f"""
import sys
from dualcarbon.cli import main
assert main(["ingest", "--sources", {str(tiny_sources)!r}, "--only", "boundaries", "dem", "--quiet",
             "--warehouse", {str(tmp_path / 'w.duckdb')!r}]) == 0
from analysis.estimators import placebo, fit_threshold
import analysis.estimators.draws, ingestion.executor, ingestion.zonal
print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("address", ["local:0", "local:x", "127.0.0.1:8786", "tcp://127.0.0.1", "http://h:1"])
def test_a_malformed_address_is_one_line(address, tiny_sources, tmp_path, capsys):
    from dualcarbon.cli import main

    assert main(["ingest", "--sources", str(tiny_sources), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--dask", address, "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "local:N" in err and "tcp://HOST:PORT" in err
    assert not (tmp_path / "w.duckdb").exists()


def test_an_unreachable_scheduler_is_one_line_before_anything_is_read(tiny_sources, tmp_path, monkeypatch):
    port = free_port()   # nothing listens there
    env = {**os.environ, "PYTHONPATH": str(REPO), "DUALCARBON_DASK_TIMEOUT": "1"}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "dualcarbon", "ingest", "--sources", str(tiny_sources),
                          "--warehouse", str(tmp_path / "w.duckdb"), "--dask", f"tcp://127.0.0.1:{port}"],
                         cwd=REPO, capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 4
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and f"tcp://127.0.0.1:{port}" in lines[0] and "no Dask scheduler" in lines[0], out.stderr
    assert out.stdout == ""                          # no source was loaded, not even the boundaries
    assert not (tmp_path / "w.duckdb").exists()      # the warehouse was never opened
    assert time.perf_counter() - t0 < 60


# ------------------------------------------------------------------------------------------- ingest
def test_ingest_on_a_local_cluster_equals_the_serial_load(tiny_sources, tiny_warehouse, tmp_path, capsys):
    from dualcarbon.cli import main

    target = tmp_path / "dask.duckdb"
    assert main(["ingest", "--sources", str(tiny_sources), "--warehouse", str(target), "--dask", "local:2",
                 "--quiet"]) == 0
    assert "raw.raster_zonal" in capsys.readouterr().out
    assert raw_tables(target) == raw_tables(tiny_warehouse)


def run_slowly(fn, task):
    """A task that takes long enough for the test to kill its worker while it runs."""
    time.sleep(0.3)
    return fn(task)


class KillsAWorker:
    """Runs the band tasks slowly on ``cluster`` and SIGKILLs one worker process while they run."""

    def __init__(self, cluster, after: float = 1.0):
        self.cluster, self.after, self.killed = cluster, after, None

    def map(self, fn, tasks, *, on_result=None):
        from ingestion.zonal import run_bands_task

        if fn is not run_bands_task or self.killed is not None:
            return self.cluster.map(fn, tasks, on_result=on_result)
        victim = sorted(self.cluster.worker_pids().values())[0]
        self.killed = victim
        threading.Timer(self.after, os.kill, (victim, signal.SIGKILL)).start()
        return self.cluster.map(functools.partial(run_slowly, fn), tasks, on_result=on_result)


def test_a_worker_killed_mid_load_is_replaced_and_the_load_is_identical(cluster, tiny_sources, tiny_warehouse,
                                                                        tmp_path):
    from ingestion.load import ingest

    target = tmp_path / "killed.duckdb"
    killer = KillsAWorker(cluster)
    ingest(tiny_sources, target, only=["boundaries", "edgar_co2", "pm25"], executor=killer, progress=False,
           echo=lambda *_: None)
    assert killer.killed is not None and killer.killed not in cluster.worker_pids().values()   # it did die
    serial = raw_tables(tiny_warehouse)
    ours = raw_tables(target)
    assert ours["city_boundaries"] == serial["city_boundaries"]
    # the raster rows of the two sources loaded equal the serial load's, row for row
    import duckdb

    query = ("select * from raw.raster_zonal where source in ('edgar_co2', 'pm25') "
             "order by all")
    with duckdb.connect(str(target), read_only=True) as a, duckdb.connect(str(tiny_warehouse), read_only=True) as b:
        assert a.execute(query).fetchall() == b.execute(query).fetchall()
        assert a.execute("select count(*) from raw.raster_zonal").fetchone()[0] > 0


def test_a_worker_killed_without_retries_fails_the_load_in_one_line_and_writes_nothing(tiny_sources, tiny_warehouse,
                                                                                       tmp_path):
    import dask

    from ingestion.cluster import DaskExecutor
    from ingestion.errors import ClusterFailed
    from ingestion.load import ingest

    target = tmp_path / "w.duckdb"
    shutil.copy(tiny_warehouse, target)
    before = warehouse_snapshot(target)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with DaskExecutor("local:2") as fragile:
            with pytest.raises(ClusterFailed) as caught:
                ingest(tiny_sources, target, only=["pm25"], executor=KillsAWorker(fragile, after=0.5), force=True,
                       progress=False, echo=lambda *_: None)
    message = str(caught.value)
    assert "\n" not in message and "lost its worker" in message and "nothing was written" in message
    assert warehouse_snapshot(target) == before   # _loads included: no half load, no log line


def test_ingest_through_a_real_scheduler_and_two_worker_processes(tiny_sources, tiny_warehouse, tmp_path):
    """`dask scheduler` and two `dask worker` processes on 127.0.0.1, then `dualcarbon ingest --dask tcp://`."""
    dask_cli = Path(sys.executable).with_name("dask")
    command = [str(dask_cli)] if dask_cli.exists() else [sys.executable, "-m", "dask"]
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = [subprocess.Popen([*command, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=open(logs / "scheduler.log", "w"), env=env, cwd=tmp_path)]
    try:
        for k in range(2):
            procs.append(subprocess.Popen([*command, "worker", address, "--nthreads", "1", "--nworkers", "1",
                                           "--no-dashboard", "--host", "127.0.0.1"], stdout=subprocess.DEVNULL,
                                          stderr=open(logs / f"worker{k}.log", "w"), env=env, cwd=tmp_path))
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        target = tmp_path / "tcp.duckdb"
        out = subprocess.run([sys.executable, "-m", "dualcarbon", "ingest", "--sources", str(tiny_sources),
                              "--warehouse", str(target), "--dask", address, "--quiet"], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        assert raw_tables(target) == raw_tables(tiny_warehouse)
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


# ---------------------------------------------------------------------------------------- estimators
class Reversed:
    """Runs the tasks last to first: chunk seeding must not depend on the order chunks run in."""

    def map(self, fn, tasks, *, on_result=None):
        return [fn(t) for t in tasks[::-1]][::-1]


@pytest.fixture(scope="module")
def staggered():
    from analysis.estimators.did.simulate import simulate_staggered_panel

    return simulate_staggered_panel(n_units=60, periods=range(2005, 2015), cohorts=(2009, 2012),
                                    share_treated=0.3, effect=lambda e: -0.4 + 0 * e, seed=3)


def test_placebo_draws_are_the_same_serially_and_on_one_or_two_workers(cluster, staggered):
    from analysis.estimators import placebo
    from ingestion.cluster import DaskExecutor

    def draws(executor, seed=7):
        return placebo(staggered, y="y", entity="city", time="year", cohort="cohort", n_draws=150, seed=seed,
                       chunk_size=32, executor=executor, progress=False).draws

    serial = draws(None)
    assert serial["estimate"].notna().all() and serial["estimate"].nunique() > 100
    with DaskExecutor("local:1") as one:
        assert one.n_workers == 1
        on_one = draws(one)
    cluster.client.wait_for_workers(2, timeout=60)   # the worker killed above is back
    assert cluster.n_workers == 2
    for other in (on_one, draws(cluster), draws(cluster.client), draws(Reversed())):
        assert other.equals(serial)
    assert not draws(None, seed=8).equals(serial)


def test_threshold_bootstrap_is_the_same_serially_and_on_two_workers(cluster):
    from analysis.estimators import fit_threshold

    rng = np.random.default_rng(4)
    N, T = 40, 8
    q = rng.uniform(size=N * T)
    x = rng.normal(size=N * T)
    frame = {"id": np.repeat(np.arange(N), T), "year": np.tile(np.arange(T), N), "q": q, "x": x,
             "y": np.where(q <= 0.5, 1.0, -1.0) * x + rng.normal(size=N * T) + np.repeat(rng.normal(size=N), T)}
    import pandas as pd

    data = pd.DataFrame(frame)

    def fit(executor):
        return fit_threshold(data, y="y", regime_x="x", q="q", entity="id", time="year", n_thresholds=2,
                             grid=40, n_boot=90, chunk=20, seed=5, executor=executor, progress=False)

    serial = fit(None)
    on_two = fit(cluster)
    assert on_two.boot_pvalues == serial.boot_pvalues
    assert on_two.crit_values.equals(serial.crit_values)
    assert fit(Reversed()).crit_values.equals(serial.crit_values)


def test_a_chunk_draws_from_the_seeds_child_of_its_index():
    from analysis.estimators.draws import draw_chunks

    chunks = draw_chunks(None, 100, 42, chunk_size=30)
    assert [(c.start, c.size) for c in chunks] == [(0, 30), (30, 30), (60, 30), (90, 10)]
    children = np.random.SeedSequence(42).spawn(4)
    for chunk, child in zip(chunks, children):
        assert chunk.rng().random(3).tolist() == np.random.default_rng(child).random(3).tolist()
    assert draw_chunks(None, 10, 42, chunk_size=5, stream=(2,))[1].rng().random() == \
        np.random.default_rng(np.random.SeedSequence(42, spawn_key=(2, 1))).random()


def test_dml_repetitions_are_the_same_serially_and_on_two_workers(cluster):
    from analysis.estimators import fit_dml
    from tests.estimators.test_dml import simulate_panel

    data = simulate_panel(3, n=40, t=6, nonlinear=True)

    def fit(executor):
        return fit_dml(data, y="y", d="d", controls=["x1", "x2", "x3"], entity="city", time="year", learner="ols",
                       n_rep=3, seed=4, n_jobs=1, progress=False,
                       executor=executor)

    serial = fit(None)
    assert len(set(serial.info["thetas"])) == 3     # the repetitions differ: the test can tell them apart
    for other in (fit(cluster), fit(Reversed())):
        assert np.array_equal(other.info["thetas"], serial.info["thetas"])
        assert np.array_equal(other.info["ses"], serial.info["ses"])
        assert other.params.equals(serial.params) and other.bse.equals(serial.bse)


class Recording:
    """Runs tasks serially and records which task functions ran (what the executor was handed)."""

    def __init__(self):
        self.ran = []

    def map(self, fn, tasks, *, on_result=None):
        self.ran.append(fn.__name__)
        return [fn(t) for t in tasks]


def test_replicate_hands_its_executor_to_the_placebo_and_the_threshold_bootstrap(tiny_marts, tmp_path):
    from analysis.replications import replicate

    fast = {"n_boot": 20, "n_perm": 50, "n_draws": 50, "n_trees": 20}
    recording = Recording()
    for study in ("002", "004"):
        assert replicate(study, warehouse=tiny_marts, out=tmp_path / "on", echo=lambda *_: None, fast=fast,
                         executor=recording) == 0
        assert replicate(study, warehouse=tiny_marts, out=tmp_path / "off", echo=lambda *_: None, fast=fast) == 0
    assert {"placebo_chunk", "bootstrap_chunk"} <= set(recording.ran)
    for table in sorted((tmp_path / "off").rglob("*.csv")):
        assert table.read_bytes() == (tmp_path / "on" / table.relative_to(tmp_path / "off")).read_bytes(), table


def test_validate_runs_each_seed_as_a_task_with_the_serial_records(tiny_sources, tiny_marts, tmp_path):
    import pandas as pd

    from dualcarbon.validate import validate
    from tests.conftest import TINY_SEED
    from tests.test_validate import FAST

    prebuilt = {TINY_SEED: (tiny_sources, tiny_marts)}
    for folder, dask in (("serial", None), ("dask", "local:1")):
        assert validate("tiny", [TINY_SEED], tmp_path / folder, fast=FAST, prebuilt=prebuilt, progress=False,
                        dask=dask) == 0
    serial = pd.read_csv(tmp_path / "serial" / "truth_recovery.csv")
    assert len(serial) > 10 and serial["estimate"].notna().sum() > 10
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "dask" / "truth_recovery.csv"), serial)

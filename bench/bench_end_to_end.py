"""End to end: every stage of `make run` on the default world, each as its own `dualcarbon` process.

    .venv/bin/python bench/bench_end_to_end.py [--world default] [--seed 20240601] [--keep DIR] [--quick]

Runs, into a fresh work folder (a temporary one unless ``--keep DIR``), the stages `dualcarbon run`
chains: ``sample``, ``ingest``, ``build --skip-checks [--dbt-docs]`` (dbt build and its docs page,
when this checkout's CLI has that option), ``check`` (expectations),
``replicate all`` and ``report``, each as a subprocess of the command-line client, and measures per stage:

- wall seconds;
- peak resident memory of the stage's process tree: psutil polls the stage process and all its
  descendants (ingest's worker processes, the dbt process and its threads) every 0.1 s and sums their
  RSS (pages shared between forked workers count once per process, so this is an upper bound);
- the largest single process of the stage (``os.wait4``'s ru_maxrss of the stage process, which
  includes its reaped children), and ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` after the stage as a
  cross-check (the largest descendant of this script so far, so cumulative over the stages).

Baselines (ratios printed first): each stage's share of the total, measured in the same run; the
total against SPEC section 9's "a few minutes" read as 300 s; dbt build against the 60 s target of
its issue and the checks against their 30 s target (the budgets bench_dbt_build and bench_checks use).
dbt's target/ and logs/ go into the work folder (DBT_TARGET_PATH, DBT_LOG_PATH), so the run leaves
the checkout alone. ``--quick`` runs the tiny world instead (a smoke run).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import ROOT, Bench

BUDGETS = {  # stage -> (seconds, where the budget comes from)
    "total": (300.0, "SPEC section 9: make run within a few minutes, read as 300 s"),
    "build": (60.0, "dbt build target of its issue: under a minute"),
    "check": (30.0, "expectations target of issue 4: under 30 s"),
}
POLL_SECONDS = 0.1
MARKER = ".bench_end_to_end"  # --keep only ever deletes a folder that carries this file


@dataclass
class StageRun:
    seconds: float
    peak_tree_mb: float
    max_process_mb: float
    max_processes: int
    returncode: int


def dualcarbon() -> str:
    exe = Path(sys.executable).with_name("dualcarbon")
    return str(exe) if exe.exists() else "dualcarbon"


def has_option(command: str, option: str) -> bool:
    """Whether ``dualcarbon <command>`` takes ``option`` in this checkout (stages grow options over time)."""
    usage = subprocess.run([dualcarbon(), command, "--help"], capture_output=True, text=True, cwd=ROOT).stdout
    return option in usage


def stage_commands(work: Path, world: str, seed: int) -> list[tuple[str, list[str]]]:
    """The stages as `dualcarbon run` chains them (dualcarbon/pipeline.py run), one command each."""
    sources, warehouse = work / "sources", ["--warehouse", str(work / "warehouse.duckdb")]
    dbt_docs = ["--dbt-docs", str(work / "dbt_docs")] if has_option("build", "--dbt-docs") else []
    return [
        ("sample", ["sample", "--world", world, "--seed", str(seed), "--out", str(sources), "--quiet"]),
        ("ingest", ["ingest", "--sources", str(sources), "--quiet", *warehouse]),
        ("build", ["build", "--skip-checks", *dbt_docs, *warehouse]),
        ("check", ["check", *warehouse]),
        ("replicate", ["replicate", "all", "--out", str(work / "replications"),
                       "--truth", str(sources / "truth.json"), *warehouse]),
        ("report", ["report", "--out", str(work / "report"), *warehouse]),
    ]


def tree_rss(proc) -> tuple[int, int]:
    """Summed RSS (bytes) of a psutil process and its descendants, and how many processes that is."""
    import psutil

    total, count = 0, 0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    for p in members:
        try:
            total += p.memory_info().rss
            count += 1
        except psutil.Error:  # exited between listing and reading
            pass
    return total, count


def run_stage(command: list[str], log: Path, env: dict[str, str]) -> StageRun:
    import psutil

    with log.open("w") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        watched = psutil.Process(proc.pid)
        peak, most = 0, 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            rss, count = tree_rss(watched)
            peak, most = max(peak, rss), max(most, count)
            time.sleep(POLL_SECONDS)
        seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4; keep Popen consistent
    return StageRun(seconds, peak / 1024**2, usage.ru_maxrss / 1024, most, proc.returncode)


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1024**2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", default="default", choices=("tiny", "default", "full"))
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--keep", type=Path, help="work folder to use and keep (default: a temporary one)")
    parser.add_argument("--quick", action="store_true", help="the tiny world (smoke run)")
    args = parser.parse_args(argv)
    if args.quick:
        args.world = "tiny"
    bench = Bench("end_to_end", args=args, baseline=(
        "each stage's share of the total wall time of the same run; total vs 300 s (SPEC 9 'a few minutes'); "
        "dbt build vs 60 s and checks vs 30 s (their issues' targets)"))

    if args.keep:
        work = args.keep.resolve()
        if work.exists() and any(work.iterdir()):
            if not (work / MARKER).exists():
                parser.error(f"--keep {work}: not empty and not a previous bench work folder (no {MARKER})")
            shutil.rmtree(work)  # a fresh run: ingest must not find the previous load unchanged
        work.mkdir(parents=True, exist_ok=True)
        (work / MARKER).touch()
    else:
        work = Path(tempfile.mkdtemp(prefix="bench_e2e_"))
    env = dict(os.environ, DBT_TARGET_PATH=str(work / "target"), DBT_LOG_PATH=str(work / "logs"),
               DUALCARBON_WAREHOUSE=str(work / "warehouse.duckdb"))
    runs: dict[str, StageRun] = {}
    failed = None
    try:
        for name, sub in stage_commands(work, args.world, args.seed):
            print(f"== {name}", file=sys.stderr, flush=True)
            log = work / f"{name}.log"
            runs[name] = run = run_stage([dualcarbon(), *sub], log, env)
            children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            bench.value(f"{name}.seconds", run.seconds, "s")
            bench.value(f"{name}.peak_rss_tree_mb", run.peak_tree_mb, "MB")
            bench.value(f"{name}.max_process_rss_mb", run.max_process_mb, "MB")
            bench.value(f"{name}.rusage_children_maxrss_mb", children, "MB",
                        baseline="cumulative: largest descendant of this script so far")
            bench.value(f"{name}.processes_max", run.max_processes, "processes")
            if run.returncode != 0:
                failed = name
                tail = log.read_text(errors="replace").splitlines()[-20:]
                print(f"stage {name} exited {run.returncode}; last lines of {log}:", *tail, sep="\n",
                      file=sys.stderr)
                break

        total = sum(r.seconds for r in runs.values())
        for name, run in runs.items():
            bench.ratio(f"{name}.share_of_total", run.seconds / total, baseline="stage s / total s, same run")
        for name, (budget, source) in BUDGETS.items():
            ran = name in runs and runs[name].returncode == 0
            seconds = total if name == "total" else runs[name].seconds if ran else 0.0
            missing = failed if name == "total" else None if ran else failed
            bench.over_budget(f"{name}.over_budget", seconds, budget, target=source,
                              skip_reason=f"stage {missing} failed" if missing else None)
        bench.value("total.seconds", total, "s")
        bench.value("total.peak_rss_tree_mb", max(r.peak_tree_mb for r in runs.values()), "MB")
        bench.value("sources_mb", folder_mb(work / "sources"), "MB")
        if (work / "warehouse.duckdb").exists():
            bench.value("warehouse_mb", (work / "warehouse.duckdb").stat().st_size / 1024**2, "MB")
        bench.note("world", f"{args.world} seed {args.seed}; work folder {work if args.keep else '(temporary)'}")
        if failed:
            bench.note("failed_stage", failed)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    bench.emit()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``dualcarbon`` command line.

    dualcarbon sample    --world {tiny,default,full} --seed N --out DIR
    dualcarbon ingest    --sources DIR [--only SOURCE ...] [--warehouse FILE]
    dualcarbon build     [--warehouse FILE]          # dbt build, then expectations
    dualcarbon check     [--warehouse FILE]          # expectations only
    dualcarbon replicate {000,001,002,003,004,all} [--warehouse FILE] [--out DIR]
    dualcarbon report    [--warehouse FILE] [--out DIR]
    dualcarbon run       [--world ...] [--seed N] [--workdir DIR]   # every stage that exists, timed

``--warehouse`` defaults to ``$DUALCARBON_WAREHOUSE``, else ``warehouse/dualcarbon.duckdb``. Errors go
to stderr as one line with a non-zero exit code (2 for bad input, 3 for a warehouse in use, 1 otherwise).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from ingestion.config import repo_root, resolve_warehouse
from ingestion.errors import ConfigError, DualcarbonError, IngestError, WarehouseInUse

WORLDS = ("tiny", "default", "full")
STUDIES = ("000", "001", "002", "003", "004", "all")


# ---------------------------------------------------------------------------------------------- commands
def cmd_sample(args) -> int:
    from ingestion.sample import generate

    summary = generate(args.world, args.seed, Path(args.out), progress=not args.quiet)
    files = sum(summary.files.values())
    print(f"sample world {summary.world!r} (seed {summary.seed}): {files} files under {summary.out}; "
          f"truth in {summary.out / 'truth.json'}")
    print("  " + ", ".join(f"{k} {v:.1f}s" for k, v in summary.seconds.items()))
    return 0


def cmd_ingest(args) -> int:
    from ingestion.executor import LocalProcessExecutor, SerialExecutor
    from ingestion.load import ingest

    warehouse = resolve_warehouse(args.warehouse)
    executor = SerialExecutor() if args.workers == 1 else LocalProcessExecutor(max_workers=args.workers)
    ingest(Path(args.sources), warehouse, only=args.only, executor=executor, progress=not args.quiet,
           force=args.force)
    print(f"warehouse: {warehouse}")
    return 0


def dbt_env(warehouse: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DUALCARBON_WAREHOUSE"] = str(Path(warehouse).resolve())
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    env.setdefault("DBT_VERSION_CHECK", "False")
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("DBT_PROFILES_DIR", str(repo_root()))
    return env


def _dbt_project() -> Path | None:
    path = repo_root() / "dbt_project.yml"
    return path if path.exists() else None


def _run_dbt(warehouse: Path, *args: str) -> int:
    """Run dbt from the repository root, streaming its progress lines."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt) if dbt.exists() else "dbt", *args, "--project-dir", str(repo_root()),
               "--profiles-dir", str(repo_root())]
    proc = subprocess.Popen(command, cwd=repo_root(), env=dbt_env(warehouse), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)
    assert proc.stdout is not None
    for line in proc.stdout:
        print(line, end="", flush=True)
    return proc.wait()


def _expectations_available() -> bool:
    return importlib.util.find_spec("expectations.runner") is not None


def cmd_build(args) -> int:
    warehouse = resolve_warehouse(args.warehouse)
    if _dbt_project() is None:
        raise ConfigError("no dbt_project.yml in the repository yet: the dbt project is not part of this checkout")
    if not warehouse.exists():
        raise ConfigError(f"{warehouse}: no warehouse; run `dualcarbon ingest --sources DIR` first")
    from ingestion.warehouse import ensure_spatial_installed

    ensure_spatial_installed()
    code = _run_dbt(warehouse, "build")
    if code != 0:
        print(f"dbt build failed (exit {code})", file=sys.stderr)
        return code
    if getattr(args, "dbt_docs", None):
        code = write_dbt_docs(warehouse, Path(args.dbt_docs))
        if code != 0:
            return code
    if _expectations_available() and not getattr(args, "skip_checks", False):
        return cmd_check(args)
    return 0


def write_dbt_docs(warehouse: Path, out: Path) -> int:
    """``dbt docs generate --static`` into a scratch target, then ``<out>/index.html``: one self-contained
    page (manifest and catalog embedded) that opens from disk, which dbt's plain index.html does not."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="dbt-docs-") as scratch:
        code = _run_dbt(warehouse, "docs", "generate", "--static", "--target-path", scratch)
        page = Path(scratch) / "static_index.html"
        if code != 0 or not page.exists():
            print(f"dbt docs generate failed (exit {code})", file=sys.stderr)
            return code or 1
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(page, out / "index.html")
    print(f"dbt docs: {(out / 'index.html').resolve()}")
    return 0


def cmd_check(args) -> int:
    if not _expectations_available():
        raise ConfigError("the expectation suites (expectations.runner) are not part of this checkout yet")
    from expectations.runner import run_checks  # type: ignore[import-not-found]

    docs_dir = getattr(args, "docs_dir", None)
    return run_checks(resolve_warehouse(args.warehouse), docs_dir=Path(docs_dir) if docs_dir else None,
                      drift=getattr(args, "drift", None))


def _needs(module: str, what: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"{what} ({module}) is not part of this checkout yet")


def cmd_replicate(args) -> int:
    _needs("analysis.replications", "the replications")
    from analysis.replications import replicate  # type: ignore[import-not-found]

    truth = getattr(args, "truth", None)
    return replicate(args.study, warehouse=resolve_warehouse(args.warehouse), out=Path(args.out),
                     truth=Path(truth) if truth else None)


def cmd_report(args) -> int:
    _needs("analysis.report", "the HTML report")
    from analysis.report import build_report  # type: ignore[import-not-found]

    return build_report(warehouse=resolve_warehouse(args.warehouse), out=Path(args.out))


def cmd_run(args) -> int:
    """Every stage that exists in this checkout, each timed; prints a timing table at the end."""
    workdir = Path(args.workdir)
    sources = workdir / "sources"
    warehouse = resolve_warehouse(args.warehouse)
    common = dict(warehouse=str(warehouse), quiet=args.quiet)
    stages: list[tuple[str, Callable[[], int]]] = [
        ("sample", lambda: cmd_sample(argparse.Namespace(world=args.world, seed=args.seed, out=str(sources),
                                                         quiet=args.quiet))),
        ("ingest", lambda: cmd_ingest(argparse.Namespace(sources=str(sources), only=None, workers=args.workers,
                                                         force=False, **common))),
    ]
    if _dbt_project() is not None:
        stages.append(("build", lambda: cmd_build(argparse.Namespace(skip_checks=True, dbt_docs=str(workdir / "dbt_docs"),
                                                                     **common))))
    if _expectations_available():
        stages.append(("check", lambda: cmd_check(argparse.Namespace(**common))))
    if importlib.util.find_spec("analysis.replications") is not None:
        stages.append(("replicate", lambda: cmd_replicate(argparse.Namespace(
            study="all", out=str(workdir / "replications"), truth=str(sources / "truth.json"), **common))))
    if importlib.util.find_spec("analysis.report") is not None:
        stages.append(("report", lambda: cmd_report(argparse.Namespace(out=str(workdir / "report"), **common))))
    timings: list[tuple[str, float, str]] = []
    code = 0
    for name, stage in stages:
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        code = stage()
        timings.append((name, time.perf_counter() - t0, "ok" if code == 0 else f"exit {code}"))
        if code != 0:
            break
    print_timings(timings)
    report = workdir / "report" / "index.html"
    if code == 0 and report.exists():
        print(f"\nreport: {report.resolve()}")
    return code


def print_timings(timings: list[tuple[str, float, str]]) -> None:
    total = sum(t for _, t, _ in timings)
    print("\nstage        seconds  status")
    print("-----------  -------  ------")
    for name, seconds, status in timings:
        print(f"{name:<11}  {seconds:>7.1f}  {status}")
    print(f"{'total':<11}  {total:>7.1f}")


# ---------------------------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dualcarbon", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def warehouse_opt(p):
        p.add_argument("--warehouse", metavar="FILE",
                       help="DuckDB file (default: $DUALCARBON_WAREHOUSE, else warehouse/dualcarbon.duckdb)")

    p = sub.add_parser("sample", help="write a sample world in the real products' formats")
    p.add_argument("--world", choices=WORLDS, default="tiny", help="tiny (fast tests), default (make run), full")
    p.add_argument("--seed", type=int, default=0, help="random seed (same world and seed -> identical files)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the sources into")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("ingest", help="load sources into the raw schema (atomic, idempotent)")
    p.add_argument("--sources", required=True, metavar="DIR", help="folder with one sub-folder per source")
    p.add_argument("--only", nargs="+", metavar="SOURCE", help="load only these sources")
    p.add_argument("--workers", type=int, default=1,
                   help="processes for raster zonal statistics (default 1: serial; on 2 cores a pool is slower, see bench_zonal)")
    p.add_argument("--force", action="store_true", help="reload even if the files are unchanged")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    warehouse_opt(p)
    p.set_defaults(func=cmd_ingest)

    def check_opts(p):
        p.add_argument("--docs-dir", metavar="DIR", help="where the data docs go (default: beside the warehouse)")
        p.add_argument("--drift", choices=("fail", "warn", "off"),
                       help="drift against the last successful check: fail (default), warn or off")

    p = sub.add_parser("build", help="dbt build, then the expectation suites")
    p.add_argument("--skip-checks", action="store_true", help="run dbt build only, not the expectation suites")
    p.add_argument("--dbt-docs", metavar="DIR", help="also write dbt's docs (lineage, columns, tests) as one "
                   "self-contained DIR/index.html")
    check_opts(p)
    warehouse_opt(p)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("check", help="run the expectation suites on the marts (read-only)")
    check_opts(p)
    warehouse_opt(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("replicate", help="regenerate the tables of a study")
    p.add_argument("study", choices=STUDIES)
    p.add_argument("--out", default="replications", metavar="DIR")
    p.add_argument("--truth", metavar="FILE", help="truth.json of the sample world (planted values beside ours)")
    warehouse_opt(p)
    p.set_defaults(func=cmd_replicate)

    p = sub.add_parser("report", help="write the HTML report")
    p.add_argument("--out", default="report", metavar="DIR")
    warehouse_opt(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("run", help="every stage that exists, timed (sample, ingest, build, check, replicate, report)")
    p.add_argument("--world", choices=WORLDS, default="default")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workdir", default="work", metavar="DIR", help="sources, replications and the report go here (the warehouse is --warehouse)")
    p.add_argument("--workers", type=int, default=1, help="processes for raster zonal statistics (1 = serial)")
    p.add_argument("--quiet", action="store_true")
    warehouse_opt(p)
    p.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except IngestError as exc:
        print(f"dualcarbon {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except WarehouseInUse as exc:
        print(f"dualcarbon {args.command}: error: {exc}", file=sys.stderr)
        return 3
    except (DualcarbonError, FileNotFoundError, ValueError) as exc:
        print(f"dualcarbon {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

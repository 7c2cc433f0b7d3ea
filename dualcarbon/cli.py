"""The ``dualcarbon`` command line: argument parsing only; the stages live in ``dualcarbon.pipeline``.

    dualcarbon sample    --world {tiny,default,full} --seed N --out DIR
    dualcarbon ingest    --sources DIR [--only SOURCE ...] [--warehouse FILE]
    dualcarbon build     [--warehouse FILE]          # dbt build, then expectations
    dualcarbon check     [--warehouse FILE]          # expectations only
    dualcarbon replicate {000,001,002,003,004,all} [--warehouse FILE] [--out DIR]
    dualcarbon report    [--warehouse FILE] [--out DIR]
    dualcarbon run       [--world ...] [--seed N] [--workdir DIR]   # every stage, timed

``--warehouse`` defaults to ``$DUALCARBON_WAREHOUSE``, else ``warehouse/dualcarbon.duckdb``. Errors go
to stderr as one line with a non-zero exit code (2 for bad input, 3 for a warehouse in use, 1 otherwise).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.replications.studies import available_studies
from dualcarbon import pipeline
from ingestion.errors import DualcarbonError, IngestError, WarehouseInUse
from ingestion.settings import resolve_warehouse

STUDIES = (*available_studies(), "all")   # every study module present
DESCRIPTION = ("dualcarbon: a DuckDB + dbt research warehouse of Chinese cities (does AI reduce pollution and "
               "carbon emissions?). Commands in pipeline order: sample, ingest, build, check, replicate, report; "
               "run chains them all.")


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


# ---------------------------------------------------------------------------------------------- commands
def cmd_sample(args) -> int:
    return pipeline.sample(args.world, args.seed, Path(args.out), progress=not args.quiet)


def cmd_ingest(args) -> int:
    return pipeline.ingest(Path(args.sources), resolve_warehouse(args.warehouse), only=args.only,
                           workers=args.workers, force=args.force, progress=not args.quiet)


def cmd_build(args) -> int:
    return pipeline.build(resolve_warehouse(args.warehouse), checks=not args.skip_checks,
                          dbt_docs=_path(args.dbt_docs), docs_dir=_path(args.docs_dir), drift=args.drift,
                          boundary_vintage=args.boundary_vintage)


def cmd_check(args) -> int:
    return pipeline.check(resolve_warehouse(args.warehouse), docs_dir=_path(args.docs_dir), drift=args.drift)


def cmd_replicate(args) -> int:
    return pipeline.replicate(args.study, resolve_warehouse(args.warehouse), Path(args.out),
                              truth=_path(args.truth))


def cmd_report(args) -> int:
    return pipeline.report(resolve_warehouse(args.warehouse), Path(args.out))


def cmd_run(args) -> int:
    return pipeline.run(args.world, args.seed, Path(args.workdir), resolve_warehouse(args.warehouse),
                        workers=args.workers, progress=not args.quiet)


# ---------------------------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dualcarbon", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def warehouse_opt(p):
        p.add_argument("--warehouse", metavar="FILE",
                       help="DuckDB file (default: $DUALCARBON_WAREHOUSE, else warehouse/dualcarbon.duckdb)")

    p = sub.add_parser("sample", help="write a sample world in the real products' formats")
    p.add_argument("--world", choices=pipeline.WORLDS, default="tiny", help="tiny (fast tests), default (make run), full")
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
    p.add_argument("--boundary-vintage", metavar="YEAR", type=int,
                   help="the year whose national code table the panel's units are (default 2023, dbt var "
                   "boundary_vintage); the boundaries loaded must be of that year")
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

    p = sub.add_parser("run", help="every stage, timed (sample, ingest, build, check, replicate, report)")
    p.add_argument("--world", choices=pipeline.WORLDS, default="default")
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

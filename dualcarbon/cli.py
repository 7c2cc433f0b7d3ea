"""The ``dualcarbon`` command line: argument parsing only; the stages live in ``dualcarbon.pipeline``.

    dualcarbon sample    --world {tiny,default,full} --seed N --out DIR
    dualcarbon ingest    --sources DIR [--only SOURCE ...] [--warehouse FILE] [--dask ADDRESS]
    dualcarbon build     [--warehouse FILE]          # dbt build, then expectations
    dualcarbon check     [--warehouse FILE]          # expectations only
    dualcarbon replicate {000,001,002,003,004,all} [--warehouse FILE] [--out DIR] [--dask ADDRESS]
    dualcarbon report    [--warehouse FILE] [--out DIR] [--replications DIR] [--validation DIR]
    dualcarbon run       [--world ...] [--seed N] [--workdir DIR]   # every stage, timed
    dualcarbon validate  --world W --seeds K [--first-seed N] --out DIR [--dask ADDRESS]   # truth recovery

``--warehouse`` defaults to ``$DUALCARBON_WAREHOUSE``, else ``warehouse/dualcarbon.duckdb`` of the project
root; every default path is resolved against the project root (``ingestion.settings``). Errors go to
stderr as one line with a non-zero exit code (2 for bad input, 3 for a warehouse in use, 4 for a Dask
scheduler that does not answer, 1 otherwise). ``--dask ADDRESS`` (``local:N`` or ``tcp://HOST:PORT``):
``ingestion.cluster``; without it Dask is never imported.
"""
from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from analysis.replications.studies import available_studies, study_titles
from dualcarbon import pipeline
from ingestion.errors import ClusterUnreachable, DualcarbonError, IngestError, WarehouseInUse
from ingestion.settings import DEFAULT_SEED, WAREHOUSE_ENV, project_path, resolve_warehouse

STUDIES = (*available_studies(), "all")   # every study module present
DESCRIPTION = ("dualcarbon: a DuckDB + dbt research warehouse of Chinese cities (does AI reduce pollution and "
               "carbon emissions?). Commands in pipeline order: sample, ingest, build, check, replicate, report; "
               "run chains them all; validate checks that the whole pipeline recovers the sample world's planted "
               "truth. Default paths are resolved against the project root; 'dualcarbon COMMAND --help' for each.")
EPILOG = ("Exit codes: 0 success, 1 error, 2 bad input (a source file), 3 the warehouse is in use by another process, "
          "4 the Dask scheduler of --dask does not answer.")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the descriptions' line breaks (the list of studies) and shows every option's default, unless
    its help already says it or there is none (a flag, an optional path)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or action.default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        return text + " (default: %(default)s)"


def _path(value: str | None) -> Path | None:
    return Path(value).resolve() if value else None


# ---------------------------------------------------------------------------------------------- commands
def cmd_sample(args) -> int:
    return pipeline.sample(args.world, args.seed, Path(args.out).resolve(), progress=not args.quiet)


def cmd_ingest(args) -> int:
    return pipeline.ingest(Path(args.sources).resolve(), resolve_warehouse(args.warehouse), only=args.only,
                           workers=args.workers, dask=args.dask, force=args.force, progress=not args.quiet)


def cmd_build(args) -> int:
    return pipeline.build(resolve_warehouse(args.warehouse), checks=not args.skip_checks,
                          dbt_docs=_path(args.dbt_docs), docs_dir=_path(args.docs_dir), drift=args.drift,
                          boundary_vintage=args.boundary_vintage)


def cmd_check(args) -> int:
    return pipeline.check(resolve_warehouse(args.warehouse), docs_dir=_path(args.docs_dir), drift=args.drift)


def cmd_replicate(args) -> int:
    return pipeline.replicate(args.study, resolve_warehouse(args.warehouse), Path(args.out).resolve(),
                              truth=_path(args.truth), dask=args.dask)


def cmd_report(args) -> int:
    return pipeline.report(resolve_warehouse(args.warehouse), Path(args.out).resolve(),
                           replications=_path(args.replications), validation=_path(args.validation))


def cmd_run(args) -> int:
    return pipeline.run(args.world, args.seed, Path(args.workdir).resolve(), resolve_warehouse(args.warehouse),
                        workers=args.workers, progress=not args.quiet)


def cmd_validate(args) -> int:
    from dualcarbon.validate import validate

    seeds = [args.first_seed + k for k in range(args.seeds)]
    return validate(args.world, seeds, Path(args.out).resolve(), keep=args.keep, progress=not args.quiet,
                    dask=args.dask)


# ---------------------------------------------------------------------------------------------- parser
def _studies_help() -> str:
    return "studies:\n" + "\n".join(f"  {s}  {t.split(': ', 1)[-1]}" for s, t in study_titles().items()) + \
        "\n  all  every study above"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dualcarbon", description=textwrap.fill(DESCRIPTION, 88),
                                     epilog=textwrap.fill(EPILOG, 88), formatter_class=HelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, description: str, listing: str = ""):
        text = textwrap.fill(description, 88) + (f"\n\n{listing}" if listing else "")
        return sub.add_parser(name, help=summary, description=text, epilog=textwrap.fill(EPILOG, 88),
                              formatter_class=HelpFormatter)

    def warehouse_opt(p):
        p.add_argument("--warehouse", metavar="FILE",
                       help=f"DuckDB file (default: ${WAREHOUSE_ENV}, else {project_path('warehouse/dualcarbon.duckdb')})")

    def dask_opt(p, what: str):
        p.add_argument("--dask", metavar="ADDRESS", help=f"run {what} on a Dask cluster: local:N (a LocalCluster of N "
                       "worker processes) or tcp://HOST:PORT (a running `dask scheduler`); default: in this process")

    def quiet_opt(p):
        p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = command("sample", "write a sample world in the real products' formats",
                "Write a sample world: every source in its real product's file format, generated from a "
                "structural model with planted effects (truth.json and truth_effects.csv beside them). Same "
                "world and seed give byte-identical files.")
    p.add_argument("--world", choices=pipeline.WORLDS, default="tiny", help="tiny (fast tests), default (make run), full")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (same world and seed -> identical files)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the sources into")
    quiet_opt(p)
    p.set_defaults(func=cmd_sample)

    p = command("ingest", "load sources into the raw schema (atomic, idempotent)",
                "Validate every source folder against its contract and load it into the warehouse's raw schema in "
                "one transaction per source; loading the same files again changes nothing.")
    p.add_argument("--sources", required=True, metavar="DIR", help="folder with one sub-folder per source")
    p.add_argument("--only", nargs="+", metavar="SOURCE", help="load only these sources (default: all)")
    p.add_argument("--workers", type=int, default=1,
                   help="processes for raster zonal statistics (1: serial; on 2 cores a pool is slower, see bench_zonal)")
    p.add_argument("--force", action="store_true", help="reload even if the files are unchanged")
    dask_opt(p, "the raster zonal statistics")
    quiet_opt(p)
    warehouse_opt(p)
    p.set_defaults(func=cmd_ingest)

    def check_opts(p):
        p.add_argument("--docs-dir", metavar="DIR", help="where the data docs go (default: data_docs/ beside the warehouse)")
        p.add_argument("--drift", choices=("fail", "warn", "off"),
                       help="drift against the last successful check: fail, warn or off (default: $DUALCARBON_DRIFT, "
                            "else fail)")

    p = command("build", "dbt build, then the expectation suites",
                "dbt build (seeds, staging, intermediate, marts, data tests, unit tests) from the project root with "
                "the in-repo profiles.yml, then the Great Expectations suites. A warehouse held by another process "
                "is refused before dbt starts (exit code 3).")
    p.add_argument("--skip-checks", action="store_true", help="run dbt build only, not the expectation suites")
    p.add_argument("--dbt-docs", metavar="DIR", help="also write dbt's docs (lineage, columns, tests) as one "
                   "self-contained DIR/index.html (default: not written)")
    p.add_argument("--boundary-vintage", metavar="YEAR", type=int,
                   help="the year whose national code table the panel's units are (default 2023, dbt var "
                   "boundary_vintage); the boundaries loaded must be of that year")
    check_opts(p)
    warehouse_opt(p)
    p.set_defaults(func=cmd_build)

    p = command("check", "run the expectation suites on the marts (read-only)",
                "Run the Great Expectations suite of every mart on the warehouse (read-only), write the data docs "
                "and compare with the drift baseline of the last successful check.")
    check_opts(p)
    warehouse_opt(p)
    p.set_defaults(func=cmd_check)

    p = command("replicate", "regenerate the tables of a study",
                "Regenerate every table and figure of a study from the marts: ours beside the published numbers "
                "and, on a sample world, the planted truth.", _studies_help())
    p.add_argument("study", choices=STUDIES, metavar="STUDY", help="a study id (listed above) or all")
    p.add_argument("--out", default=str(project_path("replications")), metavar="DIR",
                   help="folder of the tables: one sub-folder per study")
    p.add_argument("--truth", metavar="FILE", help="truth.json of the sample world (default: found beside the "
                   "warehouse, $DUALCARBON_TRUTH, or work/sources/truth.json; none on real data)")
    dask_opt(p, "the chunks of placebo and bootstrap draws")
    warehouse_opt(p)
    p.set_defaults(func=cmd_replicate)

    p = command("report", "write the HTML report",
                "Write one static HTML report: every replicated study's tables and figures, the truth-recovery "
                "summary of 'dualcarbon validate', the data-quality summary, dbt's docs and the run metadata. Fails "
                "(exit 1) when the warehouse or the replications are missing.")
    p.add_argument("--out", default=str(project_path("report")), metavar="DIR", help="folder of the report")
    p.add_argument("--replications", metavar="DIR", help="the replications to show (default: "
                   "$DUALCARBON_REPLICATIONS, else replications/ beside the report folder)")
    p.add_argument("--validation", metavar="DIR", help="a 'dualcarbon validate' folder to show (default: "
                   "validation/ beside the report folder, if any)")
    warehouse_opt(p)
    p.set_defaults(func=cmd_report)

    p = command("run", "every stage, timed (sample, ingest, build, check, replicate, report)",
                "Every stage in turn, each timed, on one sample world: sample, ingest, build (with dbt docs), "
                "check, replicate (all studies), report. 'make run' is 'dualcarbon run --world default'.")
    p.add_argument("--world", choices=pipeline.WORLDS, default="default", help="sample world")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed of the world and of every draw")
    p.add_argument("--workdir", default=str(project_path("work")), metavar="DIR",
                   help="sources, replications and the report go here (the warehouse is --warehouse)")
    p.add_argument("--workers", type=int, default=1, help="processes for raster zonal statistics (1 = serial)")
    quiet_opt(p)
    warehouse_opt(p)
    p.set_defaults(func=cmd_run)

    p = command("validate", "does the whole pipeline recover the planted truth? (Monte Carlo over seeds)",
                "For K seeds: sample the world, ingest it into a fresh warehouse, dbt build the marts the checks "
                "read, fit every declared planted parameter with its estimator (analysis.validation.TARGETS) and "
                "compare it with that world's truth. Writes truth_recovery.csv (parameter, truth, seed, estimate, "
                "std_error, ci_low, ci_high, covered), summary.csv and summary.md (bias and coverage per "
                "parameter). Seeds run one after another, or as independent tasks on a Dask cluster (--dask).")
    p.add_argument("--world", choices=pipeline.WORLDS, default="tiny", help="sample world")
    p.add_argument("--seeds", type=int, required=True, metavar="K", help="number of seeds (worlds) to draw")
    p.add_argument("--first-seed", type=int, default=DEFAULT_SEED, metavar="N",
                   help="the seeds are N, N+1, ..., N+K-1")
    p.add_argument("--out", required=True, metavar="DIR", help="folder of the records and the summary")
    p.add_argument("--keep", action="store_true", help="keep each seed's sources and warehouse under DIR/work/")
    dask_opt(p, "each seed's pipeline as one task")
    quiet_opt(p)
    p.set_defaults(func=cmd_validate)
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
    except ClusterUnreachable as exc:
        print(f"dualcarbon {args.command}: error: {exc}", file=sys.stderr)
        return 4
    except (DualcarbonError, FileNotFoundError, ValueError) as exc:
        print(f"dualcarbon {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Run every mart suite on a warehouse: read-only, pandas batches, HTML data docs, one line per suite.

    run_checks(warehouse, docs_dir=None, echo=print) -> 0 | 1

Why pandas batches: GX 1.x validating through SQLAlchemy + duckdb-engine loses results when GX closes
its connection (and a SQL datasource would need a writable connection for temporary tables). The
runner therefore opens the DuckDB file read-only with duckdb itself, reads each mart into a pandas
frame, closes the file, and validates the frames in an in-memory ("ephemeral") GX context with usage
statistics and progress bars off. Nothing is sent anywhere; nothing is written to the warehouse.

Outputs, under ``docs_dir`` (default ``<warehouse dir>/data_docs/``):

- ``index.html`` and its pages: GX data docs of this run's suites and validation results;
- ``drift_baseline.json``: per-mart statistics of the last run in which every suite passed (see
  ``expectations.drift`` for the thresholds).
"""
from __future__ import annotations

import logging
import math
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import pandas as pd  # noqa: E402

from expectations.checks import Check  # noqa: E402
from expectations.drift import BASELINE_FILE, read_baseline, summarise, write_baseline  # noqa: E402
from expectations.suite import MartSuite  # noqa: E402
from ingestion.settings import drift_mode  # noqa: E402

SAMPLE_ROWS = 5
SITE_NAME = "dualcarbon"
_GX_DOC_ENTRIES = ("index.html", "validations", "expectations", "static")


# ---------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Failure:
    """One expectation that did not hold: which check, which GX expectation, and sample offending rows."""

    check: str
    expectation_type: str
    kwargs: dict[str, Any]
    severity: str
    description: str | None
    unexpected_count: int | None = None
    element_count: int | None = None
    observed: Any = None
    sample: list[Any] = field(default_factory=list)
    error: str | None = None

    def expectation_call(self) -> str:
        shown = {k: v for k, v in self.kwargs.items() if k not in ("batch_id", "result_format")}
        args = ", ".join(f"{k}={_short(v)}" for k, v in shown.items())
        return f"{self.expectation_type}({args})"

    def describe(self) -> str:
        head = f"{self.check}: {self.expectation_call()}"
        if self.error:
            return f"{head} -- error: {self.error}"
        if self.unexpected_count is not None and self.element_count:
            pct = 100.0 * self.unexpected_count / self.element_count
            head += f" -- {self.unexpected_count} of {self.element_count} rows unexpected ({pct:.3g}%)"
        elif self.observed is not None:
            head += f" -- observed {_short(self.observed)}"
        return head


@dataclass
class SuiteResult:
    """The outcome of one mart's suite."""

    mart: str
    evaluated: int
    failures: list[Failure]
    rows: int
    seconds: float
    stats: dict[str, Any] | None = None   # drift statistics of this frame (for the baseline)
    error: str | None = None              # the mart could not be read / validated at all

    @property
    def critical(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "critical"]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.severity != "critical"]

    @property
    def success(self) -> bool:
        return self.error is None and not self.critical

    def failed_checks(self) -> list[str]:
        return [f.check for f in self.critical]

    def summary_line(self) -> str:
        status = "PASS" if self.success else "FAIL"
        if self.error:
            return f"{status}  {self.mart:<30} not checked: {self.error}"
        extra = f", {len(self.warnings)} warning(s)" if self.warnings else ""
        return (f"{status}  {self.mart:<30} {self.evaluated:>3} expectations, {len(self.critical)} failed{extra}"
                f"  ({self.rows:,} rows, {self.seconds:.1f}s)")


# ---------------------------------------------------------------------------------------------- GX context
def gx_context(docs_dir: Path | None = None):
    """An in-memory GX context: no analytics, no progress bars, one data-docs site at ``docs_dir``."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if docs_dir is not None:
        sites[SITE_NAME] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
                               analytics_enabled=False, progress_bars=ProgressBarsConfig(globally=False),
                               data_docs_sites=sites)
    return gx.get_context(mode="ephemeral", project_config=config)


def _quiet_gx() -> None:
    for name in ("great_expectations", "great_expectations.core", "great_expectations.render"):
        logging.getLogger(name).setLevel(logging.ERROR)


# ---------------------------------------------------------------------------------------------- validation
def validate_frame(suite: MartSuite | str, frame: pd.DataFrame, *, previous: dict[str, Any] | None = None,
                   drift: str = "fail", context=None) -> SuiteResult:
    """Validate one mart frame with its suite (and drift against ``previous`` statistics).

    The function the runner uses for every mart; tests pass corrupted frames through it. Two passes,
    for speed: the whole suite with GX's ``BOOLEAN_ONLY`` result format (no unexpected-value lists,
    ~2.5x faster), then, only if something failed, the failed expectations again as the suite
    ``<mart>.failures`` with ``SUMMARY`` results and the key columns of sample offending rows.
    """
    if isinstance(suite, str):
        from expectations.suites import SUITES

        suite = SUITES[suite]
    import great_expectations as gx

    _quiet_gx()
    t0 = time.perf_counter()
    context = context or gx_context(None)
    checks: list[Check] = suite.all_checks(previous if drift != "off" else None)
    prepared = suite.prepare(frame, checks)
    drift_severity = "warning" if drift == "warn" else None

    source = _pandas_source(context)
    asset = source.add_dataframe_asset(name=suite.mart)
    batch = asset.add_batch_definition_whole_dataframe(name=f"{suite.mart}_whole")

    def run(name: str, subset: list[Check], result_format: dict[str, Any]):
        gx_suite = context.suites.add(suite.expectation_suite(subset, drift_severity=drift_severity, name=name))
        definition = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch,
                                                                                suite=gx_suite))
        return definition.run(batch_parameters={"dataframe": prepared}, result_format=result_format)

    first = run(suite.mart, checks, {"result_format": "BOOLEAN_ONLY"})
    failed_names = {(r.expectation_config.meta or {}).get("check") for r in first.results if not r.success}
    failures: list[Failure] = []
    if failed_names:
        sample_cols = [c for c in suite.sample_columns if c in prepared.columns]
        detail = run(f"{suite.mart}.failures", [c for c in checks if c.name in failed_names], {
            "result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS,
            "unexpected_index_column_names": sample_cols})
        detailed = {(r.expectation_config.meta or {}).get("check"): r for r in detail.results}
        for r in first.results:
            if not r.success:
                name = (r.expectation_config.meta or {}).get("check")
                failures.append(_failure(detailed.get(name, r)))
    return SuiteResult(mart=suite.mart, evaluated=len(first.results), failures=failures, rows=len(frame),
                       seconds=time.perf_counter() - t0, stats=summarise(frame, suite.drift_columns))


def _pandas_source(context):
    try:
        return context.data_sources.get("marts")
    except Exception:  # noqa: BLE001 - GX raises its own lookup errors
        return context.data_sources.add_pandas("marts")


def _failure(r) -> Failure:
    cfg = r.expectation_config
    meta = cfg.meta or {}
    res = r.result or {}
    error = None
    info = getattr(r, "exception_info", None) or {}
    if isinstance(info, dict) and info.get("raised_exception"):
        error = (info.get("exception_message") or "").splitlines()[0][:300] or "exception"
    elif isinstance(info, dict):  # GX 1.x may key exception infos by metric
        for value in info.values():
            if isinstance(value, dict) and value.get("raised_exception"):
                error = (value.get("exception_message") or "").splitlines()[0][:300]
                break
    sample = res.get("partial_unexpected_index_list") or res.get("partial_unexpected_list") or []
    details = res.get("details") or {}
    if not sample and isinstance(details.get("mismatched"), dict):  # columns_present: name what is missing
        sample = [{"missing columns": details["mismatched"].get("missing", [])}]
    elif not sample and details:
        sample = [details]
    severity = getattr(cfg, "severity", "critical")
    return Failure(check=meta.get("check", cfg.type), expectation_type=cfg.type, kwargs=dict(cfg.kwargs),
                   severity=str(getattr(severity, "value", severity)), description=cfg.description,
                   unexpected_count=res.get("unexpected_count"), element_count=res.get("element_count"),
                   observed=res.get("observed_value"), sample=list(sample)[:SAMPLE_ROWS], error=error)


# ---------------------------------------------------------------------------------------------- warehouse
def read_mart(con, suite: MartSuite) -> pd.DataFrame:
    """The mart as a pandas frame (blob columns and ``skip_columns`` left out). Identifiers come from
    the suite registry (an allow-list), values are bound as parameters."""
    cols = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [suite.schema, suite.mart]).fetchall()
    if not cols:
        raise LookupError(f"{suite.schema}.{suite.mart} does not exist; run `dualcarbon build` first")
    keep = [name for name, typ in cols if typ.upper() != "BLOB" and name not in suite.skip_columns]
    select = ", ".join('"' + name.replace('"', '""') + '"' for name in keep)
    return con.execute(f'select {select} from "{suite.schema}"."{suite.mart}"').df()


@dataclass
class CheckReport:
    """Everything one ``check_warehouse`` call found."""

    results: list[SuiteResult]
    docs_index: Path | None
    baseline_path: Path
    seconds: float

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    def __getitem__(self, mart: str) -> SuiteResult:
        return next(r for r in self.results if r.mart == mart)


def run_checks(warehouse: Path, *, docs_dir: Path | None = None, echo: Callable[[str], Any] = print,
               marts: Iterable[str] | None = None, drift: str | None = None) -> int:
    """Run every mart suite on ``warehouse`` (opened read-only); 0 if all pass, 1 otherwise.

    Prints one summary line per suite; for each failed expectation the mart, the check and GX
    expectation, and sample offending rows; then where the data docs are. ``drift`` is ``fail``
    (default, or ``$DUALCARBON_DRIFT``), ``warn`` (drift reported, never fails) or ``off``.
    """
    report = check_warehouse(warehouse, docs_dir=docs_dir, echo=echo, marts=marts, drift=drift)
    return 0 if report.success else 1


def check_warehouse(warehouse: Path, *, docs_dir: Path | None = None, echo: Callable[[str], Any] = print,
                    marts: Iterable[str] | None = None, drift: str | None = None) -> CheckReport:
    """``run_checks`` returning the per-suite results instead of an exit code."""
    from ingestion.warehouse import connect
    from expectations.suites import SUITES

    warehouse = Path(warehouse)
    drift = drift_mode(drift)
    selected = list(SUITES) if marts is None else list(marts)
    unknown = [m for m in selected if m not in SUITES]
    if unknown:
        raise ValueError(f"no suite for {', '.join(unknown)}; suites exist for {', '.join(SUITES)}")
    docs_dir = Path(docs_dir) if docs_dir is not None else warehouse.resolve().parent / "data_docs"
    baseline_path = docs_dir / BASELINE_FILE
    baseline = read_baseline(baseline_path)

    t0 = time.perf_counter()
    frames: dict[str, pd.DataFrame] = {}
    read_errors: dict[str, str] = {}
    con = connect(warehouse, read_only=True)
    try:
        for mart in selected:
            try:
                frames[mart] = read_mart(con, SUITES[mart])
            except Exception as exc:  # noqa: BLE001 - reported per mart, the other suites still run
                read_errors[mart] = str(exc).splitlines()[0]
    finally:
        con.close()
    read_seconds = time.perf_counter() - t0

    _quiet_gx()
    context = gx_context(docs_dir)
    results: list[SuiteResult] = []
    for mart in selected:
        if mart in read_errors:
            result = SuiteResult(mart=mart, evaluated=0, failures=[], rows=0, seconds=0.0, error=read_errors[mart])
        else:
            try:
                result = validate_frame(SUITES[mart], frames.pop(mart), previous=baseline.get(mart), drift=drift,
                                        context=context)
            except Exception as exc:  # noqa: BLE001 - a broken suite fails its mart, not the whole run
                result = SuiteResult(mart=mart, evaluated=0, failures=[], rows=0, seconds=0.0,
                                     error=f"validation raised {type(exc).__name__}: {str(exc).splitlines()[0]}")
        results.append(result)
        echo(result.summary_line())

    for result in results:
        _echo_failures(result, echo)

    index = _build_docs(context, docs_dir, echo)
    report = CheckReport(results=results, docs_index=index, baseline_path=baseline_path,
                         seconds=time.perf_counter() - t0)
    n_exp = sum(r.evaluated for r in results)
    n_failed = sum(len(r.critical) for r in results)
    echo(f"{sum(r.success for r in results)} of {len(results)} suites passed; {n_exp} expectations, "
         f"{n_failed} failed ({read_seconds:.1f}s reading, {report.seconds:.1f}s in all)")
    if index:
        echo(f"data docs: {index}")
    if report.success and drift != "off":
        merged = {**baseline, **{r.mart: r.stats for r in results if r.stats is not None}}
        write_baseline(baseline_path, merged, warehouse)
        echo(f"drift baseline updated: {baseline_path}")
    elif any(f.check.startswith("drift:") for r in results for f in r.critical):
        echo(f"drift against the last successful check ({baseline_path}): if the change is intended (new world, "
             f"new window), delete that file or run with DUALCARBON_DRIFT=warn")
    return report


def _echo_failures(result: SuiteResult, echo) -> None:
    if result.error:
        echo(f"FAILED {result.mart}: {result.error}")
        return
    for failure in [*result.critical, *result.warnings]:
        label = "FAILED" if failure.severity == "critical" else "WARNING"
        echo(f"{label} {result.mart}: {failure.describe()}")
        for row in failure.sample:
            echo(f"    e.g. {_short(row, 200)}")


def _build_docs(context, docs_dir: Path, echo) -> Path | None:
    """Rebuild the data docs of this run (previous GX pages are removed; other files are kept)."""
    try:
        docs_dir.mkdir(parents=True, exist_ok=True)
        for entry in _GX_DOC_ENTRIES:
            target = docs_dir / entry
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
        context.build_data_docs(site_names=[SITE_NAME])
    except Exception as exc:  # noqa: BLE001 - docs are a report; failing to write them must not hide results
        echo(f"data docs not written to {docs_dir}: {type(exc).__name__}: {exc}")
        return None
    return docs_dir / "index.html"


def _short(value: Any, limit: int = 120) -> str:
    if isinstance(value, float):
        text = "nan" if math.isnan(value) else f"{value:.10g}"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {_short(v, 40)}" for k, v in value.items()) + "}"
    else:
        text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

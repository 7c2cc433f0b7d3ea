"""The benchmark harness shared by every ``bench/bench_*.py`` script.

A script builds one ``Bench``, adds records while it measures, and calls ``emit()`` once at the end::

    bench = Bench("zonal", baseline="a rasterstats-style loop and the raster read alone, same run")
    bench.value("default.ours_s", 1.23, "s")
    bench.ratio("default.speedup_vs_rasterstats", base_s / ours_s, baseline="rasterstats-style loop / ours")
    bench.emit()

``emit()`` prints one ``name: value`` line per record -- every ratio first, then the absolute values,
then the notes -- and writes ``bench/results/<name>.json`` (or ``$BENCH_RESULTS_DIR/<name>.json``) with
the timestamp, the git commit, the machine (cores, load, Python, duckdb) and every record with its unit
and the baseline it is measured against. Ratios are what the figures are compared by: the machine is
shared, so absolute seconds vary from run to run while a ratio of two timings taken in the same run
does not (much).
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # scripts run as `python bench/bench_x.py` import the project from the checkout
    sys.path.insert(0, str(ROOT))

RESULTS_ENV = "BENCH_RESULTS_DIR"
WAREHOUSE_ENV = "BENCH_WAREHOUSE"  # a built default-world warehouse (make bench: from bench_end_to_end --keep)
RATIO_UNIT = "x"


@dataclass
class Record:
    name: str
    value: float | str | None  # None: skipped (``reason`` says why); str: a note
    unit: str
    kind: str  # "ratio", "value" or "note"
    baseline: str | None = None  # what the ratio divides by / compares against
    reason: str | None = None

    def line(self) -> str:
        if self.value is None:
            return f"{self.name}: skipped"
        if isinstance(self.value, str):
            return f"{self.name}: {self.value}"
        text = format_number(self.value)
        return f"{self.name}: {text} {self.unit}" if self.unit else f"{self.name}: {text}"


def format_number(value: float) -> str:
    """Integers as they are; floats to four significant digits, an exponent only outside 1e-3 .. 1e7."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e7):
        return f"{value:.3e}"
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.4g}"


class Bench:
    """Records of one benchmark script; ``emit()`` prints them (ratios first) and writes the JSON."""

    def __init__(self, name: str, *, baseline: str, args: Any = None):
        self.name = name
        self.baseline = baseline
        self.args = vars(args) if args is not None and hasattr(args, "__dict__") else args
        self.records: list[Record] = []
        self.started = time.time()

    def _add(self, record: Record) -> Record:
        if any(r.name == record.name for r in self.records):
            raise ValueError(f"duplicate record name {record.name!r}")
        if ":" in record.name or any(c.isspace() for c in record.name):
            raise ValueError(f"record name {record.name!r}: no colon or whitespace (lines are `name: value`)")
        self.records.append(record)
        return record

    def ratio(self, name: str, value: float, *, baseline: str) -> float:
        """A ratio of two quantities measured in this run; ``baseline`` says which (e.g. 'spreg s / ours s')."""
        self._add(Record(name, float(value), RATIO_UNIT, "ratio", baseline))
        return float(value)

    def value(self, name: str, value: float, unit: str, *, baseline: str | None = None) -> float:
        """An absolute figure (seconds, MB, Mcells/s, a count, an estimate's gap to a reference)."""
        self._add(Record(name, value if isinstance(value, int) else float(value), unit, "value", baseline))
        return value

    def over_budget(self, name: str, seconds: float, budget: float, *, target: str,
                    skip_reason: str | None = None) -> None:
        """seconds / budget as a ratio (< 1 meets the target); skipped with ``skip_reason`` when this run
        is not the workload the budget is for (a --quick run, fewer draws)."""
        if skip_reason:
            self.skip(name, skip_reason)
        else:
            self.ratio(name, seconds / budget, baseline=f"s / {budget:g} s target ({target})")

    def skip(self, name: str, reason: str, *, kind: str = "ratio") -> None:
        """A figure not measured in this run (printed as ``name: skipped``; the reason goes to the JSON)."""
        self._add(Record(name, None, RATIO_UNIT if kind == "ratio" else "", kind, None, reason))

    def note(self, name: str, text: str) -> None:
        """Context that is not a number (data shape, the method a function chose)."""
        self._add(Record(name, str(text).replace("\n", " "), "", "note"))

    def lines(self) -> list[str]:
        order = {"ratio": 0, "value": 1, "note": 2}
        return [r.line() for r in sorted(self.records, key=lambda r: order[r.kind])]  # stable within a kind

    def payload(self) -> dict:
        return {
            "script": self.name,
            "baseline": self.baseline,
            "timestamp": _dt.datetime.fromtimestamp(self.started, _dt.timezone.utc).isoformat(timespec="seconds"),
            "elapsed_s": round(time.time() - self.started, 3),
            "git_commit": git_commit(),
            "machine": machine(),
            "args": self.args,
            "records": [asdict(r) for r in self.records],
        }

    def emit(self, results_dir: Path | str | None = None) -> Path:
        for line in self.lines():
            print(line, flush=True)
        folder = Path(results_dir or os.environ.get(RESULTS_ENV) or ROOT / "bench" / "results")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.name}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.payload(), indent=2, default=str) + "\n", encoding="utf-8")
        tmp.replace(path)
        return path


# ----------------------------------------------------------------------------------------- environment
def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=30).stdout.strip()
        return out + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def machine() -> dict:
    try:
        import duckdb

        duckdb_version = duckdb.__version__
    except ImportError:  # pragma: no cover
        duckdb_version = None
    return {
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "duckdb": duckdb_version,
        "platform": platform.platform(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1),
    }


# ------------------------------------------------------------------------------------------- measuring
def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls (seconds) and the last call's result."""
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MB; Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def default_warehouse() -> str | None:
    return os.environ.get(WAREHOUSE_ENV)

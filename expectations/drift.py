"""Drift against the last successful check: summary statistics kept in a JSON file beside the data docs.

The warehouse is opened read-only by the checks, so the baseline lives outside it:
``<docs dir>/drift_baseline.json`` (default ``<warehouse dir>/data_docs/drift_baseline.json``). It is
written only after a check in which every suite passed, and it holds, per mart, the row count and the
mean and standard deviation of the mart's key columns (``MartSuite.drift_columns``).

Thresholds (a change beyond them is flagged by a GX expectation named ``drift:...``):

- ``drift:row_count``: the row count may move by at most ``ROW_COUNT_TOLERANCE`` (25 %) of the
  previous count. A new world (tiny -> default) or a changed window is a real change: accept it by
  deleting the baseline file (the failure message names it).
- ``drift:mean:<column>``: a key column's mean may move by at most
  ``max(MEAN_RELATIVE_TOLERANCE x |previous mean|, MEAN_SD_TOLERANCE x previous SD)``, i.e. by half
  its previous value or half a previous standard deviation, whichever is larger. A new seed of the
  same world moves means by a few per cent; a unit error (x 10^4) or a broken join moves them by far
  more.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from expectations.checks import Check
import great_expectations.expectations as gxe

BASELINE_FILE = "drift_baseline.json"
BASELINE_VERSION = 1
ROW_COUNT_TOLERANCE = 0.25
MEAN_RELATIVE_TOLERANCE = 0.5
MEAN_SD_TOLERANCE = 0.5


def summarise(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, Any]:
    """Row count and mean / SD of each key column (nulls skipped; None where a column is all null)."""
    stats: dict[str, Any] = {"rows": int(len(frame)), "columns": {}}
    for col in columns:
        if col not in frame:
            continue
        values = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        mean, sd = values.mean(), values.std()
        stats["columns"][col] = {"mean": None if pd.isna(mean) else float(mean),
                                 "sd": None if pd.isna(sd) else float(sd)}
    return stats


def drift_checks(previous: dict[str, Any] | None) -> list[Check]:
    """The drift expectations of one mart, given its statistics of the last successful check."""
    if not previous:
        return []
    checks: list[Check] = []
    rows = int(previous["rows"])
    lo, hi = math.floor(rows * (1 - ROW_COUNT_TOLERANCE)), math.ceil(rows * (1 + ROW_COUNT_TOLERANCE))
    checks.append(Check("drift:row_count", lambda: gxe.ExpectTableRowCountToBeBetween(
        min_value=lo, max_value=hi,
        description=f"row count within {ROW_COUNT_TOLERANCE:.0%} of the last successful check ({rows})")))
    for col, st in previous.get("columns", {}).items():
        mean, sd = st.get("mean"), st.get("sd")
        if mean is None:
            continue
        tol = max(MEAN_RELATIVE_TOLERANCE * abs(mean), MEAN_SD_TOLERANCE * (sd or 0.0))
        if tol == 0:
            tol = 1e-12
        checks.append(Check(f"drift:mean:{col}", (lambda col=col, lo=mean - tol, hi=mean + tol, m=mean:
                            gxe.ExpectColumnMeanToBeBetween(
                                column=col, min_value=lo, max_value=hi,
                                description=f"mean of {col} near the last successful check ({m:.6g})"))))
    return checks


def read_baseline(path: Path) -> dict[str, Any]:
    """The per-mart statistics of the last successful check ({} if none or unreadable)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION:
        return {}
    return data.get("marts", {})


def write_baseline(path: Path, marts: dict[str, Any], warehouse: Path) -> None:
    """Atomically replace the baseline (write to a temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"version": BASELINE_VERSION, "written_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "warehouse": str(Path(warehouse).resolve()),
               "thresholds": {"row_count_relative": ROW_COUNT_TOLERANCE, "mean_relative": MEAN_RELATIVE_TOLERANCE,
                              "mean_sd": MEAN_SD_TOLERANCE},
               "marts": marts}
    fd, tmp = tempfile.mkstemp(prefix=".drift_", suffix=".json", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, indent=2, sort_keys=True)
    os.replace(tmp, path)

"""The planted truth of a sample world: where its ``truth.json`` is, what a key of it holds, its label.

A sample world (``dualcarbon sample``) writes ``sources/truth.json``: ``world``, ``seed`` and the
``parameters`` it planted (``{"b_robot": {"value": -0.25, ...}, "kappa": [4.0, 5.5, 7.0], ...}``). A
column declares ``truth={printed row: key}`` (:class:`analysis.replications.spec.ColumnSpec`) and the
runner puts :func:`planted` beside our estimate. On real data there is no ``truth.json`` and every
lookup gives None.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from ingestion.settings import truth_file

__all__ = ["find_truth", "world_label", "truth_value", "planted"]


def find_truth(warehouse: Path) -> dict | None:
    """``truth.json`` of the sample world: ``$DUALCARBON_TRUTH``, else a ``sources/truth.json`` next to
    the warehouse or one level up (``dualcarbon run`` layout), else None (real data)."""
    named = truth_file()
    candidates = [named] if named else []
    w = Path(warehouse).resolve()
    candidates += [w.parent / "truth.json", w.parent / "sources" / "truth.json",
                   w.parent.parent / "sources" / "truth.json", Path("work/sources/truth.json").resolve()]
    for c in candidates:
        if c.is_file():
            return json.loads(c.read_text(encoding="utf-8"))
    return None


def world_label(truth: Mapping | None) -> str | None:
    """``"default (seed 20240601)"`` for a sample world's truth.json (the random seed it was drawn
    with), None for real data."""
    if not truth:
        return None
    value = {k: v.get("value") if isinstance(v, dict) else v for k, v in truth.items() if k in ("world", "seed")}
    return f"{value.get('world')} (seed {value.get('seed')})"


def truth_value(truth: Mapping | None, key: str) -> Any:
    """The planted parameter ``key`` (``"b_robot"``; a dotted index such as ``"kappa.0"`` picks a list
    element or a mapping entry), or None when the world planted none (or there is no world)."""
    if not truth:
        return None
    params = truth.get("parameters", {})
    head, *rest = key.split(".")
    if head not in params:
        return None
    value = params[head]["value"] if isinstance(params[head], dict) and "value" in params[head] else params[head]
    for part in rest:
        value = value[int(part)] if isinstance(value, list) else value.get(part)
    return value


def planted(truth: Mapping | None, rows: Mapping[str, str]) -> dict[str, Any]:
    """``printed row -> planted value`` for a column's ``truth`` mapping; rows the world did not plant
    are left out."""
    if not truth:
        return {}
    values = {row: truth_value(truth, key) for row, key in rows.items()}
    return {row: v for row, v in values.items() if v is not None}

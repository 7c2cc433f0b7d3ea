"""Replications of the five studies: ``replicate(study, *, warehouse, out)``.

One module per study (``s000.py`` ... ``s004.py``) declares ``STUDY`` (see :mod:`.spec`). ``replicate``
loads the panel once, runs every table, and writes ``<out>/<study>/<table>.csv|.md|.html``, the
figures (PNG) and ``<out>/<study>/index.json`` (tables, figures, variable mapping, timings) that the
report reads. ``study="all"`` runs every study module present.
"""
from __future__ import annotations

import importlib
import json
import time
from pathlib import Path
from typing import Callable, Mapping

from analysis.replications.spec import RunContext, StudySpec, find_truth, run_table, world_label
from analysis.tables import slug

__all__ = ["replicate", "available_studies", "load_study", "run_study"]

STUDIES = ("000", "001", "002", "003", "004")


def available_studies() -> list[str]:
    """Studies whose module exists in this checkout."""
    return [s for s in STUDIES if importlib.util.find_spec(f"analysis.replications.s{s}") is not None]


def load_study(study: str) -> StudySpec:
    return importlib.import_module(f"analysis.replications.s{study}").STUDY


def _panel(spec: StudySpec, warehouse: Path, cache: dict):
    from analysis.marts import load_city_panel, load_province_panel

    if spec.unit not in cache:
        cache[spec.unit] = (load_city_panel if spec.unit == "city" else load_province_panel)(warehouse)
    panel = cache[spec.unit]
    return spec.prepare(panel.copy(), warehouse) if spec.prepare else panel


def _caption(fn: Callable) -> str:
    """A figure's caption: the first line of its function's docstring."""
    doc = (fn.__doc__ or "").strip()
    return doc.splitlines()[0].strip() if doc else ""


def run_study(study: str, *, warehouse: Path, out: Path, ctx: RunContext, panels: dict | None = None) -> dict:
    """Run one study; returns the index written to ``<out>/<study>/index.json``."""
    spec = load_study(study)
    folder = Path(out) / study
    folder.mkdir(parents=True, exist_ok=True)
    panel = _panel(spec, warehouse, panels if panels is not None else {})
    index = {"study": study, "title": spec.title, "unit": spec.unit, "window": list(spec.window),
             "variables": dict(spec.variables), "tables": [], "figures": [], "truth": bool(ctx.truth),
             "sample_world": world_label(ctx.truth)}
    for tspec in spec.tables:
        t0 = time.perf_counter()
        table, results = run_table(panel, tspec, spec, ctx)
        stem = slug(tspec.id)
        table.write(folder, stem)
        entry = {"id": tspec.id, "title": tspec.title, "stem": stem, "seconds": round(time.perf_counter() - t0, 2)}
        if tspec.figure is not None:
            figs = tspec.figure(results, folder, ctx)
            entry["figures"] = [p.name for p in figs]
            index["figures"] += [{"file": p.name, "table": tspec.id, "caption": _caption(tspec.figure)} for p in figs]
        index["tables"].append(entry)
        ctx.echo(f"  {study} {tspec.id:<10} {entry['seconds']:>7.2f} s  {tspec.title}")
    for fig in spec.figures:
        for p in fig(panel, folder, ctx):
            index["figures"].append({"file": p.name, "table": None, "caption": _caption(fig)})
    (folder / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False), encoding="utf-8")
    return index


def replicate(study: str, *, warehouse, out, echo: Callable[..., None] = print,
              fast: Mapping[str, int] | None = None, seed: int = 20240601, truth: str | Path | None = None) -> int:
    """Write every table (CSV, Markdown, HTML) and figure of ``study`` (``"000"``..``"004"`` or ``"all"``).

    ``fast`` (small ``n_boot`` / ``n_perm`` / ``n_draws``) is for the test suite only; the CLI never
    passes it, so every study keeps its own numbers of draws. ``truth``: the sample world's
    ``truth.json`` (default: found beside the warehouse, see ``spec.find_truth``). Returns 0, or 2 for
    an unknown study.
    """
    warehouse, out = Path(warehouse), Path(out)
    studies = available_studies() if study == "all" else [study]
    unknown = [s for s in studies if s not in available_studies()]
    if unknown:
        import sys

        print(f"replicate: study {unknown[0]} is not implemented here (available: {', '.join(available_studies())})",
              file=sys.stderr)
        return 2
    planted = json.loads(Path(truth).read_text(encoding="utf-8")) if truth else find_truth(warehouse)
    ctx = RunContext(warehouse=warehouse, truth=planted, seed=seed, fast=fast, echo=echo)
    panels: dict = {}
    for s in studies:
        t0 = time.perf_counter()
        echo(f"study {s}")
        run_study(s, warehouse=warehouse, out=out, ctx=ctx, panels=panels)
        ctx.cache.clear()
        echo(f"study {s}: {time.perf_counter() - t0:.1f} s -> {out / s}")
    return 0

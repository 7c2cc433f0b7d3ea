"""Running the replications: a table (:func:`run_table`), a study (:func:`run_study`), all of them
(:func:`replicate`).

A declared table (:class:`~analysis.replications.spec.TableSpec` with columns) runs column by column:
the estimation sample (:func:`~analysis.replications.sample.sample`), the fit by the column's adapter
(:mod:`~analysis.replications.adapters`), the printed statistic rows (:mod:`~analysis.replications.rows`)
and the planted truth (:mod:`~analysis.replications.truth`); row order and the statistic rows come
from the study's published extract, so a replicated table has the printed rows. A table with its own
``build`` lays itself out. A study writes ``<out>/<study>/<table>.csv|.md|.html``, its figures (PNG)
and ``index.json`` (tables, figures, variable mapping, timings) that the report reads.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from analysis.estimators import EstimationResult
from analysis.replications.adapters import adapter
from analysis.replications.context import RunContext
from analysis.replications.rows import coverage_note, printed_n, stat_value
from analysis.replications.sample import sample
from analysis.replications.spec import ColumnSpec, StudySpec, TableSpec
from analysis.replications.studies import available_studies, load_study
from analysis.replications.truth import find_truth, planted, read_truth, world_label
from analysis.tables import Column, Table, column_from_result, published_table, slug
from ingestion.settings import DEFAULT_SEED

__all__ = ["estimate", "run_table", "run_study", "replicate"]

DEFAULT_STAT_ROWS = ("N", "R²")   # a table without a printed extract


def estimate(data: pd.DataFrame, col: ColumnSpec, study: StudySpec, ctx: RunContext) -> EstimationResult:
    """Fit one column on its estimation sample by its estimator's adapter."""
    return adapter(col.estimator).fit(data, col, study, ctx)


def run_table(panel: pd.DataFrame, spec: TableSpec, study: StudySpec, ctx: RunContext) -> tuple[Table, list[EstimationResult]]:
    """Estimate every column of ``spec`` and lay them out with the printed rows and statistics."""
    if spec.build is not None:
        table, results = spec.build(panel, spec, study, ctx)
        table.notes += truth_table_notes(spec, {}, ctx)
        return table, results
    pub = published_table(study.study, spec.id)
    stat_rows = [s["name"] for s in (pub or {}).get("stats", [])] or list(DEFAULT_STAT_ROWS)
    stat_rows += [name for name in spec.extra_stats if name not in stat_rows]
    results, columns, notes_extra, truth_notes = [], [], [], {}
    resolver = ctx.resolver(panel)
    for col in spec.columns:
        fitter = adapter(col.estimator)
        data = sample(panel, col, study)
        try:
            res = fitter.fit(data, col, study, ctx)
        except (ValueError, np.linalg.LinAlgError) as exc:   # too few units in this world's sample
            data = fitter.fitted_rows(data, col)
            notes_extra.append(f"{col.label}: not estimable on this sample (N = {len(data)}): {str(exc)[:160]}")
            ctx.echo(f"    {spec.id} {col.label}: not estimable (N = {len(data)})")
            results.append(None)
            columns.append(Column(col.label, stats={"N": len(data)}))
            continue
        notes_extra += fitter.notes(res, col)
        results.append(res)
        note = coverage_note(col.label, fitter.fitted_rows(data, col), int(res.nobs), study,
                             printed_n(pub, len(columns)))
        if note:
            notes_extra.append(note)
        stats = {name: stat_value(name, res, col, fitter) for name in stat_rows}
        printed_rows = fitter.printed_rows(res, col)
        ours = {printed: row for row, printed in printed_rows.items()}
        resolved = {ours.get(row, row): r for row, r in planted(
            ctx.truth, col.truth, data=fitter.fitted_rows(data, col), dependent=col.dependent,
            resolver=resolver).items()}
        for row, r in resolved.items():
            truth_notes.setdefault(f"{row}: {r.derivation}", []).append(col.label.split(" ")[0])
        columns.append(column_from_result(col.label, res, rename=fitter.row_labels(res, col), stats=stats,
                                          truth={row: r.value for row, r in resolved.items() if r.value is not None},
                                          derivations={row: r.derivation for row, r in resolved.items()}))
        columns[-1].printed_rows = printed_rows
    rows = printed_order(pub, columns)
    notes = list(spec.notes) + notes_extra + truth_table_notes(spec, truth_notes, ctx)
    if pub and pub.get("note"):
        notes.append("Printed note: " + str(pub["note"]))
    table = Table(study.study, spec.id, spec.title, columns, rows, stat_rows, notes, pub)
    return table, results


def printed_order(pub: dict | None, columns: list[Column]) -> list[str]:
    """The table's coefficient rows: the printed rows in their order (a printed row that a column shows
    under its own label, such as a regime with our cut-offs, in its place), then our other rows."""
    aliases: dict[str, list[str]] = {}
    for c in columns:
        for ours, printed in c.printed_rows.items():
            aliases.setdefault(printed, []).append(ours)
    rows: list[str] = []
    for r in (pub or {}).get("rows", []):
        rows += [a for a in aliases.get(str(r["term"]), [str(r["term"])]) if a not in rows]
    for c in columns:
        rows += [r for r in c.coefs if r not in rows]
    return rows


def truth_table_notes(spec: TableSpec, derivations: Mapping[str, list[str]], ctx: RunContext) -> list[str]:
    """The notes on the planted truth under a table (sample world only): how each counterpart was
    derived (with the columns it applies to) and the table's own note on an estimator's known bias."""
    if not ctx.truth:
        return []
    notes = [f"Planted counterpart ({', '.join(dict.fromkeys(cols))}) of {text}" for text, cols in derivations.items()]
    return notes + ([f"Truth: {spec.truth_note}"] if spec.truth_note else [])


def truth_coverage(table: Table) -> dict:
    """Whether a table shows the planted truth: ``shown`` all / some / none of its columns, and counts."""
    with_truth = sum(1 for c in table.columns if any(v is not None for v in c.truth.values()))
    shown = "none" if not with_truth else ("all" if with_truth == len(table.columns) else "some")
    return {"shown": shown, "columns_with_truth": with_truth, "columns": len(table.columns)}


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
             "variables": dict(spec.variables), "tables": [], "figures": [], "sample_world": world_label(ctx.truth)}
    planted_records: list[dict] = []
    for tspec in spec.tables:
        if tspec.sample_world and not ctx.truth:
            continue
        t0 = time.perf_counter()
        table, results = run_table(panel, tspec, spec, ctx)
        stem = slug(tspec.id)
        table.write(folder, stem)
        planted_records += table.planted_records()
        entry = {"id": tspec.id, "title": tspec.title, "stem": stem, "seconds": round(time.perf_counter() - t0, 2),
                 "truth": truth_coverage(table), "sample_world": tspec.sample_world}
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
    if ctx.truth:
        (folder / "truth.json").write_text(json.dumps(planted_records, indent=1, ensure_ascii=False, default=float),
                                           encoding="utf-8")
    return index


def replicate(study: str, *, warehouse, out, echo: Callable[..., None] = print,
              fast: Mapping[str, int] | None = None, seed: int = DEFAULT_SEED, truth: str | Path | None = None,
              executor=None) -> int:
    """Write every table (CSV, Markdown, HTML) and figure of ``study`` (``"000"``..``"004"`` or ``"all"``).

    ``fast`` (small ``n_boot`` / ``n_perm`` / ``n_draws``) is for the test suite only; the CLI never
    passes it, so every study keeps its own numbers of draws. ``seed``: the random seed of every draw.
    ``truth``: the sample world's ``truth.json`` (default: found beside the warehouse, see
    :func:`analysis.replications.truth.find_truth`). ``executor``: where the chunks of placebo and bootstrap
    draws run (``ingestion.executor``; ``None``: here, serially); the draws are the same on any executor.
    Returns 0, or 2 for an unknown study.
    """
    warehouse, out = Path(warehouse), Path(out)
    known = available_studies()
    studies = known if study == "all" else [study]
    unknown = [s for s in studies if s not in known]
    if unknown:
        print(f"replicate: study {unknown[0]} is not implemented here (available: {', '.join(known)})",
              file=sys.stderr)
        return 2
    planted_truth = read_truth(Path(truth)) if truth else find_truth(warehouse)
    ctx = RunContext(warehouse=warehouse, truth=planted_truth, seed=seed, fast=fast, echo=echo, executor=executor)
    panels: dict = {}
    for s in studies:
        t0 = time.perf_counter()
        echo(f"study {s}")
        run_study(s, warehouse=warehouse, out=out, ctx=ctx, panels=panels)
        ctx.cache.clear()
        echo(f"study {s}: {time.perf_counter() - t0:.1f} s -> {out / s}")
    return 0

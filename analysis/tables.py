"""Publication tables: our estimates beside the study's printed numbers (and the planted truth).

A :class:`Table` is columns of cells the way economists read them: for every coefficient row the
estimate with stars and, below it, the standard error in parentheses; then the statistic rows (N,
R², FE / controls indicators, tests). Each column of the study shows three sub-columns: ``ours``,
``published`` (from ``analysis/replications/published/s00N.yaml``, aligned by position and row label) and, on the
sample world, ``truth`` (the planted parameter where the sample world has one).

Rendering: :meth:`Table.to_frame` (tidy long CSV), :meth:`Table.to_markdown`, :meth:`Table.to_html`.
Cells are printed as ``analysis.estimators.etable`` prints them (``coef_cell``, ``se_cell`` and
``format_number`` of ``analysis/estimators/publication_table.py``: one home for how a coefficient, its
standard error, stars and counts look), with :data:`DIGITS` decimals.
Stars: *** p<0.01, ** p<0.05, * p<0.10 for our numbers; the published stars are copied as printed
(study 004 prints a reversed legend, its text reads *** as 1%).
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from analysis.estimators.base import EstimationResult, stars
from analysis.estimators.publication_table import coef_cell, format_number, se_cell
from analysis.estimators.statistics import is_count

__all__ = ["Column", "Table", "column_from_result", "published_table", "studies_dir", "fmt"]

STAR_LEGEND = "Ours: *** p<0.01, ** p<0.05, * p<0.10; published stars copied as printed."


def studies_dir() -> Path:
    """The published numbers the package carries: ``analysis/replications/published/`` (provenance in its README)."""
    return Path(__file__).resolve().parent / "replications" / "published"


@lru_cache(maxsize=None)
def _study_yaml(study: str) -> dict:
    import yaml

    path = studies_dir() / f"s{study}.yaml"
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def published_table(study: str, table_id: str) -> dict | None:
    """The printed table ``table_id`` of study ``study`` as in the YAML extract (None if absent)."""
    for t in _study_yaml(study).get("tables", []):
        if t.get("id") == table_id:
            return t
    return None


DIGITS = 4   # decimals of every number in a replicated table


def fmt(value: Any, digits: int = DIGITS, *, row: str | None = None) -> str:
    """Format a cell as ``etable`` does (``format_number``): floats with ``digits`` decimals, integers
    without, None/NaN blank; in a statistic ``row`` that is a count (``statistics.is_count``: N, Clusters,
    Units, ...) a whole float prints without decimals (an N read from a YAML extract, a count averaged)."""
    return format_number(value, digits, count=row is not None and is_count(row))


@dataclass
class Column:
    """One column of a replicated table: coefficient rows ``label -> (estimate, se, p)``, statistic
    rows ``name -> value`` and the planted truth ``row label -> value`` (where the world has one)."""

    label: str
    coefs: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    truth: dict[str, Any] = field(default_factory=dict)
    derivations: dict[str, str] = field(default_factory=dict)   # row -> how its planted truth was derived
    printed_rows: dict[str, str] = field(default_factory=dict)  # our row label -> the printed row it stands on


def column_from_result(label: str, result: EstimationResult, *, rename: Mapping[str, str],
                       stats: Mapping[str, Any] | None = None, truth: Mapping[str, Any] | None = None,
                       derivations: Mapping[str, str] | None = None) -> Column:
    """Column of ``result``: terms named in ``rename`` (our term -> printed row label), in that order."""
    p = result.pvalues
    coefs = {}
    for term, row in rename.items():
        if term in result.params.index:
            coefs[row] = (float(result.params[term]), float(result.bse[term]), float(p[term]))
    return Column(label, coefs, dict(stats or {}), dict(truth or {}), dict(derivations or {}))


def _published_cells(pub: dict | None, n_cols: int) -> tuple[dict, dict, str]:
    """Printed coefficients ``{(row, j): (value, se_or_t, stars)}``, statistics ``{(name, j): text}``, kind."""
    coefs, stats_ = {}, {}
    kind = "se"
    if not pub:
        return coefs, stats_, kind
    for row in pub.get("rows", []):
        vals = row.get("values") or []
        kind = "t" if "t" in row and "se" not in row else "se"
        second = row.get("se") or row.get("t") or [None] * len(vals)
        st = row.get("stars") or [None] * len(vals)
        for j in range(min(n_cols, len(vals))):
            if vals[j] is not None:
                coefs[(str(row["term"]), j)] = (vals[j], second[j] if j < len(second) else None,
                                                st[j] if j < len(st) else "")
    for s in pub.get("stats", []):
        vals = s.get("values") or []
        st = s.get("stars") or [None] * len(vals)
        for j in range(min(n_cols, len(vals))):
            if vals[j] is not None:
                stats_[(str(s["name"]), j)] = fmt(vals[j], row=str(s["name"])) + (st[j] or "" if j < len(st) else "")
    return coefs, stats_, kind


@dataclass
class Table:
    """A replicated table (see the module docstring for the layout)."""

    study: str
    id: str
    title: str
    columns: list[Column]
    rows: list[str]
    stats: list[str]
    notes: list[str] = field(default_factory=list)
    published: dict | None = None

    @property
    def has_truth(self) -> bool:
        return any(c.truth for c in self.columns)

    def planted_records(self) -> list[dict]:
        """Every planted counterpart of the table: (table, column, row, truth, ours, derivation), for the
        study's ``truth.json``."""
        out = []
        for col in self.columns:
            for row, how in col.derivations.items():
                ours = col.coefs.get(row, (None, None, None))
                out.append({"table": self.id, "column": col.label, "row": row, "truth": col.truth.get(row),
                            "estimate": ours[0], "std_error": ours[1], "derivation": how})
        return out

    def _grid(self) -> tuple[list[str], list[list[str]], list[str]]:
        """(sub-column headers, body rows of strings, row labels) shared by Markdown and HTML."""
        pub_c, pub_s, kind = _published_cells(self.published, len(self.columns))
        subs = ["ours", "published"] + (["truth"] if self.has_truth else [])
        body, labels = [], []
        for row in self.rows:
            est, sec = [], []
            for j, col in enumerate(self.columns):
                e, s, p = col.coefs.get(row, (None, None, None))
                pe, ps, pst = pub_c.get((col.printed_rows.get(row, row), j), (None, None, ""))
                est += [coef_cell(e, p, DIGITS), coef_cell(pe, digits=DIGITS, marks=pst or "")]
                sec += [se_cell(s, DIGITS), (se_cell(ps, DIGITS) if kind == "se" else "[t " + fmt(ps) + "]")
                        if ps is not None else ""]
                if self.has_truth:
                    est.append(fmt(col.truth.get(row)))
                    sec.append("")
            body.append(est)
            labels.append(row)
            if any(sec):          # tables without standard errors (tests, Moran's I) get no empty line
                body.append(sec)
                labels.append("")
        for name in self.stats:
            cells = []
            for j, col in enumerate(self.columns):
                cells += [fmt(col.stats.get(name), row=name), pub_s.get((name, j), "")]
                if self.has_truth:
                    cells.append(fmt(col.truth.get(name), row=name))
            body.append(cells)
            labels.append(name)
        return subs, body, labels

    # ---------- outputs
    def to_frame(self) -> pd.DataFrame:
        """Tidy long table: one row per (column, row, statistic) with ours / published / truth."""
        pub_c, pub_s, kind = _published_cells(self.published, len(self.columns))
        recs = []
        for j, col in enumerate(self.columns):
            for row in self.rows:
                e, s, p = col.coefs.get(row, (None, None, None))
                pe, ps, pst = pub_c.get((col.printed_rows.get(row, row), j), (None, None, ""))
                truth = col.truth.get(row)
                printed = col.printed_rows.get(row, row)
                recs.append(dict(column=col.label, row=row, printed_row=printed, statistic="estimate", ours=e,
                                 published=pe, truth=truth, ours_stars=stars(p) if e is not None else "",
                                 published_stars=pst or ""))
                recs.append(dict(column=col.label, row=row, printed_row=printed,
                                 statistic="std_error" if kind == "se" else "se (published: t)",
                                 ours=s, published=ps, truth=None, ours_stars="", published_stars=""))
                recs.append(dict(column=col.label, row=row, printed_row=printed, statistic="p_value", ours=p,
                                 published=None, truth=None, ours_stars="", published_stars=""))
            for name in self.stats:
                recs.append(dict(column=col.label, row=name, printed_row=name, statistic="stat", ours=col.stats.get(name),
                                 published=pub_s.get((name, j)), truth=col.truth.get(name),
                                 ours_stars="", published_stars=""))
        out = pd.DataFrame(recs)
        out.insert(0, "table", self.id)
        out.insert(0, "study", self.study)
        return out

    def to_markdown(self) -> str:
        subs, body, labels = self._grid()
        header = [""] + [f"{c.label} · {s}" for c in self.columns for s in subs]
        lines = [f"### {self.id}: {self.title}", "", "| " + " | ".join(_md(h) for h in header) + " |",
                 "|" + "---|" + "---:|" * (len(header) - 1)]
        for lab, cells in zip(labels, body):
            lines.append("| " + " | ".join(_md(x) for x in [lab, *cells]) + " |")
        lines += ["", *[f"- {_md(n)}" for n in [STAR_LEGEND, *self.notes]], ""]
        return "\n".join(lines)

    def to_html(self, standalone: bool = True) -> str:
        subs, body, labels = self._grid()
        k = len(subs)
        head1 = "<tr><th></th>" + "".join(f'<th colspan="{k}">{html.escape(c.label)}</th>' for c in self.columns) + "</tr>"
        head2 = "<tr><th></th>" + "".join(f'<th class="sub">{s}</th>' for _ in self.columns for s in subs) + "</tr>"
        rows = []
        for lab, cells in zip(labels, body):
            cls = ' class="se"' if not lab else (' class="stat"' if lab in self.stats else "")
            tds = "".join(f'<td class="{subs[i % k]}">{html.escape(x)}</td>' for i, x in enumerate(cells))
            rows.append(f"<tr{cls}><th>{html.escape(lab)}</th>{tds}</tr>")
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in [STAR_LEGEND, *self.notes])
        table = (f'<table class="reg"><caption>Study {html.escape(self.study)} · {html.escape(self.id)}: '
                 f'{html.escape(self.title)}</caption><thead>{head1}{head2}</thead><tbody>{"".join(rows)}'
                 f'</tbody></table><ul class="notes">{notes}</ul>')
        if not standalone:
            return table
        return (f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(self.study)} '
                f'{html.escape(self.id)}</title><style>{CSS}</style></head><body>{table}</body></html>')

    def write(self, folder: Path, stem: str | None = None) -> list[Path]:
        """Write ``<stem>.csv``, ``.md`` and ``.html`` into ``folder``; returns the paths."""
        folder.mkdir(parents=True, exist_ok=True)
        stem = stem or slug(self.id)
        paths = [folder / f"{stem}.csv", folder / f"{stem}.md", folder / f"{stem}.html"]
        self.to_frame().to_csv(paths[0], index=False)
        paths[1].write_text(self.to_markdown(), encoding="utf-8")
        paths[2].write_text(self.to_html(), encoding="utf-8")
        return paths


def slug(text: str) -> str:
    """``"Table 4"`` -> ``"table_4"``."""
    return "".join(ch if ch.isalnum() else "_" for ch in text.strip().lower()).strip("_")


def _md(text: str) -> str:
    return str(text).replace("|", "\\|")


CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table.reg{border-collapse:collapse;font-size:13px;margin:1em 0}
table.reg caption{text-align:left;font-weight:600;margin-bottom:.4em}
table.reg th,table.reg td{padding:2px 8px;text-align:right;white-space:nowrap}
table.reg tbody th{text-align:left;font-weight:normal;max-width:28em;white-space:normal}
table.reg thead tr:first-child th{border-top:2px solid #222;border-bottom:1px solid #888;text-align:center}
table.reg thead tr:last-child th{border-bottom:1px solid #222;font-weight:normal;color:#555}
table.reg td.published{color:#6a3d9a}
table.reg td.truth{color:#1b7837}
table.reg tr.se td{color:#555}
table.reg tr.stat:first-of-type td, table.reg tr.stat th{border-top:0}
table.reg tbody tr:last-child th,table.reg tbody tr:last-child td{border-bottom:2px solid #222}
ul.notes{font-size:12px;color:#555}
"""

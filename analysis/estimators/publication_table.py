"""Publication table of any list of results, side by side (what ``pyfixest.etable`` / Stata ``esttab`` give).

>>> from analysis.estimators import etable, fit_fe   # defined here, in publication_table.py
>>> from analysis.estimators.statistics import R2_WITHIN, N_CLUSTERS
>>> t = etable([fit_fe(df, "y ~ x1 | city + year", cluster="city"),
...             fit_fe(df, "y ~ x1 + x2 | city + year", cluster="city")],
...            stats=["N", R2_WITHIN, N_CLUSTERS], relabel={"x1": "AI firms", "city": "City"})
>>> print(t.to_markdown())          # or t.to_html(), t.to_latex(), t.to_frame()

Layout, top to bottom: the dependent variable of each column; one row per coefficient (estimate and
stars) with its standard error (or t statistic, ``se="t"``) in parentheses below; one "Yes/No" row
per fixed effect found in any result's ``info["fe"]``; the cluster variable of the standard errors;
then the statistic rows asked for in ``stats`` (names from :mod:`analysis.estimators.statistics`,
plus ``"N"`` for the number of observations). A statistic is looked up by its own name only: a row
asking for ``R2_WITHIN`` shows the within R² or nothing, never the overall R² (``missing="error"``
raises instead, naming the estimator and what it does define). Counts print as integers.

Stars: *** p<0.01, ** p<0.05, * p<0.10 on the p-values of each result (t with its ``df_resid``, or
normal). LaTeX output uses booktabs rules (``\\usepackage{booktabs}``).
"""
from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.estimators.base import STAR_LEVELS, EstimationResult, stars
from analysis.estimators.statistics import is_count, lookup

__all__ = ["etable", "ETable", "format_number", "coef_cell", "se_cell"]

_KINDS = ("dep", "coef", "se", "fe", "cluster", "stat")


def format_number(value: Any, digits: int = 3, *, count: bool = False) -> str:
    """A table cell: integers and counts without decimals, floats with ``digits``, None/NaN blank."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "Yes" if value else "No"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            return ""
        if count and float(value).is_integer():
            return str(int(value))
        return f"{value:.{digits}f}"
    return str(value)


def coef_cell(value: Any, p: float | None = None, digits: int = 3, *, marks: str | None = None) -> str:
    """A coefficient cell: the estimate with ``digits`` decimals and its stars from ``p`` (or the
    given ``marks``, e.g. stars copied from a printed table); blank when there is no estimate."""
    text = format_number(value, digits)
    return text + (stars(p) if marks is None else marks) if text else ""


def se_cell(value: Any, digits: int = 3) -> str:
    """The cell under a coefficient: its standard error (or t) in parentheses; blank when missing."""
    text = format_number(value, digits)
    return f"({text})" if text else ""


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[str, ...]
    kind: str  # one of _KINDS: decides the rules between sections


@dataclass(frozen=True)
class ETable:
    """A rendered-to-strings table: ``columns`` headers, ``rows`` (label, cells, kind) and ``notes``."""

    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = ()
    caption: str = ""

    # ---------- outputs
    def to_frame(self) -> pd.DataFrame:
        """Strings as printed: index = row labels (standard-error rows unlabelled), one column per result."""
        return pd.DataFrame([r.cells for r in self.rows], index=[r.label for r in self.rows],
                            columns=list(self.columns))

    def to_markdown(self) -> str:
        def md(text: str) -> str:
            return str(text).replace("|", "\\|")

        lines = []
        if self.caption:
            lines += [f"**{md(self.caption)}**", ""]
        lines += ["| " + " | ".join(["", *map(md, self.columns)]) + " |",
                  "|---|" + "---:|" * len(self.columns)]
        lines += ["| " + " | ".join([md(r.label), *map(md, r.cells)]) + " |" for r in self.rows]
        if self.notes:
            lines += [""] + [md(n) for n in self.notes]
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        esc = html.escape
        head = "<tr><th></th>" + "".join(f"<th>{esc(c)}</th>" for c in self.columns) + "</tr>"
        body, previous = [], None
        for r in self.rows:
            cls = [r.kind]
            if previous is not None and _new_section(previous, r.kind):
                cls.append("section")
            body.append(f'<tr class="{" ".join(cls)}"><th>{esc(r.label)}</th>'
                        + "".join(f"<td>{esc(c)}</td>" for c in r.cells) + "</tr>")
            previous = r.kind
        caption = f"<caption>{esc(self.caption)}</caption>" if self.caption else ""
        notes = "".join(f"<li>{esc(n)}</li>" for n in self.notes)
        return (f'<table class="etable">{caption}<thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'
                + (f'<ul class="etable-notes">{notes}</ul>' if notes else ""))

    def _repr_html_(self) -> str:  # notebooks
        return self.to_html()

    def to_latex(self) -> str:
        """A ``tabular`` with booktabs rules (``\\toprule``, ``\\midrule`` between sections, ``\\bottomrule``);
        the notes are full-width rows under the bottom rule."""
        k = len(self.columns)
        lines = [f"\\begin{{tabular}}{{l*{{{k}}}{{c}}}}", "\\toprule",
                 " & ".join(["", *map(_tex, self.columns)]) + " \\\\"]
        rows = list(self.rows)
        if rows and rows[0].kind == "dep":  # the dependent variables belong to the header
            lines.append(" & ".join([_tex(rows[0].label), *map(_tex, rows[0].cells)]) + " \\\\")
            rows = rows[1:]
        lines.append("\\midrule")
        previous = None
        for r in rows:
            if previous is not None and _new_section(previous, r.kind):
                lines.append("\\midrule")
            lines.append(" & ".join([_tex(r.label), *map(_tex, r.cells)]) + " \\\\")
            previous = r.kind
        lines.append("\\bottomrule")
        lines += [f"\\multicolumn{{{k + 1}}}{{l}}{{\\footnotesize {_tex(n)}}} \\\\" for n in self.notes]
        lines.append("\\end{tabular}")
        return "\n".join(lines) + "\n"

    def to_text(self) -> str:
        """Aligned plain text (what ``print(table)`` shows)."""
        labels = [r.label for r in self.rows]
        width0 = max([len(x) for x in labels] + [0])
        widths = [max([len(c)] + [len(r.cells[j]) for r in self.rows]) for j, c in enumerate(self.columns)]
        rule = "-" * (width0 + sum(w + 2 for w in widths))
        out = [rule, " " * width0 + "".join(f"  {c:>{w}}" for c, w in zip(self.columns, widths)), rule]
        previous = None
        for r in self.rows:
            if previous is not None and _new_section(previous, r.kind):
                out.append(rule)
            out.append(f"{r.label:<{width0}}" + "".join(f"  {c:>{w}}" for c, w in zip(r.cells, widths)))
            previous = r.kind
        out.append(rule)
        out += list(self.notes)
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_text()


def _new_section(previous: str, kind: str) -> bool:
    """A rule goes between sections; a coefficient and its SE row are one section, as are FE rows."""
    group = {"coef": "coef", "se": "coef", "fe": "fe", "cluster": "fe"}
    return group.get(previous, previous) != group.get(kind, kind)


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_TEX_SYMBOLS = {"²": "$^2$", "σ": r"$\sigma$", "φ": r"$\varphi$", "χ": r"$\chi$", "≤": r"$\leq$",
                "×": r"$\times$"}


def _tex(text: str) -> str:
    out = "".join(_TEX_SPECIAL.get(ch, ch) for ch in str(text))
    for sym, tex in _TEX_SYMBOLS.items():
        out = out.replace(sym, tex)
    return out


def _select(terms: list[str], keep: Sequence[str] | None, drop: Sequence[str] | None,
            order: Sequence[str] | None) -> list[str]:
    """Terms to show: ``keep`` (exact names or regular expressions, in that order) minus ``drop``;
    ``order`` moves matching terms to the top, the rest keep their first-seen order."""
    def matches(term: str, pattern: str) -> bool:
        return term == pattern or re.fullmatch(pattern, term) is not None

    if keep is not None:
        chosen = []
        for pattern in keep:
            chosen += [t for t in terms if matches(t, pattern) and t not in chosen]
        terms = chosen
    if drop is not None:
        terms = [t for t in terms if not any(matches(t, p) for p in drop)]
    if order is not None:
        first = []
        for pattern in order:
            first += [t for t in terms if matches(t, pattern) and t not in first]
        terms = first + [t for t in terms if t not in first]
    return terms


def _stat_cell(res: EstimationResult, name: str, digits: int, missing: str) -> str:
    if name in ("N", "nobs"):
        return format_number(int(res.nobs))
    try:
        value = res.statistic(name)
    except KeyError:
        if missing == "error":
            raise
        return ""
    return format_number(value, digits, count=is_count(name))


def _stat_label(name: str, relabel: Mapping[str, str]) -> str:
    if name in relabel:
        return relabel[name]
    if name in ("N", "nobs"):
        return "N"
    stat = lookup(name)
    return stat.label if stat is not None else str(name)


def etable(
    results: Sequence[EstimationResult],
    *,
    labels: Sequence[str] | None = None,
    relabel: Mapping[str, str] | None = None,
    keep: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
    order: Sequence[str] | None = None,
    stats: Sequence[str] = ("N", "R2"),
    se: str = "se",
    digits: int = 3,
    show_stars: bool = True,
    fe_rows: bool = True,
    cluster_row: bool = True,
    dep_var_row: bool = True,
    missing: str = "blank",
    notes: Sequence[str] = (),
    caption: str = "",
) -> ETable:
    """Lay out ``results`` side by side (see the module docstring for the layout).

    Parameters
    ----------
    results : any EstimationResult (panel, IV, GMM, DID, spatial, DML, ...).
    labels : column headers; default ``(1), (2), ...``.
    relabel : display names for terms, fixed effects, cluster and dependent variables and statistics
        (``{"ln_ai": "AI", "adcode": "City", R2_WITHIN: "Within R²"}``).
    keep, drop, order : terms to show / hide / put first; exact names or regular expressions
        (``keep`` also sets the order).
    stats : statistic rows, constants of :mod:`analysis.estimators.statistics` or ``"N"``.
    se : what goes in parentheses: ``"se"`` (standard error) or ``"t"`` (t or z statistic).
    digits : decimals of coefficients, SEs and real statistics.
    show_stars : stars from each result's p-values (*** p<0.01, ** p<0.05, * p<0.10).
    fe_rows, cluster_row, dep_var_row : the indicator rows (fixed effects from ``info["fe"]``, the
        cluster variable from ``info["cluster"]``) and the dependent-variable header row.
    missing : ``"blank"`` leaves a statistic a result does not define empty; ``"error"`` raises.
    notes, caption : extra notes under the table (the star and SE legend is always there) and a title.
    """
    results = list(results)
    if not results:
        raise ValueError("etable needs at least one result")
    bad = [type(r).__name__ for r in results if not isinstance(r, EstimationResult)]
    if bad:
        raise ValueError(f"etable takes EstimationResult objects, got {bad}")
    if se not in ("se", "t"):
        raise ValueError(f"se must be 'se' or 't', got {se!r}")
    if missing not in ("blank", "error"):
        raise ValueError(f"missing must be 'blank' or 'error', got {missing!r}")
    labels = list(labels) if labels is not None else [f"({j + 1})" for j in range(len(results))]
    if len(labels) != len(results):
        raise ValueError(f"{len(labels)} labels for {len(results)} results")
    relabel = dict(relabel or {})
    name = lambda x: relabel.get(x, x)  # noqa: E731

    rows: list[Row] = []
    if dep_var_row:
        deps = [name(str(r.info.get("dep_var", ""))) if r.info.get("dep_var") else "" for r in results]
        if any(deps):
            rows.append(Row("Dependent variable", tuple(deps), "dep"))

    terms = _select(list(dict.fromkeys(t for r in results for t in r.params.index)), keep, drop, order)
    for term in terms:
        est, second = [], []
        for r in results:
            if term not in r.params.index or not np.isfinite(r.params[term]):
                est.append("")
                second.append("")
                continue
            est.append(coef_cell(float(r.params[term]), float(r.pvalues[term]), digits,
                                 marks=None if show_stars else ""))
            second.append(se_cell(float(r.bse[term]) if se == "se" else float(r.tvalues[term]), digits))
        rows.append(Row(name(term), tuple(est), "coef"))
        rows.append(Row("", tuple(second), "se"))

    if fe_rows:
        fes = list(dict.fromkeys(f for r in results for f in (r.info.get("fe") or [])))
        for fe in fes:
            rows.append(Row(f"{name(fe)} FE", tuple("Yes" if fe in (r.info.get("fe") or []) else "No"
                                                    for r in results), "fe"))
    if cluster_row:
        clusters = [name(r.info["cluster"]) if r.info.get("cluster") else "" for r in results]
        if any(clusters):
            rows.append(Row("SE clustered by", tuple(clusters), "cluster"))

    for stat in stats:
        rows.append(Row(_stat_label(stat, relabel), tuple(_stat_cell(r, stat, digits, missing) for r in results),
                        "stat"))

    legend = ", ".join(f"{mark} p<{cut:.2f}" for cut, mark in STAR_LEVELS)
    what = "Standard errors" if se == "se" else "t statistics"
    return ETable(tuple(labels), tuple(rows), (f"{what} in parentheses; {legend}.", *notes), caption)

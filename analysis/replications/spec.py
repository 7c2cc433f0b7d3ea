"""The declarations a study module makes: :class:`StudySpec`, :class:`TableSpec`, :class:`ColumnSpec`.

A study module (``s004.py`` ...) declares ``STUDY = StudySpec(...)``: the panel it reads, its sample
window, a ``prepare`` function deriving study-specific columns (group flags, lags), and its tables, each
a tuple of :class:`ColumnSpec` (dependent, regressors, controls, FE, estimator, window, filters,
options, which of our terms print on which of the study's rows, and which planted truth sits beside a
row). Nothing here runs anything: :mod:`.runner` runs a table, :mod:`.adapters` fits a column,
:mod:`.rows` fills the statistic rows, :mod:`.truth` looks up the planted truth.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

if TYPE_CHECKING:   # annotations only: declaring a study needs no pandas
    import pandas as pd

__all__ = ["ColumnSpec", "TableSpec", "StudySpec"]


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a study table.

    estimator: a name registered in :data:`analysis.replications.adapters.ADAPTERS` (``fe``, ``iv``,
    ``iv_first``, ``gmm``, ``threshold``, ``psm``, ``dml``, ``split``, ``cs``; each adapter's docstring
    says which options it reads). rename: our term -> the study's printed row label. truth: printed row
    label -> its planted counterpart, a declaration of :mod:`analysis.replications.truth` (a
    ``truth.json`` key such as ``"b_robot"``, :class:`~analysis.replications.truth.Effect`,
    :class:`~analysis.replications.truth.NotPlanted`, :class:`~analysis.replications.truth.NoCounterpart`).
    """

    label: str
    dependent: str
    regressors: tuple[str, ...]
    controls: tuple[str, ...] = ()
    fe: tuple[str, ...] = ("adcode", "year")
    estimator: str = "fe"
    window: tuple[int, int] | None = None
    filters: str | None = None
    exclude_ever: tuple[str, ...] = ()
    winsorize: float | None = None
    instruments: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    rename: Mapping[str, str] = field(default_factory=dict)
    truth: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TableSpec:
    """A table of a study: its columns (or a ``build`` laying itself out), notes, figure. ``sample_world``:
    a table of the sample world only (no printed counterpart, shown where a world planted its truth).
    ``truth_note``: what the reader should know beside the planted truth (an estimator's known bias)."""

    id: str
    title: str
    columns: tuple[ColumnSpec, ...]
    notes: tuple[str, ...] = ()
    figure: Callable | None = None     # figure(table_results, out_dir, ctx) -> list[Path]
    extra_stats: tuple[str, ...] = ()  # statistic rows printed after the study's own (e.g. "Wild bootstrap p")
    build: Callable | None = None      # custom layout: build(panel, spec, study, ctx) -> (Table, results)
    sample_world: bool = False
    truth_note: str | None = None


@dataclass(frozen=True)
class StudySpec:
    study: str
    title: str
    unit: str                     # "city" | "province"
    entity: str                   # panel key
    window: tuple[int, int]
    tables: tuple[TableSpec, ...]
    prepare: Callable[[pd.DataFrame, Path], pd.DataFrame] | None = None   # (panel, warehouse) -> panel
    variables: Mapping[str, str] = field(default_factory=dict)   # study symbol -> mart column (and why)
    figures: tuple[Callable, ...] = ()                          # fig(panel, out_dir, ctx) -> list[Path]

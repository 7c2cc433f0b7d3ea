"""Saving figures the way a reader needs them: every plotting axes labelled, a title, a readable size.

``save_figure(fig, path)`` refuses (``ValueError``, naming the figure and the panel) a figure with an
axes that draws data but has no x or y label, or a figure with neither a title nor a suptitle, so an
unlabelled plot never reaches the report. Colour bars count as labelled when they carry a label
(their long axis); panels of a grid may share a label with their row or column neighbours
(``label_outer``-style grids: the label is looked up in the same row for y and the same column for x).
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["save_figure", "unlabelled_axes"]


def _is_colorbar(ax) -> bool:
    return hasattr(ax, "_colorbar") or ax.get_label() == "<colorbar>"


def _draws_data(ax) -> bool:
    return bool(ax.lines or ax.collections or ax.patches or ax.images)


def unlabelled_axes(fig) -> list[str]:
    """Descriptions of the panels of ``fig`` that would leave a reader guessing (empty when all fine)."""
    problems = []
    plotting = [ax for ax in fig.axes if ax.get_visible() and _draws_data(ax) and not _is_colorbar(ax)]
    for i, ax in enumerate(plotting):
        spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
        same_row = same_col = [ax]
        if spec is not None:
            rows, cols = spec.rowspan, spec.colspan
            peers = [(a, a.get_subplotspec()) for a in plotting if a.get_subplotspec() is not None
                     and a.get_subplotspec().get_gridspec() is spec.get_gridspec()]
            same_row = [a for a, s in peers if s.rowspan == rows]
            same_col = [a for a, s in peers if s.colspan == cols]
        name = ax.get_title() or f"panel {i + 1}"
        if not any(a.get_xlabel().strip() for a in same_col):
            problems.append(f"{name}: no x-axis label")
        if not any(a.get_ylabel().strip() for a in same_row):
            problems.append(f"{name}: no y-axis label")
    for ax in fig.axes:
        if _is_colorbar(ax) and ax.get_visible() and not (ax.get_ylabel().strip() or ax.get_xlabel().strip()):
            problems.append("colour bar without a label (units)")
    has_suptitle = bool(fig.get_suptitle().strip())
    if not has_suptitle and not any(ax.get_title().strip() for ax in plotting):
        problems.append("no title")
    return problems


def save_figure(fig, path: Path, *, dpi: int = 110, **kwargs) -> Path:
    """Check the labels (see the module docstring), then ``fig.savefig(path)``; returns ``path``."""
    problems = unlabelled_axes(fig)
    if problems:
        raise ValueError(f"figure {Path(path).name}: {'; '.join(problems)}. Label every axis with its "
                         "quantity and unit (ax.set_xlabel / set_ylabel, colour bars via their label) and give "
                         "the figure a title before saving.")
    fig.savefig(path, dpi=dpi, **kwargs)
    return Path(path)

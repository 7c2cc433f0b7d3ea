"""save_figure refuses figures a reader could not read: unlabelled axes, unlabelled colour bars, no title."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from analysis.figures import save_figure, unlabelled_axes  # noqa: E402


def _labelled():
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    ax.set(xlabel="year", ylabel="ln CO2 (10^4 t)", title="trend")
    return fig, ax


def test_a_labelled_figure_is_saved(tmp_path):
    fig, _ = _labelled()
    assert save_figure(fig, tmp_path / "ok.png").stat().st_size > 1000
    plt.close(fig)


@pytest.mark.parametrize("breakage,words", [
    (lambda fig, ax: ax.set_xlabel(""), "no x-axis label"),
    (lambda fig, ax: ax.set_ylabel(""), "no y-axis label"),
    (lambda fig, ax: ax.set_title(""), "no title"),
    (lambda fig, ax: fig.colorbar(ax.scatter([1], [2], c=[3])), "colour bar without a label"),
])
def test_unreadable_figures_are_refused_and_not_written(tmp_path, breakage, words):
    fig, ax = _labelled()
    breakage(fig, ax)
    with pytest.raises(ValueError, match=words):
        save_figure(fig, tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()
    plt.close(fig)


def test_grid_panels_may_share_labels_with_their_row_and_column():
    fig, axes = plt.subplots(2, 2, sharex=True, sharey=True)
    for ax in axes.flat:
        ax.plot([0, 1], [0, 1])
    for ax in axes[1]:
        ax.set_xlabel("z")
    for ax in axes[:, 0]:
        ax.set_ylabel("Wz")
    fig.suptitle("Moran scatter")
    assert unlabelled_axes(fig) == []
    axes[1, 1].set_xlabel("")
    assert unlabelled_axes(fig) == ["panel 2: no x-axis label", "panel 4: no x-axis label"]   # the whole column
    plt.close(fig)

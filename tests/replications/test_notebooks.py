"""The analyst notebooks run top to bottom on the tiny world.

``nbclient`` / ``jupyter`` are not in the pinned requirements, so the code cells are executed in order
in one namespace (what "Run all" does, minus the kernel), with ``DUALCARBON_WAREHOUSE`` pointing at the
tiny marts and ``NOTEBOOK_DRAWS`` small (the notebooks default to the studies' 500 / 1,000 draws).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_there_are_at_least_three_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tiny_marts, monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.setenv("DUALCARBON_WAREHOUSE", str(tiny_marts))
    monkeypatch.setenv("NOTEBOOK_DRAWS", "30")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    book = json.loads(path.read_text(encoding="utf-8"))
    assert book["nbformat"] == 4
    namespace: dict = {"__name__": "__main__"}
    for i, cell in enumerate(book["cells"]):
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        try:
            exec(compile(src, f"{path.name}[cell {i}]", "exec"), namespace)
        except Exception as exc:  # noqa: BLE001 - name the cell that failed
            pytest.fail(f"{path.name} cell {i} failed: {type(exc).__name__}: {exc}\n{src}")
    plt.close("all")

"""The analyst notebooks run top to bottom under a real Jupyter kernel on the tiny world.

Each notebook is executed by ``nbclient`` in a fresh ``python3`` kernel (ipykernel, pinned), with
``DUALCARBON_WAREHOUSE`` pointing at the tiny marts and ``NOTEBOOK_DRAWS`` small (the notebooks default
to the studies' 500 / 1,000 draws). ``MPLBACKEND`` is removed so the kernel uses the inline backend,
as in Jupyter, and every notebook must show at least one figure. The executed copies are written to
the test's temporary folder (``<name>.executed.ipynb``) for inspection.
"""
from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_there_are_at_least_three_notebooks():
    assert len(NOTEBOOKS) >= 3


def test_notebooks_are_committed_without_outputs():
    import nbformat

    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        nbformat.validate(book)
        dirty = [i for i, c in enumerate(book.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
        assert not dirty, f"{path.name}: cells {dirty} carry outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_a_kernel(path, tiny_marts, monkeypatch, tmp_path):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    monkeypatch.setenv("DUALCARBON_WAREHOUSE", str(tiny_marts))
    monkeypatch.setenv("NOTEBOOK_DRAWS", "30")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(book, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name}: {exc}")
    finally:
        nbformat.write(book, tmp_path / f"{path.stem}.executed.ipynb")
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if o.output_type in ("display_data", "execute_result") and "image/png" in o.get("data", {})]
    assert images, f"{path.name}: no figure was shown"

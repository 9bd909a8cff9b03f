"""The notebooks in notebooks/ run top to bottom without error, and are committed without outputs."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_four_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb", "02_compare_models.ipynb",
                                           "03_sweeps_and_sensitivity.ipynb", "04_measures.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path):
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    assert book.metadata["kernelspec"]["name"] == "python3"
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}: outputs were committed; clear them (in Jupyter: Edit > Clear Outputs of All Cells) "
                "and save")
    assert any(cell.cell_type == "markdown" for cell in book.cells)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom(path: Path, tmp_path: Path):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    book = nbformat.read(path, as_version=4)
    client = NotebookClient(book, timeout=300, kernel_name="python3",  # ipykernel of this environment
                            resources={"metadata": {"path": str(path.parent)}})  # run in notebooks/, as Jupyter does
    try:
        client.execute(env={**os.environ, "TMPDIR": str(tmp_path)})  # the notebooks' temp folders land here
    except CellExecutionError as exc:  # the message holds the cell and its traceback
        pytest.fail(f"{path.name} failed:\n{exc}")
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    images = sum("image/png" in o.get("data", {}) for c in book.cells if c.cell_type == "code" for o in c.outputs)
    assert images >= 1, f"{path.name} drew no figure"

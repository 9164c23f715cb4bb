"""The self-check cell that the templates end with, run in a real Jupyter kernel."""

from __future__ import annotations

import nbformat
import pytest

import graders.assignments
from student_templates.build import self_check_cells
from tests import numpy_basics_totals

nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")


@pytest.mark.slow
def test_self_check_cell_shows_the_report_once_with_cells_numbered_as_jupyter_shows_them(tmp_path):
    reference = graders.assignments.get("numpy_basics").reference.read_text(encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata["dlgrade"] = {"assignment": "numpy_basics"}
    nb.cells = [nbformat.v4.new_code_cell(reference),
                nbformat.v4.new_code_cell("x = 1\nraise ValueError('a top-level slip')"),
                self_check_cells("numpy_basics", hidden=0)[1]]
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[2].outputs
    assert [o.output_type for o in outputs] == ["display_data"]  # no repr of a report under it
    html, text = outputs[0].data["text/html"], outputs[0].data["text/plain"]
    assert 'class="dlgrade-report"' in html and f"Score: {numpy_basics_totals()[1]} / {numpy_basics_totals()[1]}" in text
    assert "<cell 2> raised ValueError: a top-level slip" in text
    assert "<cell 2>, line 2, in <module>" in text
    assert "hidden" not in text.lower()  # numpy_basics has none
    assert len(html) < 200_000 and sorted(p.name for p in tmp_path.iterdir()) == []

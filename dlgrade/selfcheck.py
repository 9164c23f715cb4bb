"""A student's self-check from inside a notebook (the template's last cell).

`check_notebook("numpy_basics")` collects the code the student has run in this
kernel (IPython's input history, in execution order), writes it to a temporary file
and grades it exactly as the autograder would, in the same sandbox, but with the
visible checks only. It says plainly that hidden checks were not run. In a Jupyter kernel
the report is shown as HTML (the same feedback, with the pictures checks attach); anywhere
else it is printed as text.
"""

from __future__ import annotations

import tempfile
from pathlib import Path


def _executed_cells() -> list[str]:
    try:
        from IPython import get_ipython
    except ImportError:
        return []
    shell = get_ipython()
    if shell is None:
        return []
    history = shell.user_ns.get("In", [])
    return [cell for cell in history[1:] if cell and "check_notebook(" not in cell]


def check_notebook(assignment: str, path: str | None = None, *, show: bool = True):
    """Run the visible checks of `assignment` on this notebook's code (or on `path`).

    Returns the report; when `show` is true, displays it (HTML in Jupyter, else printed text)
    with a line saying that hidden checks were not run.
    """
    from graders import assignments
    from graders.engine.runner import grade
    from graders.engine.source import strip_ipython
    from graders.reports.text import escape_controls, render_text

    target = assignments.get(assignment)
    with tempfile.TemporaryDirectory(prefix="dlgrade-selfcheck-") as tmp:
        if path is None:
            cells = _executed_cells()
            if not cells:
                raise RuntimeError("no executed cells found: run this from a Jupyter notebook, "
                                   "or pass path='my_submission.py'")
            notes: list[str] = []
            code = "\n\n".join(strip_ipython(c, i, notes) or "" for i, c in enumerate(cells, 1))
            path = str(Path(tmp) / "notebook_cells.py")
            Path(path).write_text(code, encoding="utf-8")
        report = grade(path, target, include_hidden=False)
    if show:
        text = escape_controls(render_text(report) + "\n" + HIDDEN_NOTE)  # (the student's output inside)
        if not _display_in_notebook(report, text):
            print(text)
    return report


HIDDEN_NOTE = "Only the visible checks were run; hidden checks run when you submit."


def _display_in_notebook(report, text: str) -> bool:
    """Show the report as HTML (with its pictures) in a Jupyter kernel; False elsewhere.

    The display carries the text too, so a terminal IPython shows the same text report.
    """
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return False
    from graders.reports.html import render_fragment

    display({"text/html": render_fragment(report, note=HIDDEN_NOTE), "text/plain": text}, raw=True)
    return True

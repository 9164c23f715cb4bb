"""A student's self-check from inside a notebook (the template's last cell).

`check_notebook("numpy_basics")` collects the code the student has run in this
kernel (IPython's input history, in execution order), writes it to a temporary notebook
and grades it exactly as the autograder would, in the same sandbox, but with the
visible checks only. Cell `[k]` of the kernel's history becomes code cell k of that
notebook, so a traceback says `<cell 12>, line 3` for the cell Jupyter marks `[12]:`,
in the same form as `dlgrade check` on a saved notebook. The report says how many hidden
checks were not run (nothing when the assignment has none). In a Jupyter kernel the report
is shown once as HTML (the same feedback, with the pictures checks attach); anywhere else
it is printed as text. When it shows the report, it returns None, so that Jupyter prints
nothing more under it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

NOTEBOOK_SUBMISSION = "this notebook (the cells run in this kernel)"


def _executed_cells() -> list[str]:
    """The kernel's input history indexed by execution count (index 0 unused), with the
    self-check's own cells blanked; [] outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return []
    shell = get_ipython()
    if shell is None:
        return []
    history = ["" if not cell or "check_notebook(" in cell else cell
               for cell in shell.user_ns.get("In", [])]
    return history if any(history[1:]) else []


def history_notebook(history: list[str], assignment: str):
    """A notebook whose code cell k is `history[k]` (k >= 1): the cell numbers a traceback
    gives are the execution counts Jupyter shows beside the cells."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["dlgrade"] = {"assignment": assignment}
    nb.cells = [nbformat.v4.new_code_cell(cell) for cell in history[1:]]
    return nb


def check_notebook(assignment: str, path: str | None = None, *, show: bool = True, course: str | None = None):
    """Run the visible checks of `assignment` on this notebook's code (or on `path`).

    show: display the report (HTML in Jupyter, else printed text) and return None, so that
    nothing more is printed under it; show=False displays nothing and returns the report.
    course: the course folder the assignment comes from (default: DLGRADE_COURSE), for an
    assignment of an instructor's own course (graders.courses).
    """
    import nbformat

    from graders.courses import catalog, course_from_environment
    from graders.engine.runner import grade
    from graders.sandbox.environment import isolation_from_environment

    target = catalog(course_from_environment(course)).get(assignment)
    with tempfile.TemporaryDirectory(prefix="dlgrade-selfcheck-") as tmp:
        submission = None
        if path is None:
            history = _executed_cells()
            if not history:
                raise RuntimeError("no executed cells found: run this from a Jupyter notebook, "
                                   "or pass path='my_submission.py'")
            path = str(Path(tmp) / "notebook.ipynb")
            nbformat.write(history_notebook(history, assignment), path)
            submission = NOTEBOOK_SUBMISSION
        report = grade(path, target, include_hidden=False, isolation=isolation_from_environment())
    if submission:
        report.submission = submission
    if not show:
        return report
    show_report(report)
    return None


def hidden_note(report) -> str | None:
    """When the hidden checks run (the report already gives their number); None without any."""
    if not report.hidden_not_run:
        return None
    return "Hidden checks run when you submit."


def show_report(report) -> None:
    """Display the report once: HTML in a Jupyter kernel, printed text elsewhere."""
    from graders.reports.text import escape_controls, render_text

    note = hidden_note(report)
    text = escape_controls(render_text(report) + (f"{note}\n" if note else ""))
    if not _display_in_notebook(report, text, note):
        print(text, end="")


def _display_in_notebook(report, text: str, note: str | None) -> bool:
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

    display({"text/html": render_fragment(report, note=note), "text/plain": text}, raw=True)
    return True

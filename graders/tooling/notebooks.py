"""`dlgrade build`: a course's student notebooks, written from its references.

One code path for every course: `student_templates.build.build_notebook` turns a reference
module into its notebook (each `### BEGIN SOLUTION` ... `### END SOLUTION` block replaced by
its `# TODO` hints and `raise NotImplementedError`, the assignment id in the notebook's
metadata for the self-check and the command line). This module picks the assignments of a
course, counts their hidden checks, and writes or checks the files.
"""

from __future__ import annotations

from pathlib import Path

COURSE_CONTRACT_NOTE = ("The names, signatures, shapes and conventions this notebook asks for are in "
                        "the description above each function: keep them exactly, the grader calls "
                        "your functions by these names.")


class NotebookError(ValueError):
    """A reference that cannot become a notebook (a solution block never closed, a syntax
    error): the message names the file."""


def course_ids(found, course: Path | None) -> list[str]:
    """The assignments `dlgrade build` writes by default: those the course folder defines
    (the bundled course's when no folder is given)."""
    from graders.courses import BUNDLED_FOLDER

    folder = Path(course).resolve() if course is not None else BUNDLED_FOLDER
    return [aid for aid in found.ids() if found.owner(aid).folder == folder]


def notebook_text(found, assignment_id: str, *, bundled: bool) -> str:
    """The notebook of one assignment of the catalog `found`, as the text written to disk."""
    from student_templates.build import build_notebook, render

    assignment = found.get(assignment_id)
    hidden = sum(1 for c in assignment.all_checks() if c.visibility.value != "visible")
    try:
        notebook = build_notebook(assignment_id, Path(assignment.reference), hidden=hidden,
                                  contract_note=None if bundled else COURSE_CONTRACT_NOTE)
    except (SyntaxError, ValueError, OSError) as exc:
        raise NotebookError(f"{assignment.reference}: cannot build its notebook: {exc}") from None
    return render(notebook)


def build_notebooks(found, ids: list[str], out: Path, *, bundled: bool = False,
                    check: bool = False) -> tuple[list[Path], list[Path]]:
    """Write (or, with check, compare) `out/<id>.ipynb` for each id: (written, stale). A
    notebook is stale when it is missing or differs from what its reference builds."""
    written, stale = [], []
    for assignment_id in ids:
        text = notebook_text(found, assignment_id, bundled=bundled)
        path = Path(out) / f"{assignment_id}.ipynb"
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written, stale

"""Which file of a student's submission folder to grade, when it holds several.

Shared by the front doors that receive a folder per student (Gradescope, PrairieLearn,
`dlgrade batch`). A student's upload may hold their notebook beside a blank copy of the template, a notebook
of another assignment, or an old `.py` export. Each candidate (a `.ipynb` or `.py` file,
hidden folders and `.ipynb_checkpoints` left out) is ranked by, in order:

1. its assignment: a notebook whose dlgrade metadata names another assignment comes last;
2. its work: a notebook whose code cells are all the template's own (nothing filled in)
   comes after any file with work in it;
3. its kind: a notebook before a `.py` file;
4. its name: `<assignment>.ipynb` (or `.py`) first, then the shallowest, then by name.

Without an assignment only 3 and 4 apply (no file's name is preferred). Files are read as
data (nbformat, through `read_submission`); nothing is run here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SUFFIXES = (".ipynb", ".py")  # in order of preference
IGNORED = {"__MACOSX", "__pycache__", ".ipynb_checkpoints"}
MAX_LISTED = 10  # ignored files named in the output


def is_ignored(name: str) -> bool:
    """A hidden entry, or a folder that tools (macOS archives, Python, Jupyter) leave behind."""
    return name.startswith(".") or name in IGNORED


@dataclass(frozen=True)
class Choice:
    """The file to grade and the others, each with why it was not graded (paths relative to
    the submission folder)."""

    path: Path
    ignored: list[tuple[str, str]] = field(default_factory=list)
    # the chosen file as `read_submission` read it while choosing, so that the grade does not
    # read it again; None when choosing did not need to read it
    source: object = field(default=None, compare=False, repr=False)


def _normalise(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


def template_code(assignment: str, reference: Path | None = None) -> frozenset[str]:
    """The code cells of the assignment's template notebook (built from `reference`, by default
    the bundled assignment's), normalised."""
    from graders import assignments
    from student_templates.build import build_notebook

    nb = build_notebook(assignment, reference or assignments.get(assignment).reference)
    return frozenset(_normalise(c.source) for c in nb.cells if c.cell_type == "code")


class TemplateCode:
    """The template's code cells of one assignment, built on first need and then kept: one per
    choice, or one for a whole batch of students."""

    def __init__(self, assignment: str, reference: Path | None = None):
        self.assignment = assignment
        self.reference = reference  # a course assignment's reference; None: the bundled one's
        self._code: frozenset[str] | None = None

    def __call__(self) -> frozenset[str]:
        if self._code is None:
            try:
                self._code = template_code(self.assignment, self.reference)
            except Exception:  # no template to compare with: only an empty notebook is blank
                self._code = frozenset()
        return self._code


def _describe(path: Path, assignment: str | None, template: TemplateCode | None) -> tuple[bool, bool, str, object]:
    """(for another assignment, no work in it, why it would be passed over, the file as read
    or None)."""
    from graders.engine.source import read_submission

    if path.suffix.lower() != ".ipynb":
        return False, False, "a .py file; a notebook is graded first", None
    if assignment is None or template is None:
        return False, False, "another notebook", None
    source = read_submission(path)
    if source.assignment and source.assignment != assignment:
        return True, False, f"a notebook of another assignment ({source.assignment})", source
    code = [_normalise(c) for _, c in source.cells if _normalise(c)]
    if not source.problems and set(code) <= template():
        return False, True, "the template with nothing filled in", source
    return False, False, "another notebook", source


def choose(folder: Path, assignment: str | None, template: TemplateCode | None = None) -> Choice | None:
    """The file of `folder` to grade for `assignment`, and why the others were not; None
    when there is no candidate. `template`: the assignment's template code, when the caller
    chooses for many folders (built here otherwise, only if a notebook needs it)."""
    ranked, sources = [], {}
    if assignment is not None and template is None:
        template = TemplateCode(assignment)
    if folder.is_dir():
        for path in folder.rglob("*"):
            rel = path.relative_to(folder)
            if any(is_ignored(p) for p in rel.parts) or not path.is_file() or path.is_symlink():
                continue
            suffix = path.suffix.lower()
            if suffix not in SUFFIXES:
                continue
            other, blank, why, source = _describe(path, assignment, template)
            key = (other, blank, SUFFIXES.index(suffix), path.stem != assignment, len(rel.parts),
                   str(rel).lower())
            ranked.append((key, rel.as_posix(), why, path))
            sources[path] = source
    if not ranked:
        return None
    ranked.sort()
    chosen = ranked[0][-1]
    return Choice(chosen, [(rel, why) for _, rel, why, _ in ranked[1:]], sources[chosen])


def files_found(folder: Path, limit: int = 20) -> list[str]:
    """The first `limit` files of `folder` (relative, sorted): what to name when none is gradable."""
    if not folder.is_dir():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())[:limit]


def choice_note(choice: Choice, graded_name: str) -> str:
    """The line results.json's output starts with: the file graded, and the others."""
    note = f"Graded: {graded_name}."
    if choice.ignored:
        shown = [f"{rel} ({why})" for rel, why in choice.ignored[:MAX_LISTED]]
        more = len(choice.ignored) - len(shown)
        note += " Not graded: " + "; ".join(shown) + (f"; and {more} more" if more > 0 else "") + "."
    return note

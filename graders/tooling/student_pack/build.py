"""Writing a student pack: the notebook and a self-check that carries no solution.

    OUT/
      README.md                   how to install it and run the self-check
      wheels/                     with --with-engine: the dlgrade-engine wheel it needs
      pyproject.toml              the distribution dlgrade-selfcheck-<id> (needs dlgrade's engine)
      <id>.ipynb                  the student notebook; its last cell runs the pack's self-check
      dlgrade_selfcheck_<id>/
        __init__.py               check_notebook(), load_assignment(), HIDDEN_CHECKS (a count)
        pack.json                 what was packed: the visible checks, those the pack cannot replay
        assignment/               the assignment's modules the checks import, imports rewritten
          _reference/<ref>.py     the stand-in reference: answers from the recording beside it
          _reference/<ref>.json   the recorded calls (graders.engine.recorded)
          _reference/<ref>.npz    their arrays

Trained checks draw their seeds and held-out rows from a course secret: the pack has its own,
random, made by the build and used by both the recording and the self-check, so their
questions to the reference agree, while the course secret of the graded run stays unknown.
A visible check whose calls cannot be recorded (an argument or a result that is not plain
data) is left out of the pack, by name, and counted among the checks only the autograder
runs. The recording comes from grading the reference, each known slip of the assignment
(`slips.py`: MUTANTS and UNUSUAL) and the reference with its float results scaled by 1.5,
with the visible checks, so the paths a check takes when a submission is wrong are recorded
too. An assignment whose carried modules ask nothing of the reference or of a recorded module
(the PyTorch assignments, beam_search) is recorded not at all: no stand-in, no slip graded
(graders.tooling.student_pack.unrecorded). Built, the pack is scanned (graders.tooling.
student_pack.leaks) and loaded here to grade the reference: any leak, or any visible check
whose verdict on the reference differs from the full grader's, fails the build.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from graders.engine.assignment import Assignment
from graders.engine.checks import Kind, Visibility
from graders.tooling.student_pack import answers as answer_keys
from graders.tooling.student_pack.course_part import course_part
from graders.tooling.student_pack.leaks import scan
from graders.tooling.student_pack.recorder import package_of, record_grades
from graders.tooling.student_pack.sources import STANDIN_PACKAGE, PackError, carried_sources
from graders.tooling.student_pack.standin import (install_command, pack_init_source, pyproject_source,
                                                  readme_source, standin_source)
from graders.tooling.student_pack.unrecorded import (engine_requirement, grade_reference, imported_reference,
                                                     records_nothing, reference_import_name, task_files,
                                                     torch_requirement)

REPO = Path(__file__).resolve().parents[3]


@dataclass
class PackSummary:
    folder: Path
    package: str
    visible: list[str]
    hidden: int
    not_replayable: dict[str, list[str]] = field(default_factory=dict)
    zip_path: Path | None = None
    install: str = ""  # the command a student runs in the pack's folder
    notebook: Path | None = None  # None: no template notebook was found to put in the pack


def pack_package(assignment_id: str) -> str:
    return f"dlgrade_selfcheck_{assignment_id}"


def slip_submissions(slips, reference: Path, folder: Path) -> list[Path]:
    """The slips (MUTANTS and UNUSUAL) written out as submissions in `folder`."""
    if slips is None:
        return []
    source = reference.read_text(encoding="utf-8")
    paths = []
    for mutant in [*getattr(slips, "MUTANTS", ()), *getattr(slips, "UNUSUAL", ())]:
        path = folder / f"{len(paths):03d}_{mutant.name}.py"
        path.write_text(mutant.apply(source), encoding="utf-8")
        paths.append(path)
    return paths


# Appended to the reference: every contract function's float results times 1.5. Graded and
# recorded, it takes every check down its failure path (a gradient check's per-entry
# localisation evaluates the forward function at the same fixed points for any wrong gradient).
SCALED_OUTPUTS = '''

def _scaled_outputs(function):
    import functools

    import numpy

    def scale(value):
        if isinstance(value, numpy.ndarray) and value.dtype.kind == "f" or type(value) is float:
            return value * 1.5
        if isinstance(value, tuple):
            return tuple(scale(v) for v in value)
        if isinstance(value, dict):
            return {k: scale(v) for k, v in value.items()}
        return value

    @functools.wraps(function)
    def scaled(*args, **kwargs):
        return scale(function(*args, **kwargs))
    return scaled


for _name in CONTRACT_NAMES:
    if callable(globals().get(_name)) and not isinstance(globals()[_name], type):
        globals()[_name] = _scaled_outputs(globals()[_name])
'''


def scaled_submission(assignment: Assignment, folder: Path) -> Path:
    """The reference with every contract function's float results scaled by 1.5."""
    path = folder / "scaled_outputs.py"
    path.write_text(Path(assignment.reference).read_text(encoding="utf-8")
                    + SCALED_OUTPUTS.replace("CONTRACT_NAMES", repr(tuple(assignment.contract))),
                    encoding="utf-8")
    return path


def checked_out(out: Path) -> Path:
    """`out`, refused when it holds anything but a previous pack (the build replaces it)."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                              and not any(out.glob("dlgrade_selfcheck_*/pack.json")))):
        raise PackError(f"{out} exists and is not a student pack: give --out a new folder")
    return out


def refuse_unpackable(assignment: Assignment) -> None:
    """Answer checks compare a student's formula with the answer itself, at points that depend
    on the formula: no recording of the reference can stand in for the answer key, so they pack
    only with a sealed key (graders.tooling.student_pack.answers: an `answer_key.py`). A hidden
    trained check's threshold and data would travel with the assignment's data files."""
    checks = assignment.all_checks()
    hidden_trained = [c.name for c in checks if c.visibility is not Visibility.VISIBLE and c.kind is Kind.THRESHOLD]
    if hidden_trained:
        raise PackError(f"{assignment.id}: it has hidden trained checks, whose thresholds and data the pack would "
                        "carry with the visible ones'; student-pack does not pack such an assignment")
    visible = [c for c in checks if c.visibility is Visibility.VISIBLE]
    answers = [c.name for c in visible if c.kind is Kind.SYMBOLIC]
    if answers and not answer_keys.is_answer_assignment(package_of(assignment)):
        raise PackError(f"{assignment.id}: its visible answer checks ({answers[0]!r} and {len(answers) - 1} more) "
                        "judge an answer against an answer key that is not an `answer_key.py` module the pack can seal "
                        "(graders.tooling.student_pack.answers), so a self-check would carry the answers; "
                        "student-pack does not pack such an assignment")


def build_student_pack(assignment: Assignment, out: Path, *, slips=None, template: Path | None = None,
                       make_zip: bool = False, with_engine: bool = False, course=()) -> PackSummary:
    """Write the pack of `assignment` into the folder `out` (replaced if it exists).

    template: the student notebook (default: student_templates/<id>.ipynb of this checkout).
    slips: the assignment's slips module, whose MUTANTS and UNUSUAL are recorded too.
    with_engine: put the dlgrade-engine wheel into `out/wheels` (graders.tooling.engine_dist).
    course: the courses that override or extend the assignment, [(Course, AssignmentOverrides)]
        (`Catalog.extensions`): the pack grades as they do (graders.tooling.student_pack.course_part).
    """
    out = checked_out(Path(out))
    package = package_of(assignment)
    folder = Path(sys.modules[package].__file__).resolve().parent
    reference = reference_import_name(assignment, package, folder)
    sources = carried_sources(folder, package, reference, extra=task_files(assignment, folder))
    part = course_part(assignment, course, package, reference, sources.files) if course else None
    graded = part.graded if part else assignment
    refuse_unpackable(graded)
    checks = graded.all_checks()
    visible = [c.name for c in checks if c.visibility is Visibility.VISIBLE]
    hidden = [c.name for c in checks if c.visibility is not Visibility.VISIBLE]
    answers = answer_keys.seal_answer_key(assignment.id, package, sources, hidden)  # {} without answer checks
    secret = secrets.token_hex(32)  # the self-check's own, not the course secret
    if records_nothing(sources) and not part:  # no stand-in: the reference's grade is all the build needs
        books, reports = [], [grade_reference(graded, secret.encode())]
    else:
        imported_reference(assignment, reference)  # the recording swaps it, imported or not by now
        with tempfile.TemporaryDirectory(prefix="dlgrade-pack-") as tmp:
            submissions = ([Path(assignment.reference)]
                           + slip_submissions(slips, Path(assignment.reference), Path(tmp))
                           + [scaled_submission(assignment, Path(tmp))])
            books, reports = record_grades(graded, submissions, constants=sorted(sources.imported_names),
                                          secret=secret.encode(), also=part.packages if part else ())
    name = pack_package(assignment.id)
    if out.exists():
        shutil.rmtree(out)  # a previous pack (checked_out made sure)
    target = out / name / "assignment"
    for relative, text in sources.files.items():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        (target / relative).write_text(text, encoding="utf-8")
    for data in folder.rglob("*"):  # data the checks read: manifests, thresholds, shipped arrays
        if data.is_file() and data.suffix in (".toml", ".json", ".npz") and "__pycache__" not in data.parts:
            (target / data.relative_to(folder)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(data, target / data.relative_to(folder))
    if part:
        write_course_part(part, target)
    standin = target / STANDIN_PACKAGE
    if books:
        standin.mkdir(parents=True, exist_ok=True)
        (standin / "__init__.py").write_text('"""The stand-ins of the reference module and of the recorded modules '
                                             '(recorded answers)."""\n', encoding="utf-8")
    reasons_of = {}
    for book in books:  # the reference's, then each recorded module's the carried code imports
        leaf = book.module.rpartition(".")[2]
        wanted = sources.imports_reference if book is books[0] else leaf in sources.recorded_modules
        if not wanted:
            continue
        (standin / f"{leaf}.py").write_text(standin_source(book.module), encoding="utf-8")
        book.recording().save(standin / leaf)
        for check, reasons in book.problems.items():
            reasons_of.setdefault(check, set()).update(reasons)
    not_replayable = {check: sorted(reasons) for check, reasons in reasons_of.items()}
    left_out = [c for c in visible if c in not_replayable]
    summary = PackSummary(out, name, [c for c in visible if c not in left_out], len(hidden), not_replayable)
    (out / name / "__init__.py").write_text(pack_init_source(
        assignment, len(hidden), left_out, secret, packed=summary.visible,
        source="assignment._course" if part else "assignment"), encoding="utf-8")
    (out / name / "pack.json").write_text(json.dumps(
        {"assignment": assignment.id, "visible_checks": summary.visible, "hidden_checks": len(hidden),
         "full_grader_only": not_replayable}, indent=1), encoding="utf-8")
    torch = torch_requirement(assignment)
    (out / "pyproject.toml").write_text(pyproject_source(assignment, name, torch, engine_requirement(sources)),
                                        encoding="utf-8")
    (out / "README.md").write_text(readme_source(assignment, name, with_engine, torch), encoding="utf-8")
    notebook = template or REPO / "student_templates" / f"{assignment.id}.ipynb"
    if notebook.is_file():
        summary.notebook = out / f"{assignment.id}.ipynb"
        summary.notebook.write_text(pack_notebook(notebook, name), encoding="utf-8")
    given = template_code(notebook) if notebook.is_file() else ""
    leaks = scan(out, Path(assignment.reference).read_text(encoding="utf-8"), hidden, given, answers,
                 public=assignment.contract)
    if leaks:
        shutil.rmtree(out)
        listed = "; ".join(f"{leak.file}: {leak.what}" for leak in leaks[:10])
        raise PackError(f"{assignment.id}: the pack would leak ({len(leaks)} found): {listed}. Nothing was written.")
    verify_reference(summary, graded, reports[0])
    if with_engine:
        from graders.tooling.engine_dist import build_engine_dist

        build_engine_dist(out / "wheels")
    summary.install = install_command(with_engine, torch)
    if make_zip:
        summary.zip_path = Path(shutil.make_archive(str(out), "zip", root_dir=out))
    return summary


def write_course_part(part, target: Path) -> None:
    """The course's overrides and extra checks, into the pack's assignment package `target`."""
    for relative, text in part.files.items():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        (target / relative).write_text(text, encoding="utf-8")
    for relative, data in part.copies.items():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data, target / relative)


def pack_notebook(template: Path, package: str) -> str:
    """The template with its self-check cell calling the pack's own `check_notebook()`."""
    import nbformat

    nb = nbformat.read(template, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "check_notebook(" in cell.source:
            cell.source = ("# Self-check: runs the visible checks of this assignment on the functions defined above,\n"
                           "# in a sandbox, and shows the same feedback the autograder gives. (The grader skips this "
                           "cell.)\n"
                           f"from {package} import check_notebook\n\ncheck_notebook()")
    return nbformat.writes(nb)


def template_code(template: Path) -> str:
    """The code cells of the template: code the student is given."""
    import nbformat

    nb = nbformat.read(template, as_version=4)
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")


def verify_reference(summary: PackSummary, assignment: Assignment, full) -> None:
    """The reference passed every visible check while recorded (`full`), and graded with the
    pack just built, gets the same verdicts."""
    from graders.engine.runner import grade
    from graders.tooling.student_pack.loading import load_pack

    pack = load_pack(summary.folder)
    report = grade(str(assignment.reference), pack.load_assignment(), include_hidden=False,
                   secret=pack.SELF_CHECK_SECRET.encode())
    failing = [t.name for t in full.tests if not t.passed]
    if failing:
        shutil.rmtree(summary.folder)
        raise PackError(f"{assignment.id}: the reference fails {len(failing)} visible check(s) while it is recorded, "
                        f"e.g. {failing[0]!r}; the grader's log says why. Nothing was written.")
    expected = {t.name: (t.status, t.score) for t in full.tests if t.name in summary.visible}
    got = {t.name: (t.status, t.score) for t in report.tests}
    differ = [name for name in expected if got.get(name) != expected[name]]
    if differ:
        shutil.rmtree(summary.folder)
        raise PackError(f"{assignment.id}: graded with the pack, the reference does not get the full grader's "
                        f"verdicts on {len(differ)} check(s), e.g. {differ[0]!r}. Nothing was written.")

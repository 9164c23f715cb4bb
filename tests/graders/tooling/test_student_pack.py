"""`dlgrade student-pack`: the pack holds no reference code and no hidden check, and its
self-check grades as the full grader's visible checks do."""

import json
import uuid

import nbformat
import numpy as np
import pytest

from dlgrade.cli import main
from graders import assignments
from graders.engine.runner import grade
from graders.tooling.student_pack.build import build_student_pack
from graders.tooling.student_pack.leaks import scan
from graders.tooling.student_pack.loading import load_pack
from graders.tooling.student_pack.sources import PackError

from .tiny_course import REFERENCE, write_tiny_course


@pytest.fixture(scope="module")
def numpy_basics_pack(tmp_path_factory):
    out = tmp_path_factory.mktemp("packs") / "numpy_basics"
    return build_student_pack(assignments.get("numpy_basics"), out)


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path / "src"))

    def make(hidden=False, slip_code=None):
        return write_tiny_course(tmp_path / "src", f"tiny_{uuid.uuid4().hex[:12]}", hidden=hidden,
                                 slip_code=slip_code)
    return make


def test_the_pack_holds_the_notebook_checks_and_recording_but_no_reference_or_slips(numpy_basics_pack):
    out = numpy_basics_pack.folder
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    package = "dlgrade_selfcheck_numpy_basics"
    assert {"README.md", "pyproject.toml", "numpy_basics.ipynb", f"{package}/__init__.py",
            f"{package}/assignment/checks.py", f"{package}/assignment/_reference/numpy_basics.py",
            f"{package}/assignment/_reference/numpy_basics.npz"} <= files
    assert not any(name.endswith(("slips.py", "calibrate.py")) or "/reference/" in name for name in files)
    reference = assignments.get("numpy_basics").reference.read_text(encoding="utf-8")
    assert scan(out, reference, []) == []
    assert "np.maximum(z, 0.0)" not in (out / package / "assignment" / "_reference" / "numpy_basics.py").read_text()


def test_the_notebooks_self_check_cell_runs_the_packs_own_check(numpy_basics_pack):
    nb = nbformat.read(numpy_basics_pack.folder / "numpy_basics.ipynb", as_version=4)
    last = [c for c in nb.cells if c.cell_type == "code"][-1].source
    assert "from dlgrade_selfcheck_numpy_basics import check_notebook" in last and "check_notebook()" in last
    assert nb.metadata["dlgrade"]["assignment"] == "numpy_basics"


def test_the_packs_self_check_gives_the_reference_full_marks(numpy_basics_pack):
    pack = load_pack(numpy_basics_pack.folder)
    reference = str(assignments.get("numpy_basics").reference)
    report = pack.check_notebook(reference, show=False)
    assert report.score == report.max_score > 0
    assert [t.name for t in report.tests] == numpy_basics_pack.visible
    assert report.hidden_not_run == 0


def test_a_wrong_gradient_no_slip_names_is_localised_from_the_recording(numpy_basics_pack, tmp_path):
    # the recording holds the grade of the reference with scaled outputs: every gradient check's
    # per-entry localisation evaluates the forward function at the same points for any slip
    submission = tmp_path / "wrong.py"
    submission.write_text(assignments.get("numpy_basics").reference.read_text().replace(
        "t = np.tanh(z)  # t = tanh(z)", "t = np.tanh(z) * 0.5"))
    report = load_pack(numpy_basics_pack.folder).check_notebook(str(submission), show=False)
    failed = {t.name: t.output for t in report.tests if not t.passed}
    assert "Per-entry check" in failed["tanh_backward: gradient check"]
    assert not any("needs the full grader" in output for output in failed.values())


def test_a_question_about_the_submissions_own_output_needs_the_full_grader(tiny, tmp_path):
    assignment = tiny()
    build_student_pack(assignment, tmp_path / "pack")
    submission = tmp_path / "wrong.py"
    submission.write_text(REFERENCE.replace("return np.multiply(x, 2.0)", "return 1.0 + np.multiply(x, 2.0)"))
    report = load_pack(tmp_path / "pack").check_notebook(str(submission), show=False)
    outputs = {t.name: t.output for t in report.tests}
    assert [t.status for t in report.tests if t.name.startswith("double")] == ["failed", "failed"]
    assert outputs["double: twice"].startswith("This check needs the full grader: your code led it to ask "
                                               "the reference's `double`")
    assert "needs the full grader" not in outputs["double: values"]


def test_a_course_assignment_with_its_reference_inside_is_packed_from_recorded_calls(tiny, tmp_path):
    assignment = tiny()
    summary = build_student_pack(assignment, tmp_path / "pack")
    standins = [p for p in (tmp_path / "pack").rglob("reference.py")]
    assert [p.parent.name for p in standins] == ["_reference"]  # the stand-in, by the reference's name
    assert "np.multiply" not in standins[0].read_text() and "def double" not in standins[0].read_text()
    assert scan(tmp_path / "pack", REFERENCE, []) == []
    # `total` is checked against the reference called on a set: not plain data, so that
    # check is left to the autograder, by name, and counted as not run
    assert summary.visible == ["double: values", "double: twice", "scale_: in place"]
    assert "total: value" in summary.not_replayable
    pack = load_pack(tmp_path / "pack")
    report = grade(str(assignment.reference), pack.load_assignment(), include_hidden=False)
    assert [(t.name, t.status) for t in report.tests] == [("double: values", "passed"),
                                                         ("double: twice", "passed"),
                                                         ("scale_: in place", "passed")]
    assert pack.HIDDEN_CHECKS == 1
    manifest = json.loads((tmp_path / "pack" / summary.package / "pack.json").read_text())
    assert manifest["full_grader_only"] == {"total: value": ["`total` is called with a set"]}


def test_an_in_place_reference_call_is_replayed_into_the_callers_array(tiny, tmp_path):
    assignment = tiny()
    build_student_pack(assignment, tmp_path / "pack")
    pack = load_pack(tmp_path / "pack")
    submission = tmp_path / "wrong.py"
    submission.write_text(REFERENCE.replace("np.multiply(x, factor, out=x)", "np.multiply(x, factor + 1, out=x)"))
    full = grade(str(submission), assignment, include_hidden=False, select=lambda n: n.startswith("scale_"))
    packed = grade(str(submission), pack.load_assignment(), include_hidden=False)
    assert [t.status for t in full.tests] == ["failed"]
    assert [(t.name, t.status) for t in packed.tests if t.name.startswith("scale_")] == [("scale_: in place",
                                                                                         "failed")]
    assert "needs the full grader" not in packed.tests[-1].output


def test_a_hidden_check_in_the_carried_code_fails_the_build_and_writes_nothing(tiny, tmp_path):
    assignment = tiny(hidden=True)
    with pytest.raises(PackError, match="secret_corner_case_of_double"):
        build_student_pack(assignment, tmp_path / "pack")
    assert not (tmp_path / "pack").exists()


def test_the_scan_finds_a_reference_body_and_a_hidden_name_wherever_they_are(tmp_path):
    (tmp_path / "notes.txt").write_text("x = 1\nreturn np.multiply(x, 2.0) + np.zeros_like(x) * np.sum(x)\n")
    (tmp_path / "more.json").write_text(json.dumps({"name": "double: secret_corner_case_of_double"}))
    leaks = scan(tmp_path, REFERENCE, ["double: secret_corner_case_of_double"])
    assert {(leak.file, leak.what) for leak in leaks} == {("notes.txt", "the reference's solution at line 6"),
                                                          ("more.json", "the hidden check "
                                                                        "'double: secret_corner_case_of_double'")}


def test_the_scan_passes_code_the_template_gives_and_single_lines_of_a_solution(tmp_path):
    (tmp_path / "checks.py").write_text("expected = np.multiply(x, factor, out=x)\n")
    assert scan(tmp_path, REFERENCE, []) == []
    (tmp_path / "given.py").write_text("np.multiply(x, factor, out=x)\nreturn None\n")
    assert [leak.file for leak in scan(tmp_path, REFERENCE, [])] == ["given.py"]
    assert scan(tmp_path, REFERENCE, [], given="np.multiply(x, factor, out=x)\n    return None") == []


def test_checks_that_carry_part_of_the_solution_to_name_slips_are_refused(tiny, tmp_path):
    assignment = tiny(slip_code="checks")
    with pytest.raises(PackError, match=r"would leak .*checks\.py: the reference's solution at line 6"):
        build_student_pack(assignment, tmp_path / "pack")
    assert not (tmp_path / "pack").exists()


def test_solution_code_in_a_recorded_module_is_answered_from_the_recording_not_carried(tiny, tmp_path):
    assignment = tiny(slip_code="recorded")
    summary = build_student_pack(assignment, tmp_path / "pack")
    files = {p.relative_to(tmp_path / "pack").as_posix() for p in (tmp_path / "pack").rglob("*.py")}
    assert f"{summary.package}/assignment/_reference/reference_slips.py" in files
    assert f"{summary.package}/assignment/reference_slips.py" not in files
    assert "from ._reference.reference_slips import double_plus_one" in (
        tmp_path / "pack" / summary.package / "assignment" / "checks.py").read_text()
    assert scan(tmp_path / "pack", REFERENCE, []) == []
    submission = tmp_path / "slip.py"
    submission.write_text(REFERENCE.replace("return np.multiply(x, 2.0) +", "return 1.0 + np.multiply(x, 2.0) +"))
    pack = load_pack(tmp_path / "pack")
    full = grade(str(submission), assignment, include_hidden=False, select=lambda n: n == "double: slips named")
    packed = grade(str(submission), pack.load_assignment(), include_hidden=False,
                   select=lambda n: n == "double: slips named", secret=pack.SELF_CHECK_SECRET.encode())
    assert [(t.status, t.output) for t in packed.tests] == [(t.status, t.output) for t in full.tests]
    assert "one too many" in packed.tests[0].output


@pytest.mark.slow
@pytest.mark.parametrize("assignment_id", ["lstm_gru_numpy", "char_rnn_numpy", "activity_recognition"])
def test_assignments_whose_slip_formulas_are_recorded_modules_carry_no_solution(assignment_id, tmp_path):
    """Their checks compute known wrong backward passes from a copy of the right one, in
    `reference_slips.py`: the carried modules import its stand-in, and the scan finds nothing."""
    summary = build_student_pack(assignments.get(assignment_id), tmp_path / "pack")
    assert not list((tmp_path / "pack").rglob("assignment/reference_slips.py"))
    assert list((tmp_path / "pack").rglob("_reference/reference_slips.json"))
    reference = assignments.get(assignment_id).reference.read_text(encoding="utf-8")
    assert scan(summary.folder, reference, []) == []


def test_an_out_folder_that_is_not_a_pack_is_never_replaced(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(PackError, match="not a student pack"):
        build_student_pack(assignments.get("numpy_basics"), tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_the_command_writes_the_pack_and_says_how_students_install_it(tmp_path, capsys):
    assert main(["student-pack", "numpy_basics", "--out", str(tmp_path / "p"), "--no-slips", "--zip"]) == 0
    printed = capsys.readouterr().out
    assert "pip install" in printed and (tmp_path / "p.zip").is_file()
    assert main(["student-pack", "no_such_assignment", "--out", str(tmp_path / "n")]) == 2


def test_recorded_answers_are_float64_arrays_as_the_reference_gave_them(numpy_basics_pack):
    archive = numpy_basics_pack.folder / numpy_basics_pack.package / "assignment" / "_reference" / "numpy_basics.npz"
    with np.load(archive, allow_pickle=False) as arrays:
        assert arrays.files and all(arrays[k].dtype != object for k in arrays.files)

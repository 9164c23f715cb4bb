"""Which file of a submission folder is graded (Gradescope, PrairieLearn, batch): this assignment's
notebook with work in it."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

import graders.assignments
from graders.submission_choice import MAX_LISTED, Choice, TemplateCode, choice_note, choose
from student_templates.build import build_notebook, render

REFERENCE = graders.assignments.get("numpy_basics").reference


def _work(path: Path, assignment: str = "numpy_basics", code: str | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["dlgrade"] = {"assignment": assignment}
    nb.cells = [nbformat.v4.new_code_cell(REFERENCE.read_text() if code is None else code)]
    path.write_text(nbformat.writes(nb))
    return path


def _template(path: Path) -> Path:
    path.write_text(render(build_notebook("numpy_basics", REFERENCE)))
    return path


def test_a_notebook_with_work_beats_a_blank_template_copy_whatever_their_names(tmp_path):
    _template(tmp_path / "blank_copy.ipynb")
    _template(tmp_path / "numpy_basics.ipynb")
    work = _work(tmp_path / "hw1.ipynb")
    choice = choose(tmp_path, "numpy_basics")
    assert choice.path == work
    assert sorted(choice.ignored) == [("blank_copy.ipynb", "the template with nothing filled in"),
                                      ("numpy_basics.ipynb", "the template with nothing filled in")]


def test_a_template_that_was_run_but_not_filled_in_is_still_blank(tmp_path):
    nb = build_notebook("numpy_basics", REFERENCE)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="hello")]
    (tmp_path / "a_run_template.ipynb").write_text(nbformat.writes(nb))
    work = _work(tmp_path / "z_mine.ipynb", code="def relu(z):\n    return z * (z > 0)")
    assert choose(tmp_path, "numpy_basics").path == work


def test_a_notebook_of_another_assignment_comes_last(tmp_path):
    _work(tmp_path / "numpy_basics.ipynb", assignment="vae_torch")
    work = _work(tmp_path / "z.py", code="")
    (tmp_path / "z.py").write_text("def relu(z):\n    return z\n")
    choice = choose(tmp_path, "numpy_basics")
    assert choice.path == work
    assert choice.ignored == [("numpy_basics.ipynb", "a notebook of another assignment (vae_torch)")]


def test_among_notebooks_with_work_the_assignments_name_then_the_shallowest_wins(tmp_path):
    (tmp_path / "sub").mkdir()
    _work(tmp_path / "a.ipynb")
    named = _work(tmp_path / "sub" / "numpy_basics.ipynb")
    assert choose(tmp_path, "numpy_basics").path == named
    named.unlink()
    assert choose(tmp_path, "numpy_basics").path == tmp_path / "a.ipynb"


def test_nothing_to_grade_is_none(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    assert choose(tmp_path, "numpy_basics") is None
    assert choose(tmp_path / "missing", "numpy_basics") is None


def test_the_note_names_the_graded_file_and_each_ignored_one_with_why():
    choice = Choice(Path("hw1.ipynb"), [("blank.ipynb", "the template with nothing filled in")])
    assert choice_note(choice, "hw1.ipynb") == (
        "Graded: hw1.ipynb. Not graded: blank.ipynb (the template with nothing filled in).")
    assert choice_note(Choice(Path("hw1.ipynb")), "hw1.ipynb") == "Graded: hw1.ipynb."


@pytest.mark.parametrize("extra", [1, 5])
def test_the_note_lists_at_most_a_few_ignored_files(extra):
    ignored = [(f"f{i}.py", "why") for i in range(MAX_LISTED + extra)]
    note = choice_note(Choice(Path("hw1.ipynb"), ignored), "hw1.ipynb")
    assert note.count("(why)") == MAX_LISTED and note.endswith(f"; and {extra} more.")


def test_without_an_assignment_a_notebook_then_the_shallowest_then_the_name_wins(tmp_path):
    _template(tmp_path / "a_blank.ipynb")
    _work(tmp_path / "z.ipynb")
    (tmp_path / "b.py").write_text("x = 1\n")
    assert choose(tmp_path, None).path == tmp_path / "a_blank.ipynb"


def test_one_template_serves_many_choices_and_is_built_once(tmp_path, monkeypatch):
    import graders.submission_choice as submission_choice

    built = []
    real = submission_choice.template_code
    monkeypatch.setattr(submission_choice, "template_code", lambda a, r=None: built.append(a) or real(a, r))
    template = TemplateCode("numpy_basics")
    for student in ("alice", "bob"):
        (tmp_path / student).mkdir()
        _template(tmp_path / student / "blank.ipynb")
        work = _work(tmp_path / student / "work.ipynb")
        assert choose(tmp_path / student, "numpy_basics", template).path == work
    assert built == ["numpy_basics"]


def test_an_assignment_without_a_template_treats_only_empty_notebooks_as_blank(tmp_path, monkeypatch):
    import graders.submission_choice as submission_choice

    def no_template(assignment, reference=None):
        raise KeyError(assignment)

    monkeypatch.setattr(submission_choice, "template_code", no_template)
    _work(tmp_path / "numpy_basics.ipynb", code="")
    work = _work(tmp_path / "z.ipynb", code="def relu(z):\n    return z")
    assert choose(tmp_path, "numpy_basics").path == work


def test_the_chosen_notebook_comes_with_the_source_read_while_choosing(tmp_path):
    work = _work(tmp_path / "hw1.ipynb")
    _template(tmp_path / "blank.ipynb")
    choice = choose(tmp_path, "numpy_basics")
    assert choice.path == work and choice.source is not None and choice.source.path == str(work)
    assert choose(tmp_path, None).source is None  # nothing was read to choose

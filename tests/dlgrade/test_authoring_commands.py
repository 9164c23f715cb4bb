"""`dlgrade new` and `dlgrade build` from the command line: what they write, what they print,
and their exit status (2 for a usage error, never a traceback)."""

from __future__ import annotations

import pytest

from dlgrade.cli import main


def test_new_writes_an_assignment_and_says_what_to_run_next(tmp_path, capsys):
    course = tmp_path / "my_course"
    assert main(["new", "affine_layer", "--course", str(course)]) == 0
    out = capsys.readouterr().out
    assert (course / "affine_layer" / "slips.py").is_file()
    assert f"dlgrade build affine_layer --course {course}" in out
    assert f"dlgrade verify affine_layer --course {course}" in out


def test_new_reads_the_course_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DLGRADE_COURSE", str(tmp_path / "my_course"))
    assert main(["new", "affine_layer"]) == 0
    assert (tmp_path / "my_course" / "affine_layer" / "reference.py").is_file()


@pytest.mark.parametrize("argv, message", [
    (["new", "affine_layer"], "needs --course"),
    (["new", "numpy_basics", "--course", "{course}"], "already exists"),
    (["new", "2layer", "--course", "{course}"], "not a valid assignment id"),
])
def test_new_usage_errors(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DLGRADE_COURSE", raising=False)
    argv = [a.format(course=tmp_path / "my_course") for a in argv]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_new_refuses_to_overwrite(tmp_path, capsys):
    course = tmp_path / "my_course"
    assert main(["new", "affine_layer", "--course", str(course)]) == 0
    assert main(["new", "affine_layer", "--course", str(course)]) == 2
    assert "never overwrites" in capsys.readouterr().err


def test_build_writes_the_course_notebooks_and_check_finds_them_current(tmp_path, capsys):
    course = tmp_path / "my_course"
    assert main(["new", "affine_layer", "--course", str(course)]) == 0
    assert main(["build", "--course", str(course)]) == 0
    assert (course / "notebooks" / "affine_layer.ipynb").is_file()
    assert main(["build", "--course", str(course), "--check"]) == 0
    (course / "affine_layer" / "reference.py").write_text(
        (course / "affine_layer" / "reference.py").read_text(encoding="utf-8").replace("An affine layer", "A layer"),
        encoding="utf-8")
    assert main(["build", "--course", str(course), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err


def test_build_writes_only_the_ids_asked_for_into_out(tmp_path):
    course = tmp_path / "my_course"
    for aid in ("first_layer", "second_layer"):
        assert main(["new", aid, "--course", str(course)]) == 0
    assert main(["build", "second_layer", "--course", str(course), "--out", str(tmp_path / "out")]) == 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["second_layer.ipynb"]


def test_build_refuses_an_assignment_the_course_does_not_define(tmp_path, capsys):
    course = tmp_path / "my_course"
    assert main(["new", "affine_layer", "--course", str(course)]) == 0
    assert main(["build", "numpy_basics", "--course", str(course)]) == 2
    assert "its assignments: affine_layer" in capsys.readouterr().err


def test_build_of_the_bundled_course_matches_student_templates(capsys):
    assert main(["build", "numpy_basics", "--check"]) == 0


def test_build_of_a_reference_with_an_unclosed_solution_block_is_a_clear_error(tmp_path, capsys):
    course = tmp_path / "my_course"
    assert main(["new", "affine_layer", "--course", str(course)]) == 0
    reference = course / "affine_layer" / "reference.py"
    reference.write_text(reference.read_text(encoding="utf-8").replace("    ### END SOLUTION\n", "", 1),
                         encoding="utf-8")
    assert main(["build", "--course", str(course)]) == 2
    err = capsys.readouterr().err
    assert "reference.py: cannot build its notebook" in err and "END SOLUTION" in err

"""The example course (examples/batchnorm_course/): its grader proven against its slips.

- the reference gets full marks;
- each buggy mutant of its slips.py fails the checks it names, and its feedback says the
  named slip where `says` is given;
- each unusual-but-correct variant gets full marks;
- every check is named by some mutant (a check that cannot fail is a defect);
- its committed notebook is what `dlgrade build` writes from the reference;
- automatic mutants of its reference are killed above 90%.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from dlgrade.cli import main
from graders.courses import catalog
from graders.engine.runner import grade

REPO = Path(__file__).resolve().parents[2]
COURSE = REPO / "examples" / "batchnorm_course"
ASSIGNMENT_ID = "batchnorm_dropout"


@functools.lru_cache(maxsize=None)
def assignment():
    return catalog(COURSE).get(ASSIGNMENT_ID)


def slips():
    return catalog(COURSE).slips(ASSIGNMENT_ID)


def write_edit(mutant, directory: Path) -> str:
    source = Path(assignment().reference).read_text(encoding="utf-8")
    path = directory / f"{mutant.name}.py"
    path.write_text(mutant.apply(source), encoding="utf-8")
    return str(path)


def test_reference_gets_full_marks():
    report = grade(str(assignment().reference), assignment())
    failed = {t.name: t.output for t in report.tests if not t.passed}
    assert not failed, failed
    assert report.score == report.max_score > 0


@pytest.mark.parametrize("mutant", slips().MUTANTS, ids=lambda m: m.name)
def test_buggy_submission_is_caught_by_the_checks_it_names(mutant, tmp_path):
    assert mutant.catches, f"{mutant.name} names no check that catches it"
    report = grade(write_edit(mutant, tmp_path), assignment(),
                   select=lambda name: any(name.startswith(p) for p in mutant.catches))
    failed = [t for t in report.tests if not t.passed]
    for i, prefix in enumerate(mutant.catches):
        hits = [t for t in failed if t.name.startswith(prefix)]
        assert hits, f"{prefix!r} did not fail; failed: {[t.name for t in failed]}"
        if i == 0:
            for word in mutant.says:
                assert word in hits[0].output, (word, hits[0].output)


@pytest.mark.parametrize("mutant", slips().UNUSUAL, ids=lambda m: m.name)
def test_unusual_but_correct_submission_gets_full_marks(mutant, tmp_path):
    report = grade(write_edit(mutant, tmp_path), assignment())
    failed = {t.name: t.output for t in report.tests if not t.passed}
    assert not failed, failed


def test_every_check_is_named_by_some_mutant():
    named = {prefix for m in slips().MUTANTS for prefix in m.catches}
    unnamed = [c.name for c in assignment().all_checks() if not any(c.name.startswith(p) for p in named)]
    assert not unnamed


def test_committed_notebook_is_what_build_writes(tmp_path):
    assert main(["build", "--course", str(COURSE), "--check"]) == 0
    assert main(["build", ASSIGNMENT_ID, "--course", str(COURSE), "--out", str(tmp_path)]) == 0
    built = (tmp_path / f"{ASSIGNMENT_ID}.ipynb").read_text(encoding="utf-8")
    assert built == (COURSE / "notebooks" / f"{ASSIGNMENT_ID}.ipynb").read_text(encoding="utf-8")
    assert '"assignment": "batchnorm_dropout"' in built
    assert "### BEGIN SOLUTION" not in built and "raise NotImplementedError" in built


def test_the_template_notebook_gets_no_marks_and_a_valid_report():
    report = grade(str(COURSE / "notebooks" / f"{ASSIGNMENT_ID}.ipynb"), assignment())
    assert report.tests and report.score == 0


def test_a_gradescope_bundle_of_the_course_grades_the_reference_with_full_marks(tmp_path):
    import nbformat

    from graders.gradescope.bundle import build_bundle
    from tests.graders.gradescope.test_bundle import _autograder, _run, assert_gradescope_schema

    bundle = build_bundle(ASSIGNMENT_ID, tmp_path / "batchnorm_dropout_autograder.zip", course=COURSE)
    root = _autograder(tmp_path / "run", bundle)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["dlgrade"] = {"assignment": ASSIGNMENT_ID}
    notebook.cells = [nbformat.v4.new_code_cell(Path(assignment().reference).read_text(encoding="utf-8"))]
    (root / "submission" / "batchnorm_dropout.ipynb").write_text(nbformat.writes(notebook), encoding="utf-8")
    data = _run(root)
    assert_gradescope_schema(data)
    assert len(data["tests"]) == len(assignment().all_checks())
    assert all(t["score"] == t["max_score"] > 0 for t in data["tests"]), data["tests"]


def test_automatic_mutants_of_the_example_are_killed_above_ninety_percent(capsys):
    """The first 30 of the automatic mutants `verify --auto 100` grades (the same seed keeps
    them first): at least 90% of the non-equivalent ones are killed (all 100: the slow test of
    tests/test_authoring_guide.py)."""
    code = main(["verify", ASSIGNMENT_ID, "--course", str(COURSE), "--auto", "30", "--min-kill-rate", "0.9"])
    assert code == 0, capsys.readouterr().out

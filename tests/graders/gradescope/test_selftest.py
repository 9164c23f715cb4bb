"""The bundle's self-test: its own run_autograder grades the reference (full marks) and an empty
submission (a valid results.json that scores nothing), and anything else stops the command
before it says "upload"."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import graders.gradescope.bundle as bundle_module
from dlgrade.cli import main
from graders import assignments
from graders.gradescope.bundle import build_bundle
from graders.gradescope.selftest import BundleSelfTestFailed, results_problems, self_test_bundle
from tests.tiny_course import ASSIGNMENT_ID, write_tiny_course

REFERENCE = assignments.get("numpy_basics").reference
CHECKS = "dlgrade_src/graders/assignments/numpy_basics/checks.py"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return build_bundle("numpy_basics", tmp_path_factory.mktemp("bundle") / "numpy_basics.zip", secret=b"s")


def _without(bundle: Path, name: str, out: Path) -> Path:
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info, src.read(info))
    return out


def test_the_reference_gets_full_marks_and_an_empty_submission_nothing(bundle):
    result = self_test_bundle(bundle, REFERENCE)
    assert result.checks > 10 and result.reference_score == result.max_score > 0 and result.empty_score == 0


def test_a_bundle_that_lacks_a_module_fails_its_self_test(bundle, tmp_path):
    broken = _without(bundle, CHECKS, tmp_path / "broken.zip")
    with pytest.raises(BundleSelfTestFailed, match="The autograder failed"):
        self_test_bundle(broken, REFERENCE)


def test_a_reference_without_full_marks_fails_the_self_test_and_names_the_failed_checks(bundle, tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text(REFERENCE.read_text(encoding="utf-8").replace("return np.maximum(z, 0.0)", "return z"),
                     encoding="utf-8")
    assert wrong.read_text(encoding="utf-8") != REFERENCE.read_text(encoding="utf-8")
    with pytest.raises(BundleSelfTestFailed, match=r"(?s)expected full marks.*- relu: "):
        self_test_bundle(bundle, wrong)


def test_results_problems_name_what_is_missing():
    assert results_problems({"score": 1.0, "tests": [{"name": "f: x", "score": 1, "max_score": 1}]}) == []
    assert results_problems([]) == ["results.json is not a JSON object"]
    assert results_problems({"score": float("nan"), "tests": [{"name": "f: x"}]}) == [
        "score is nan, not a number", "test 0 lacks a name, a score or a max_score"]


def test_cli_says_upload_only_after_the_self_test_passes(bundle, tmp_path, monkeypatch, capsys):
    def broken_build(assignment, out, **kwargs):
        return _without(bundle, CHECKS, Path(out))

    monkeypatch.setattr(bundle_module, "build_bundle", broken_build)
    assert main(["gradescope-bundle", "-a", "numpy_basics", "--out", str(tmp_path / "b.zip")]) == 1
    out, err = capsys.readouterr()
    assert "upload it" not in out and "failed its self-test, do not upload it" in err


def test_cli_reports_what_cannot_be_resolved_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DLGRADE_COURSE", raising=False)
    course = write_tiny_course(tmp_path / "course")
    checks = course / ASSIGNMENT_ID / "checks.py"
    checks.write_text(checks.read_text(encoding="utf-8") + "from .helpers_gone import helper\n", encoding="utf-8")
    out_zip = tmp_path / "b.zip"
    assert main(["gradescope-bundle", "-a", ASSIGNMENT_ID, "--course", str(course), "--out", str(out_zip)]) == 1
    out, err = capsys.readouterr()
    assert "upload" not in out and f"cannot build the bundle of {ASSIGNMENT_ID}" in err
    assert "helpers_gone, which is in neither dlgrade's source nor the course" in err and "Traceback" not in err
    assert not out_zip.exists()

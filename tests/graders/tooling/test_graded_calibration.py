"""Calibrating by grading (graders.tooling.graded_calibration): a course's own trained check,
with no calibrate module, is calibrated by grading its reference over course-secret draws and
its unusual variants; its thresholds.json goes into the assignment's own folder, and then the
reference passes, an untrained submission fails and `dlgrade verify` passes.

The course is `dlgrade new --kind trained`'s: a linear regression trained by gradient descent,
its held-out MSE computed by the grader on predictions returned from a fresh sandbox."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from dlgrade.cli import main
from graders.courses import catalog
from graders.engine.runner import grade
from graders.engine.trained_checks import GRADED_RUNS, N_DRAWS, TrainedCheck, TrainedGroup
from graders.tooling.graded_calibration import MeasuredCheck, declared_keys, measured
from graders.tooling.scaffold import scaffold

ID = "linreg"
TRAINED_CHECK = "train: held-out MSE of the trained model"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course with the trained scaffold, calibrated once by `dlgrade calibrate --write`."""
    folder = tmp_path_factory.mktemp("calibrated") / "course"
    scaffold(ID, folder, kind="trained")
    assert main(["calibrate", ID, "--course", str(folder), "--write"]) == 0
    return folder


def grade_source(course: Path, source: str, tmp_path: Path):
    path = tmp_path / "submission.py"
    path.write_text(source, encoding="utf-8")
    return grade(str(path), catalog(course).get(ID))


def test_calibrate_writes_thresholds_json_into_the_course_assignments_own_folder(course):
    tables = json.loads((course / ID / "thresholds.json").read_text(encoding="utf-8"))
    entry = tables["synthetic"]["held_out_mse"]
    assert entry["seeds"] == list(range(N_DRAWS)) and len(entry["reference_values"]) == N_DRAWS
    assert list(entry["variation"]) == ["unusual variant train_gradient_as_a_mean_of_rows"]
    threshold = {c.name: c for c in catalog(course).get(ID).all_checks()}[TRAINED_CHECK].threshold
    t = threshold.for_dataset("synthetic")
    assert t.bound == pytest.approx(max(entry["reference_values"] + list(entry["variation"][
        "unusual variant train_gradient_as_a_mean_of_rows"].values())) * 1.5)
    assert all(t.passes(v) for v in t.reference_values)


def test_the_reference_passes_the_calibrated_check_and_an_untrained_submission_fails(course, tmp_path):
    reference = (course / ID / "reference.py").read_text(encoding="utf-8")
    report = grade_source(course, reference, tmp_path)
    assert report.score == report.max_score, [t.output for t in report.tests if not t.passed]
    untrained = reference.replace("    for _ in range(epochs):", "    for _ in range(0):")
    failed = {t.name: t for t in grade_source(course, untrained, tmp_path).tests if not t.passed}
    assert list(failed) == [TRAINED_CHECK]
    assert "held-out MSE" in failed[TRAINED_CHECK].output


def test_verify_passes_on_the_calibrated_course(course, capsys):
    assert main(["verify", ID, "--course", str(course)]) == 0
    assert f"verify {ID}: OK" in capsys.readouterr().out


def test_before_calibration_the_trained_check_fails_naming_the_command(tmp_path):
    scaffold(ID, tmp_path / "course", kind="trained")
    reference = (tmp_path / "course" / ID / "reference.py").read_text(encoding="utf-8")
    failed = {t.name: t.output for t in grade_source(tmp_path / "course", reference, tmp_path).tests if not t.passed}
    assert list(failed) == [TRAINED_CHECK]
    assert f"dlgrade calibrate {ID} --dataset synthetic --write" in failed[TRAINED_CHECK]


def test_a_stale_thresholds_json_is_named_with_what_to_do(course, tmp_path, capsys):
    import shutil

    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    path = copy / ID / "thresholds.py"
    path.write_text(path.read_text(encoding="utf-8").replace('"epochs": 200', '"epochs": 150'), encoding="utf-8")
    assert main(["calibrate", ID, "--course", str(copy)]) == 2
    err = capsys.readouterr().err
    assert "not the declared" in err and "delete the stale thresholds.json" in err


def test_a_measured_declaration_records_what_the_check_compares_and_passes_it():
    declaration = TrainedCheck(assignment="a", key="k", metric="m", higher_is_better=False, margin=0.1,
                               cpu_budget_s=1.0, settings={"*": {"epochs": 3}}, runs=GRADED_RUNS)
    seen = []
    threshold = measured(declaration, lambda *record: seen.append(record)).for_dataset("digits")
    assert threshold.passes(1e9) and threshold.settings == {"epochs": 3} and math.isinf(threshold.bound)
    assert seen == [("k", "digits", 1e9)]
    group = TrainedGroup((declaration, replace(declaration, key="j")))
    assert declared_keys(group) == ["k", "j"] and declared_keys(declaration) == ["k"] and declared_keys(None) == []
    assert isinstance(measured(declaration, print), MeasuredCheck)


OWN_CALIBRATE = '''"""A calibrate module of the course's own: it measures the reference its own way."""

from graders.authoring import calibrate_threshold


def calibrate(checks, dataset_spec=None, n_draws=None, verbose=True):
    return {c.key: calibrate_threshold(c.metric, {i: 0.01 + 0.001 * i for i in range(5)},
                                       higher_is_better=c.higher_is_better, margin=c.margin,
                                       cpu_budget_s=c.cpu_budget_s, settings=c.settings_for("synthetic"),
                                       dataset="synthetic")
            for c in checks}
'''


def test_a_course_assignments_own_calibrate_module_is_used_when_it_has_one(tmp_path):
    course = tmp_path / "course"
    scaffold(ID, course, kind="trained")
    (course / ID / "calibrate.py").write_text(OWN_CALIBRATE, encoding="utf-8")
    assert main(["calibrate", ID, "--course", str(course), "--write"]) == 0
    entry = json.loads((course / ID / "thresholds.json").read_text(encoding="utf-8"))["synthetic"]["held_out_mse"]
    assert entry["reference_values"] == pytest.approx([0.01, 0.011, 0.012, 0.013, 0.014])
    assert entry["bound"] == pytest.approx(0.014 * 1.5) and "variation" not in entry

"""The activity_recognition grader beyond the mutants: its check list, its tasks, its problems
and named slips, its data option, and grades of partly-correct submissions (the sandbox is
real).

The reference and every mutant are graded in tests/graders/test_mutants.py.
"""

from __future__ import annotations

import ast
import functools
import types
from pathlib import Path

import numpy as np
import pytest

from graders import assignments
from graders.assignments.activity_recognition import checks, problems, reference_slips, tasks, thresholds
from graders.assignments.activity_recognition.calibrate import VARIATION_DRAWS, VARIATIONS, calibration_seeds
from graders.assignments.activity_recognition.thresholds import evaluate
from graders.engine.checks import Kind
from reference.numpy import activity_recognition as ref
from tests.graders.assignments.task_files import top_level_imports
from tests.mutants import grade_selected

ASSIGNMENT = assignments.get("activity_recognition")
_grade = functools.partial(grade_selected, ASSIGNMENT)  # (path, prefix)


# ------------------------------------------------------------------ the check list


def test_every_check_names_a_contract_function_and_every_kind_is_used():
    all_checks = ASSIGNMENT.all_checks()
    functions = {c.function for c in all_checks} - {"inputs"}
    assert functions == set(checks.CONTRACT)
    assert {Kind.VALUE, Kind.GRADIENT, Kind.PROPERTY, Kind.THRESHOLD} <= {c.kind for c in all_checks}
    gradient = [c.name for c in all_checks if c.kind is Kind.GRADIENT]
    assert len(gradient) == 3 * len(ref.CELLS)


def test_trained_checks_are_the_calibrated_ones_with_time_for_their_cpu_budget():
    trained = [c for c in ASSIGNMENT.all_checks() if c.kind is Kind.THRESHOLD]
    assert [c.name for c in trained] == [thresholds.CHECKS[cell] for cell in ref.CELLS]
    for c in trained:
        assert c.threshold.key == c.name  # graded against its declaration
        t = c.threshold.for_dataset(thresholds.DEFAULT_DATA)
        assert c.timeout_s >= 4 * t.cpu_budget_s
        assert len(t.seeds) >= 5 and t.settings == thresholds.SETTINGS
        assert 1 / 4 < t.bound < min(t.reference_values)   # above chance, below every reference draw
    assert ASSIGNMENT.limits.cpu_s >= 3 * 4 * max(c.cpu_budget_s for c in thresholds.TRAINED_CHECKS)


def test_trained_bounds_are_calibrated_over_the_harmless_variations_too():
    """Each bound holds, with its margin, for every variation run (a correct program whose
    arithmetic differs from the reference's only in rounding), as it does for every draw."""
    declared = thresholds.declared()
    for cell in ref.CELLS:
        t = declared[thresholds.CHECKS[cell]].for_dataset(thresholds.DEFAULT_DATA)
        assert list(t.variation) == [v.name for v in VARIATIONS]
        for by_seed in t.variation.values():
            assert tuple(by_seed) == tuple(sorted(calibration_seeds(cell, VARIATION_DRAWS)))
        every = [*t.reference_values, *(a for by_seed in t.variation.values() for a in by_seed.values())]
        assert t.bound == pytest.approx(min(every) * (1 - t.margin)) and t.bound < min(every)
        assert "harmless variations" in t.describe()


def _variant(name_part: str):
    (variation,) = [v for v in VARIATIONS if name_part in v.name]
    return variation


@pytest.mark.parametrize("cell", ref.CELLS)
def test_the_re_associated_sum_changes_the_bias_gradients_in_rounding_only(cell):
    variant = _variant("re-associated").module("activity_recognition")
    params, X, y = problems.problem(np.random.default_rng(0), cell)
    _, right = ref.loss_and_grads(params, X, y, cell)
    _, varied = variant.loss_and_grads(params, X, y, cell)
    for k in right:
        np.testing.assert_allclose(varied[k], right[k], rtol=1e-12, atol=1e-15)
    changed = {k for k in right if not np.array_equal(varied[k], right[k])}
    assert changed and all(k.startswith("b") for k in changed)


def test_the_other_momentum_order_changes_the_update_in_rounding_only():
    variant = _variant("another update order").module("activity_recognition")
    rng = np.random.default_rng(0)
    grads = [{k: rng.standard_normal(200) for k in "ab"} for _ in range(3)]
    start = {k: rng.standard_normal(200) for k in "ab"}
    right, varied = {k: a.copy() for k, a in start.items()}, {k: a.copy() for k, a in start.items()}
    right_velocity, varied_velocity = {}, {}
    for g in grads:
        ref.momentum_update(right, g, right_velocity, 0.005, 0.9)
        variant.momentum_update(varied, g, varied_velocity, 0.005, 0.9)
    for k in start:
        np.testing.assert_allclose(varied[k], right[k], rtol=1e-13, atol=1e-15)
        np.testing.assert_array_equal(varied_velocity[k], right_velocity[k])
    assert any(not np.array_equal(varied[k], right[k]) for k in start)
    assert _variant("perturbed").perturb == 1e-12 and not _variant("perturbed").edits


def test_reference_runs_are_recorded_for_the_pictures():
    runs = thresholds.reference_runs()[thresholds.DEFAULT_DATA]
    for cell in ref.CELLS:
        assert np.asarray(runs[cell]["confusion"]).shape == (4, 4)
        assert len(runs[cell]["history"]) == thresholds.SETTINGS["epochs"]


def test_calibration_seeds_are_secret_draws_per_check():
    seeds = calibration_seeds("rnn", 5)
    assert len(set(seeds)) == 5 and seeds != calibration_seeds("gru", 5)


def test_the_tasks_file_is_registered_and_imports_only_stdlib_and_numpy():
    assert ASSIGNMENT.tasks == (Path(tasks.__file__),)
    imported = top_level_imports(ast.parse(Path(tasks.__file__).read_text(encoding="utf-8")))
    assert imported <= {"time", "numpy"}


def test_train_task_returns_what_train_returned_and_its_cpu_time():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 4, 2)), rng.integers(0, 3, 6)
    out = tasks.task_train_timed(types.SimpleNamespace(train=ref.train), X=X, y=y, cell="gru", n_hidden=3,
                                 dense_dims=[4], n_classes=3, lr=0.1, momentum=0.9, epochs=2, batch_size=4,
                                 train_seed=3)
    params, history = out["result"]
    expected, expected_history = ref.train(X, y, "gru", 3, [4], 3, 0.1, 0.9, 2, 4, 3)
    assert history == expected_history and out["cpu_s"] >= 0.0
    for k in expected:
        np.testing.assert_array_equal(params[k], expected[k])


def test_momentum_task_keeps_the_original_arrays():
    def rebinding(params, grads, velocity, lr, momentum):
        for k in params:
            params[k] = params[k] - lr * grads[k]

    p = {"a": np.ones(2)}
    g = [{"a": np.ones(2)}, {"a": np.ones(2)}]
    out = tasks.task_momentum_two_steps(types.SimpleNamespace(momentum_update=rebinding), params=p, grads=g,
                                        lr=0.5, momentum=0.9)
    np.testing.assert_array_equal(out["arrays"][1]["a"], [1.0, 1.0])      # never changed in place
    np.testing.assert_array_equal(out["entries"][1]["a"], [0.0, 0.0])
    assert out["velocity"][1] == {} and out["returned"] == [None, None]


# ------------------------------------------------------------------ problems and named slips


@pytest.mark.parametrize("cell", ref.CELLS)
@pytest.mark.parametrize("seed", range(4))
def test_problems_keep_away_from_relu_kink_and_give_every_input_weight_a_gradient(cell, seed):
    params, X, y = problems.problem(np.random.default_rng(seed), cell, early_only=True)
    assert np.abs(problems.hidden_preactivations(params, X, cell)).min() > problems.RELU_MARGIN
    assert not X[:, 2:].any() and X[:, :2].all()
    _, grads = ref.loss_and_grads(params, X, y, cell)
    assert all(np.abs(grads[k]).max() >= problems.GRADIENT_FLOOR for k in ref.CELL_KEYS[cell] if k.startswith("Wx"))
    assert len({problems.N, problems.D, problems.H, problems.K, *problems.DENSE}) == 5


@pytest.mark.parametrize("cell", ref.CELLS)
def test_named_slips_never_match_the_right_answer(cell):
    """A slip the feedback names must differ from the right answer, or a correct submission
    could be told it made it."""
    params, X, y = problems.problem(np.random.default_rng(1), cell)
    right_probs = ref.forward(params, X, cell)[0]
    for words, wrong in problems.forward_slips(params, X, cell).items():
        assert not np.allclose(wrong, right_probs, rtol=1e-6, atol=1e-9), words
    _, right = ref.loss_and_grads(params, X, y, cell)
    for key in ref.CELL_KEYS[cell]:
        for early in (False, True):
            for words, wrong in problems.gradient_slips(params, X, y, cell, key, early_only=early).items():
                assert not np.allclose(wrong, right[key], rtol=1e-5, atol=1e-8), (key, words)


@pytest.mark.parametrize("cell", ref.CELLS)
def test_last_step_gradients_through_every_step_are_the_reference(cell):
    params, X, y = problems.problem(np.random.default_rng(2), cell)
    full = reference_slips.grads_last_steps(params, X, y, cell, steps=problems.T)
    _, right = ref.loss_and_grads(params, X, y, cell)
    for k in right:
        np.testing.assert_allclose(full[k], right[k], rtol=1e-12, atol=1e-15)


def test_evaluate_counts_non_finite_rows_as_wrong():
    data = thresholds.grade_data()
    params = ref.init_params("rnn", 6, 3, [], 4, 0)
    accuracy, confusion = evaluate(params, data, "rnn")
    assert confusion.sum() == 40 and accuracy == np.trace(confusion) / 40
    params["W1"][:] = np.nan
    accuracy, confusion = evaluate(params, data, "rnn")
    assert accuracy == 0.0 and confusion.sum() == 0


# ------------------------------------------------------------------ the data option


def test_grade_data_is_standardised_with_training_statistics():
    d = thresholds.grade_data()
    np.testing.assert_allclose(d["X_train"].mean(axis=(0, 1)), 0.0, atol=1e-12)
    np.testing.assert_allclose(d["X_train"].std(axis=(0, 1)), 1.0, rtol=1e-12)
    assert abs(d["X_test"].mean(axis=(0, 1))).max() > 1e-3   # the test split is not re-centred
    assert d["name"] == "basic_motions" and d["labels"][0] == "Standing"


@pytest.mark.parametrize("spec, name", [("basic_motions", "basic_motions"), ("ts:/data/uea/Epilepsy", "ts:Epilepsy"),
                                        ("ts:rel/NATOPS/", "ts:NATOPS")])
def test_dataset_names(spec, name):
    assert thresholds.dataset_name(spec) == name


@pytest.mark.parametrize("spec", ["digits", "ts:", "mnist:/x"])
def test_other_data_specs_are_refused_with_the_forms_allowed(spec):
    with pytest.raises(ValueError, match="ts:PATH_PREFIX"):
        thresholds.dataset_name(spec)


def _small_ts(tmp_path) -> str:
    rng = np.random.default_rng(0)
    header = ("@problemName Small\n@dimensions 2\n@equalLength true\n@seriesLength 5\n@classLabel true a b\n@data\n")
    for split in ("TRAIN", "TEST"):
        rows = [":".join(",".join(f"{v:.3f}" for v in rng.standard_normal(5)) for _ in range(2)) + f":{'ab'[i % 2]}"
                for i in range(6)]
        (tmp_path / f"Small_{split}.ts").write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return f"ts:{tmp_path / 'Small'}"


def test_a_ts_data_set_without_calibration_is_not_graded_and_says_what_to_run(tmp_path):
    from graders.engine.runner import grade

    report = grade(str(ASSIGNMENT.reference), ASSIGNMENT, options={"data": _small_ts(tmp_path)},
                   select=lambda n: n == thresholds.CHECKS["rnn"], secret=b"test")
    (result,) = report.tests
    assert not result.passed and "dlgrade calibrate activity_recognition --dataset ts:" in result.output
    assert "'ts:Small'" in result.output


def test_a_malformed_ts_data_set_fails_the_trained_checks_with_the_reason(tmp_path):
    from graders.engine.runner import grade

    (tmp_path / "Bad_TRAIN.ts").write_text("@classLabel true a\n@data\n1,2:c\n", encoding="utf-8")
    (tmp_path / "Bad_TEST.ts").write_text("@classLabel true a\n@data\n1,2:a\n", encoding="utf-8")
    report = grade(str(ASSIGNMENT.reference), ASSIGNMENT, options={"data": f"ts:{tmp_path / 'Bad'}"},
                   select=lambda n: n == thresholds.CHECKS["gru"], secret=b"test")
    (result,) = report.tests
    assert not result.passed and "could not be loaded" in result.output and "line 3" in result.output


# ------------------------------------------------------------------ grades of partly-correct submissions


def test_a_submission_with_only_stubs_fails_with_not_implemented(tmp_path):
    from student_templates.build import strip_solutions

    path = tmp_path / "stub.py"
    path.write_text(strip_solutions(ASSIGNMENT.reference.read_text(encoding="utf-8")), encoding="utf-8")
    report = _grade(str(path), "forward: probabilities (rnn)")
    assert report.score == 0 and "NotImplementedError" in report.tests[0].output


def test_a_trained_check_attaches_the_confusion_matrix_and_loss_curve_to_the_html_report():
    from graders.engine.runner import grade
    from graders.reports.html import render_html

    report = grade(str(ASSIGNMENT.reference), ASSIGNMENT, select=lambda n: n == thresholds.CHECKS["rnn"])
    (result,) = report.tests
    assert result.passed, result.output
    titles = [p.title for p in result.pictures]
    assert titles == ["RNN: confusion matrix on the test split (rows: true class)", "RNN: training loss per epoch"]
    assert [p.kind for p in result.pictures] == ["confusion_matrices", "loss_curves"]  # data, drawn by the page
    page = render_html(report)
    assert page.count("data:image/png;base64,") == 2 and "RNN: training loss per epoch" in page


def test_predict_that_agrees_with_a_wrong_forward_is_not_failed_twice(tmp_path):
    from tests.mutants import write_edited
    from graders.assignments.activity_recognition.slips import MUTANTS

    (transposed,) = [m for m in MUTANTS if m.name == "forward_transposed_recurrent_weight"]
    path = write_edited("activity_recognition", tmp_path, transposed)
    report = _grade(path, "predict:")
    (result,) = report.tests
    assert result.passed and "rnn: your predict agrees with your forward" in result.output


def test_calibrating_a_ts_data_set_adds_its_entries_and_reference_runs(tmp_path, capsys):
    """The instructor's step for --dataset ts:PREFIX, into copies of thresholds.json and the runs."""
    import json
    import shutil

    from dlgrade.cli import main

    folder = Path(thresholds.__file__).parent
    shutil.copy(folder / "thresholds.json", tmp_path / "thresholds.json")
    shutil.copy(thresholds.REFERENCE_RUNS_PATH, tmp_path / "reference_runs.json")
    spec = _small_ts(tmp_path)
    assert main(["calibrate", "activity_recognition", "--dataset", spec, "--runs", "5", "--set", "epochs=3",
                 "--out", str(tmp_path / "thresholds.json")]) == 0
    assert "(ts:Small)" in capsys.readouterr().out
    written = json.loads((tmp_path / "thresholds.json").read_text(encoding="utf-8"))
    assert set(written) == {"basic_motions", "ts:Small"}
    assert written["basic_motions"] == json.loads((folder / "thresholds.json").read_text(encoding="utf-8"))[
        "basic_motions"]
    small = written["ts:Small"]
    assert set(small) == set(thresholds.CHECKS.values()) and all(len(t["seeds"]) == 5 for t in small.values())
    assert all(list(t["variation"]) == [v.name for v in VARIATIONS] for t in small.values())
    assert all(t["settings"] == {**thresholds.SETTINGS, "epochs": 3} for t in small.values())
    runs = json.loads((tmp_path / "reference_runs.json").read_text(encoding="utf-8"))
    assert set(runs) == {"basic_motions", "ts:Small"}
    assert np.asarray(runs["ts:Small"]["gru"]["confusion"]).shape == (2, 2)

"""The sequences_torch grader beyond the mutants: its check list, helpers, tasks, and grades of
slips the mutant harness does not hold (the sandbox is real where a grade is run).

The reference and every mutant are graded in tests/graders/test_mutants.py.
"""

from __future__ import annotations

import functools
import ast
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from dlgrade.data import load_shampoo
from graders import assignments
from graders.assignments.sequences_torch import checks, checks_char_lstm, checks_forecaster, tasks
from graders.assignments.sequences_torch.thresholds import (
    CELLS,
    CHAR_SETTINGS,
    CHECK_CHAR,
    CHECK_CHAR_STEPWISE,
    CHECK_FORECAST,
    CHECK_SAMPLE,
    PERSISTENCE_RMSE,
    SHAMPOO_SETTINGS,
    THRESHOLDS,
    sample_word_fraction,
    sample_words,
    training_words,
)
from graders.engine.checks import CheckFailed, Kind
from graders.engine.runner import grade
from reference.torch import sequences_torch as ref
from tests.graders.assignments.task_files import top_level_imports
from tests.mutants import Mutant, load_module_from_source, reference_path, write_edited

ASSIGNMENT = assignments.get("sequences_torch")
SOURCE = reference_path("sequences_torch").read_text(encoding="utf-8")
_submission = functools.partial(write_edited, "sequences_torch")  # (tmp_path, *edits, name=...)


def _module(*edits: Mutant):
    source = SOURCE
    for edit in edits:
        source = edit.apply(source)
    return load_module_from_source(source, "sequences_torch_submission")


# ------------------------------------------------------------------ the check list


def test_every_check_names_a_contract_function_and_the_trained_checks_are_calibrated():
    all_checks = ASSIGNMENT.all_checks()
    assert {c.function for c in all_checks} == set(checks.CONTRACT)
    assert {Kind.VALUE, Kind.PROPERTY, Kind.THRESHOLD} <= {c.kind for c in all_checks}
    trained = {c.name: c for c in all_checks if c.kind is Kind.THRESHOLD}
    assert set(trained) == {checks_char_lstm.CHECK_TRAINED, CHECK_SAMPLE} | set(CHECK_FORECAST.values())
    for name in set(CHECK_FORECAST.values()) | {CHECK_SAMPLE}:
        assert name in THRESHOLDS
    for c in trained.values():
        budget = THRESHOLDS.get(c.name, THRESHOLDS[CHECK_CHAR_STEPWISE]).cpu_budget_s
        assert c.timeout_s >= 2 * budget, c.name
    assert ASSIGNMENT.limits.cpu_s >= 4 * THRESHOLDS[CHECK_CHAR_STEPWISE].cpu_budget_s
    assert ASSIGNMENT.limits.memory_mb >= 4096 and ASSIGNMENT.preload == ("numpy", "torch")


def test_thresholds_use_the_settings_the_checks_use():
    for name in (CHECK_CHAR, CHECK_CHAR_STEPWISE, CHECK_SAMPLE):
        assert THRESHOLDS[name].settings == CHAR_SETTINGS
    for cell in CELLS:
        t = THRESHOLDS[CHECK_FORECAST[cell]]
        assert t.settings == {**SHAMPOO_SETTINGS, "cell": cell}
        assert t.settings["pipeline"] == "task"  # the Forecaster is judged alone
        assert t.bound < PERSISTENCE_RMSE  # passing means beating the persistence baseline


def test_the_tasks_file_is_registered_and_imports_only_stdlib_numpy_and_torch():
    assert ASSIGNMENT.tasks == (Path(tasks.__file__),)
    tree = ast.parse(Path(tasks.__file__).read_text(encoding="utf-8"))
    imported = top_level_imports(tree)
    assert imported <= {"math", "random", "time", "numpy", "torch"}
    assert not any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(tree))


# ------------------------------------------------------------------ helpers


@pytest.mark.parametrize("result, words", [
    ({"returned": "pair", "logits_shape": [2, 7], "state_len": 2, "state_shapes": [[1, 2, 8]] * 2},
     "last position only"),
    ({"returned": "pair", "logits_shape": [6, 2, 7], "state_len": 2, "state_shapes": [[1, 2, 8]] * 2},
     "batch_first=True"),
    ({"returned": "pair", "logits_shape": [2, 6, 7], "state_len": 2, "state_shapes": [[2, 2, 8]] * 2},
     "bidirectional"),
    ({"returned": "pair", "logits_shape": [2, 6, 7], "state_len": 2, "state_shapes": [[1, 6, 8]] * 2},
     "batch_first=True"),
    ({"returned": "pair", "logits_shape": [2, 6, 7], "state_len": 2, "state_shapes": [[2, 1, 8]] * 2},
     "(num_layers, N, H)"),
    ({"returned": "pair", "logits_shape": [2, 6, 7], "state_type": "NoneType", "state_len": -1,
      "state_shapes": []}, "(h, c)"),
    ({"returned": "Tensor"}, "(logits, state)"),
])
def test_shape_problems_name_the_slip(result, words):
    problems = checks_char_lstm._shape_problems((7, 8, 1, 2, 6), result)
    assert problems and any(words in (summary + (slip or "")) for summary, slip in problems), problems


def test_shape_problems_name_num_layers_and_squeeze():
    (summary, slip), = checks_char_lstm._shape_problems(
        (5, 4, 2, 3, 5), {"returned": "pair", "logits_shape": [3, 5, 5], "state_len": 2,
                          "state_shapes": [[1, 3, 4]] * 2})
    assert "num_layers" in slip
    (summary, slip), = checks_char_lstm._shape_problems(
        (6, 3, 1, 1, 1), {"returned": "pair", "logits_shape": [6], "state_len": 2, "state_shapes": [[1, 1, 3]] * 2})
    assert "squeeze()" in slip


def test_the_reference_has_no_shape_problems():
    cases = checks_char_lstm.SHAPE_CASES
    for case, r in zip(cases, tasks.task_char_lstm_shapes(ref, [list(c) for c in cases])):
        assert checks_char_lstm._shape_problems(case, r) == []


def test_standard_parameter_counts_are_those_of_torch_layers():
    counts = checks_forecaster._standard_counts(5)
    for cell in CELLS:
        torch.manual_seed(0)
        assert sum(p.numel() for p in ref.Forecaster(cell, 5).parameters()) == counts[cell]


def test_sample_metric_counts_only_words_of_two_letters_or_more():
    words = frozenset({"the", "object", "attribute"})
    assert sample_words("The object, a 'attribute' zz9q") == ["the", "object", "attribute", "zz"]
    assert sample_word_fraction("the object, a zz", words) == pytest.approx(2 / 3)
    assert sample_word_fraction("", words) == 0.0 and sample_word_fraction("a b c", words) == 0.0


def test_training_words_come_from_the_training_part_only():
    text = "alpha beta gamma " * 9 + "zulu"  # the last tenth is held out
    assert "zulu" not in training_words(text, 0.1) and "alpha" in training_words(text, 0.1)


# ------------------------------------------------------------------ tasks


def _spy_module(**overrides):
    """The reference's namespace with some functions replaced."""
    names = ("CharLSTM", "Forecaster", "difference", "inverse_difference", "fit_scaler", "scale", "invert_scale",
             "make_windows")
    namespace = {n: getattr(ref, n) for n in names}
    namespace.update(overrides)
    return types.SimpleNamespace(**namespace)


def test_the_student_pipeline_fits_the_scaler_on_the_training_differences_only():
    seen = []

    def fit_scaler(train):
        seen.append(np.array(train, copy=True))
        return ref.fit_scaler(train)

    series = load_shampoo()
    tasks.task_shampoo_forecast(_spy_module(fit_scaler=fit_scaler), series, cell="rnn", epochs=1,
                                pipeline="student")
    (train,) = seen
    d = np.diff(series)
    np.testing.assert_array_equal(train, d[:len(d) - 12])  # 23 differences: training months only


def test_the_task_pipeline_never_calls_the_students_series_functions():
    def boom(*args, **kwargs):
        raise AssertionError("a student's series function was called")

    sub = _spy_module(**{n: boom for n in ("difference", "inverse_difference", "fit_scaler", "scale",
                                           "invert_scale", "make_windows")})
    r = tasks.task_shampoo_forecast(sub, load_shampoo(), cell="gru", epochs=2, pipeline="task")
    assert np.isfinite(r["rmse"]) and abs(r["persistence_rmse"] - PERSISTENCE_RMSE) < 1e-9


def test_forecaster_probe_of_the_reference():
    r = tasks.task_forecaster_probe(ref)
    assert set(r) == set(CELLS)
    for cell in CELLS:
        assert r[cell]["shape"] == [4] and r[cell]["shape_one"] == [1]
        assert r[cell]["last_change"] > 1e-3
    assert r["rnn"]["n_params"] < r["gru"]["n_params"] < r["lstm"]["n_params"]


def test_forecaster_probe_sees_the_first_step_slip():
    mod = _module(Mutant("first", "return self.head(out[:, -1]).squeeze(-1)",
                         "return self.head(out[:, 0]).squeeze(-1)"))
    r = tasks.task_forecaster_probe(mod)
    assert all(r[cell]["last_change"] == 0.0 for cell in CELLS)


def test_a_model_that_breaks_only_while_sampling_still_gets_its_losses():
    mod = _module(Mutant("squeeze", "return self.head(out), state", "return self.head(out).squeeze(), state"))
    text = "the cat sat on the mat. " * 40
    r = tasks.task_char_lstm_train(mod, text, hidden_size=8, steps=3, seq_len=10, batch_size=4, sample_len=20,
                                   streams=4)
    assert np.isfinite(r["val_loss"]) and np.isfinite(r["val_loss_stepwise"])
    assert r["sample"] == "" and "shape" in r["sample_error"]


def test_sampling_is_unchanged_for_a_correct_model():
    text = "the cat sat on the mat. " * 40
    r = tasks.task_char_lstm_train(ref, text, hidden_size=8, steps=3, seq_len=10, batch_size=4, sample_len=20,
                                   streams=4)
    assert len(r["sample"]) == 20 and r["sample_error"] == "" and r["sample_prefix"] == "the "


# ------------------------------------------------------------------ trained-check feedback (no training)


class _Session:
    """A fresh, weak-referenceable key for the shared training run."""


class FakeContext:
    """Enough of a Context for the trained checks, with the training run's result canned."""

    def __init__(self, result):
        self.session = _Session()
        self.result = result
        self.options = {}

    def task(self, name, **kwargs):
        assert name == "char_lstm_train"
        return dict(self.result)


def _run(check, **changes):
    base = {"val_loss": 1.82, "val_loss_stepwise": 1.80, "train_loss": 1.4, "uniform_loss": 4.26,
            "unigram_loss": 3.18, "vocab_size": 71, "cpu_seconds": 3.0,
            "sample": "the object is the attribute of the instance " * 9, "sample_error": "",
            "sample_prefix": "the "}
    ctx = FakeContext({**base, **changes})
    try:
        return True, check(ctx)
    except CheckFailed as exc:
        return False, exc.render()


def test_trained_check_passes_the_reference_values_and_reports_both_losses():
    ok, note = _run(checks_char_lstm.check_char_lstm_trained)
    assert ok and "1.8 nats/char read one character per call" in note and "1.82 in windows" in note


def test_trained_check_names_a_model_that_reads_the_future():
    ok, text = _run(checks_char_lstm.check_char_lstm_trained, val_loss=0.08, val_loss_stepwise=7.1)
    assert not ok and "bidirectional" in text


def test_trained_check_names_probabilities_returned_as_logits():
    ok, text = _run(checks_char_lstm.check_char_lstm_trained, val_loss=4.08, val_loss_stepwise=4.08)
    assert not ok and "probabilities" in text


def test_trained_check_fails_a_nan_loss_with_words():
    ok, text = _run(checks_char_lstm.check_char_lstm_trained, val_loss=float("nan"), val_loss_stepwise=float("nan"))
    assert not ok and "not finite" in text


def test_sampling_check_shows_the_sample_and_fails_noise_or_an_error():
    ok, note = _run(checks_char_lstm.check_char_lstm_sample)
    assert ok and "the object is the attribute" in note
    ok, text = _run(checks_char_lstm.check_char_lstm_sample, sample="x#;d96+y 3>u,d,4{wl}9exx|2@ %n. 8^_ qzv kkj")
    assert not ok and "probabilities" in text
    ok, text = _run(checks_char_lstm.check_char_lstm_sample, sample="", sample_error="ValueError: logits of shape (6,)")
    assert not ok and "squeeze()" in text


# ------------------------------------------------------------------ grades through the sandbox


def test_fresh_template_gets_zero_with_not_implemented_yet_feedback():
    from student_templates import build

    path = Path(build.__file__).resolve().parent / "sequences_torch.ipynb"
    report = grade(str(path), ASSIGNMENT)
    assert report.score == 0 and len(report.tests) == len(ASSIGNMENT.all_checks())
    for t in report.tests:
        assert "Not implemented yet" in t.output, (t.name, t.output)
    assert report.load_messages == []


def test_squeeze_slips_for_a_batch_of_one_are_caught_by_the_shape_checks_only(tmp_path):
    path = _submission(
        tmp_path,
        Mutant("forecaster squeeze", "return self.head(out[:, -1]).squeeze(-1)",
               "return self.head(out[:, -1]).squeeze()"),
        Mutant("char squeeze", "return self.head(out), state", "return self.head(out).squeeze(), state"))
    report = grade(path, ASSIGNMENT, select=lambda n: n.startswith(("Forecaster: output", "Forecaster: uses",
                                                                    "Forecaster: forecast", "CharLSTM: output",
                                                                    "CharLSTM: state", "CharLSTM: causal")))
    failed = {t.name: t.output for t in report.tests if not t.passed}
    assert set(failed) == {"Forecaster: output shape (N,)", "CharLSTM: output shapes"}, failed
    assert "squeeze(-1)" in failed["Forecaster: output shape (N,)"]
    assert "squeeze()" in failed["CharLSTM: output shapes"]


def test_more_shampoo_seeds_report_the_mean_and_std(tmp_path):
    a = ASSIGNMENT
    report = grade(str(a.reference), a, options={"shampoo_seeds": 3},
                   select=lambda n: n == CHECK_FORECAST["rnn"])
    (t,) = report.tests
    assert t.passed and "over seeds [0, 1, 2]" in t.output and "+/-" in t.output


# ------------------------------------------------------------------ slow: the calibrated runs


@pytest.mark.slow
def test_the_grade_seed_runs_reproduce_the_calibration():
    from graders.assignments.sequences_torch import calibrate

    torch.set_num_threads(1)
    r = calibrate.char_run(ref, 0)
    assert r["val_loss_stepwise"] == pytest.approx(THRESHOLDS[CHECK_CHAR_STEPWISE].reference_values[0], abs=1e-6)
    assert r["sample_word_fraction"] == pytest.approx(THRESHOLDS[CHECK_SAMPLE].reference_values[0], abs=1e-9)
    for cell in CELLS:
        value = calibrate.shampoo_run(ref, cell, 0)["rmse"]
        assert value == pytest.approx(THRESHOLDS[CHECK_FORECAST[cell]].reference_values[0], abs=1e-6)


@pytest.mark.slow
def test_course_table_every_cell_beats_persistence_on_average():
    torch.set_num_threads(1)
    settings = {k: v for k, v in SHAMPOO_SETTINGS.items()}
    table = tasks.task_shampoo_table(ref, load_shampoo(), cells=CELLS, seeds=(0, 1, 2, 3, 4), **settings)
    for cell in CELLS:
        assert table[cell]["mean"] + 2 * table[cell]["std"] < PERSISTENCE_RMSE
        assert max(table[cell]["rmse"]) <= THRESHOLDS[CHECK_FORECAST[cell]].bound


# ------------------------------------------------------------------ the slow mutants are real slips too


def _slow(kind):
    from tests.mutants import sequences_torch as mutants

    return getattr(mutants, kind)


@pytest.mark.parametrize("mutant", _slow("SLOW_MUTANTS"), ids=lambda m: m.name)
def test_slow_buggy_mutant_changes_a_contract_output(mutant):
    from tests.mutants import test_sequences_torch_mutants as harness

    harness.test_buggy_mutant_changes_a_contract_output(mutant)


@pytest.mark.parametrize("mutant", _slow("SLOW_UNUSUAL"), ids=lambda m: m.name)
def test_slow_unusual_submission_matches_the_reference(mutant):
    from tests.mutants import test_sequences_torch_mutants as harness

    harness.test_unusual_submission_matches_the_reference(mutant)

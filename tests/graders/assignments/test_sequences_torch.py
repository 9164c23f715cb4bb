"""The sequences_torch grader beyond the mutants: its check list, helpers, tasks, and grades of
slips the mutant harness does not hold (the sandbox is real where a grade is run).

The reference and every mutant are graded in tests/graders/test_mutants.py.
"""

from __future__ import annotations

import functools
import ast
import re
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from dlgrade.data import load_shampoo
from graders import assignments
from graders.assignments.sequences_torch import causal, checks, checks_char_lstm, checks_forecaster, recipe, tasks
from graders.assignments.sequences_torch.thresholds import (
    CELLS,
    CHAR_SETTINGS,
    CHECK_CHAR,
    CHECK_CHAR_STEPWISE,
    CHECK_FORECAST,
    CHECK_SAMPLE,
    PERSISTENCE_RMSE,
    SHAMPOO_SETTINGS,
    TEXT_DATA,
    declared,
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
    assert trained[checks_char_lstm.CHECK_TRAINED].threshold.keys() == [CHECK_CHAR_STEPWISE, CHECK_CHAR]
    assert trained[CHECK_SAMPLE].threshold.keys() == [CHECK_SAMPLE, CHECK_CHAR_STEPWISE]
    for cell in CELLS:
        assert trained[CHECK_FORECAST[cell]].threshold == declared()[CHECK_FORECAST[cell]]
    for c in trained.values():
        budget = max(int(s) for s in re.findall(r"^(\d+) s of CPU", c.threshold.describe_budget()))
        assert c.timeout_s >= 2 * budget, c.name
    assert ASSIGNMENT.limits.cpu_s >= 4 * declared()[CHECK_CHAR_STEPWISE].cpu_budget_s
    assert ASSIGNMENT.limits.memory_mb >= 4096 and ASSIGNMENT.preload == ("numpy", "torch")


def test_thresholds_use_the_settings_the_checks_use_and_state_their_variation():
    bounds = declared()
    for name in (CHECK_CHAR, CHECK_CHAR_STEPWISE, CHECK_SAMPLE):
        assert bounds[name].for_dataset(TEXT_DATA).settings == CHAR_SETTINGS
        assert "5 course-secret draws" in bounds[name].runs and "one-hot" in bounds[name].runs
    for cell in CELLS:
        t = bounds[CHECK_FORECAST[cell]].for_dataset("shampoo")
        assert t.settings == {**SHAMPOO_SETTINGS, "cell": cell}
        assert "perturbed 1e-12 relative" in bounds[CHECK_FORECAST[cell]].runs
        assert t.bound < PERSISTENCE_RMSE  # passing means beating the persistence baseline


def test_the_tasks_file_is_registered_and_imports_only_stdlib_numpy_and_torch():
    assert ASSIGNMENT.tasks == (Path(tasks.__file__),)
    tree = ast.parse(Path(tasks.__file__).read_text(encoding="utf-8"))
    imported = top_level_imports(tree)
    assert imported <= {"importlib", "math", "os", "time", "numpy", "torch"}
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


def test_training_words_come_from_the_training_segments_only():
    from graders.engine.secret import fixed_secret

    text = "".join(f"{w:<10s}" for w in ("alpha", "beta", "gamma", "delta", "zulu", "kilo", "lima", "mike"))
    split = causal.char_split(text, fixed_secret("words", "sequences_torch"), CHECK_CHAR_STEPWISE, 10, 2)
    held = {"".join(split.vocab[i] for i in row).strip() for row in split.heldout}
    words = training_words(split.train_text)
    assert len(held) == 2 and not held & words and words | held == {"alpha", "beta", "gamma", "delta", "zulu",
                                                                    "kilo", "lima", "mike"}


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
    recipe.shampoo_forecast(_spy_module(fit_scaler=fit_scaler), series, cell="rnn", epochs=1, pipeline="student")
    (train,) = seen
    d = np.diff(series)
    np.testing.assert_array_equal(train, d[:len(d) - 12])  # 23 differences: training months only


def test_the_task_pipeline_never_calls_the_students_series_functions():
    def boom(*args, **kwargs):
        raise AssertionError("a student's series function was called")

    sub = _spy_module(**{n: boom for n in ("difference", "inverse_difference", "fit_scaler", "scale",
                                           "invert_scale", "make_windows")})
    r = recipe.shampoo_forecast(sub, load_shampoo(), cell="gru", epochs=2, pipeline="task")
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


def _small_run(module, text="the cat sat on the mat. " * 40):
    from graders.engine.secret import fixed_secret

    split = causal.char_split(text, fixed_secret("small", "sequences_torch"), CHECK_CHAR_STEPWISE, 60, 4)
    r = tasks.task_char_lstm_train(module, list(split.train_pieces), len(split.vocab), hidden_size=8, steps=3,
                                   seq_len=10, batch_size=4)
    settings = {**CHAR_SETTINGS, "hidden_size": 8, "seq_len": 10, "sample_len": 20}
    return split, causal.char_evaluation(causal.InProcessBox(tasks, module), r["state"], split, settings, 3)


def test_a_model_that_squeezes_a_step_of_one_is_graded_on_its_losses_and_sample_alike():
    # the shape checks name the squeeze; the trained checks read N * V logits as (N, V)
    mod = _module(Mutant("squeeze", "return self.head(out), state", "return self.head(out).squeeze(), state"))
    _, r = _small_run(mod)
    _, expected = _small_run(ref)
    assert r["val_loss_stepwise"] == pytest.approx(expected["val_loss_stepwise"], abs=1e-9)
    assert r["sample"] == expected["sample"] and r["sample_error"] == ""


def test_logits_of_another_size_stop_the_sample_with_words():
    class Wrong(causal.InProcessBox):
        def task(self, name, **kwargs):
            out = super().task(name, **kwargs)
            return [o[..., :-1] for o in out] if name == "char_lstm_step" else out

    split, _ = _small_run(ref)
    r = tasks.task_char_lstm_train(ref, list(split.train_pieces), len(split.vocab), hidden_size=8, steps=1,
                                   seq_len=10, batch_size=2)
    settings = {**CHAR_SETTINGS, "hidden_size": 8, "seq_len": 10, "sample_len": 5}
    with pytest.raises(CheckFailed) as info:
        causal.char_evaluation(Wrong(tasks, ref), r["state"], split, settings, 3)
    assert "wrong shape" in info.value.render()


def test_sampling_is_drawn_by_the_grader_for_a_correct_model():
    _, r = _small_run(ref)
    assert len(r["sample"]) == 20 and r["sample_error"] == "" and r["sample_prefix"] == "the "


def test_training_never_gets_a_held_out_character_and_evaluation_gets_one_step_at_a_time():
    seen = {"train": None, "steps": []}

    class Spy(causal.InProcessBox):
        def task(self, name, **kwargs):
            if name == "char_lstm_step":
                (column,) = kwargs["columns"]
                seen["steps"].append(np.array(column))
            return super().task(name, **kwargs)

    from graders.engine.secret import fixed_secret

    text = "".join(chr(97 + (i * 7) % 26) for i in range(1200))
    split = causal.char_split(text, fixed_secret("spy", "sequences_torch"), CHECK_CHAR_STEPWISE, 60, 4)
    trained_on = np.concatenate(split.train_pieces)
    assert len(trained_on) + split.heldout.size == 1200
    r = tasks.task_char_lstm_train(ref, list(split.train_pieces), len(split.vocab), hidden_size=4, steps=1,
                                   seq_len=10, batch_size=2)
    box = Spy(tasks, ref)
    stepper = box.task("char_lstm_open", vocab_size=len(split.vocab), hidden_size=4, num_layers=1, state=r["state"])
    causal.stepwise_loss(box, stepper, split.heldout, len(split.vocab))
    # one column per call, in order: the character t + 1 is sent only after the logits of step t came back
    assert [len(c) for c in seen["steps"]] == [4] * 59
    np.testing.assert_array_equal(np.stack(seen["steps"], axis=1), split.heldout[:, :-1])


def test_a_second_reader_of_the_trained_model_keeps_a_state_of_its_own():
    split, _ = _small_run(ref)
    r = tasks.task_char_lstm_train(ref, list(split.train_pieces), len(split.vocab), hidden_size=8, steps=2,
                                   seq_len=10, batch_size=2)
    box, V = causal.InProcessBox(tasks, ref), len(split.vocab)
    windows = causal.windows_of(split.heldout, 10)

    def opened():
        return box.task("char_lstm_open", vocab_size=V, hidden_size=8, num_layers=1, state=r["state"])

    first = opened()
    shared = causal.stepwise_losses(box, [(first, split.heldout), (box.task("char_lstm_reader", stepper=first),
                                                                   windows)], V)
    apart = causal.stepwise_losses(box, [(opened(), split.heldout), (opened(), windows)], V)
    assert shared == pytest.approx(apart, rel=1e-12)


def test_the_walk_forward_sends_one_month_at_a_time_and_training_only_training_windows():
    data = causal.forecast_data(load_shampoo(), 12, 1)
    assert len(data["y_train"]) == 35 - 12 - 1
    sent = []

    class Spy(causal.InProcessBox):
        def task(self, name, **kwargs):
            if name == "forecaster_predict":
                sent.append(np.array(kwargs["X"]))
            return super().task(name, **kwargs)

    r = tasks.task_forecaster_train(ref, data["X_train"], data["y_train"], cell="gru", epochs=2)
    out = causal.forecast_evaluation(Spy(tasks, ref), r["state"], "gru", 8, data)
    assert [len(x) for x in sent[:12]] == [1] * 12 and abs(out["persistence_rmse"] - PERSISTENCE_RMSE) < 1e-9
    # the window of test month j holds the differences up to month first + j - 1 only
    z = data["X"][:, 0, 0]
    for j, x in enumerate(sent[:12]):
        assert x[0, 0, 0] == z[data["first_month"] + j - 2]


# ------------------------------------------------------------------ trained-check feedback (no training)


def _run(check, monkeypatch, **changes):
    base = {"val_loss": 1.82, "val_loss_stepwise": 1.80, "window_loss_one_call": 1.82, "train_loss": 1.4,
            "uniform_loss": 4.26, "unigram_loss": 3.18, "cpu_seconds": 3.0,
            "sample": "the object is the attribute of the instance " * 9, "sample_error": "",
            "sample_prefix": "the ", "words": frozenset({"the", "object", "is", "attribute", "of", "instance"})}
    monkeypatch.setattr(checks_char_lstm, "char_run", lambda ctx: {**base, **changes})
    (declared_with,) = [c.threshold for c in ASSIGNMENT.all_checks() if c.run is check]
    try:
        return True, check(types.SimpleNamespace(check=types.SimpleNamespace(threshold=declared_with)))
    except CheckFailed as exc:
        return False, exc.render()


def test_trained_check_passes_the_reference_values_and_reports_both_losses(monkeypatch):
    ok, note = _run(checks_char_lstm.check_char_lstm_trained, monkeypatch)
    assert ok and "1.8 nats/char read one character per call" in note and "1.82 in windows" in note


def test_trained_check_names_a_model_that_reads_the_future(monkeypatch):
    ok, text = _run(checks_char_lstm.check_char_lstm_trained, monkeypatch, window_loss_one_call=0.08, val_loss=7.0,
                    val_loss_stepwise=7.1)
    assert not ok and "bidirectional" in text


def test_trained_check_names_probabilities_returned_as_logits(monkeypatch):
    ok, text = _run(checks_char_lstm.check_char_lstm_trained, monkeypatch, val_loss=4.08, val_loss_stepwise=4.08,
                    window_loss_one_call=4.08)
    assert not ok and "probabilities" in text


def test_trained_check_fails_a_nan_loss_with_words(monkeypatch):
    ok, text = _run(checks_char_lstm.check_char_lstm_trained, monkeypatch, val_loss=float("nan"),
                    val_loss_stepwise=float("nan"))
    assert not ok and "not finite" in text


def test_sampling_check_shows_the_sample_and_fails_noise_or_an_error(monkeypatch):
    ok, note = _run(checks_char_lstm.check_char_lstm_sample, monkeypatch)
    assert ok and "the object is the attribute" in note
    ok, text = _run(checks_char_lstm.check_char_lstm_sample, monkeypatch,
                    sample="x#;d96+y 3>u,d,4{wl}9exx|2@ %n. 8^_ qzv kkj")
    assert not ok and "probabilities" in text
    ok, text = _run(checks_char_lstm.check_char_lstm_sample, monkeypatch, sample="",
                    sample_error="ValueError: logits of shape (6,)")
    assert not ok and "squeeze()" in text


def test_a_sample_of_real_words_counts_only_from_a_model_that_predicts_held_out_text(monkeypatch):
    ok, text = _run(checks_char_lstm.check_char_lstm_sample, monkeypatch, val_loss_stepwise=3.9)
    assert not ok and "Not graded" in text and "held-out text" in text


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
    assert t.passed and "over 3 seeds" in t.output and "+/-" in t.output


# ------------------------------------------------------------------ slow: the calibrated runs


@pytest.mark.slow
def test_the_first_calibration_draw_reproduces_the_calibration():
    from graders.assignments.sequences_torch import calibrate
    from graders.tooling.calibration import secret_draws

    torch.set_num_threads(1)
    secret = secret_draws("sequences_torch")[0]
    r = calibrate.char_run(ref, secret)
    for name, key in ((CHECK_CHAR_STEPWISE, "val_loss_stepwise"), (CHECK_CHAR, "val_loss"),
                      (CHECK_SAMPLE, "sample_word_fraction")):
        assert declared()[name].for_dataset(TEXT_DATA).passes(r[key])
    for cell in CELLS:
        value = calibrate.shampoo_run(ref, cell, secret)["rmse"]
        first = declared()[CHECK_FORECAST[cell]].for_dataset("shampoo").reference_values[0]
        assert value == pytest.approx(first, abs=1e-6)


@pytest.mark.slow
def test_course_table_every_cell_beats_persistence_on_average():
    torch.set_num_threads(1)
    settings = {k: v for k, v in SHAMPOO_SETTINGS.items()}
    table = recipe.shampoo_table(ref, load_shampoo(), cells=CELLS, seeds=(0, 1, 2, 3, 4), **settings)
    for cell in CELLS:
        assert table[cell]["mean"] + 2 * table[cell]["std"] < PERSISTENCE_RMSE
        assert max(table[cell]["rmse"]) <= declared()[CHECK_FORECAST[cell]].for_dataset("shampoo").bound


# ------------------------------------------------------------------ the slow mutants are real slips too


def _slow(kind):
    from graders.assignments.sequences_torch import slips as mutants

    return getattr(mutants, kind)


@pytest.mark.parametrize("mutant", _slow("SLOW_MUTANTS"), ids=lambda m: m.name)
def test_slow_buggy_mutant_changes_a_contract_output(mutant):
    from tests.mutants.test_mutant_probes import test_buggy_mutant_changes_some_contract_output as probe

    probe("sequences_torch", mutant)


@pytest.mark.parametrize("mutant", _slow("SLOW_UNUSUAL"), ids=lambda m: m.name)
def test_slow_unusual_submission_matches_the_reference(mutant):
    from tests.mutants.test_mutant_probes import test_correct_mutant_matches_the_reference as probe

    probe("sequences_torch", mutant)

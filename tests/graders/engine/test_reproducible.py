"""require_reproducible: a check judges only what the submission reproduces; same_plain compares
the sandbox's plain replies element for element."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from graders.engine.checks import CheckFailed
from graders.engine.reproducible import require_reproducible, same_plain
from graders.sandbox.errors import StudentError


class FakeCtx:
    """ctx.shared as the runner gives it: make() once per key, its value kept."""

    def __init__(self):
        self.made: dict = {}

    def shared(self, key, make, *, retry=None):
        if key not in self.made:
            self.made[key] = make()
        return self.made[key]


def test_equal_replies_are_the_same_with_nan_equal_to_nan():
    reply = ({"W": np.array([[1.0, np.nan]]), "b": np.zeros(2)}, [0.5, 0.25])
    again = ({"W": np.array([[1.0, np.nan]]), "b": np.zeros(2)}, (0.5, 0.25))
    assert same_plain(reply, again)
    assert same_plain([np.zeros(2), np.zeros(3)], [np.zeros(2), np.zeros(3)])


@pytest.mark.parametrize("a, b", [
    ({"W": np.zeros(2)}, {"W": np.array([0.0, 1e-12])}),
    ({"W": np.zeros(2)}, {"V": np.zeros(2)}),
    ([1.0, 2.0], [1.0, 2.0, 3.0]),
    (np.zeros((2, 1)), np.zeros(2)),
    ("a", "b"),
    (None, 0.0),
])
def test_different_replies_are_not_the_same(a, b):
    assert not same_plain(a, b)


def test_a_reproducible_call_passes_and_runs_twice_once_per_grade():
    ctx, calls = FakeCtx(), []
    for _ in range(3):
        require_reproducible(ctx, "train(seed=1)", lambda: calls.append(1) or [np.ones(2)], see="train: reproducible")
    assert len(calls) == 2


def test_a_call_that_ignores_its_seed_fails_as_not_judged_and_points_to_the_reproducibility_check():
    counter = itertools.count()
    with pytest.raises(CheckFailed) as failure:
        require_reproducible(FakeCtx(), "train(seed=1)", lambda: [np.full(2, next(counter))],
                             see="init_params: reproducible from the seed")
    assert "not judged" in failure.value.summary and "not reproducible" in failure.value.summary
    assert "init_params: reproducible from the seed" in failure.value.slip


def test_a_call_that_fails_is_left_to_the_checks_of_its_function():
    def broken():
        raise StudentError("ValueError", "boom", "")
    require_reproducible(FakeCtx(), "train(seed=1)", broken, see="train: reproducible")


# Every check of the bundled assignments that judges a result of train's randomness, and so
# runs the guard first: the assignment's slip that ignores its seed fails each "not judged".
GUARDED = {
    "autoencoder_numpy": ("train: history[e] is the mean loss of epoch e (learning rate 0)",
                          "train: history has one mean loss per epoch, decreasing",
                          "train: held-out reconstruction"),
    "char_rnn_numpy": ("train: follows min-char-rnn's loop on a short text (pointer, state, clipping, Adagrad)",
                       "train: regenerate Faust"),
    "language_model_numpy": ("train: one full-batch update is p - lr * g",
                             "train: two full-batch updates carry the momentum",
                             "train: history[e] is the mean loss of epoch e (learning rate 0)",
                             "train: a fresh order of the examples every epoch",
                             "train: held-out accuracy", "train: held-out cross-entropy"),
    "activity_recognition": ("train: two full-batch updates from init_params carry the momentum",
                             "train: history[e] is the mean loss of epoch e (learning rate 0)",
                             "train: every example is used in every epoch (a last, smaller batch)",
                             "train: a fresh order of the examples every epoch",
                             "train: test accuracy of the RNN classifier",
                             "train: test accuracy of the LSTM classifier",
                             "train: test accuracy of the GRU classifier"),
}


@pytest.mark.parametrize("assignment_id", sorted(GUARDED))
def test_each_guarded_check_fails_the_slip_that_ignores_its_seed_as_not_judged(assignment_id, tmp_path):
    import importlib

    from graders import assignments
    from graders.engine.runner import grade
    from tests.mutants import write_mutant

    assignment = assignments.get(assignment_id)
    assert set(GUARDED[assignment_id]) <= {c.name for c in assignment.all_checks()}
    slips = importlib.import_module(f"graders.assignments.{assignment_id}.slips")
    (unseeded,) = [m for m in slips.MUTANTS if m.name == "init_params_ignores_seed"]
    report = grade(str(write_mutant(assignment_id, unseeded, tmp_path)), assignment,
                   select=GUARDED[assignment_id].__contains__)
    results = {t.name: t for t in report.tests if t.name in GUARDED[assignment_id]}
    assert set(results) == set(GUARDED[assignment_id])
    for name, result in results.items():
        assert not result.passed and "not judged" in result.output and "not reproducible" in result.output, \
            f"{name}: {result.status}\n{result.output[:600]}"
        assert "default_rng(seed)" in result.output  # the slip, named

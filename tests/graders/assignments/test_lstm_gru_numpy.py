"""The `lstm_gru_numpy` grader beyond the mutants: the worked example's feedback, the
kink-free problems, the cell-state problem, caches kept in the sandbox, and the template.

The buggy and unusual submissions of graders/assignments/lstm_gru_numpy/slips.py are graded by
tests/graders/test_mutants.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graders import assignments
from graders.assignments.lstm_gru_numpy import checks, checks_lstm_sequence, checks_lstm_step, problems, reference_slips
from graders.engine.arguments import as_argument
from graders.engine.runner import grade
from graders.engine.source import read_submission
from graders.sandbox import wire
from graders.sandbox.process import Sandbox
from reference.numpy import lstm_gru_numpy as ref
from tests.mutants import REPO, reference_path, write_mutant
from graders.assignments.lstm_gru_numpy.slips import MUTANTS, UNUSUAL
from tests.reference.numpy.test_lstm_gru_numpy import (
    WORKED_EXAMPLE_WITH_SIGMOID,
    WORKED_EXAMPLE_WITH_TORCH_HARDSIGMOID,
)

LSTM = assignments.get("lstm_gru_numpy")
WORKED = "lstm_step_forward: the course's hard-sigmoid worked example"
BY_NAME = {m.name: m for m in MUTANTS + UNUSUAL}


def _grade_only(tmp_path: Path, mutant_name: str, prefix: str):
    path = write_mutant("lstm_gru_numpy", BY_NAME[mutant_name], tmp_path)
    report = grade(str(path), LSTM, select=lambda name: name.startswith(prefix))
    assert report.tests, prefix
    return report.tests


def test_contract_and_check_names():
    names = [c.name for c in LSTM.all_checks()]
    assert set(checks.CONTRACT) == {n.split(":")[0] for n in names}
    for gate in ("sigmoid", "hard_sigmoid"):  # every LSTM function in both gate modes
        for fn in ("lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward"):
            assert any(n.startswith(fn + ":") and f"gate={gate!r}" in n for n in names), (fn, gate)
    assert sum(c.points for c in LSTM.all_checks()) == 30  # 27, and 0.5 per inputs-unchanged check


def test_worked_example_numbers_of_the_wrong_gates_are_the_pinned_ones():
    P, xs, W_yh, b_y, expected = checks_lstm_step._worked_example()
    right = checks_lstm_step.worked_example_numbers(ref.hard_sigmoid, P, xs, W_yh, b_y)
    for name, pinned in (("logistic", WORKED_EXAMPLE_WITH_SIGMOID),
                         ("torch_hardsigmoid", WORKED_EXAMPLE_WITH_TORCH_HARDSIGMOID)):
        got = checks_lstm_step.worked_example_numbers(checks_lstm_step._gate_fn(name), P, xs, W_yh, b_y)
        for k in "cay":
            np.testing.assert_allclose(right[k], expected[k], atol=checks_lstm_step.WORKED_TOL)
            np.testing.assert_allclose(got[k], pinned[k], atol=5e-5)
            assert np.max(np.abs(got[k] - expected[k])) > checks_lstm_step.WORKED_TOL


@pytest.mark.parametrize("mutant, words", [
    ("lstm_gates_always_logistic_sigmoid", "standard (logistic) sigmoid"),
    ("hard_sigmoid_pytorch_style", "PyTorch's hard sigmoid relu6(z + 3) / 6"),
    ("lstm_cell_candidate_uses_gate_not_tanh", "g uses the gate function instead of tanh"),
])
def test_worked_example_feedback_names_the_wrong_gate(tmp_path, mutant, words):
    (result,) = _grade_only(tmp_path, mutant, WORKED)
    assert not result.passed
    assert words in result.output
    # whole vectors, both time steps, all three quantities
    for t in (1, 2):
        for k in "cay":
            assert f"t = {t}: {k} expected" in result.output


@pytest.mark.parametrize("seed", range(20))
def test_hard_sigmoid_problems_stay_away_from_the_kinks(seed):
    rng = np.random.default_rng(seed)
    for Tn, bias in ((1, 0.0), (problems.T, 0.0), (problems.T, 2.0)):
        X, h0, c0, P = problems.draw_lstm(rng, "hard_sigmoid", Tn, forget_bias=bias)
        a = np.abs(problems._preactivations(X, h0, c0, P))
        assert np.min(np.abs(a - 2.5)) > problems.KINK_GAP
        assert np.any(a > 2.5) and np.any(a < 2.5)  # both the slope-0.2 and the flat parts are tested


@pytest.mark.parametrize("gate", checks.GATES)
def test_cell_state_problem_needs_the_cell_path(gate):
    """With only the last dH nonzero, dropping the cell path changes dX at the first step a lot."""
    rng = np.random.default_rng(1)
    X, h0, _, P = problems.draw_lstm(rng, gate, problems.T, forget_bias=2.0, random_c0=False)
    dHs = np.zeros((problems.N, problems.T, problems.H))
    dHs[:, -1] = rng.normal(size=(problems.N, problems.H))
    right = checks_lstm_sequence._bptt_variant(dHs, X, h0, P, gate)
    wrong = checks_lstm_sequence._bptt_variant(dHs, X, h0, P, gate, cell_path=False)
    assert np.max(np.abs(right["X"][:, 0] - wrong["X"][:, 0])) > 0.1 * np.max(np.abs(right["X"][:, 0]))


def test_known_dc_prev_slips_differ_from_the_right_gradient():
    """The feedback can tell the three dc_prev slips from a right answer (and each other)."""
    rng = np.random.default_rng(2)
    X, h_prev, c_prev, P = problems.draw_lstm(rng, "hard_sigmoid", 1)
    dh, dc = rng.normal(size=(problems.N, problems.H)), rng.normal(size=(problems.N, problems.H))
    _, _, cache = ref.lstm_step_forward(X[:, 0], h_prev, c_prev, P, "hard_sigmoid")
    right = ref.lstm_step_backward(dh, dc, cache)[2]
    slips = reference_slips.step_known_gradients(dh, dc, X[:, 0], h_prev, c_prev, P, "hard_sigmoid")["c_prev"]
    values = [v for w, v in slips.items() if "dc" in w or "tanh'" in w]
    assert len(values) == 3
    for i, v in enumerate(values):
        assert not np.allclose(v, right, rtol=1e-3)
        assert all(not np.allclose(v, w, rtol=1e-3) for w in values[i + 1:])


def test_a_cache_object_stays_in_the_sandbox_and_is_passed_back(tmp_path):
    path = write_mutant("lstm_gru_numpy", BY_NAME["lstm_step_cache_is_an_object"], tmp_path)
    rng = np.random.default_rng(3)
    X, h0, c0, P = problems.draw_lstm(rng, "sigmoid", 1)
    with Sandbox(read_submission(str(path)).cells, preload=("numpy",), limits=LSTM.limits) as box:
        box.start()
        h, c, cache = box.call("lstm_step_forward", X[:, 0], h0, c0, P, "sigmoid")
        assert isinstance(cache, wire.Handle)
        out = box.call("lstm_step_backward", np.ones_like(h), np.zeros_like(c), as_argument(cache))
    expected = ref.lstm_step_backward(np.ones_like(h), np.zeros_like(c), ref.lstm_step_forward(X[:, 0], h0, c0, P)[2])
    np.testing.assert_allclose(out[0], expected[0], rtol=1e-12)


def test_template_notebook_grades_to_zero_with_not_implemented_feedback():
    report = grade(str(REPO / "student_templates" / "lstm_gru_numpy.ipynb"), LSTM)
    assert report.score == 0 and report.max_score == 30
    assert all("Not implemented yet" in t.output for t in report.tests)


def test_reference_path_is_the_graded_reference():
    assert LSTM.reference == reference_path("lstm_gru_numpy")

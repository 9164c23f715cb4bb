"""The autoencoder_numpy grader beyond the mutants: its helpers, its task, and grades of
unusual-but-correct and partly-correct submissions (the sandbox is real).

The reference and every mutant are graded in tests/graders/test_mutants.py.
"""

from __future__ import annotations

import functools
import ast
import types
from pathlib import Path

import numpy as np
import pytest

from graders import assignments
from graders.assignments.autoencoder_numpy import checks, checks_backward, checks_train, problems, tasks
from graders.assignments.autoencoder_numpy.thresholds import CHECK, declared
from graders.engine.checks import Kind
from graders.engine.runner import grade
from reference.numpy import autoencoder_numpy as ref
from tests.graders.assignments.task_files import top_level_imports
from tests.mutants import Mutant, grade_selected, write_edited

ASSIGNMENT = assignments.get("autoencoder_numpy")
_submission = functools.partial(write_edited, "autoencoder_numpy")  # (tmp_path, *edits, name=...)
_grade = functools.partial(grade_selected, ASSIGNMENT)  # (path, prefix)


# ------------------------------------------------------------------ the check list


def test_every_check_names_a_contract_function_and_every_kind_is_used():
    all_checks = ASSIGNMENT.all_checks()
    assert {c.function for c in all_checks} == set(checks.CONTRACT)
    assert {Kind.VALUE, Kind.GRADIENT, Kind.PROPERTY, Kind.THRESHOLD} <= {c.kind for c in all_checks}
    assert [c.name for c in all_checks if c.kind is Kind.GRADIENT] == [
        f"backward: gradient check of {k}" for k in ("W1", "b1", "W2", "b2")]


def test_trained_check_is_the_calibrated_one_with_time_for_its_cpu_budget():
    (trained,) = [c for c in ASSIGNMENT.all_checks() if c.kind is Kind.THRESHOLD]
    assert trained.name == CHECK
    assert trained.timeout_s >= 2 * declared()[CHECK].for_dataset("digits").cpu_budget_s
    assert ASSIGNMENT.limits.cpu_s >= 4 * declared()[CHECK].for_dataset("digits").cpu_budget_s


def test_the_tasks_file_is_registered_and_imports_only_stdlib_and_numpy():
    assert ASSIGNMENT.tasks == (Path(tasks.__file__),)
    tree = ast.parse(Path(tasks.__file__).read_text(encoding="utf-8"))
    imported = top_level_imports(tree)
    assert imported <= {"random", "time", "numpy"}
    assert not any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(tree))


# ------------------------------------------------------------------ helpers


def test_the_small_runs_use_the_public_split_of_the_digits():
    X_train, X_test = checks_train.digits()
    assert X_train.shape == (1438, 64) and X_test.shape == (359, 64)
    np.testing.assert_array_equal(checks_train.small_data(), X_train[:48])


def test_the_graded_draw_holds_out_secret_rows_with_the_pixels_in_a_secret_order():
    from dlgrade.data import load_digits
    from graders.assignments.autoencoder_numpy.thresholds import graded_data
    from graders.engine.secret import fixed_secret

    X, _ = load_digits()
    a, b = (graded_data(fixed_secret(text, "autoencoder_numpy")) for text in ("one course", "another"))
    assert a["X_train"].shape == (1438, 64) and a["X_test"].shape == (359, 64)
    assert a["seed"] != b["seed"] and not np.array_equal(a["X_test"], b["X_test"])
    # every digit, held out or not, once; its pixels in an order that is not the images' own
    rows = np.concatenate([a["X_train"], a["X_test"]])
    assert sorted(map(tuple, np.sort(rows, axis=1))) == sorted(map(tuple, np.sort(X, axis=1)))
    np.testing.assert_allclose(np.sort(rows.sum(axis=0)), np.sort(X.sum(axis=0)), rtol=1e-12)
    assert not np.allclose(rows.sum(axis=0), X.sum(axis=0))
    again = graded_data(fixed_secret("one course", "autoencoder_numpy"))
    assert all(np.array_equal(again[k], a[k]) for k in ("X_train", "X_test")) and again["seed"] == a["seed"]


@pytest.mark.parametrize("seed", range(20))
def test_problem_keeps_every_hidden_preactivation_away_from_the_relu_kink(seed):
    params, X = problems.problem(np.random.default_rng(seed))
    Z1 = X @ params["W1"] + params["b1"]
    assert np.abs(Z1).min() > problems.KINK_MARGIN
    assert (Z1 > 0).any() and (Z1 < 0).any()
    assert X.min() >= 0 and X.max() <= 1 and np.all(params["b1"] != 0) and np.all(params["b2"] != 0)


def test_backward_variant_without_slips_is_the_reference_backward():
    params, X = problems.problem(np.random.default_rng(0))
    expected = ref.backward(params, ref.forward(params, X)[1], X)
    got = checks_backward.backward_variant(params, X)
    for k in problems.KEYS:
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("key", ["W1", "b1", "W2", "b2"])
def test_named_backward_slips_never_match_the_right_gradient(key):
    """A slip the feedback names must differ from the right answer, or a correct
    submission could be told it made it."""
    params, X = problems.problem(np.random.default_rng(1))
    right = ref.backward(params, ref.forward(params, X)[1], X)[key]
    for words, wrong in checks_backward.backward_slips(params, X, key).items():
        if np.allclose(wrong, right, rtol=1e-6, atol=1e-10):
            # some slips do not reach this tensor at all (the relu mask does not touch W2)
            assert key in ("W2", "b2") and ("relu" in words or "weight matrix" in words), words


def test_task_records_every_epoch_and_returns_what_train_returned():
    X = checks_train.small_data()
    sub = types.SimpleNamespace(train=ref.train)
    out = tasks.task_train_recording(sub, X=X, n_hidden=6, epochs=4, batch_size=16, lr=0.05, lr_decay=0.5,
                                     train_seed=7, global_seed=3)
    assert out["epochs_asked"] == [0, 1, 2, 3]
    params, history = out["result"]
    expected_params, expected_history = ref.train(X, 6, 4, 16, lambda e: 0.05 * 0.5**e, 7)
    assert history == expected_history
    for k in problems.KEYS:
        np.testing.assert_array_equal(params[k], expected_params[k])
    assert out["cpu_s"] >= 0.0


def test_task_records_odd_epoch_arguments_as_text():
    def train(X, n_hidden, epochs, batch_size, lr_schedule, seed):
        return [lr_schedule(e) for e in (np.int64(0), 1.0, 2.5)], None

    out = tasks.task_train_recording(types.SimpleNamespace(train=train), X=np.zeros((2, 2)), n_hidden=1,
                                     epochs=3, batch_size=1, lr=1.0, lr_decay=0.5, train_seed=0)
    assert out["epochs_asked"] == [0, 1, "2.5"]


# ------------------------------------------------------------------ grades through the sandbox


def test_a_cache_object_kept_in_the_sandbox_is_passed_back_to_backward(tmp_path):
    path = _submission(
        tmp_path,
        Mutant("cache class", "def forward(params, X):",
               "class Cache:\n    def __init__(self, Z1, H, X_hat):\n"
               "        self.Z1, self.H, self.X_hat = Z1, H, X_hat\n\n\ndef forward(params, X):"),
        Mutant("build it", "cache = (Z1, H, X_hat)", "cache = {'all': Cache(Z1, H, X_hat), 'n': 2}"),
        Mutant("use it", "    Z1, H, X_hat = cache\n",
               "    c = cache['all']\n    Z1, H, X_hat = c.Z1, c.H, c.X_hat\n"),
    )
    report = _grade(path, "backward")
    assert report.score == report.max_score, {t.name: t.output for t in report.tests if not t.passed}


def test_adagrad_that_also_returns_params_gets_full_marks(tmp_path):
    step = "params[k] -= lr * g / (np.sqrt(state[k]) + eps)"
    path = _submission(tmp_path, Mutant(
        "return params", f"{step}  # theta_k <- theta_k - lr g_k / (sqrt(G_k) + eps)\n",
        f"{step}\n    return params\n"))
    report = _grade(path, "adagrad_update")
    assert report.score == report.max_score, {t.name: t.output for t in report.tests if not t.passed}


def test_adagrad_returning_a_new_dict_loses_only_the_in_place_check(tmp_path):
    from graders.assignments.autoencoder_numpy.slips import MUTANTS

    (mutant,) = [m for m in MUTANTS if m.name == "adagrad_not_in_place_returns_new_dict"]
    report = _grade(_submission(tmp_path, mutant), "adagrad_update")
    failed = [t.name for t in report.tests if not t.passed]
    assert failed == ["adagrad_update: updates params and state in place"]


def test_history_returned_as_an_array_is_accepted(tmp_path):
    path = _submission(tmp_path, Mutant("array history", "    return params, history\n",
                                        "    return params, np.array(history)\n"))
    report = grade(path, ASSIGNMENT, select=lambda n: n.startswith("train") and n != CHECK
                   and "decreasing" not in n)
    assert len(report.tests) == 4
    assert report.score == report.max_score, {t.name: t.output for t in report.tests if not t.passed}


def test_a_forward_slip_is_pointed_out_in_the_gradient_check_feedback(tmp_path):
    from graders.assignments.autoencoder_numpy.slips import MUTANTS

    (mutant,) = [m for m in MUTANTS if m.name == "forward_forgets_b2"]
    report = _grade(_submission(tmp_path, mutant), "backward: gradient check of W2")
    (result,) = report.tests
    assert not result.passed and "fix forward first" in result.output


def test_fresh_template_gets_zero_with_not_implemented_yet_feedback():
    from student_templates import build

    path = Path(build.__file__).resolve().parent / "autoencoder_numpy.ipynb"
    report = grade(str(path), ASSIGNMENT)
    assert report.score == 0 and len(report.tests) == len(ASSIGNMENT.all_checks())
    for t in report.tests:
        assert "Not implemented yet" in t.output, (t.name, t.output)
    assert report.load_messages == []


@pytest.mark.slow
def test_the_0_01_randn_initialisation_fails_the_trained_check_and_is_named(tmp_path):
    path = _submission(tmp_path, Mutant(
        "tiny init", 'rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_hidden))',
        "0.01 * rng.standard_normal((n_in, n_hidden))"), Mutant(
        "tiny init 2", 'rng.normal(0.0, np.sqrt(2.0 / (n_hidden + n_in)), size=(n_hidden, n_in))',
        "0.01 * rng.standard_normal((n_hidden, n_in))"))
    report = _grade(path, CHECK)
    (result,) = report.tests
    assert not result.passed, result.output
    assert "0.01 * randn" in result.output and "held-out MSE" in result.output


@pytest.mark.slow
def test_a_train_that_never_returns_costs_one_time_limit_not_five(tmp_path):
    path = _submission(tmp_path, Mutant("hang", "    N, D = X.shape\n    params = init_params(D, n_hidden, seed)\n",
                                        "    while True:\n        pass\n"))
    report = _grade(path, "train")
    assert len(report.tests) == 5 and report.score == 0
    first, *rest = report.tests
    assert "did not finish in time" in first.output
    assert all("not run: train did not finish in time" in t.output for t in rest), [t.output for t in rest]
    assert report.execution_time < first.time_s + 30


@pytest.mark.parametrize("seed", [0, 1])
def test_reconstruction_mse_is_the_reference_loss_of_its_forward_pass(seed):
    """The trained checks' metric, computed in the grader's process without the reference
    module, is the number the reference gave (and so every calibrated bound still holds)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(40, 16))
    untrained = ref.init_params(16, 6, seed)
    trained, _ = ref.train(X, 6, 3, 8, lambda epoch: 0.5, seed)
    wild = {k: v * 30.0 for k, v in untrained.items()}  # saturated sigmoids, dead ReLUs
    for params in (untrained, trained, wild):
        expected = ref.loss(ref.forward(params, X)[0], X)
        assert problems.reconstruction_mse(params, X) == pytest.approx(expected, rel=1e-12, abs=1e-15)

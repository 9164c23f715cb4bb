"""The char_rnn_numpy grader beyond the mutants: its helpers (the slip variants, the test
models of `sample`, the replayed training loop, the feedback of the trained check), its
task, and grades of the template and of partly-correct submissions (the sandbox is real).

The reference and every mutant are graded in tests/graders/test_mutants.py.
"""

from __future__ import annotations

import functools
import ast
from pathlib import Path

import numpy as np
import pytest

from graders import assignments
from graders.assignments.char_rnn_numpy import (
    checks,
    checks_sample,
    checks_train,
    reference_slips,
    slip_words,
    tasks,
)
from graders.assignments.char_rnn_numpy.problems import KEYS, index_list, random_chunk, random_params
from graders.assignments.char_rnn_numpy.thresholds import CHECK, declared
from graders.engine.checks import CheckFailed, Kind
from graders.engine.runner import grade
from reference.numpy import char_rnn_numpy as ref
from student_templates import build
from tests.graders.assignments.task_files import top_level_imports
from tests.mutants import Mutant, grade_selected, write_edited

ASSIGNMENT = assignments.get("char_rnn_numpy")
_submission = functools.partial(write_edited, "char_rnn_numpy")  # (tmp_path, *edits, name=...)
_grade = functools.partial(grade_selected, ASSIGNMENT)  # (path, prefix)


# ------------------------------------------------------------------ the check list


def test_every_check_names_a_contract_function_and_every_kind_is_used():
    all_checks = ASSIGNMENT.all_checks()
    assert {c.function for c in all_checks} == set(checks.CONTRACT)
    assert {Kind.VALUE, Kind.GRADIENT, Kind.PROPERTY, Kind.THRESHOLD} <= {c.kind for c in all_checks}
    assert [c.name for c in all_checks if c.name.startswith("loss_and_grads: gradient check")] == [
        f"loss_and_grads: gradient check of {k}" for k in KEYS]
    assert sum(c.points for c in all_checks) == 33


def test_trained_check_is_the_calibrated_one_with_time_for_its_cpu_budget():
    (trained,) = [c for c in ASSIGNMENT.all_checks() if c.kind is Kind.THRESHOLD]
    assert trained.name == CHECK
    assert trained.timeout_s >= 2 * declared()[CHECK].for_dataset("faust").cpu_budget_s
    assert ASSIGNMENT.limits.cpu_s >= 4 * declared()[CHECK].for_dataset("faust").cpu_budget_s


def test_the_tasks_file_is_registered_and_imports_only_stdlib_and_numpy():
    assert ASSIGNMENT.tasks == (Path(tasks.__file__),)
    tree = ast.parse(Path(tasks.__file__).read_text(encoding="utf-8"))
    imported = top_level_imports(tree)
    assert imported <= {"random", "time", "numpy"}


def test_task_returns_what_train_returned_and_its_cpu_time():
    class Sub:
        @staticmethod
        def train(text, hidden_size, seq_length, lr, n_iter, seed):
            return ({"text": text}, [float(hidden_size), float(seq_length), lr, float(n_iter), float(seed)])

    out = tasks.task_train_timed(Sub, "abc", 4, 2, 0.1, 3, 7)
    assert out["result"] == ({"text": "abc"}, [4.0, 2.0, 0.1, 3.0, 7.0]) and out["cpu_s"] >= 0.0


# ------------------------------------------------------------------ loss_and_grads helpers


@pytest.mark.parametrize("seed", range(5))
def test_backward_variant_without_slips_is_the_reference(seed):
    rng = np.random.default_rng(seed)
    params = random_params(rng)
    inputs, targets, h_prev = random_chunk(rng)
    loss, grads, h_last, dh_prev = reference_slips.backward_variant(params, inputs, targets, h_prev)
    r_loss, r_grads, r_h = ref.loss_and_grads(params, inputs, targets, h_prev)
    assert loss == r_loss and np.array_equal(h_last, r_h)
    assert all(np.array_equal(grads[k], r_grads[k]) for k in KEYS)
    # dL/dh_prev: central differences of the reference loss
    eps, numeric = 1e-6, np.empty_like(h_prev)
    for i in range(h_prev.size):
        e = np.zeros_like(h_prev)
        e[i] = eps
        numeric[i] = (ref.loss_and_grads(params, inputs, targets, h_prev + e)[0]
                      - ref.loss_and_grads(params, inputs, targets, h_prev - e)[0]) / (2 * eps)
    np.testing.assert_allclose(dh_prev, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("seed", range(5))
def test_the_gradient_problem_makes_backpropagation_through_time_matter(seed):
    """On the checks' problems the recurrent path is a large part of the gradients of Wxh, Whh
    and bh (a missing BPTT is far outside any tolerance); clipping inside loss_and_grads is named
    for the gradients it changes."""
    rng = np.random.default_rng(seed)
    params = random_params(rng)
    inputs, targets, h_prev = random_chunk(rng)
    right = reference_slips.backward_variant(params, inputs, targets, h_prev)[1]
    no_bptt = reference_slips.backward_variant(params, inputs, targets, h_prev, bptt=False)[1]
    for k in ("Wxh", "Whh", "bh"):
        assert np.linalg.norm(no_bptt[k] - right[k]) > 0.1 * np.linalg.norm(right[k])
    known = reference_slips.known_gradients(params, inputs, targets, h_prev)
    assert slip_words.NO_BPTT in known["Whh"] and slip_words.NO_BPTT not in known["Why"]
    assert slip_words.NO_TRANSPOSE in known["Whh"]
    clipped = {k for k in KEYS if np.abs(right[k]).max() > 5.0}
    assert clipped == {k for k in KEYS if slip_words.CLIPPED in known[k]}


# ------------------------------------------------------------------ sample helpers


@pytest.mark.parametrize("seed", range(5))
def test_markov_model_is_the_chain_the_reference_sampler_follows(seed):
    params, P = checks_sample.markov_model(np.random.default_rng(seed))
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert P.min() >= checks_sample.MIN_PROB - 1e-12
    for x in range(P.shape[0]):  # one reference step from character x (Whh = 0: h does not matter)
        h = np.tanh(params["Wxh"][x] + np.ones(checks_sample.MARKOV_H) @ params["Whh"] + params["bh"])
        np.testing.assert_allclose(P[x], checks_sample.softmax(h @ params["Why"] + params["by"]))


def test_chi_square_p_value_is_scipys():
    from scipy.stats import chi2

    rng = np.random.default_rng(0)
    P = np.full((3, 4), 0.25)
    counts = rng.multinomial(400, [0.25] * 4, size=3).astype(float)
    stat, dof, p_value, rows = checks_sample.chi_square(counts, P)
    assert dof == 9 and set(rows) == {0, 1, 2}
    assert p_value == pytest.approx(chi2.sf(stat, 9), rel=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_reference_draws_pass_and_deterministic_draws_fail_the_distribution_test(seed):
    rng = np.random.default_rng(seed)
    params, P = checks_sample.markov_model(rng)
    counts = np.zeros_like(P)
    deterministic = np.zeros_like(P)
    for n, s in checks_sample.MARKOV_DRAWS:
        draws = ref.sample(params, np.zeros(checks_sample.MARKOV_H), 1, n, s)
        counts += checks_sample.transition_counts(draws, 1, P.shape[0])
        path, x = [], 1
        for _ in range(n):
            x = int(np.argmax(P[x]))
            path.append(x)
        deterministic += checks_sample.transition_counts(path, 1, P.shape[0])
    assert checks_sample.chi_square(counts, P)[2] >= checks_sample.ALPHA
    assert checks_sample.chi_square(deterministic, P)[2] < 1e-100
    assert "argmax" in checks_sample._distribution_slip(P, [(path, 1)])


@pytest.mark.parametrize("seed", range(5))
def test_peaked_model_makes_every_correct_sampler_return_the_greedy_path(seed):
    params, h, seed_ix, path = checks_sample.peaked_model(np.random.default_rng(seed))
    logp, hidden, x = 0.0, h, seed_ix
    for ix in path:  # the probability of the greedy path, and the logits a sampler meets on it
        hidden = np.tanh(params["Wxh"][x] + hidden @ params["Whh"] + params["bh"])
        y = hidden @ params["Why"] + params["by"]
        assert np.abs(y).max() <= checks_sample.PEAK_MAX_LOGIT
        logp += np.log(checks_sample.softmax(y)[ix])
        x = ix
    assert logp > -1e-9
    for s in range(3):
        assert ref.sample(params, h, seed_ix, checks_sample.PEAK_N, s) == path


def test_index_list_accepts_numpy_integers_and_names_an_extra_seed_index():
    assert index_list([np.array(3), 1], "sample", 2, 5) == [3, 1]
    assert index_list(np.array([0, 4]), "sample", 2, 5) == [0, 4]
    with pytest.raises(CheckFailed, match="returned 3 indices") as info:
        index_list([1, 2, 3], "sample", 2, 5)
    assert "seed_ix itself is not returned" in info.value.slip
    with pytest.raises(CheckFailed, match="expected an int"):
        index_list([1.0, 2.0], "sample", 2, 5)
    with pytest.raises(CheckFailed, match="outside"):
        index_list([1, 5], "sample", 2, 5)


# ------------------------------------------------------------------ train helpers


def test_replay_without_slips_is_the_reference_train():
    s = checks_train.SHORT
    V = len(set(s["text"]))
    init = ref.init_params(V, s["hidden_size"], s["seed"])
    params, history = reference_slips.replay(s["text"], s["hidden_size"], s["seq_length"], s["lr"], s["n_iter"], init)
    r_params, r_history = ref.train(s["text"], s["hidden_size"], s["seq_length"], s["lr"], s["n_iter"], s["seed"])
    assert np.array_equal(history, r_history)
    assert all(np.array_equal(params[k], r_params[k]) for k in KEYS)


@pytest.mark.parametrize("words", list(checks_train.REPLAY_SLIPS))
def test_every_replayed_slip_changes_the_history_on_the_short_text(words):
    s = checks_train.SHORT
    init = ref.init_params(len(set(s["text"])), s["hidden_size"], s["seed"])
    args = (s["text"], s["hidden_size"], s["seq_length"], s["lr"], s["n_iter"], init)
    _, right = reference_slips.replay(*args)
    _, wrong = reference_slips.replay(*args, **checks_train.REPLAY_SLIPS[words])
    assert not np.allclose(right, wrong, rtol=1e-5, atol=1e-8)


def test_short_text_wraps_and_carries_and_clips():
    s = checks_train.SHORT
    n, L = s["seq_length"], len(s["text"])
    assert 0 + n + 1 < L and n + n + 1 < L and 2 * n + n + 1 >= L  # chunks at 0, n, then a wrap
    assert list(dict.fromkeys(s["text"])) != sorted(set(s["text"]))
    chars = sorted(set(s["text"]))
    data = [chars.index(c) for c in s["text"]]
    params = ref.init_params(len(chars), s["hidden_size"], s["seed"])
    _, grads, _ = ref.loss_and_grads(params, data[:n], data[1:n + 1], np.zeros(s["hidden_size"]))
    assert max(np.abs(g).max() for g in grads.values()) > 5.0


def test_mark_mismatches_puts_a_caret_under_each_difference():
    out = checks_train.mark_mismatches("ab\ncd", "ax\ncd", width=3).splitlines()
    assert out[0] == "  text:      ab¶" and out[1] == "  generated: ax¶"
    assert out[2] == "              ^"
    assert out[3:5] == ["  text:      cd", "  generated: cd"] and out[5].strip() == ""


def test_history_trend_validates_the_history():
    run = checks_train.TrainRun({"result": ({}, [3.0, 2.0, 1.0, 0.5]), "cpu_s": 1.0}, "abc", 4, 4, "train(...)")
    assert checks_train.history_trend(run, blocks=2) == (
        "Mean loss per 2 iterations (your history, summed over a chunk): 2.5, 0.75")
    diverged = checks_train.TrainRun({"result": ({}, [3.0, float("inf")]), "cpu_s": 1.0}, "abc", 4, 2, "train(...)")
    assert checks_train.history_trend(diverged).endswith("3, inf. The loss is not finite from iteration 1 on.")
    for history in ([3.0, "x"], [3.0], "loss"):
        bad = checks_train.TrainRun({"result": ({}, history), "cpu_s": 1.0}, "abc", 4, 2, "train(...)")
        assert checks_train.history_trend(bad).startswith("The loss history cannot be shown")


# ------------------------------------------------------------------ grades (the sandbox is real)


def test_clip_grads_returning_copies_loses_only_the_in_place_check(tmp_path):
    path = _submission(tmp_path, Mutant(
        "copy", "    for g in grads.values():\n        np.clip(g, -limit, limit, out=g)\n",
        "    return {k: np.clip(g, -limit, limit) for k, g in grads.items()}\n"))
    report = _grade(path, "clip_grads")
    assert [t.passed for t in report.tests] == [False, True]
    assert "clipped copies" in report.tests[0].output


def test_a_sampler_returning_an_array_of_ints_passes(tmp_path):
    path = _submission(tmp_path, Mutant("array", "    return out\n    ### END SOLUTION\n\n\ndef train",
                                        "    return np.array(out)\n    ### END SOLUTION\n\n\ndef train"))
    report = _grade(path, "sample")
    assert all(t.passed for t in report.tests), [t.output for t in report.tests]


def test_a_sampler_returning_probabilities_gets_a_clear_message(tmp_path):
    path = _submission(tmp_path, Mutant("probs", "        out.append(ix)\n", "        out.append(float(p[ix]))\n"))
    report = _grade(path, "sample: returns")
    assert not report.tests[0].passed and "expected an int" in report.tests[0].output


def test_fresh_template_gets_zero_with_not_implemented_feedback(tmp_path):
    nb = build.build_notebook("char_rnn_numpy", ASSIGNMENT.reference)
    path = tmp_path / "char_rnn_numpy.ipynb"
    path.write_text(build.render(nb), encoding="utf-8")
    report = grade(str(path), ASSIGNMENT)
    assert report.score == 0 and len(report.tests) == len(ASSIGNMENT.all_checks())
    for t in report.tests:
        assert "NotImplementedError" in t.output, (t.name, t.output)
        assert "internal error" not in t.output


def test_a_train_with_another_signature_is_told_so(tmp_path):
    path = _submission(tmp_path, Mutant("signature", "def train(text, hidden_size, seq_length, lr, n_iter, seed):",
                                        "def train(text, hidden_size, seq_length, lr, n_iter):"))
    report = _grade(path, "train: returns")
    assert not report.tests[0].passed
    assert "the grader could not use your code: TypeError" in report.tests[0].output


def test_a_sampler_that_updates_its_own_copy_of_h_in_place_gets_every_sample_point(tmp_path):
    from graders.assignments.char_rnn_numpy.slips import SLOW_UNUSUAL

    own_copy = next(m for m in SLOW_UNUSUAL if m.name == "sample_updates_its_own_copy_of_h_in_place")
    report = _grade(write_edited("char_rnn_numpy", tmp_path, own_copy), "sample")
    assert report.score == report.max_score, {t.name: t.output for t in report.tests if not t.passed}

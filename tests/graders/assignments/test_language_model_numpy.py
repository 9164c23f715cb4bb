"""The language_model_numpy grader beyond the mutants: its helpers, its task, and grades of
unusual-but-correct and partly-correct submissions (the sandbox is real).

The reference and every mutant are graded in tests/graders/test_mutants.py.
"""

from __future__ import annotations

import functools
import ast
import itertools
import types
from pathlib import Path

import numpy as np
import pytest

from graders import assignments
from graders.assignments.language_model_numpy import (
    checks,
    checks_dataset,
    checks_gradients,
    checks_model,
    checks_trained,
    checks_training,
    problems,
    tasks,
)
from graders.assignments.language_model_numpy.thresholds import (
    CHECK_ACCURACY,
    CHECK_CROSS_ENTROPY,
    PROMPTS,
    declared,
)
from graders.engine.checks import Kind
from graders.engine.runner import grade
from reference.numpy import language_model_numpy as ref
from tests.graders.assignments.task_files import top_level_imports
from tests.mutants import Mutant, grade_selected, write_edited

ASSIGNMENT = assignments.get("language_model_numpy")
_submission = functools.partial(write_edited, "language_model_numpy")  # (tmp_path, *edits, name=...)
_grade = functools.partial(grade_selected, ASSIGNMENT)  # (path, prefix)


def _failed(report) -> dict:
    return {t.name: t.output for t in report.tests if not t.passed}


# ------------------------------------------------------------------ the check list


def test_every_check_names_a_contract_function_and_every_kind_is_used():
    all_checks = ASSIGNMENT.all_checks()
    assert {c.function for c in all_checks} == set(checks.CONTRACT)
    assert {Kind.VALUE, Kind.GRADIENT, Kind.PROPERTY, Kind.THRESHOLD} <= {c.kind for c in all_checks}
    gradient = [c.name for c in all_checks if c.kind is Kind.GRADIENT]
    assert [n.split(" of ")[1].split()[0] for n in gradient] == list(problems.KEYS)


def test_trained_checks_are_the_calibrated_ones_with_time_for_their_cpu_budget():
    trained = [c for c in ASSIGNMENT.all_checks() if c.kind is Kind.THRESHOLD]
    assert [c.name for c in trained] == [CHECK_ACCURACY, CHECK_CROSS_ENTROPY]
    for c in trained:
        assert c.threshold.key == c.name and c.timeout_s >= 4 * c.threshold.cpu_budget_s
    assert ASSIGNMENT.limits.cpu_s >= 8 * declared()[CHECK_ACCURACY].cpu_budget_s
    (acc,) = [c for c in ASSIGNMENT.all_checks({"all_configs": True}) if c.name == CHECK_ACCURACY]
    assert acc.timeout_s > trained[0].timeout_s


def test_the_tasks_file_is_registered_and_imports_only_stdlib_and_numpy():
    assert ASSIGNMENT.tasks == (Path(tasks.__file__),)
    tree = ast.parse(Path(tasks.__file__).read_text(encoding="utf-8"))
    imported = top_level_imports(tree)
    assert imported <= {"time", "numpy"}


def test_task_returns_what_train_returned_and_its_cpu_time():
    rng = np.random.default_rng(0)
    contexts, targets = rng.integers(0, 6, (10, 3)), rng.integers(0, 6, 10)
    out = tasks.task_train_timed(types.SimpleNamespace(train=ref.train), contexts=contexts, targets=targets,
                                 vocab_size=6, embed_dim=2, hidden_dim=3, lr=0.1, momentum=0.9, epochs=2,
                                 batch_size=4, train_seed=3)
    params, history = out["result"]
    expected, expected_history = ref.train(contexts, targets, 6, 2, 3, 0.1, 0.9, 2, 4, 3)
    assert history == expected_history and out["cpu_s"] >= 0.0
    for k in problems.KEYS:
        np.testing.assert_array_equal(params[k], expected[k])


# ------------------------------------------------------------------ problems and named slips


@pytest.mark.parametrize("seed", range(10))
def test_gradient_problems_repeat_words_and_leave_one_unused(seed):
    params, context, target = problems.lm_problem(np.random.default_rng(seed))
    assert context.shape == (problems.N, 3) and target.shape == (problems.N,)
    assert len(set(context[0].tolist())) == 2 and len(set(context[1].tolist())) == 1
    assert problems.V - 1 not in context
    assert len({problems.V, problems.D, 3 * problems.D, problems.P, problems.N}) == 5


def test_variants_without_slips_are_the_reference():
    params, context, target = problems.lm_problem(np.random.default_rng(0))
    np.testing.assert_allclose(checks_model.forward_variant(params, context), ref.forward(params, context)[0],
                               rtol=1e-13, atol=1e-15)
    loss, expected = ref.loss_and_grads(params, context, target)
    got = checks_gradients.grads_variant(params, context, target)
    for k in problems.KEYS:
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-12, atol=1e-15)
    assert checks_gradients.reference_loss(params, context, target) == pytest.approx(loss, rel=1e-13)


@pytest.mark.parametrize("key", problems.KEYS)
def test_named_gradient_slips_never_match_the_right_gradient(key):
    """A slip the feedback names must differ from the right answer, or a correct
    submission could be told it made it."""
    params, context, target = problems.lm_problem(np.random.default_rng(1))
    right = ref.loss_and_grads(params, context, target)[1][key]
    for words, wrong in checks_gradients.gradient_slips(params, context, target, key).items():
        if np.allclose(wrong, right, rtol=1e-6, atol=1e-10):
            # the embedding and the sigmoid slips do not reach the output layer; dW1 from dh
            # reaches only W1; the embedding slips reach only E
            assert (key in ("W2", "b2") and ("sigmoid" in words or "embedding" in words or "dW1" in words)) or \
                (key in ("W1", "b1") and "embedding" in words) or (key in ("E", "b1") and "dW1" in words), \
                (key, words)


def test_named_forward_slips_never_match_the_right_probabilities():
    params, context, _ = problems.lm_problem(np.random.default_rng(2))
    right = ref.forward(params, context)[0]
    for words, wrong in checks_model.forward_slips(params, context).items():
        assert not np.allclose(wrong, right, rtol=1e-6, atol=1e-9), words


@pytest.mark.parametrize("seed", range(5))
def test_large_scores_break_the_naive_and_the_global_max_softmax_but_not_the_reference(seed):
    params, context = checks_model.large_score_problem(np.random.default_rng(seed))
    probs, (_, _, h, _) = ref.forward(params, context)
    assert np.isfinite(probs).all()
    s = h @ params["W2"] + params["b2"]
    with np.errstate(all="ignore"):
        naive = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
        global_max = np.exp(s - s.max()) / np.exp(s - s.max()).sum(axis=1, keepdims=True)
    assert not np.isfinite(naive).all() and not np.isfinite(global_max).all()


def test_predict_problem_has_clear_answers_that_are_not_the_last_word():
    params = checks_model.predict_problem(np.random.default_rng(0))
    answers = [ref.predict_next(params, checks_model.PREDICT_VOCAB, list(p)) for p in checks_model.PREDICT_PROMPTS]
    assert sum(a == p[-1].lower() for a, p in zip(answers, checks_model.PREDICT_PROMPTS)) <= 1
    assert len(set(answers)) >= 3


def test_vocabulary_text_has_ties_at_every_cut_and_every_named_slip_shows():
    from collections import Counter

    words = ref.tokenize(checks_dataset.VOCAB_TEXT)
    counts = Counter(words)
    top3 = ref.build_dataset(checks_dataset.VOCAB_TEXT, 3)[0]
    assert len({counts[w] for w in top3}) == 1 and top3 != sorted(top3)  # a tie ordered by first appearance
    for size in (5, 8):
        vocab = ref.build_dataset(checks_dataset.VOCAB_TEXT, size)[0]
        left_out = [w for w in counts if w not in vocab]
        assert counts[vocab[-1]] in {counts[w] for w in left_out}, size  # a tie at the cut
    for words_, _ in checks_dataset.vocab_slips(checks_dataset.VOCAB_TEXT, 3).items():
        assert any(checks_dataset.vocab_slips(checks_dataset.VOCAB_TEXT, k)[words_]
                   != ref.build_dataset(checks_dataset.VOCAB_TEXT, k)[0] for k in checks_dataset.VOCAB_SIZES), words_


def test_grams_is_the_reference_rule_and_every_named_slip_shows_on_the_texts():
    for text, size in checks_dataset.GRAM_CASES:
        vocab, c, t = ref.build_dataset(text, size)
        gc, gt = checks_dataset.grams(text, vocab)
        assert np.array_equal(gc, c) and np.array_equal(gt, t) and gc.shape[1] == 3
    for rule in checks_dataset.GRAM_SLIPS:
        differs = []
        for text, size in checks_dataset.GRAM_CASES:
            vocab = ref.build_dataset(text, size)[0]
            right, wrong = checks_dataset.grams(text, vocab), checks_dataset.grams(text, vocab, rule)
            differs.append(not all(np.array_equal(a, b) for a, b in zip(right, wrong)))
        assert any(differs), rule


def test_the_empty_case_has_no_four_grams():
    vocab, c, t = ref.build_dataset("Hello, world! Bye.", 5)
    assert c.shape == (0, 3) and t.shape == (0,)


@pytest.mark.parametrize("steps", [1, 2])
def test_momentum_path_is_the_reference_train_with_the_whole_batch(steps):
    u = checks_training.UPDATE
    contexts, targets = checks_training.update_problem(np.random.default_rng(3))
    p0 = ref.init_params(u["V"], u["D"], u["P"], u["seed"])
    got = checks_training.momentum_path(p0, lambda p: ref.loss_and_grads(p, contexts, targets)[1], u["lr"],
                                        u["momentum"], steps)
    expected, _ = ref.train(contexts, targets, u["V"], u["D"], u["P"], u["lr"], u["momentum"], steps, u["N"],
                            u["seed"])
    for k in problems.KEYS:
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-12, atol=1e-14)
    for w in checks_training.UNUSED_WORDS:
        assert w not in contexts


def test_two_updates_tell_every_named_update_slip_from_the_rule():
    u = checks_training.UPDATE
    contexts, targets = checks_training.update_problem(np.random.default_rng(4))
    p0 = ref.init_params(u["V"], u["D"], u["P"], u["seed"])

    def grad(p):
        return ref.loss_and_grads(p, contexts, targets)[1]

    right = checks_training.momentum_path(p0, grad, u["lr"], u["momentum"], 2)
    for rule in checks_training.UPDATE_SLIPS:
        wrong = checks_training.momentum_path(p0, grad, u["lr"], u["momentum"], 2, rule=rule)
        assert not np.allclose(wrong["W2"], right["W2"], rtol=1e-6, atol=1e-9), rule


def _check_rng(name: str) -> np.random.Generator:
    """The generator a check gets in a grade (runner.Context seeds it with the check's name)."""
    import zlib

    return np.random.default_rng(zlib.crc32(name.encode("utf-8")))


def _shuffle_runs():
    """The shuffle check's problem, as the check draws it in a grade."""
    s = checks_training.SHUFFLE
    rng = _check_rng("train: a fresh order of the examples every epoch")
    contexts, targets = checks_training.shuffle_problem(rng)
    return s, contexts, targets


def test_every_order_of_an_epoch_leaves_different_parameters():
    s, contexts, targets = _shuffle_runs()
    p0 = ref.init_params(s["V"], s["D"], s["P"], s["seed"])
    ends = []
    for order in itertools.permutations(range(s["N"])):
        p = p0
        for i in order:
            g = ref.loss_and_grads(p, contexts[i:i + 1], targets[i:i + 1])[1]
            p = {k: p[k] - s["lr"] * g[k] for k in problems.KEYS}
        ends.append(np.concatenate([p[k].ravel() for k in problems.KEYS]))
    ends = np.array(ends)
    gaps = [np.max(np.abs(a - b)) for a, b in itertools.combinations(ends, 2)]
    assert min(gaps) > 1e-4


def test_the_reference_orders_are_decoded_and_change_between_epochs():
    s, contexts, targets = _shuffle_runs()
    states = [ref.init_params(s["V"], s["D"], s["P"], s["seed"])]
    states += [ref.train(contexts, targets, s["V"], s["D"], s["P"], s["lr"], 0.0, e, 1, s["seed"])[0]
               for e in range(1, s["epochs"] + 1)]
    rng = np.random.default_rng(s["seed"])
    truth = [tuple(rng.permutation(s["N"]).tolist()) for _ in range(s["epochs"])]

    def grad(p, c, t):
        return ref.loss_and_grads(p, c, t)[1]

    decoded = [checks_training.decode_epoch(states[e], states[e + 1], contexts, targets, s["lr"], grad)
               for e in range(s["epochs"])]
    assert decoded == truth and len(set(decoded)) > 1


def _draw(text="one course"):
    from graders.assignments.language_model_numpy.thresholds import graded_data
    from graders.engine.secret import fixed_secret

    return graded_data(fixed_secret(text, "language_model_numpy"))


def test_completions_agree_with_the_reference_predict_next():
    rng = np.random.default_rng(0)
    vocab = _draw()["vocab"]
    params = problems.random_params(rng, v=len(vocab), d=4, p=6)
    for prompt in PROMPTS:
        assert checks_trained.complete(params, vocab, prompt) == ref.predict_next(params, vocab, list(prompt))


def test_the_trained_checks_data_is_a_secret_split_with_the_words_in_a_secret_order():
    from dlgrade.data import load_english_text

    d, other = _draw(), _draw("another course")
    assert len(d["vocab"]) == 250
    assert len(d["train_targets"]) == 15801 and len(d["test_targets"]) == 1756
    assert d["train_contexts"].shape == (15801, 3)
    vocab, contexts, targets = ref.build_dataset(load_english_text(), 250)
    assert sorted(d["vocab"]) == sorted(vocab) and d["vocab"] != vocab and other["vocab"] != d["vocab"]
    assert d["seed"] != other["seed"]
    # the same 4-grams as the text's, written with the draw's word indices
    drawn = [tuple(d["vocab"][i] for i in row) for row in np.column_stack(
        [np.concatenate([d["train_contexts"], d["test_contexts"]]),
         np.concatenate([d["train_targets"], d["test_targets"]])])]
    text = [tuple(vocab[i] for i in row) for row in np.column_stack([contexts, targets])]
    assert sorted(drawn) == sorted(text)


# ------------------------------------------------------------------ grades through the sandbox


def test_a_train_that_shuffles_in_place_and_returns_arrays_gets_full_marks_on_the_small_checks(tmp_path):
    path = _submission(
        tmp_path,
        Mutant("shuffle in place", "        order = rng.permutation(M)\n",
               "        rng.shuffle(order)\n"),
        Mutant("one order array", "    history = []\n    for _ in range(epochs):\n",
               "    history = []\n    order = np.arange(M)\n    for _ in range(epochs):\n"),
        Mutant("array history", "    return params, history\n", "    return params, np.array(history)\n"),
    )
    report = grade(path, ASSIGNMENT, select=lambda n: n.startswith("train") and "held-out" not in n)
    assert len(report.tests) == 6  # shuffling its own order array leaves the caller's data unchanged
    assert not _failed(report)


def test_a_build_dataset_with_int32_arrays_and_a_tuple_vocab_gets_full_marks(tmp_path):
    path = _submission(tmp_path, Mutant(
        "int32", "    return vocab, grams[:, :3].copy(), grams[:, 3].copy()\n",
        "    return tuple(vocab), grams[:, :3].astype(np.int32), grams[:, 3].astype(np.int32)\n"))
    report = _grade(path, "build_dataset")
    assert not _failed(report)


def test_a_wrong_gradient_costs_the_gradient_checks_not_the_update_checks(tmp_path):
    from graders.assignments.language_model_numpy.slips import MUTANTS

    (mutant,) = [m for m in MUTANTS if m.name == "sigmoid_derivative_without_one_minus_h"]
    report = grade(_submission(tmp_path, mutant), ASSIGNMENT,
                   select=lambda n: n.startswith(("train: one", "train: two", "train: a fresh",
                                                  "loss_and_grads: gradient check of W1")))
    failed = _failed(report)
    assert list(failed) == ["loss_and_grads: gradient check of W1"], failed
    assert "own loss_and_grads" in next(t.output for t in report.tests if t.name.startswith("train: one"))


def test_predict_next_that_does_not_lower_case_is_told_so(tmp_path):
    path = _submission(tmp_path, Mutant("no lower", "index[w.lower()] for w in words", "index[w] for w in words"))
    (result,) = [t for t in _grade(path, "predict_next").tests if t.name.startswith("predict_next: the most")]
    assert not result.passed and "lower-cased" in result.output


def test_fresh_template_gets_zero_with_not_implemented_yet_feedback():
    from student_templates import build

    path = Path(build.__file__).resolve().parent / "language_model_numpy.ipynb"
    report = grade(str(path), ASSIGNMENT, select=lambda n: "held-out" not in n)
    assert report.score == 0 and len(report.tests) == len(ASSIGNMENT.all_checks()) - 2
    for t in report.tests:
        assert "Not implemented yet" in t.output, (t.name, t.output)
    assert report.load_messages == []


@pytest.mark.slow
def test_the_trained_checks_report_completions_and_the_configurations(tmp_path):
    report = grade(str(ASSIGNMENT.reference), ASSIGNMENT, options={"all_configs": True},
                   select=lambda n: "held-out" in n)
    assert not _failed(report)
    acc = report.tests[0].output
    assert '"can be used" -> ' in acc and acc.count(": yours ") == 3, acc


@pytest.mark.slow
def test_the_0_01_randn_initialisation_fails_the_trained_checks_and_is_named(tmp_path):
    from graders.assignments.language_model_numpy.slips import SLOW_MUTANTS

    (mutant,) = [m for m in SLOW_MUTANTS if m.name == "init_params_tiny_0_01_randn"]
    report = _grade(_submission(tmp_path, mutant), "train: held-out")
    assert all(not t.passed for t in report.tests)
    assert "0.01 * randn" in report.tests[0].output and "Predicted completions" in report.tests[0].output

"""Tests of the language_model_numpy reference: gradients vs torch float64 (with repeated
context words), build_dataset's rules, the momentum update, prediction, and (slow) the
calibrated held-out thresholds."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[3]
PATH = REPO / "reference" / "numpy" / "language_model_numpy.py"
KEYS = ("E", "W1", "b1", "W2", "b2")


def _load():
    spec = importlib.util.spec_from_file_location("language_model_numpy_ref", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


m = _load()


def _problem(V=9, D=3, P=5, N=6, seed=0):
    rng = np.random.default_rng(seed)
    params = {
        "E": rng.standard_normal((V, D)),
        "W1": rng.standard_normal((3 * D, P)) * 0.7,
        "b1": rng.standard_normal(P) * 0.3,
        "W2": rng.standard_normal((P, V)),
        "b2": rng.standard_normal(V) * 0.3,
    }
    context = rng.integers(0, V, (N, 3))
    context[0] = [2, 5, 2]  # a word twice in one context
    context[1] = [4, 4, 4]  # a word three times
    context[2, 0] = 5  # and word 5 again in another example
    target = rng.integers(0, V, N)
    return params, context, target


def _torch(params, context, target):
    tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    c = torch.tensor(context)
    e = tp["E"][c].reshape(len(context), -1)
    h = torch.sigmoid(e @ tp["W1"] + tp["b1"])
    logits = h @ tp["W2"] + tp["b2"]
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(target))
    loss.backward()
    return loss.item(), {k: t.grad.numpy() for k, t in tp.items()}, torch.softmax(logits, 1).detach().numpy()


def test_init_params_shapes_and_determinism():
    p = m.init_params(11, 4, 6, seed=1)
    assert {k: v.shape for k, v in p.items()} == {
        "E": (11, 4), "W1": (12, 6), "b1": (6,), "W2": (6, 11), "b2": (11,)}
    assert all(v.dtype == np.float64 for v in p.values())
    assert not p["b1"].any() and not p["b2"].any()
    q = m.init_params(11, 4, 6, seed=1)
    assert all(np.array_equal(p[k], q[k]) for k in KEYS)


def test_forward_matches_torch_and_rows_sum_to_one():
    params, context, target = _problem(seed=1)
    probs, _ = m.forward(params, context)
    _, _, t_probs = _torch(params, context, target)
    assert probs.shape == (6, 9)
    np.testing.assert_allclose(probs, t_probs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-12)


def test_forward_concatenates_positions_in_order():
    """Swapping two context words changes the output (positions have their own W1 rows)."""
    params, _, _ = _problem(seed=2)
    p1, _ = m.forward(params, np.array([[1, 3, 7]]))
    p2, _ = m.forward(params, np.array([[3, 1, 7]]))
    assert not np.allclose(p1, p2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loss_and_grads_match_torch_autograd_with_repeated_words(seed):
    params, context, target = _problem(seed=seed)
    loss, grads = m.loss_and_grads(params, context, target)
    t_loss, t_grads, _ = _torch(params, context, target)
    assert loss == pytest.approx(t_loss, rel=1e-12)
    for k in KEYS:
        assert grads[k].shape == params[k].shape
        np.testing.assert_allclose(grads[k], t_grads[k], rtol=1e-9, atol=1e-12, err_msg=k)


def test_embedding_gradient_of_a_repeated_word_adds_both_positions():
    """dE[2] for the context (2, 5, 2) is the sum of the slices of dL/de at positions 0
    and 2 (keeping only the last one is the classic fancy-indexing slip)."""
    params, _, _ = _problem(seed=3)
    D = params["E"].shape[1]
    _, g = m.loss_and_grads(params, np.array([[2, 5, 2]]), np.array([1]))
    e = torch.tensor(params["E"][[2, 5, 2]].reshape(1, -1), requires_grad=True)
    h = torch.sigmoid(e @ torch.tensor(params["W1"]) + torch.tensor(params["b1"]))
    logits = h @ torch.tensor(params["W2"]) + torch.tensor(params["b2"])
    torch.nn.functional.cross_entropy(logits, torch.tensor([1])).backward()
    de = e.grad.numpy()[0]
    np.testing.assert_allclose(g["E"][2], de[:D] + de[2 * D:], rtol=1e-10)
    np.testing.assert_allclose(g["E"][5], de[D:2 * D], rtol=1e-10)
    assert not np.allclose(de[:D], 0.0) and not np.allclose(de[2 * D:], 0.0)
    untouched = np.delete(np.arange(len(params["E"])), [2, 5])
    assert not g["E"][untouched].any()


def test_loss_is_a_mean_over_the_batch():
    params, context, target = _problem(seed=4)
    loss, _ = m.loss_and_grads(params, context, target)
    parts = [m.loss_and_grads(params, context[i:i + 1], target[i:i + 1])[0] for i in range(6)]
    assert loss == pytest.approx(np.mean(parts), rel=1e-12)


def test_forward_is_finite_for_large_weights():
    params, context, _ = _problem(seed=5)
    big = {k: v * 1e3 for k, v in params.items()}
    probs, _ = m.forward(big, context)
    assert np.isfinite(probs).all()


def test_tokenize_lower_cases_and_keeps_inner_apostrophes():
    assert m.tokenize("Don't stop, 3 times! 'Quoted' x_y") == ["don't", "stop", "times", "quoted", "x", "y"]


def test_build_dataset_vocab_ties_by_first_appearance_and_drops_oov_4grams():
    text = "Zeta alpha zeta, ALPHA beta beta gamma zeta alpha beta gamma delta"
    # counts: zeta 3, alpha 3, beta 3 (first appearances in that order), gamma 2, delta 1
    vocab, contexts, targets = m.build_dataset(text, 4)
    assert vocab == ["zeta", "alpha", "beta", "gamma"]  # not alphabetical among the ties
    assert m.build_dataset(text, 2)[0] == ["zeta", "alpha"]
    words = text.lower().replace(",", "").split()
    idx = {w: i for i, w in enumerate(vocab)}
    expected = [[idx[w] for w in words[i:i + 4]] for i in range(len(words) - 3)
                if all(w in idx for w in words[i:i + 4])]
    assert len(expected) == 8  # the one 4-gram ending in "delta" is dropped
    assert contexts.dtype == np.int64 and targets.dtype == np.int64
    assert contexts.shape == (8, 3) and targets.shape == (8,)
    np.testing.assert_array_equal(contexts, np.array(expected)[:, :3])
    np.testing.assert_array_equal(targets, np.array(expected)[:, 3])


def test_build_dataset_small_example_by_hand():
    text = "the cat saw the dog; the cat ran. A dog saw the cat!"
    vocab, contexts, targets = m.build_dataset(text, 4)
    # the 4, cat 3, saw 2, dog 2 (saw appears before dog); ran 1, a 1 are dropped
    assert vocab == ["the", "cat", "saw", "dog"]
    # words: the cat saw the dog the cat ran a dog saw the cat
    # kept 4-grams: (the cat saw the), (cat saw the dog), (saw the dog the),
    # (the dog the cat), (dog saw the cat)
    np.testing.assert_array_equal(
        contexts, [[0, 1, 2], [1, 2, 0], [2, 0, 3], [0, 3, 0], [3, 2, 0]])
    np.testing.assert_array_equal(targets, [0, 3, 0, 1, 1])


def test_build_dataset_with_a_vocab_larger_than_the_text():
    vocab, contexts, targets = m.build_dataset("one two three", 10)
    assert vocab == ["one", "two", "three"]
    assert contexts.shape == (0, 3) and targets.shape == (0,)


def test_train_two_full_batch_epochs_follow_classical_momentum():
    params, context, target = _problem(V=9, N=12, seed=6)
    lr, mu = 0.3, 0.8
    trained, hist = m.train(context, target, 9, 3, 5, lr, mu, 2, 12, seed=4)
    p = m.init_params(9, 3, 5, 4)
    v = {k: np.zeros_like(x) for k, x in p.items()}
    losses = []
    for _ in range(2):
        loss, g = m.loss_and_grads(p, context, target)
        losses.append(loss)
        for k in KEYS:
            v[k] = mu * v[k] - lr * g[k]
            p[k] = p[k] + v[k]
    assert hist == pytest.approx(losses, rel=1e-10)
    for k in KEYS:
        np.testing.assert_allclose(trained[k], p[k], rtol=1e-10, atol=1e-13, err_msg=k)


def test_train_is_deterministic_and_reduces_the_loss():
    rng = np.random.default_rng(0)
    context = rng.integers(0, 6, (60, 3))
    target = (context[:, 0] + context[:, 2]) % 6  # a learnable rule
    a, ha = m.train(context, target, 6, 4, 16, 0.5, 0.9, 30, 10, seed=1)
    b, hb = m.train(context, target, 6, 4, 16, 0.5, 0.9, 30, 10, seed=1)
    assert ha == hb and all(np.array_equal(a[k], b[k]) for k in KEYS)
    assert len(ha) == 30 and ha[-1] < 0.3 * ha[0]


def test_predict_next_returns_the_argmax_word():
    params, _, _ = _problem(V=5, seed=7)
    vocab = ["the", "cat", "sat", "on", "mat"]
    probs, _ = m.forward(params, np.array([[0, 1, 2]]))
    assert m.predict_next(params, vocab, ["the", "cat", "sat"]) == vocab[int(probs.argmax())]
    assert m.predict_next(params, vocab, ("The", "CAT", "sat")) == vocab[int(probs.argmax())]


@pytest.mark.slow
def test_calibrated_held_out_thresholds_pass_for_calibration_draw_0():
    from graders.assignments.language_model_numpy.calibrate import run_seed
    from graders.assignments.language_model_numpy.thresholds import declared

    t_acc = declared()["train: held-out accuracy"].for_dataset("pydoc_data.topics 4-grams")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        result = run_seed(0)
    assert t_acc.passes(result["accuracy"])
    assert declared()["train: held-out cross-entropy"].for_dataset("pydoc_data.topics 4-grams").passes(result["cross_entropy"])

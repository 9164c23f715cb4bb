"""Checks of `confusion_matrix(y_true, y_pred, n_classes)` by properties (Hypothesis draws the
labels; every example is a call into the sandbox, judged here):

- the result is a (K, K) int64 array whose counts sum to N;
- the diagonal counts the correct predictions: trace = #{n: y_true[n] == y_pred[n]}, and
  entry [i, i] = #{n: y_true[n] == y_pred[n] == i};
- rows follow the true class: row i sums to #{n: y_true[n] == i}, column j to
  #{n: y_pred[n] == j} (a transposed matrix fails here);
- each entry [i, j] = #{n: (y_true[n], y_pred[n]) == (i, j)} (repeated pairs all counted).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.properties import check_property


@st.composite
def labelled(draw):
    k = draw(st.integers(1, 6))
    n = draw(st.integers(1, 25))
    y_true = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)), dtype=np.int64)
    y_pred = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)), dtype=np.int64)
    return y_true, y_pred, k


def _render(args) -> str:
    y_true, y_pred, k = args[0]
    return f"y_true = {y_true.tolist()}, y_pred = {y_pred.tolist()}, n_classes = {k}"


def _call(ctx, y_true, y_pred, k) -> np.ndarray:
    what = f"confusion_matrix(y_true, y_pred, {k})"
    got = expect.array(ctx.call("confusion_matrix", y_true, y_pred, k), what, (k, k), dtype=None)
    if got.dtype != np.int64:
        raise CheckFailed(f"{what} returned a {got.dtype} array; the contract's counts are int64.",
                          expected="int64", got=str(got.dtype),
                          slip="np.zeros((K, K)) is float64: pass dtype=np.int64.")
    return got


def check_confusion_matrix_properties(ctx):
    def prop(example):
        y_true, y_pred, k = example
        got = _call(ctx, y_true, y_pred, k)
        n = len(y_true)
        if int(got.sum()) != n:
            raise CheckFailed(f"the counts sum to {int(got.sum())}; there are N = {n} examples.",
                              expected=str(n), got=str(int(got.sum())),
                              slip="a repeated (true, predicted) pair counted once: counts[y_true, y_pred] += 1 "
                                   "writes each index once; use np.add.at or a loop." if got.sum() < n else None)
        correct = int(np.sum(y_true == y_pred))
        if int(np.trace(got)) != correct:
            raise CheckFailed(f"the diagonal counts {int(np.trace(got))} correct predictions; there are {correct}.",
                              expected=str(correct), got=str(int(np.trace(got))))
        rows, cols = np.bincount(y_true, minlength=k), np.bincount(y_pred, minlength=k)
        if not np.array_equal(got.sum(axis=1), rows):
            transposed = np.array_equal(got.sum(axis=0), rows)
            raise CheckFailed("the rows do not follow the true class: row i must sum to the number of examples of "
                              "true class i.", expected=str(rows.tolist()), got=str(got.sum(axis=1).tolist()),
                              slip="the matrix is transposed: [i, j] counts true class i predicted as j "
                                   "(rows: true, columns: predicted)." if transposed else None)
        if not np.array_equal(got.sum(axis=0), cols):
            raise CheckFailed("the columns do not follow the predicted class.", expected=str(cols.tolist()),
                              got=str(got.sum(axis=0).tolist()))
        expected = np.zeros((k, k), dtype=np.int64)
        np.add.at(expected, (y_true, y_pred), 1)
        if not np.array_equal(got, expected):
            raise CheckFailed("some entry [i, j] is not the number of examples of true class i predicted as j.",
                              expected=str(expected.tolist()), got=str(got.tolist()))

    check_property(prop, labelled(), max_examples=40, render=_render)

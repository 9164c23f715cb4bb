"""Similarity: copied code is flagged (renamed or not), independent work and the template are not."""

from __future__ import annotations

from graders.gradebook.db import open_gradebook
from graders.gradebook.similarity import find_similar, record_pairs, stored_pairs, template_code

TEMPLATE = '''import numpy as np


def softmax_cross_entropy(scores, labels):
    """Mean cross-entropy of softmax(scores) against integer labels, and its gradient.

    scores: (N, C) float array; labels: (N,) ints in [0, C).
    Returns (loss, dscores) with dscores of shape (N, C).
    """
    raise NotImplementedError("write softmax_cross_entropy")


def helper_given_to_everyone(values, axis=None):
    total = np.sum(values, axis=axis, keepdims=True)
    count = values.shape[axis] if axis is not None else values.size
    return total / count
'''
TODO_LINE = '    raise NotImplementedError("write softmax_cross_entropy")'
ALICE = TEMPLATE.replace(TODO_LINE, '''    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = scores.shape[0]
    loss = -log_probs[np.arange(n), labels].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), labels] -= 1
    dscores /= n
    return loss, dscores''')
BOB = ALICE.replace("shifted", "z").replace("log_probs", "lp").replace("dscores", "grad")  # renamed copy
CAROL = TEMPLATE.replace(TODO_LINE, '''    loss = 0.0
    grad = np.zeros_like(scores)
    for i in range(len(labels)):
        row = scores[i] - np.max(scores[i])
        p = np.exp(row) / np.sum(np.exp(row))
        loss += -np.log(p[labels[i]])
        p[labels[i]] -= 1.0
        grad[i] = p
    return loss / len(labels), grad / len(labels)''')


def test_a_renamed_copy_is_flagged_and_independent_work_is_not():
    pairs = find_similar({"alice": ALICE, "bob": BOB, "carol": CAROL}, TEMPLATE, threshold=0.5)
    assert [(p.student_a, p.student_b) for p in pairs] == [("alice", "bob")]
    assert pairs[0].similarity > 0.9
    start, end = pairs[0].passages_a[0]
    assert "log" in ALICE[start:end]  # the passages are ranges of the submission's own code


def test_the_templates_code_never_counts():
    untouched = {"dan": TEMPLATE, "erin": TEMPLATE + "\n# nothing done yet\n"}
    assert find_similar(untouched, TEMPLATE, threshold=0.1) == []
    assert find_similar(untouched, "", threshold=0.5) != []  # without the template they would match


def test_the_assignments_own_template_notebook_is_found():
    assert "def " in template_code("numpy_basics")
    assert template_code("no_such_assignment") == ""


def test_pairs_are_stored_for_the_dashboard_and_replaced_by_a_new_run(tmp_path):
    pairs = find_similar({"alice": ALICE, "bob": BOB}, TEMPLATE, threshold=0.5)
    with open_gradebook(tmp_path / "g.sqlite") as conn:
        record_pairs(conn, "hw", pairs)
        record_pairs(conn, "hw", pairs)
        (stored,) = stored_pairs(conn, "hw")
        assert (stored.student_a, stored.passages_b) == ("alice", pairs[0].passages_b)
        record_pairs(conn, "hw", [])
        assert stored_pairs(conn, "hw") == []

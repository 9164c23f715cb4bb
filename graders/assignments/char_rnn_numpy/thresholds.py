"""Calibrated bound of the trained-model check of `char_rnn_numpy`.

Written by `python -m graders.assignments.char_rnn_numpy.calibrate --write`; do not edit
the table by hand.

The check runs the submission's `train(text, hidden_size, seq_length, lr, n_iter,
seed=grade_seed)` with `SETTINGS` on the course's Faust excerpt
(`dlgrade.data.load_faust()`: 184 characters, 34 distinct), then, in the grader's own
process and with `regenerate` below (not the submission's code), regenerates the text
GREEDILY from its first character: h = 0, input text[0], and at every step the most
probable next character is emitted and fed back, 183 times. The metric is the number of
positions where the regenerated 183 characters differ from text[1:] (lower is better).

Greedy rather than sampled regeneration: it is deterministic given the parameters, so
the only spread left is that of training itself.
"""

from __future__ import annotations

import numpy as np

from graders.engine.thresholds import Threshold

CHECK = "train: regenerate Faust"
METRIC = "character errors regenerating the Faust excerpt (greedy, 183 characters)"

SETTINGS = {
    "hidden_size": 128,
    "seq_length": 26,
    "lr": 0.05,
    "n_iter": 8000,
}


def regenerate(params: dict, text: str) -> str:
    """Greedy regeneration of len(text) - 1 characters from text[0] with h = 0.

    The vocabulary is sorted(set(text)), as in the contract's train; the forward step is
    the contract's h = tanh(x Wxh + h Whh + bh), scores = h Why + by, argmax fed back.
    """
    chars = sorted(set(text))
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    h = np.zeros(p["Whh"].shape[0])
    ix = chars.index(text[0])
    out = []
    for _ in range(len(text) - 1):
        h = np.tanh(p["Wxh"][ix] + h @ p["Whh"] + p["bh"])
        ix = int(np.argmax(h @ p["Why"] + p["by"]))
        out.append(chars[ix])
    return "".join(out)


def regeneration_errors(params: dict, text: str) -> int:
    """Number of positions where regenerate(params, text) differs from text[1:]."""
    generated = regenerate(params, text)
    return sum(a != b for a, b in zip(generated, text[1:]))


THRESHOLDS: dict[str, Threshold] = {
    "train: regenerate Faust": Threshold(
        metric=METRIC,
        bound=10.0,
        higher_is_better=False,
        reference_values=(1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
        seeds=(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19),
        margin=9.0,
        cpu_budget_s=30.0,
        grade_seed=0,
        settings=dict(SETTINGS),
        dataset="faust",
    ),
}

"""The trained-model check of `char_rnn_numpy`, declared once (`TRAINED`).

Its calibrated numbers are data, in thresholds.json beside this file, written by
`dlgrade calibrate char_rnn_numpy --write`; do not edit them by hand.

The check runs the submission's `train(text, hidden_size, seq_length, lr, n_iter, seed)`
with `SETTINGS` on this course's draw of the Faust excerpt (`graded_text` below, made from
the course secret: the four verses of `dlgrade.data.load_faust()` in a secret order, the
whole rotated to start at a secret character; 184 characters, 34 distinct, as the excerpt;
the seed is secret too), then, in the grader's own
process and with `regenerate` below (not the submission's code), regenerates the text
GREEDILY from its first character: h = 0, input text[0], and at every step the most
probable next character is emitted and fed back, 183 times. The metric is the number of
positions where the regenerated 183 characters differ from text[1:] (lower is better).
Greedy rather than sampled regeneration: it is deterministic given the parameters, so
the only spread left is that of training itself.

Settings. The course's (100 hidden units, seq_length 25, lr 0.1, 10,000 iterations) are
unstable, as the course says: measured here with this reference, seeds 0-9 gave
3, 3, 6, 3, 3, 105, 7, 3, 8, 7 errors. Two separate causes:
- with seq_length 25 the min-char-rnn data pointer wraps at p = 175 (175 + 26 >= 184), so
  the last 8 characters ("neigt?\n\n") are never training targets and the regeneration
  of "Wahn ge..." goes astray: 3 to 8 errors on every seed. With seq_length 26 the chunks
  start at 0, 26, ..., 156 and every character but the very last is a target;
- Adagrad at lr 0.1 occasionally blows up late in training (seed 5: the loss fell to ~6,
  jumped to ~160 at iteration ~6,250 and had not recovered at 10,000; with seq_length 26,
  seed 0 ended at 73 errors). At lr 0.05 with 128 hidden units no seed did.
With SETTINGS every seed 0-19 on the public excerpt reached exactly 1 error (the final
newline, which is never a target), and so did seeds 0-19 at 10,000 iterations and seeds 0-9
at 6,000: 8,000 iterations leave a wide margin in training length. Over the calibration
draws (the table) the reference makes 0 or 1 errors: a draw's last character is never a
target either, wherever the rotation puts it.

The bound is absolute: worst reference value (1) + 9 characters = 10 (about 5% of the
text). `margin` in the record is that slack relative to the worst value (900%).

Why a draw: the excerpt is public, so weights trained in advance on it (or a `train` that
recognises it and returns them) would regenerate it without any training; they do not
regenerate another order of its verses started elsewhere. The 4! orders times 184
starting points give 4,416 texts, too many to prepare weights for. Every draw is the same
kind of task (the same characters, the same length, the same verses to memorise), and the
bound is calibrated over draws and over harmless variations of the reference (the
record's `variation`: the pre-activation summed as Wxh[x] + (h Whh + bh), the initial
parameters perturbed by 1e-12 relative, Adagrad's step computed as
g * (lr / sqrt(mem + 1e-8))).

Budget: one reference run takes 12-19 s CPU (14.5 s on average) on the suite's busy
two-core machine; cpu_budget_s = 30 leaves room for a loop-heavier submission.

What the bound catches at the grade seed (calibrate.py --mutants): softmax gradient
without the -1 (183 errors), dtanh with h_{t-1} (162) or with 1 - h (156), Whh gradient
with h_t (148), h_last = h_0 or h_prev (146, 148), Adagrad without the square root (179),
hidden state not carried between chunks (148), vocabulary not sorted (181), targets equal
to the inputs (177). It does NOT catch, and the unit checks must: a missing
backpropagation through time (dh_next dropped: 1 error!), dh_next with Whh instead of
Whh.T, the loss reported as a mean, clip_grads not clipping in place, training without
clipping (all 1 error).
"""

from __future__ import annotations

import numpy as np

from pathlib import Path

from graders.engine.secret import CourseSecret
from graders.engine.trained_checks import TrainedCheck, with_calibration

CHECK = "train: regenerate Faust"
METRIC = "character errors regenerating the Faust excerpt (greedy, 183 characters)"

SETTINGS = {
    "hidden_size": 128,
    "seq_length": 26,
    "lr": 0.05,
    "n_iter": 8000,
}


def graded_text(secret: CourseSecret) -> dict:
    """This course's draw: {"text": the verses in a secret order, rotated to start at a secret
    character; "seed": train's seed}."""
    from dlgrade.data import load_faust

    excerpt = load_faust()
    verses = excerpt.rstrip("\n").split("\n")
    rng = secret.rng(CHECK, "text")
    text = "\n".join(verses[i] for i in rng.permutation(len(verses)))
    text += excerpt[len(excerpt.rstrip("\n")) - len(excerpt):]  # the excerpt's closing newlines
    start = int(rng.integers(len(text)))
    return {"text": text[start:] + text[:start], "seed": secret.seed(CHECK, "train")}


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


TRAINED = TrainedCheck(
    assignment="char_rnn_numpy",
    key=CHECK,
    metric=METRIC,
    higher_is_better=False,
    # ABSOLUTE: the worst reference value plus 9 characters (the reference makes about 1 error:
    # a relative margin on 1 would leave no room); the record states it as a relative margin.
    margin=0.0,
    slack=9.0,
    cpu_budget_s=30.0,
    settings={"faust": SETTINGS},
    # The model the CPU budget assumes (said when the trained check runs over its time).
    model_size=("the grader's sizes, which train receives: 128 hidden units and a vocabulary of about 34 "
                "characters (about 25 k parameters), 8000 iterations of 26 time steps, each step's matrix "
                "products done by NumPy"),
    runs=("5 course-secret draws (verse order, start, seed) of the reference; on the first, the harmless "
          "variations named in the calibrate module's VARIATIONS"),
)

TRAINED_CHECKS = (TRAINED,)


def declared() -> dict[str, TrainedCheck]:
    """{key: declaration} with the calibrated numbers of thresholds.json."""
    return with_calibration(Path(__file__).parent, TRAINED_CHECKS)

"""The trained checks of `sequences_torch`, each bound declared once (`TRAINED_CHECKS`).

Their calibrated numbers are data, in thresholds.json beside this file, written by
`dlgrade calibrate sequences_torch --write`; do not edit them by hand. The CharLSTM checks
each compare one run with two bounds (`graded_against`).

CharLSTM: the text is `char_text()` (the first CHAR_SETTINGS["text_chars"] characters of
dlgrade.data.load_english_text(), lower-cased: 71 distinct characters), cut into segments of
CHAR_SETTINGS["segment_chars"] characters; the course secret holds out
CHAR_SETTINGS["heldout_segments"] of them (`causal.char_split`). `tasks.task_char_lstm_train`
trains the submission's CharLSTM on the other segments only and returns its state_dict; a
fresh sandbox gets that state and the held-out characters one step at a time, and the
grader computes the validation cross-entropy (nats per character) from the logits in two
ways (`causal.char_evaluation`): the held-out segments read with the state carried
("val_loss_stepwise") and their windows of seq_len + 1 characters each from a fresh state
("val_loss"). Both are causal: each character is sent only after the prediction of it came
back. For scale: a uniform guess scores log(71) = 4.26 and the training unigram frequencies
about 3.2. The margin is 20% because a correct CharLSTM fed one-hot rows instead of an
embedding learns more slowly at these settings (one of the calibration's variations), while
the slips stay far above the bound (probabilities returned as logits: about 4.1; state dropped
between calls; a bidirectional LSTM, which cannot read characters not yet sent).

Sampling: the fresh sandbox draws CHAR_SETTINGS["sample_len"] characters after the prefix at
the temperature given, one character per step with the state carried, with a seed the grader
gives from the course secret; the metric is the fraction
of the sample's words (runs of a-z of length >= 2) that occur in the training segments
(`sample_word_fraction`), higher is better. It counts only when the stepwise validation loss
passes too (words alone could come from a list learned by heart). The margin is 50% because
it is a small sample and a correct one-hot CharLSTM, which learns more slowly, scores less.

Forecaster: `causal.forecast_data` runs the course text's recipe in the grader (difference,
min-max scale to [-1, 1] fitted on the training differences, windows);
`tasks.task_forecaster_train` trains the submission's Forecaster full-batch on the training
windows only (seed from the course secret) and returns its state_dict; a fresh sandbox gets
that state and walks forward over the last 12 months, one window per call, each forecast
returned before the window holding that month's true value is sent (`causal.walk_forward`);
the grader inverts the scaling and computes the test RMSE in sales units. The persistence
baseline (next month = this month) has RMSE PERSISTENCE_RMSE = 136.76 (the course's value).
The reference beats it on every calibration draw for every cell type (see calibrate.py's
table), so the bound (worst reference RMSE + 20%) is also below it.

Every bound is calibrated over 5 course-secret draws (seeds, held-out segments) and harmless
variations (each declaration's `runs`): the reference value of a draw is the worst of its
variations.
"""

from __future__ import annotations

import re
from pathlib import Path

from graders.engine.trained_checks import TrainedCheck, TrainedGroup, with_calibration

CHAR_SETTINGS = {
    "text_chars": 50000,
    "lowercase": True,
    "hidden_size": 64,
    "num_layers": 1,
    "seq_len": 50,
    "batch_size": 32,
    "steps": 400,
    "lr": 0.01,
    "clip": 1.0,
    "segment_chars": 125,
    "heldout_segments": 40,
    "prefix": "the ",
    "sample_len": 400,
    "temperature": 0.8,
}
# the keyword arguments of tasks.task_char_lstm_train (the pieces and vocabulary size are passed separately)
CHAR_SETTINGS_TASK = {k: CHAR_SETTINGS[k] for k in ("hidden_size", "num_layers", "seq_len", "batch_size", "steps",
                                                    "lr", "clip")}

SHAMPOO_SETTINGS = {
    "hidden_size": 8,
    "window": 1,
    "epochs": 150,
    "lr": 0.02,
    "n_test": 12,
}
CELLS = ("rnn", "lstm", "gru")
PERSISTENCE_RMSE = 136.76131884905664

CHECK_CHAR = "CharLSTM: validation loss"
CHECK_CHAR_STEPWISE = "CharLSTM: stepwise validation loss"
CHECK_SAMPLE = "CharLSTM: sampling with a temperature"
CHECK_FORECAST = {cell: f"Forecaster: {cell} walk-forward RMSE" for cell in CELLS}


def char_text(settings: dict = CHAR_SETTINGS) -> str:
    """The training text of the CharLSTM check."""
    from dlgrade.data import load_english_text

    text = load_english_text(settings["text_chars"])
    return text.lower() if settings["lowercase"] else text


def training_words(train_text: str) -> frozenset:
    """The words (runs of the letters a-z) of the training text."""
    return frozenset(re.findall(r"[a-z]+", train_text.lower()))


def sample_words(sample: str) -> list[str]:
    """The words of a sample that the sampling metric counts: runs of a-z of length >= 2."""
    return [w for w in re.findall(r"[a-z]+", sample.lower()) if len(w) >= 2]


def sample_word_fraction(sample: str, words: frozenset) -> float:
    """The fraction of the sample's words (length >= 2) that occur in the training text."""
    found = sample_words(sample)
    return sum(w in words for w in found) / len(found) if found else 0.0


TEXT_DATA = "pydoc_data.topics (load_english_text)"  # the data set of the CharLSTM bounds
# The model the CPU budget assumes (said when a trained check runs over its time).
MODEL_SIZE = ("the template's sizes: a CharLSTM of one layer of 64 units over 71 characters (about 40 k "
              "parameters with one-hot inputs), a Forecaster of 8 units and a linear head (under 400 "
              "parameters); more layers or units need proportionally more CPU")
CHAR_RUNS = ("5 course-secret draws (seed and held-out rows) x 2 variations: the reference; a CharLSTM fed one-hot "
             "rows instead of an embedding; the reference value of each draw is the worst of its variations")
FORECAST_RUNS = ("5 course-secret draws (seed and held-out rows) x 3 variations: the reference; the series "
                 "perturbed 1e-12 relative; the forecast read from the final hidden state h_n; the reference "
                 "value of each draw is the worst of its variations")


def _char(key: str, metric: str, metric_key: str, higher_is_better: bool, margin: float) -> TrainedCheck:
    # a correct one-hot CharLSTM learns more slowly at these settings (and samples fewer real words)
    return TrainedCheck(assignment="sequences_torch", key=key, metric=metric, metric_key=metric_key,
                        higher_is_better=higher_is_better, margin=margin, cpu_budget_s=20.0,
                        settings={TEXT_DATA: CHAR_SETTINGS}, model_size=MODEL_SIZE, runs=CHAR_RUNS)


CHAR_WINDOWS = _char(CHECK_CHAR, "validation cross-entropy (nats/char, windows of 50 from a fresh state)", "val_loss",
                     False, 0.20)
CHAR_STEPWISE = _char(CHECK_CHAR_STEPWISE, "validation cross-entropy (nats/char, state carried)",
                      "val_loss_stepwise", False, 0.20)
SAMPLE = _char(CHECK_SAMPLE, f"fraction of the sample's words found in the training text "
                             f"({CHAR_SETTINGS['sample_len']} characters at temperature {CHAR_SETTINGS['temperature']})",
               "sample_word_fraction", True, 0.50)
FORECAST = {cell: TrainedCheck(
    assignment="sequences_torch", key=CHECK_FORECAST[cell], metric="walk-forward test RMSE (sales units, last 12 months)",
    metric_key="rmse", higher_is_better=False, margin=0.20, cpu_budget_s=5.0,
    settings={"shampoo": {**SHAMPOO_SETTINGS, "cell": cell}}, model_size=MODEL_SIZE, runs=FORECAST_RUNS)
    for cell in CELLS}

TRAINED_CHECKS = (CHAR_WINDOWS, CHAR_STEPWISE, SAMPLE, *FORECAST.values())


def declared() -> dict[str, TrainedCheck]:
    """{key: declaration} with the calibrated numbers of thresholds.json."""
    return with_calibration(Path(__file__).parent, TRAINED_CHECKS)


def graded_against(declarations: dict[str, TrainedCheck], *keys: str) -> TrainedGroup:
    """The bounds one check compares its run with (the CharLSTM checks compare with two)."""
    return TrainedGroup(tuple(declarations[key] for key in keys))

"""Calibrated bounds of the trained checks of `sequences_torch`.

Written by `python -m graders.assignments.sequences_torch.calibrate --write`; do not
edit the table by hand.

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
variations (CALIBRATED_OVER, also in each threshold's settings): the reference value of a
draw is the worst of its variations.
"""

from __future__ import annotations

import re

from graders.engine.thresholds import Threshold

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


CALIBRATED_OVER = {'CharLSTM': '5 course-secret draws (seed and held-out rows) x 2 variations: the reference; a CharLSTM fed one-hot rows instead of an embedding; the reference value of each draw is the worst of its variations', 'Forecaster': '5 course-secret draws (seed and held-out rows) x 3 variations: the reference; the series perturbed 1e-12 relative; the forecast read from the final hidden state h_n; the reference value of each draw is the worst of its variations'}

THRESHOLDS = {
    'CharLSTM: validation loss': Threshold(
        metric='validation cross-entropy (nats/char, windows of 50 from a fresh state)',
        bound=2.1945575650666305,
        higher_is_better=False,
        reference_values=(1.7735603441984715, 1.7219192758193809, 1.6879612479973498, 1.6865421668074272, 1.8287979708888589,),
        seeds=(0, 1, 2, 3, 4),
        margin=0.2,
        cpu_budget_s=20.0,
        grade_seed=0,
        settings={**CHAR_SETTINGS, 'calibrated_over': CALIBRATED_OVER['CharLSTM']},
        dataset='pydoc_data.topics (load_english_text)',
    ),
    'CharLSTM: stepwise validation loss': Threshold(
        metric='validation cross-entropy (nats/char, state carried)',
        bound=2.1462472878834564,
        higher_is_better=False,
        reference_values=(1.786694922641466, 1.7020688379384747, 1.6614060521088527, 1.6740654901405367, 1.7885394065695472,),
        seeds=(0, 1, 2, 3, 4),
        margin=0.2,
        cpu_budget_s=20.0,
        grade_seed=0,
        settings={**CHAR_SETTINGS, 'calibrated_over': CALIBRATED_OVER['CharLSTM']},
        dataset='pydoc_data.topics (load_english_text)',
    ),
    'CharLSTM: sampling with a temperature': Threshold(
        metric="fraction of the sample's words found in the training text (400 characters at temperature 0.8)",
        bound=0.2111111111111111,
        higher_is_better=True,
        reference_values=(0.47058823529411764, 0.49122807017543857, 0.5172413793103449, 0.48333333333333334, 0.4222222222222222,),
        seeds=(0, 1, 2, 3, 4),
        margin=0.5,
        cpu_budget_s=20.0,
        grade_seed=0,
        settings={**CHAR_SETTINGS, 'calibrated_over': CALIBRATED_OVER['CharLSTM']},
        dataset='pydoc_data.topics (load_english_text)',
    ),
    'Forecaster: rnn walk-forward RMSE': Threshold(
        metric='walk-forward test RMSE (sales units, last 12 months)',
        bound=110.84176584020192,
        higher_is_better=False,
        reference_values=(89.28578513834637, 91.90504644193919, 90.51644927366908, 89.61313056709959, 92.36813820016826,),
        seeds=(0, 1, 2, 3, 4),
        margin=0.2,
        cpu_budget_s=5.0,
        grade_seed=0,
        settings={**SHAMPOO_SETTINGS, 'cell': 'rnn', 'calibrated_over': CALIBRATED_OVER['Forecaster']},
        dataset='shampoo',
    ),
    'Forecaster: lstm walk-forward RMSE': Threshold(
        metric='walk-forward test RMSE (sales units, last 12 months)',
        bound=119.25199081804578,
        higher_is_better=False,
        reference_values=(95.22151189201598, 97.11389266582384, 94.33069001016273, 94.51367363547087, 99.37665901503816,),
        seeds=(0, 1, 2, 3, 4),
        margin=0.2,
        cpu_budget_s=5.0,
        grade_seed=0,
        settings={**SHAMPOO_SETTINGS, 'cell': 'lstm', 'calibrated_over': CALIBRATED_OVER['Forecaster']},
        dataset='shampoo',
    ),
    'Forecaster: gru walk-forward RMSE': Threshold(
        metric='walk-forward test RMSE (sales units, last 12 months)',
        bound=117.71966651556026,
        higher_is_better=False,
        reference_values=(94.82853488450404, 93.70138585142664, 98.09972209630023, 97.09464171438783, 96.7118704538373,),
        seeds=(0, 1, 2, 3, 4),
        margin=0.2,
        cpu_budget_s=5.0,
        grade_seed=0,
        settings={**SHAMPOO_SETTINGS, 'cell': 'gru', 'calibrated_over': CALIBRATED_OVER['Forecaster']},
        dataset='shampoo',
    ),
}
# END CALIBRATED TABLE

from graders.engine.thresholds import with_model_size  # noqa: E402 (beside the table it declares on)

# The model the CPU budget assumes (said when a trained check runs over its time).
MODEL_SIZE = ("the template's sizes: a CharLSTM of one layer of 64 units over 71 characters (about 40 k "
              "parameters with one-hot inputs), a Forecaster of 8 units and a linear head (under 400 "
              "parameters); more layers or units need proportionally more CPU")
THRESHOLDS = with_model_size(THRESHOLDS, MODEL_SIZE)

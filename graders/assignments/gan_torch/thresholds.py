"""Calibrated bounds of the trained checks of `gan_torch`.

Settings are written by hand below; the table between the CALIBRATED TABLE markers is
written by `python -m graders.assignments.gan_torch.calibrate --write`
(`--dataset mnist:PATH` adds or refreshes the "mnist" entry, after
`python -m graders.assignments.gan_torch.digit_classifier --dataset mnist:PATH --write`
has made the MNIST classifier); do not edit it by hand.

How a check uses it: `data = dlgrade.data.mnist.load_dataset(spec, **DATA[dataset])`, then
`r = tasks.task_train_gan(sub, x_train=data["x_train"], seed=t.grade_seed,
**SETTINGS[dataset]["gan"])` in the sandbox, and in the grader process
`cov = digit_classifier.mode_coverage(r["samples"], digit_classifier.load_classifier(dataset),
**COVERAGE[dataset])`; `t.passes(cov[METRIC_KEYS[check]])` for each check.

- gan_distinct_classes: how many digit classes the project's classifier recognises among
  the generated samples, a class counting when at least `min_count` samples get it with
  softmax confidence >= `confidence`. A generator that ignores z (mode collapse) covers
  one class at most.
- gan_confident_fraction: the fraction of samples recognised as some digit with that
  confidence (the classifier has an 11th "not a digit" class, so a generator of noise
  scores 0; the mean image scores 0).

For scale on digits (500 samples, confidence 0.8, min_count 5): the real test digits
cover 10 classes with fraction 0.87; blends of two random test digits cover 10 classes
with fraction 0.19 (below the fraction bound); one repeated image covers 1 class.
"""

from __future__ import annotations

from graders.engine.thresholds import Threshold, with_model_size

CHECKS = ("gan_distinct_classes", "gan_confident_fraction")
TASK = "train_gan"
METRIC_KEYS = {"gan_distinct_classes": "n_classes", "gan_confident_fraction": "confident_fraction"}
METRICS = {
    "gan_distinct_classes": ("digit classes covered by the samples", True),
    "gan_confident_fraction": ("fraction of samples classified confidently", True),
}
MARGINS = {"gan_distinct_classes": 0.25, "gan_confident_fraction": 0.40}
CPU_BUDGET_S = {"gan_distinct_classes": 25.0, "gan_confident_fraction": 25.0}

# Subsets per data set (first n of each split).
DATA = {
    "digits": {"n_train": None, "n_test": None},
    "mnist": {"n_train": 10000, "n_test": 1000},
}

SETTINGS = {
    "digits": {"gan": {"n_latent": 16, "steps": 4000, "lr": 1e-3, "batch_size": 64,
                       "n_samples": 500}},
    # MNIST: not calibrated here (no MNIST files on the project's machine); timed at ~14 s
    # CPU on MNIST-sized stand-in data. Check the first --dataset mnist:PATH calibration.
    "mnist": {"gan": {"n_latent": 32, "steps": 2000, "lr": 2e-4, "batch_size": 64,
                      "n_samples": 500}},
}
COVERAGE = {
    "digits": {"confidence": 0.8, "min_count": 5},
    "mnist": {"confidence": 0.8, "min_count": 5},
}

# BEGIN CALIBRATED TABLE (written by calibrate.py --write)
THRESHOLDS_BY_DATASET: dict[str, dict[str, Threshold]] = {
    'digits': {
        'gan_distinct_classes': Threshold(
            metric='digit classes covered by the samples',
            bound=6.0,
            higher_is_better=True,
            reference_values=(9.0, 8.0, 9.0, 9.0, 9.0),
            seeds=(0, 1, 2, 3, 4),
            margin=0.25,
            cpu_budget_s=25.0,
            grade_seed=0,
            settings={'n_latent': 16,
             'steps': 4000,
             'lr': 0.001,
             'batch_size': 64,
             'n_samples': 500,
             'coverage': {'confidence': 0.8, 'min_count': 5}},
            dataset='digits',
        ),
        'gan_confident_fraction': Threshold(
            metric='fraction of samples classified confidently',
            bound=0.22799999999999998,
            higher_is_better=True,
            reference_values=(0.41, 0.38, 0.436, 0.522, 0.592),
            seeds=(0, 1, 2, 3, 4),
            margin=0.4,
            cpu_budget_s=25.0,
            grade_seed=0,
            settings={'n_latent': 16,
             'steps': 4000,
             'lr': 0.001,
             'batch_size': 64,
             'n_samples': 500,
             'coverage': {'confidence': 0.8, 'min_count': 5}},
            dataset='digits',
        ),
    },
}
# END CALIBRATED TABLE

# The model the CPU budget assumes (said when the trained check runs over its time).
MODEL_SIZE = ("the template's sizes: a Generator with two hidden layers of 128 units and a Discriminator with one "
              "hidden layer of 256 (about 44 k parameters on the 8x8 digits); a tutorial's 256-512-1024 generator "
              "and 1024-512-256 discriminator have about 30 times as many parameters and need about as many "
              "times the CPU")
THRESHOLDS_BY_DATASET = with_model_size(THRESHOLDS_BY_DATASET, MODEL_SIZE)

THRESHOLDS: dict[str, Threshold] = THRESHOLDS_BY_DATASET.get("digits", {})


def thresholds_for(dataset: str = "digits") -> dict[str, Threshold]:
    """The calibrated table of `dataset` ("digits" or "mnist")."""
    if dataset not in THRESHOLDS_BY_DATASET:
        raise KeyError(
            f"no calibrated thresholds of gan_torch for {dataset!r}; run "
            f"`python -m graders.assignments.gan_torch.calibrate --dataset "
            f"{'mnist:PATH' if dataset == 'mnist' else dataset} --write`")
    return THRESHOLDS_BY_DATASET[dataset]

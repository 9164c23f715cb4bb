"""Calibrated bounds of the trained checks of `gan_torch`.

Settings are written by hand below; the table between the CALIBRATED TABLE markers is
written by `python -m graders.assignments.gan_torch.calibrate --write`
(`--dataset mnist:PATH` adds or refreshes the "mnist" entry, after
`python -m graders.assignments.gan_torch.digit_classifier --dataset mnist:PATH --write`
has made the MNIST classifier); do not edit it by hand.

How a check uses it: `data = dlgrade.data.mnist.load_dataset(spec, **DATA[dataset])`; the
course secret holds out HELDOUT_FRACTION of data["x_train"] and gives the seed
(`checks_trained.secret_subset`); `r = tasks.task_train_gan(sub, x_train=<the training
subset>, seed=<secret seed>, **<TRAIN_KEYS of the settings>)` in the grade's sandbox returns
the Generator's state_dict; a fresh sandbox generates n_samples images from z drawn by the
grader (`checks_trained.latent`); in the grader process `cov =
digit_classifier.mode_coverage(samples, digit_classifier.load_classifier(dataset),
**COVERAGE[dataset])` and `memorisation.copy_ratio(samples, training subset, unseen real
images)`; `t.passes(value)` for each check.

- gan_distinct_classes: how many digit classes the project's classifier recognises among
  the generated samples, a class counting when at least `min_count` samples get it with
  softmax confidence >= `confidence`. A generator that ignores z (mode collapse) covers
  one class at most.
- gan_confident_fraction: the fraction of samples recognised as some digit with that
  confidence (the classifier has an 11th "not a digit" class, so a generator of noise
  scores 0; the mean image scores 0).

- gan_not_memorised: the 10% quantile of the samples' distances to their nearest training
  image over the median distance of unseen real digits to theirs (`memorisation.copy_ratio`);
  a generator that returns training images scores 0. Margin 50%.

The bounds are calibrated over 5 course-secret draws (training subset, seed, z) and harmless
variations (stated in each threshold's settings, "calibrated_over"); the reference value of a
draw is the worst of its variations.

For scale on digits (500 samples, confidence 0.8, min_count 5): the real test digits
cover 10 classes with fraction 0.87; blends of two random test digits cover 10 classes
with fraction 0.19 (below the fraction bound); one repeated image covers 1 class.
"""

from __future__ import annotations

from graders.engine.thresholds import Threshold, with_model_size

CHECKS = ("gan_distinct_classes", "gan_confident_fraction", "gan_not_memorised")
TASK = "train_gan"
METRIC_KEYS = {"gan_distinct_classes": "n_classes", "gan_confident_fraction": "confident_fraction",
               "gan_not_memorised": "copy_ratio"}
METRICS = {
    "gan_distinct_classes": ("digit classes covered by the samples", True),
    "gan_confident_fraction": ("fraction of samples classified confidently", True),
    "gan_not_memorised": ("nearest-training-image distance of the closest 10% of samples / unseen digits' median",
                          True),
}
MARGINS = {"gan_distinct_classes": 0.25, "gan_confident_fraction": 0.40, "gan_not_memorised": 0.5}
CPU_BUDGET_S = {"gan_distinct_classes": 25.0, "gan_confident_fraction": 25.0, "gan_not_memorised": 25.0}
HELDOUT_FRACTION = 0.1     # of the training split, never trained on (unseen, with the test split)
TRAIN_KEYS = ("n_latent", "steps", "lr", "batch_size")  # the settings task_train_gan takes
MAX_STATE_VALUES = 400_000  # numbers in a trained Generator's state_dict (the reference: 26,944 on digits)

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
            bound=5.25,
            higher_is_better=True,
            reference_values=(9.0, 9.0, 7.0, 9.0, 10.0),
            seeds=(0, 1, 2, 3, 4),
            margin=0.25,
            cpu_budget_s=25.0,
            grade_seed=0,
            settings={'n_latent': 16,
             'steps': 4000,
             'lr': 0.001,
             'batch_size': 64,
             'n_samples': 500,
             'coverage': {'confidence': 0.8, 'min_count': 5},
             'calibrated_over': '5 course-secret draws (seed and held-out rows) x 3 variations: '
                                'the reference; training images perturbed 1e-12 relative; '
                                'train_step regenerating the fakes for the generator step (another '
                                'correct update order); the reference value of each draw is the '
                                'worst of its variations'},
            dataset='digits',
        ),
        'gan_confident_fraction': Threshold(
            metric='fraction of samples classified confidently',
            bound=0.28919999999999996,
            higher_is_better=True,
            reference_values=(0.49, 0.556, 0.522, 0.518, 0.482),
            seeds=(0, 1, 2, 3, 4),
            margin=0.4,
            cpu_budget_s=25.0,
            grade_seed=0,
            settings={'n_latent': 16,
             'steps': 4000,
             'lr': 0.001,
             'batch_size': 64,
             'n_samples': 500,
             'coverage': {'confidence': 0.8, 'min_count': 5},
             'calibrated_over': '5 course-secret draws (seed and held-out rows) x 3 variations: '
                                'the reference; training images perturbed 1e-12 relative; '
                                'train_step regenerating the fakes for the generator step (another '
                                'correct update order); the reference value of each draw is the '
                                'worst of its variations'},
            dataset='digits',
        ),
        'gan_not_memorised': Threshold(
            metric="nearest-training-image distance of the closest 10% of samples / unseen digits' median",
            bound=0.520746609382263,
            higher_is_better=True,
            reference_values=(1.1332506633548771,
             1.115110107940894,
             1.1699500560925231,
             1.1330921691989833,
             1.041493218764526),
            seeds=(0, 1, 2, 3, 4),
            margin=0.5,
            cpu_budget_s=25.0,
            grade_seed=0,
            settings={'n_latent': 16,
             'steps': 4000,
             'lr': 0.001,
             'batch_size': 64,
             'n_samples': 500,
             'coverage': {'confidence': 0.8, 'min_count': 5},
             'calibrated_over': '5 course-secret draws (seed and held-out rows) x 3 variations: '
                                'the reference; training images perturbed 1e-12 relative; '
                                'train_step regenerating the fakes for the generator step (another '
                                'correct update order); the reference value of each draw is the '
                                'worst of its variations'},
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

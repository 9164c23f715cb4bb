"""Calibrated bounds of the trained checks of `gan_torch`.

The three bounds are declared below (each a `TrainedCheck`: metric and its key, margin, CPU
budget, the settings and data subset of each data set); one check grades against all three
(`ctx.check.threshold`, a `TrainedGroup`). Their calibrated numbers are data, in
thresholds.json beside this file, written by `dlgrade calibrate gan_torch --write`
(`--dataset mnist:PATH` adds or refreshes the "mnist" entry, after
`python -m graders.assignments.gan_torch.digit_classifier --dataset mnist:PATH --write`
has made the MNIST classifier); do not edit them by hand.

How the check uses them: `data = dlgrade.data.mnist.load_dataset(spec, **DATA[dataset])`; the
course secret holds out HELDOUT_FRACTION of data["x_train"] and gives the seed
(`checks_trained.secret_subset`); `r = tasks.task_train_gan(sub, x_train=<the training
subset>, seed=<secret seed>, **<TRAIN_KEYS of the declared settings>)` in the grade's sandbox returns
the Generator's state_dict; a fresh sandbox generates n_samples images from z drawn by the
grader (`checks_trained.latent`); in the grader process `cov =
digit_classifier.mode_coverage(samples, digit_classifier.load_classifier(dataset),
**settings["coverage"])` and `memorisation.copy_ratio(samples, training subset, unseen real
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
variations (stated in each declaration's `runs`); the reference value of a draw is the worst of
its variations.

For scale on digits (500 samples, confidence 0.8, min_count 5): the real test digits
cover 10 classes with fraction 0.87; blends of two random test digits cover 10 classes
with fraction 0.19 (below the fraction bound); one repeated image covers 1 class.
"""

from __future__ import annotations

from pathlib import Path

from graders.engine.trained_checks import TrainedCheck, TrainedGroup, with_calibration

TASK = "train_gan"
HELDOUT_FRACTION = 0.1     # of the training split, never trained on (unseen, with the test split)
TRAIN_KEYS = ("n_latent", "steps", "lr", "batch_size")  # the settings task_train_gan takes
MAX_STATE_VALUES = 400_000  # numbers in a trained Generator's state_dict (the reference: 26,944 on digits)

# Subsets per data set (first n of each split).
DATA = {
    "digits": {"n_train": None, "n_test": None},
    "mnist": {"n_train": 10000, "n_test": 1000},
}

# One training run serves the three bounds: the same settings, the classifier's coverage rule.
SETTINGS = {
    "digits": {"n_latent": 16, "steps": 4000, "lr": 1e-3, "batch_size": 64, "n_samples": 500,
               "coverage": {"confidence": 0.8, "min_count": 5}},
    # MNIST: not calibrated here (no MNIST files on the project's machine); timed at ~14 s
    # CPU on MNIST-sized stand-in data. Check the first --dataset mnist:PATH calibration.
    "mnist": {"n_latent": 32, "steps": 2000, "lr": 2e-4, "batch_size": 64, "n_samples": 500,
              "coverage": {"confidence": 0.8, "min_count": 5}},
}

# The model the CPU budget assumes (said when the trained check runs over its time).
MODEL_SIZE = ("the template's sizes: a Generator with two hidden layers of 128 units and a Discriminator with one "
              "hidden layer of 256 (about 44 k parameters on the 8x8 digits); a tutorial's 256-512-1024 generator "
              "and 1024-512-256 discriminator have about 30 times as many parameters and need about as many "
              "times the CPU")

RUNS = ("5 course-secret draws (seed and held-out rows) x 3 variations: the reference; training images perturbed "
        "1e-12 relative; train_step regenerating the fakes for the generator step (another correct update order); "
        "the reference value of each draw is the worst of its variations")


def _declare(key: str, metric: str, metric_key: str, margin: float) -> TrainedCheck:
    return TrainedCheck(assignment="gan_torch", key=key, task=TASK, metric=metric, metric_key=metric_key,
                        higher_is_better=True, margin=margin, cpu_budget_s=25.0, settings=SETTINGS, data=DATA,
                        model_size=MODEL_SIZE, runs=RUNS)


DISTINCT_CLASSES = _declare("gan_distinct_classes", "digit classes covered by the samples", "n_classes", 0.25)
CONFIDENT_FRACTION = _declare("gan_confident_fraction", "fraction of samples classified confidently",
                              "confident_fraction", 0.40)
NOT_MEMORISED = _declare(
    "gan_not_memorised", "nearest-training-image distance of the closest 10% of samples / unseen digits' median",
    "copy_ratio", 0.5)

TRAINED_CHECKS = (DISTINCT_CLASSES, CONFIDENT_FRACTION, NOT_MEMORISED)


def declared() -> TrainedGroup:
    """The three declarations with the calibrated numbers of thresholds.json."""
    return TrainedGroup(tuple(with_calibration(Path(__file__).parent, TRAINED_CHECKS).values()))

"""Calibrated bounds of the trained checks of `autoencoders_torch`.

Each check is declared once below (a `TrainedCheck`: task, metric and its key, margin, CPU
budget, settings and data subset of each data set); the calibrated numbers are data, in
thresholds.json beside this file, written by `dlgrade calibrate autoencoders_torch --write`
(`--dataset mnist:PATH` adds or refreshes the "mnist" entry); do not edit them by hand.

How a check uses it: `data = dlgrade.data.mnist.load_dataset(spec, **DATA[dataset])`, then
`trained_runs.measure(check.task, check.settings[dataset], data, course secret, ...)`:
the training and test images pooled (the dense models' pixels in a
secret order), a secret subset of the test split's size held out,
`tasks.task_<check.task>` trains on the rest at a secret seed and returns the state_dict,
encode and decode run in separate fresh sandboxes, and the grader computes the metric;
`ctx.check.threshold.for_dataset(dataset).passes(result[check.metric_key])`.

Calibration (`Threshold.seeds` are run numbers): runs 0-4 are five course-secret draws of
the seed and the held-out rows with the reference; run 5 is draw 0 with every input
perturbed by 1e-12 relative (absorbed by the float32 the models compute in); run 6 is draw 1
with the correct-but-unusual variant of calibrate.VARIANT_EDITS (an affine map written as an explicit
matmul, a sigmoid by hand, an L1 penalty summed in a loop over samples: re-associated sums;
nearest up-sampling as a module; add_noise with torch.normal). The update order is the
task's own (Adam in the grader's task code), not the submission's, so it does not vary.
Each bound is the worst run times (1 +/- margin), with the margin declared below.

- dense_reconstruction: held-out MSE (mean over pixels) of DenseAutoencoder(n_in, 16) after
  Adam. For scale on digits: the mean image scores 0.073, PCA with 16 components 0.011.
- conv_reconstruction: the same for ConvAutoencoder on (N, 1, H, W) images.
- denoising_ratio: MSE(model(noisy test), clean test) / MSE(noisy test, clean test) for a
  DenseAutoencoder trained on add_noise(x, 0.5) -> x; < 1 means it denoises at all.
- sparsity_factor: mean |code| of a plain DenseAutoencoder over that of one trained with
  l1_activity_penalty (same seed); higher = the penalty made the codes sparser.
- sparse_reconstruction: held-out MSE of that L1-trained model (a penalty that is far too
  strong, e.g. summed over the batch, kills every code and fails here).
"""

from __future__ import annotations

from pathlib import Path

from graders.engine.trained_checks import STANDARD_RUNS, TrainedCheck, with_calibration

# Subsets per data set (first n of each split), keeping MNIST within the CPU budgets; the same
# for every check.
DATA = {
    "digits": {"n_train": None, "n_test": None},
    "mnist": {"n_train": 6000, "n_test": 1000},
}

# The model the CPU budgets assume (said when a trained check runs over its time).
MODEL_SIZE = ("the template's sizes: DenseAutoencoder 64-16-64 (about 2.1 k parameters; 64-32-64 for the "
              "denoising and sparse runs, 4.2 k), ConvAutoencoder with 16 and 8 channels of 3x3 convolutions "
              "down and 8 and 16 up (about 3.2 k parameters) on the 8x8 digits; wider or deeper networks need "
              "proportionally more CPU")

# MNIST settings: not calibrated here (no MNIST files on the project's machine); each task timed
# at 3-8 s CPU on MNIST-sized stand-in data. Check the first --dataset mnist:PATH run.
_SPARSE = {"digits": {"n_hidden": 32, "l1_factor": 1e-3, "epochs": 60, "lr": 1e-3, "batch_size": 64},
           "mnist": {"n_hidden": 32, "l1_factor": 1e-4, "epochs": 10, "lr": 1e-3, "batch_size": 64}}


def _declare(key: str, **fields) -> TrainedCheck:
    return TrainedCheck(assignment="autoencoders_torch", key=key, data=DATA, model_size=MODEL_SIZE,
                        runs=STANDARD_RUNS, **fields)


DENSE_RECONSTRUCTION = _declare(
    "dense_reconstruction", task="train_dense_autoencoder", metric="held-out reconstruction MSE",
    metric_key="test_mse", higher_is_better=False, margin=0.15, cpu_budget_s=15.0,
    settings={"digits": {"n_hidden": 16, "epochs": 150, "lr": 1e-3, "batch_size": 64},
              "mnist": {"n_hidden": 32, "epochs": 15, "lr": 1e-3, "batch_size": 64}})
CONV_RECONSTRUCTION = _declare(
    "conv_reconstruction", task="train_conv_autoencoder", metric="held-out reconstruction MSE",
    metric_key="test_mse", higher_is_better=False, margin=0.15, cpu_budget_s=20.0,
    settings={"digits": {"image_shape": (8, 8), "epochs": 30, "lr": 3e-3, "batch_size": 64},
              "mnist": {"image_shape": (28, 28), "epochs": 2, "lr": 3e-3, "batch_size": 64}})
DENOISING_RATIO = _declare(
    "denoising_ratio", task="train_denoising_autoencoder", metric="denoised MSE / noisy-input MSE",
    metric_key="ratio", higher_is_better=False, margin=0.20, cpu_budget_s=15.0,
    settings={"digits": {"n_hidden": 32, "noise_factor": 0.5, "epochs": 100, "lr": 1e-3, "batch_size": 64},
              "mnist": {"n_hidden": 64, "noise_factor": 0.5, "epochs": 10, "lr": 1e-3, "batch_size": 64}})
SPARSITY_FACTOR = _declare(
    "sparsity_factor", task="train_sparse_autoencoder", metric="mean |code| plain / with L1 penalty",
    metric_key="sparsity_factor", higher_is_better=True, margin=0.40, cpu_budget_s=20.0, settings=_SPARSE)
SPARSE_RECONSTRUCTION = _declare(
    "sparse_reconstruction", task="train_sparse_autoencoder", metric="held-out MSE with L1 penalty",
    metric_key="test_mse_l1", higher_is_better=False, margin=0.20, cpu_budget_s=20.0, settings=_SPARSE)

TRAINED_CHECKS = (DENSE_RECONSTRUCTION, CONV_RECONSTRUCTION, DENOISING_RATIO, SPARSITY_FACTOR,
                  SPARSE_RECONSTRUCTION)


def declared() -> dict[str, TrainedCheck]:
    """{key: declaration} with the calibrated numbers of thresholds.json."""
    return with_calibration(Path(__file__).parent, TRAINED_CHECKS)

"""Calibrated bounds of the trained checks of `autoencoders_torch`.

Settings are written by hand below; the table between the CALIBRATED TABLE markers is
written by `python -m graders.assignments.autoencoders_torch.calibrate --write`
(`--dataset mnist:PATH` adds or refreshes the "mnist" entry); do not edit it by hand.

How a check uses it: `data = dlgrade.data.mnist.load_dataset(spec, **DATA[dataset])`, then
`tasks.task_<TASKS[check]>(sub, x_train=data["x_train"], x_test=data["x_test"],
seed=t.grade_seed, **SETTINGS[dataset][check])` in the sandbox, and
`t = thresholds_for(dataset)[check]`, `t.passes(result[METRIC_KEYS[check]])`.

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

from graders.engine.thresholds import Threshold

# Which task computes each check, and which entry of its result is compared.
TASKS = {
    "dense_reconstruction": "train_dense_autoencoder",
    "conv_reconstruction": "train_conv_autoencoder",
    "denoising_ratio": "train_denoising_autoencoder",
    "sparsity_factor": "train_sparse_autoencoder",
    "sparse_reconstruction": "train_sparse_autoencoder",
}
METRIC_KEYS = {
    "dense_reconstruction": "test_mse",
    "conv_reconstruction": "test_mse",
    "denoising_ratio": "ratio",
    "sparsity_factor": "sparsity_factor",
    "sparse_reconstruction": "test_mse_l1",
}
METRICS = {
    "dense_reconstruction": ("held-out reconstruction MSE", False),
    "conv_reconstruction": ("held-out reconstruction MSE", False),
    "denoising_ratio": ("denoised MSE / noisy-input MSE", False),
    "sparsity_factor": ("mean |code| plain / with L1 penalty", True),
    "sparse_reconstruction": ("held-out MSE with L1 penalty", False),
}
MARGINS = {
    "dense_reconstruction": 0.15,
    "conv_reconstruction": 0.15,
    "denoising_ratio": 0.20,
    "sparsity_factor": 0.40,
    "sparse_reconstruction": 0.20,
}
CPU_BUDGET_S = {
    "dense_reconstruction": 15.0,
    "conv_reconstruction": 20.0,
    "denoising_ratio": 15.0,
    "sparsity_factor": 20.0,
    "sparse_reconstruction": 20.0,
}

# Subsets per data set (first n of each split), keeping MNIST within the CPU budgets.
DATA = {
    "digits": {"n_train": None, "n_test": None},
    "mnist": {"n_train": 6000, "n_test": 1000},
}

_SPARSE_DIGITS = {"n_hidden": 32, "l1_factor": 1e-3, "epochs": 60, "lr": 1e-3, "batch_size": 64}
_SPARSE_MNIST = {"n_hidden": 32, "l1_factor": 1e-4, "epochs": 10, "lr": 1e-3, "batch_size": 64}
SETTINGS = {
    "digits": {
        "dense_reconstruction": {"n_hidden": 16, "epochs": 150, "lr": 1e-3, "batch_size": 64},
        "conv_reconstruction": {"image_shape": (8, 8), "epochs": 30, "lr": 3e-3, "batch_size": 64},
        "denoising_ratio": {"n_hidden": 32, "noise_factor": 0.5, "epochs": 100, "lr": 1e-3,
                            "batch_size": 64},
        "sparsity_factor": _SPARSE_DIGITS,
        "sparse_reconstruction": _SPARSE_DIGITS,
    },
    # MNIST: not calibrated here (no MNIST files on the project's machine); each task timed
    # at 3-8 s CPU on MNIST-sized stand-in data. Check the first --dataset mnist:PATH run.
    "mnist": {
        "dense_reconstruction": {"n_hidden": 32, "epochs": 15, "lr": 1e-3, "batch_size": 64},
        "conv_reconstruction": {"image_shape": (28, 28), "epochs": 2, "lr": 3e-3, "batch_size": 64},
        "denoising_ratio": {"n_hidden": 64, "noise_factor": 0.5, "epochs": 10, "lr": 1e-3,
                            "batch_size": 64},
        "sparsity_factor": _SPARSE_MNIST,
        "sparse_reconstruction": _SPARSE_MNIST,
    },
}

# BEGIN CALIBRATED TABLE (written by calibrate.py --write)
THRESHOLDS_BY_DATASET: dict[str, dict[str, Threshold]] = {
    'digits': {
        'dense_reconstruction': Threshold(
            metric='held-out reconstruction MSE',
            bound=0.012996146408841013,
            higher_is_better=False,
            reference_values=(0.010415554977953434,
             0.010349642485380173,
             0.010508034378290176,
             0.011300996877253056,
             0.009833947755396366),
            seeds=(0, 1, 2, 3, 4),
            margin=0.15,
            cpu_budget_s=15.0,
            grade_seed=0,
            settings={'n_hidden': 16, 'epochs': 150, 'lr': 0.001, 'batch_size': 64},
            dataset='digits',
        ),
        'conv_reconstruction': Threshold(
            metric='held-out reconstruction MSE',
            bound=0.024594698287546634,
            higher_is_better=False,
            reference_values=(0.016964605078101158,
             0.01794375292956829,
             0.02138669416308403,
             0.017020676285028458,
             0.01885416731238365),
            seeds=(0, 1, 2, 3, 4),
            margin=0.15,
            cpu_budget_s=20.0,
            grade_seed=0,
            settings={'image_shape': (8, 8), 'epochs': 30, 'lr': 0.003, 'batch_size': 64},
            dataset='digits',
        ),
        'denoising_ratio': Threshold(
            metric='denoised MSE / noisy-input MSE',
            bound=0.38597318213637893,
            higher_is_better=False,
            reference_values=(0.3156502109357571,
             0.3091869633874297,
             0.3182933919722516,
             0.31536393159479403,
             0.32164431844698244),
            seeds=(0, 1, 2, 3, 4),
            margin=0.2,
            cpu_budget_s=15.0,
            grade_seed=0,
            settings={'n_hidden': 32, 'noise_factor': 0.5, 'epochs': 100, 'lr': 0.001, 'batch_size': 64},
            dataset='digits',
        ),
        'sparsity_factor': Threshold(
            metric='mean |code| plain / with L1 penalty',
            bound=3.4227559927414255,
            higher_is_better=True,
            reference_values=(5.979628595235867,
             5.704593321235709,
             5.798972748319825,
             6.021971978916276,
             5.834924181197184),
            seeds=(0, 1, 2, 3, 4),
            margin=0.4,
            cpu_budget_s=20.0,
            grade_seed=0,
            settings={'n_hidden': 32, 'l1_factor': 0.001, 'epochs': 60, 'lr': 0.001, 'batch_size': 64},
            dataset='digits',
        ),
        'sparse_reconstruction': Threshold(
            metric='held-out MSE with L1 penalty',
            bound=0.018989695608615874,
            higher_is_better=False,
            reference_values=(0.015618694946169853,
             0.01534358598291874,
             0.01582474634051323,
             0.015813270583748817,
             0.014485377818346024),
            seeds=(0, 1, 2, 3, 4),
            margin=0.2,
            cpu_budget_s=20.0,
            grade_seed=0,
            settings={'n_hidden': 32, 'l1_factor': 0.001, 'epochs': 60, 'lr': 0.001, 'batch_size': 64},
            dataset='digits',
        ),
    },
}
# END CALIBRATED TABLE

THRESHOLDS: dict[str, Threshold] = THRESHOLDS_BY_DATASET.get("digits", {})


def thresholds_for(dataset: str = "digits") -> dict[str, Threshold]:
    """The calibrated table of `dataset` ("digits" or "mnist")."""
    if dataset not in THRESHOLDS_BY_DATASET:
        raise KeyError(
            f"no calibrated thresholds of autoencoders_torch for {dataset!r}; run "
            f"`python -m graders.assignments.autoencoders_torch.calibrate --dataset "
            f"{'mnist:PATH' if dataset == 'mnist' else dataset} --write`")
    return THRESHOLDS_BY_DATASET[dataset]

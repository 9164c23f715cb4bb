"""The data of the `autoencoders_torch` checks: the `data` option's data set (the digits or
MNIST), the probes' inputs."""

from __future__ import annotations

import numpy as np

from graders.assignments.autoencoders_torch.thresholds import DATA
from graders.engine import data_option
from graders.engine.checks import CheckFailed


def dataset(spec: str) -> dict:
    """What `dlgrade.data.mnist.load_dataset(spec, **DATA[name])` returns (the calibration's
    data). CheckFailed if the data cannot be read."""
    data_name(spec)
    try:
        return data_option.dataset(spec, DATA)
    except (OSError, ValueError) as exc:  # IDXFormatError is a ValueError
        raise CheckFailed(
            f"the grader could not read the data set {spec!r} (an instructor's setting, not your "
            f"code): {type(exc).__name__}: {exc}",
            slip="the instructor's --data option: give the folder of the four MNIST IDX files as "
                 "mnist:PATH.") from None


def data_name(spec) -> str:
    """"digits" or "mnist" for the data options "digits" and "mnist:PATH"; CheckFailed otherwise."""
    spec = str(spec)
    if spec == "digits":
        return "digits"
    if spec.startswith("mnist:") and len(spec) > len("mnist:"):
        return "mnist"
    raise CheckFailed(
        f"unknown data set {spec!r} for autoencoders_torch (an instructor's setting, not your code): use "
        "\"digits\" or \"mnist:PATH\".")


def probe_digits(n: int = 10) -> np.ndarray:
    return dataset("digits")["x_test"][:n]


def dense_probe_input(n_in: int) -> np.ndarray:
    """Fixed inputs of the DenseAutoencoder probes: digits for n_in = 64, else uniform."""
    if n_in == 64:
        return probe_digits()
    return np.random.default_rng(n_in).uniform(0.0, 1.0, size=(5, n_in))

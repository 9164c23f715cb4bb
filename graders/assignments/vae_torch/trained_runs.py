"""The trained run of `vae_torch`: train in one process, evaluate in two others, score here.

The same function measures a grade (the sandboxes) and a calibration (the reference in this
process); only `Reach` differs (see autoencoders_torch's trained_runs for the pattern):

1. `draw`: the data set's training and test images pooled, their pixels in a secret order,
   a secret subset of the test split's size held out, the training seed and the
   evaluation's eps, all from the course secret (their labels stay here: they only colour a
   picture);
2. `task_train_vae` trains on the training rows only and returns the state_dict;
3. `encode` of the held-out images runs in a fresh process and gives (mu, logvar), validated
   here; the grader draws z = mu + exp(logvar / 2) * eps with its own secret eps (a sample,
   as the ELBO is defined: decoding mu alone would not score the variance the encoder
   claims) and relays z (float32) to `decode` in another fresh process, together with
   mu's first rows and a scan of the latent plane for the pictures;
4. the grader computes the held-out negative ELBO with the contract's formula (BCE summed
   over the pixels + KL, per image, averaged) and subtracts the entropy floor of the
   grey-level images.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Callable

import numpy as np

from graders.engine import raw_outputs
from graders.engine.checks import CheckFailed
from graders.engine.secret import CourseSecret

N_SHOW = 8
GRID_SIZE = 10
LOGVAR_LIMIT = 60.0  # |logvar| beyond this is no variance a trained VAE reaches (exp overflows soon after)
STATE_SLACK = 4  # a state_dict may hold this many times the contract model's numbers
CONTRACT_HIDDEN = 128  # VAE(n_in, n_latent)'s default hidden width


@dataclass(frozen=True)
class Reach:
    """train(task, kwargs) -> the training's raw reply; apply(class_name, state, method,
    inputs, args) -> raw outputs (a fresh process per call in a grade)."""

    train: Callable[[str, dict], dict]
    apply: Callable[..., list]


def draw(secret: CourseSecret, task: str, data: dict, n_latent: int) -> dict:
    """Training rows, held-out rows and labels, seed and eps for this course secret; the
    pixels in a secret order (a dense VAE learns any order equally well; weights trained in
    advance on the public images in their usual order do not fit; "unpermute" restores it
    for the pictures)."""
    pool = np.concatenate([data["x_train"], data["x_test"]]).astype(np.float32).astype(np.float64)
    labels = np.concatenate([data["y_train"], data["y_test"]]) if "y_train" in data else np.zeros(len(pool))
    order = secret.rng(task, "pixel order").permutation(pool.shape[1])
    pool = pool[:, order]
    train_idx, heldout_idx = secret.split(len(pool), len(data["x_test"]), task, "split")
    eps = secret.rng(task, "eps").standard_normal((len(heldout_idx), n_latent))
    return {"x_train": pool[train_idx], "x_heldout": pool[heldout_idx], "y_heldout": labels[heldout_idx],
            "unpermute": np.argsort(order), "seed": secret.seed(task, "train"), "eps": eps}


def latent_grid(grid_size: int = GRID_SIZE, quantile: float = 0.05) -> np.ndarray:
    """A regular grid_size x grid_size scan of the latent plane, at the standard normal's
    quantiles from `quantile` to 1 - `quantile` (row-major, first coordinate fastest)."""
    qs = np.linspace(quantile, 1.0 - quantile, int(grid_size))
    axis = np.array([NormalDist().inv_cdf(float(q)) for q in qs])
    z1, z2 = np.meshgrid(axis, axis[::-1])
    return np.stack([z1.ravel(), z2.ravel()], axis=1)


def entropy_floor(x: np.ndarray) -> float:
    """Mean over images of sum_d H(x_d), H the binary entropy (0 log 0 = 0): the smallest
    BCE any x_hat can reach on grey-level targets (reached at x_hat = x)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(x > 0, x * np.log(x), 0.0) + np.where(x < 1, (1 - x) * np.log1p(-x), 0.0))
    return float(h.reshape(len(x), -1).sum(axis=1).mean())


def kl_per_image(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """KL(N(mu, exp(logvar)) || N(0, I)) per row: -1/2 sum(1 + logvar - mu^2 - exp(logvar))."""
    return -0.5 * np.sum(1.0 + logvar - mu ** 2 - np.exp(logvar), axis=1)


def _history(value) -> np.ndarray:
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind == "f" and value.size <= 10_000:
        return np.asarray(value, dtype=np.float64)
    return np.zeros(0)


def measure(task: str, settings: dict, data: dict, secret: CourseSecret, reach: Reach) -> dict:
    """Everything the trained check compares, for this course secret."""
    n_latent = int(settings["n_latent"])
    d = draw(secret, task, data, n_latent)
    x = d["x_heldout"]
    n, n_in = x.shape
    r = reach.train(task, {"x_train": d["x_train"].astype(np.float32), "seed": d["seed"], **settings})
    if not isinstance(r, dict) or "state" not in r:
        raise RuntimeError(f"{task}: unexpected reply from the grader's task")
    h = CONTRACT_HIDDEN
    n_params = (n_in * h + h) + 2 * (h * n_latent + n_latent) + (n_latent * h + h) + (h * n_in + n_in)
    state = raw_outputs.state_dict(r["state"], "the trained VAE", max_values=STATE_SLACK * n_params)
    args = [n_in, n_latent]
    encoded = reach.apply("VAE", state, "encode", [x], args)
    if not isinstance(encoded, list) or len(encoded) != 2:
        raise CheckFailed("VAE.encode returned something other than the two tensors (mu, logvar).",
                          expected="(mu, logvar), each (N, n_latent)",
                          got=f"{len(encoded) if isinstance(encoded, list) else 0} tensors")
    mu = raw_outputs.float_array(encoded[0], "VAE.encode's mu", (n, n_latent))
    logvar = raw_outputs.float_array(encoded[1], "VAE.encode's logvar", (n, n_latent),
                                     lo=-LOGVAR_LIMIT, hi=LOGVAR_LIMIT)
    z = mu + np.exp(0.5 * logvar) * d["eps"]
    grid_z = latent_grid() if n_latent == 2 else np.zeros((0, n_latent))
    codes = np.concatenate([z, mu[:N_SHOW], grid_z])
    decoded = reach.apply("VAE", state, "decode", [raw_outputs.relay_float32(codes)], args)
    if not isinstance(decoded, list) or len(decoded) != 1:
        raise CheckFailed("VAE.decode returned more than one tensor; expected the probabilities x_hat.")
    x_hat_all = raw_outputs.float_array(decoded[0], "VAE.decode", (len(codes), n_in), lo=0.0, hi=1.0)
    x_hat = x_hat_all[:n]
    bce, kl = raw_outputs.bce_sum(x_hat, x), kl_per_image(mu, logvar)
    floor = entropy_floor(x)
    loss = float(np.mean(bce + kl))
    back = d["unpermute"]
    cpu = r.get("cpu_s")
    return {
        "test_loss": loss, "test_bce": float(bce.mean()), "test_kl": float(kl.mean()),
        "entropy_floor": floor, "test_excess": loss - floor, "history": _history(r.get("history")),
        "latent_mu": mu, "latent_labels": d["y_heldout"], "grid": x_hat_all[n + min(N_SHOW, n):, back],
        "grid_z": grid_z, "inputs": x[:N_SHOW, back], "reconstructions": x_hat_all[n:n + min(N_SHOW, n), back],
        "cpu_s": float(cpu) if isinstance(cpu, (int, float)) and not isinstance(cpu, bool) else float("nan"),
    }

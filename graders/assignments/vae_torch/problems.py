"""The inputs of the value checks of `vae_torch` and the contract's closed-form KL, in NumPy."""

from __future__ import annotations

import numpy as np

from graders.engine.compare import fmt

N, L = 5, 3                # value checks: 5 samples, 3 latent dimensions (N != L: factors named)


def kl_closed_form(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """KL(N(mu, exp(logvar)) || N(0, I)) per row."""
    return -0.5 * np.sum(1.0 + logvar - mu ** 2 - np.exp(logvar), axis=1)


def latent_inputs(rng, n: int = N, latent: int = L):
    """mu, logvar, eps, weights of shape (n, latent); logvar in [-2, 1.5] (sigma 0.37..2.1)."""
    return (rng.normal(0.0, 1.0, (n, latent)), rng.uniform(-2.0, 1.5, (n, latent)),
            rng.normal(0.0, 1.0, (n, latent)), rng.normal(0.0, 1.0, (n, latent)))


def render(**arrays) -> str:
    return "Inputs: " + "; ".join(f"{k} = {fmt(v)}" for k, v in arrays.items())

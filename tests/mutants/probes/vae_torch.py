"""The probe of vae_torch's contract for its mutants (the harness: tests/mutants/probing.py)."""

from __future__ import annotations


import numpy as np
import torch

from graders.assignments.vae_torch.slips import MUTANTS, UNUSUAL
from tests.mutants import probing

torch.set_num_threads(1)  # tiny tensors: threads only add overhead on a shared machine
CONTRACT = ("VAE", "VAE.reparameterize", "kl_divergence", "vae_loss")


def _np(t):
    return t.detach().double().numpy().copy()


def probe(mod) -> dict[str, object]:
    """What every contract object returns on fixed small float64 inputs."""
    rng = np.random.default_rng(0)
    out: dict[str, object] = {}

    record = probing.recorder(out)

    x = torch.tensor(rng.uniform(size=(5, 6)))
    z = torch.tensor(rng.normal(size=(5, 2)))

    def vae():
        torch.manual_seed(0)
        model = mod.VAE(6, 2).double()
        mu, logvar = model.encode(x)
        torch.manual_seed(1)
        x_hat, mu_f, logvar_f = model(x)
        return {"mu": _np(mu), "logvar": _np(logvar), "decode": _np(model.decode(z)),
                "forward": [_np(x_hat), _np(mu_f), _np(logvar_f)]}

    record("VAE", vae)

    mu0 = rng.normal(size=(4, 2))
    logvar0 = rng.normal(size=(4, 2))
    eps = torch.tensor(rng.normal(size=(4, 2)))
    weights = torch.tensor(rng.normal(size=(4, 2)))

    def reparameterize():
        torch.manual_seed(0)
        model = mod.VAE(6, 2).double()
        mu = torch.tensor(mu0, requires_grad=True)
        logvar = torch.tensor(logvar0, requires_grad=True)
        zz = model.reparameterize(mu, logvar, eps)
        grads = torch.autograd.grad((zz * weights).sum(), (mu, logvar), allow_unused=True)
        return {"z": _np(zz), "grads": [None if g is None else _np(g) for g in grads]}

    record("VAE.reparameterize", reparameterize)
    record("kl_divergence", lambda: _np(mod.kl_divergence(torch.tensor(mu0), torch.tensor(logvar0))))

    x_hat = torch.tensor(rng.uniform(0.05, 0.95, size=(4, 6)))
    target = torch.tensor(rng.uniform(size=(4, 6)))
    record("vae_loss", lambda: _np(mod.vae_loss(x_hat, target, torch.tensor(mu0), torch.tensor(logvar0))))
    return out


BUGGY, CORRECT = MUTANTS, UNUSUAL
CHANGED = 1e-6


def contract_name(key: str) -> str:
    return key


def check_reference(reference: dict) -> None:
    assert not any(isinstance(v, str) for v in reference.values()), reference
    assert reference["kl_divergence"].shape == (4,) and reference["vae_loss"].shape == ()

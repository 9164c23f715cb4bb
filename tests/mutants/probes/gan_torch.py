"""The probe of gan_torch's contract for its mutants (the harness: tests/mutants/probing.py)."""

from __future__ import annotations


import numpy as np
import torch

from graders.assignments.gan_torch.slips import MUTANTS, UNUSUAL
from tests.mutants import probing

torch.set_num_threads(1)  # tiny tensors: threads only add overhead on a shared machine
CONTRACT = ("Generator", "Discriminator", "discriminator_loss", "generator_loss", "train_step")


def _np(t):
    return t.detach().double().numpy().copy()


def _params(module):
    return np.concatenate([_np(p).ravel() for p in module.parameters()])


def probe(mod) -> dict[str, object]:
    """What every contract object returns on fixed small float64 inputs."""
    rng = np.random.default_rng(0)
    out: dict[str, object] = {}

    record = probing.recorder(out)

    z = torch.tensor(rng.normal(size=(5, 3)))
    x = torch.tensor(rng.uniform(size=(5, 6)))

    def generator():
        torch.manual_seed(0)
        return _np(mod.Generator(3, 6).double()(z))

    def discriminator():
        torch.manual_seed(0)
        return _np(mod.Discriminator(6).double()(x))

    record("Generator", generator)
    record("Discriminator", discriminator)

    logits = np.concatenate([rng.normal(size=6) * 3.0, [100.0, -100.0]])
    real0, fake0 = logits, logits[::-1].copy()

    def d_loss():
        real = torch.tensor(real0, requires_grad=True)
        fake = torch.tensor(fake0, requires_grad=True)
        loss = mod.discriminator_loss(real, fake)
        grads = torch.autograd.grad(loss, (real, fake))
        return {"value": _np(loss), "grads": [_np(g) for g in grads]}

    def g_loss():
        fake = torch.tensor(fake0, requires_grad=True)
        loss = mod.generator_loss(fake)
        return {"value": _np(loss), "grad": _np(torch.autograd.grad(loss, fake)[0])}

    record("discriminator_loss", d_loss)
    record("generator_loss", g_loss)

    def finite_in_float32():
        # Far-out logits in float32: a loss written with log(sigmoid(.)) overflows to inf.
        extreme = torch.tensor([-1000.0, -100.0, 100.0, 1000.0], dtype=torch.float32)
        values = (mod.discriminator_loss(extreme, extreme.flip(0)), mod.generator_loss(extreme))
        return [bool(torch.isfinite(v).all()) for v in values]

    record("losses:finite_in_float32", finite_in_float32)

    reals = [torch.tensor(rng.uniform(size=(4, 6))) for _ in range(2)]
    zs = [torch.tensor(rng.normal(size=(4, 3))) for _ in range(2)]

    def train_step():
        torch.manual_seed(0)
        G, D = mod.Generator(3, 6).double(), mod.Discriminator(6).double()
        opt_G = torch.optim.SGD(G.parameters(), lr=0.1)
        opt_D = torch.optim.SGD(D.parameters(), lr=0.1)
        steps = []
        for real, zz in zip(reals, zs):
            torch.manual_seed(7)  # a submission drawing its own noise draws from here
            losses = mod.train_step(G, D, opt_G, opt_D, real, zz)
            steps.append({"losses": [float(v) for v in losses], "G": _params(G), "D": _params(D)})
        return steps

    record("train_step", train_step)
    return out


BUGGY, CORRECT = MUTANTS, UNUSUAL
CHANGED = 1e-6


def contract_name(key: str) -> str:
    return key


def check_reference(reference: dict) -> None:
    assert not any(isinstance(v, str) for v in reference.values()), reference
    assert np.isfinite(reference["discriminator_loss"]["value"])
    assert np.isfinite(reference["generator_loss"]["value"])
    assert reference["Discriminator"].shape == (5,)
    assert reference["losses:finite_in_float32"] == [True, True]

"""The probe of autoencoders_torch's contract for its mutants (the harness: tests/mutants/probing.py)."""

from __future__ import annotations


import numpy as np
import torch

from graders.assignments.autoencoders_torch.slips import MUTANTS, UNUSUAL
from tests.mutants import probing

torch.set_num_threads(1)  # tiny tensors: threads only add overhead on a shared machine
CONTRACT = ("DenseAutoencoder", "ConvAutoencoder", "add_noise", "l1_activity_penalty")


def _np(t):
    return t.detach().double().numpy().copy()


def probe(mod) -> dict[str, object]:
    """What every contract object returns on fixed small float64 inputs."""
    torch.manual_seed(123)  # a submission that ignores the generator draws from here
    rng = np.random.default_rng(0)
    out: dict[str, object] = {}

    record = probing.recorder(out)

    x = torch.tensor(rng.uniform(size=(5, 6)))

    def dense():
        torch.manual_seed(0)
        model = mod.DenseAutoencoder(6, 3).double()
        return {"code": _np(model.encode(x)), "x_hat": _np(model(x)),
                "n_params": sum(p.numel() for p in model.parameters())}

    record("DenseAutoencoder", dense)

    def conv_values():
        torch.manual_seed(0)
        model = mod.ConvAutoencoder(in_channels=1).double()
        return {f"{s}": _np(model(torch.tensor(rng.uniform(size=(2, 1, s, s))))) for s in (8, 28)}

    def conv_shapes():
        shapes = {}
        for shape in ((2, 1, 7, 7), (1, 1, 15, 13), (1, 2, 5, 9), (1, 3, 8, 8)):
            torch.manual_seed(0)
            y = mod.ConvAutoencoder(in_channels=shape[1]).double()(torch.rand(*shape, dtype=torch.float64))
            shapes[f"{shape}"] = list(y.shape)
            shapes[f"{shape} in [0, 1]"] = bool(y.min() >= 0 and y.max() <= 1)
        return shapes

    record("ConvAutoencoder:values", conv_values)
    record("ConvAutoencoder:shapes", conv_shapes)

    def noise():
        xin = torch.tensor(rng.uniform(size=(4, 5)))
        before = xin.clone()
        noisy = mod.add_noise(xin, 0.3, torch.Generator().manual_seed(0))
        return {"noisy": _np(noisy), "input after": _np(xin), "unchanged": bool(torch.equal(xin, before))}

    record("add_noise", noise)

    def penalty():
        code = torch.tensor(rng.normal(size=(4, 3))).requires_grad_(True)
        value = mod.l1_activity_penalty(code, 0.1)
        value.backward()
        return {"value": _np(value), "shape": list(value.shape), "grad": _np(code.grad)}

    record("l1_activity_penalty", penalty)
    return out


BUGGY, CORRECT = MUTANTS, UNUSUAL
CHANGED = 1e-6


def check_reference(reference: dict) -> None:
    assert not any(isinstance(v, str) for v in reference.values()), reference
    assert reference["DenseAutoencoder"]["n_params"] == 2 * 6 * 3 + 3 + 6
    assert reference["add_noise"]["unchanged"]
    shapes = reference["ConvAutoencoder:shapes"]
    assert shapes["(2, 1, 7, 7)"] == [2, 1, 7, 7] and shapes["(1, 1, 15, 13)"] == [1, 1, 15, 13]

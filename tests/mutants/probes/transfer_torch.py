"""The probe of transfer_torch's contract for its mutants (the harness: tests/mutants/probing.py)."""

import numpy as np
import torch
from torch import nn

from graders.assignments.transfer_torch.tasks import build_base
from tests.mutants.probing import same
from graders.assignments.transfer_torch.slips import MUTANTS, UNUSUAL

X = torch.tensor(np.random.default_rng(0).normal(size=(6, 1, 8, 8)), dtype=torch.float64)


def _try(fn):
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - a crash is an observable difference
        return f"raised {type(exc).__name__}"


def _small():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(),
                         nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4)).double()


def _freeze_outputs(mod):
    body = _small()
    mod.freeze(body)
    model = nn.Sequential(body, nn.Flatten(), nn.Linear(4 * 64, 2)).double()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    outs = []
    for _ in range(2):
        out = model(X)
        outs.append(out.detach().numpy())
        opt.zero_grad()
        out.pow(2).mean().backward()
        opt.step()
    return {
        "requires_grad": [p.requires_grad for p in body.parameters()],
        "outputs": outs,
        "body_state": [v.double().numpy() for v in body.state_dict().values()],
    }


def _unfreeze_outputs(mod, index, freeze_first):
    torch.manual_seed(0)
    base = build_base().double()
    if freeze_first:
        mod.freeze(base)
    mod.unfreeze_from(base, index)
    base.train()
    with torch.no_grad():
        base(X)
    children = list(base.children())
    frozen_bn_stats = [c.running_mean.numpy().copy() for c in children[:index] if isinstance(c, nn.BatchNorm2d)]
    return {"requires_grad": [p.requires_grad for p in base.parameters()], "frozen_bn_stats": frozen_bn_stats}


class _Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc, self.dec, self.bn = nn.Linear(5, 5), nn.Linear(5, 5), nn.BatchNorm1d(5)
        self.dec.weight = self.enc.weight


def _count_outputs(mod):
    base = build_base()
    tied = _Tied()
    tied.dec.bias.requires_grad_(False)
    part = build_base()
    for p in list(part.parameters())[:4]:
        p.requires_grad_(False)
    return [(mod.count_params(m), mod.count_params(m, trainable_only=True)) for m in (base, tied, part)]


def _head_outputs(mod, n_classes):
    torch.manual_seed(0)
    base = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU())
    mod.freeze(base)
    torch.manual_seed(1)
    model = mod.replace_head(base, 6, n_classes).double().eval()
    with torch.no_grad():
        out = model(X).numpy()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"out": out, "trainable": trainable}


def contract_outputs(mod):
    out = {"freeze": _try(lambda: _freeze_outputs(mod)), "count_params": _try(lambda: _count_outputs(mod))}
    for index in (0, 1, 3, 4, 7, 8, 10):
        for first in (True, False):
            out[f"unfreeze_from_{index}_{first}"] = _try(lambda: _unfreeze_outputs(mod, index, first))
    for k in (2, 3, 5):
        out[f"replace_head_{k}"] = _try(lambda: _head_outputs(mod, k))
    return out


probe = contract_outputs
BUGGY, CORRECT = MUTANTS, UNUSUAL
CHANGED = 1e-10
CONTRACT = None  # no coverage test: each mutant names the probe it changes


def check_reference(reference: dict) -> None:
    f = reference["freeze"]
    assert not any(f["requires_grad"])
    untouched = [v.double().numpy() for v in _small().state_dict().values()]
    assert same(f["body_state"], untouched, 1e-10)  # weights and running statistics unchanged
    assert reference["count_params"][0] == (23520, 23520)
    assert reference["count_params"][1] == (25 + 5 + 5 + 10, 25 + 5 + 10)
    assert reference["replace_head_2"]["trainable"] == 6 + 1
    assert reference["replace_head_5"]["out"].shape == (6, 5)

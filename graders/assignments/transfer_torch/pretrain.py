"""Pretrain the transfer base on the digits 0-4 and write `base_weights.npz`.

    python -m graders.assignments.transfer_torch.pretrain            # train, report, write
    python -m graders.assignments.transfer_torch.pretrain --check    # train, compare with the shipped file

Recipe (deterministic on one CPU thread): the digits 0-4 of dlgrade.data.load_digits(),
split 80/20 with split_train_test(seed=0); the classifier of tasks.build_classifier(5)
(base, global average pooling, linear) initialised after torch.manual_seed(0); Adam,
lr 0.01, 30 epochs of mini-batches of 32 in a torch.Generator(seed 0) order, cross-entropy.
The file stores every state_dict entry as a float array ("base.*", "head.*";
BatchNorm's integer batch counter as a float).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F

from .base_model import PRETRAIN_CLASSES, WEIGHTS, digits_split, load_weights
from .tasks import build_classifier

SETTINGS = {"epochs": 30, "lr": 0.01, "batch_size": 32, "seed": 0, "test_fraction": 0.2}


def pretrain(epochs=30, lr=0.01, batch_size=32, seed=0, test_fraction=0.2):
    """Train the 5-class classifier; returns (arrays for the .npz, test accuracy)."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    Xtr, ytr, Xte, yte = digits_split(PRETRAIN_CLASSES, test_fraction, seed)
    xtr = torch.tensor(Xtr, dtype=torch.float32).reshape(-1, 1, 8, 8)
    xte = torch.tensor(Xte, dtype=torch.float32).reshape(-1, 1, 8, 8)
    ytr_t, yte_t = torch.tensor(ytr), torch.tensor(yte)
    model = build_classifier(len(PRETRAIN_CLASSES))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        for i in range(0, len(xtr), batch_size):
            b = perm[i:i + batch_size]
            loss = F.cross_entropy(model(xtr[b]), ytr_t[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        acc = float((model(xte).argmax(1) == yte_t).double().mean())
    arrays = {f"base.{k}": v.detach().numpy().astype(np.float32 if v.is_floating_point() else np.float64)
              for k, v in model[0].state_dict().items()}
    arrays.update({f"head.{k}": v.detach().numpy() for k, v in model[3].state_dict().items()})
    return arrays, acc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the shipped weights, write nothing")
    args = ap.parse_args(argv)
    arrays, acc = pretrain(**SETTINGS)
    print(f"pretrained on digits {PRETRAIN_CLASSES}: held-out accuracy {acc:.4f}")
    if args.check:
        shipped = load_weights()
        diff = max(float(np.abs(shipped[k].astype(np.float64) - arrays[k].astype(np.float64)).max())
                   for k in arrays)
        same_keys = sorted(shipped) == sorted(arrays)
        print(f"max abs difference from {WEIGHTS.name}: {diff:.3g}; same keys: {same_keys}")
        return 0 if same_keys and diff <= 1e-5 else 1
    np.savez(WEIGHTS, **arrays)
    print(f"wrote {WEIGHTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

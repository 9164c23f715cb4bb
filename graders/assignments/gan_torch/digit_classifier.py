"""The project's digit classifier, used to judge a GAN's samples (grader process only).

A one-hidden-layer MLP, `softmax(tanh(x W1 + b1) W2 + b2)`, trained deterministically in
float64 on the training split of the data (the split the GAN is trained on). Its weights
ship as plain float64 arrays in `digit_classifier_<dataset>.npz` (no pickle: they are loaded
with `allow_pickle=False`), and this script regenerates them:

    python -m graders.assignments.gan_torch.digit_classifier            # train, report, compare
    python -m graders.assignments.gan_torch.digit_classifier --write    # ... and save the .npz
    python -m graders.assignments.gan_torch.digit_classifier --dataset mnist:PATH --write

`mode_coverage` turns a batch of generated samples into the numbers the GAN threshold
compares: how many distinct classes are recognised with confidence, and how often.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

HERE = Path(__file__).resolve().parent
KEYS = ("W1", "b1", "W2", "b2")

# Training settings per dataset (full-batch Adam for the small digits, mini-batches for MNIST).
SETTINGS = {
    "digits": {"n_hidden": 64, "epochs": 300, "batch_size": None, "lr": 1e-2, "weight_decay": 1e-3},
    "mnist": {"n_hidden": 128, "epochs": 5, "batch_size": 128, "lr": 1e-3, "weight_decay": 1e-5},
}


def weights_path(dataset: str = "digits") -> Path:
    return HERE / f"digit_classifier_{dataset}.npz"


class DigitClassifier(nn.Module):
    """softmax(tanh(x W1 + b1) W2 + b2), float64; W1 (n_in, H), W2 (H, n_classes)."""

    def __init__(self, n_in: int, n_hidden: int, n_classes: int = 10):
        super().__init__()
        self.W1 = nn.Parameter(torch.zeros(n_in, n_hidden, dtype=torch.float64))
        self.b1 = nn.Parameter(torch.zeros(n_hidden, dtype=torch.float64))
        self.W2 = nn.Parameter(torch.zeros(n_hidden, n_classes, dtype=torch.float64))
        self.b2 = nn.Parameter(torch.zeros(n_classes, dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape (N, n_classes)."""
        return torch.tanh(x @ self.W1 + self.b1) @ self.W2 + self.b2

    def weights(self) -> dict[str, np.ndarray]:
        return {k: getattr(self, k).detach().numpy().copy() for k in KEYS}

    @classmethod
    def from_weights(cls, weights: dict[str, np.ndarray]) -> "DigitClassifier":
        missing = [k for k in KEYS if k not in weights]
        if missing:
            raise ValueError(f"classifier weights lack {missing}")
        W1, b1, W2, b2 = (np.asarray(weights[k], dtype=np.float64) for k in KEYS)
        if W1.ndim != 2 or W2.ndim != 2 or b1.shape != (W1.shape[1],) or \
                W2.shape[0] != W1.shape[1] or b2.shape != (W2.shape[1],):
            raise ValueError("classifier weights have inconsistent shapes: "
                             + ", ".join(f"{k} {np.shape(weights[k])}" for k in KEYS))
        model = cls(W1.shape[0], W1.shape[1], W2.shape[1])
        with torch.no_grad():
            for k, v in zip(KEYS, (W1, b1, W2, b2)):
                getattr(model, k).copy_(torch.from_numpy(v))
        return model


def train_classifier(x: np.ndarray, y: np.ndarray, *, n_hidden: int, epochs: int,
                     batch_size: int | None, lr: float, weight_decay: float,
                     seed: int = 0) -> DigitClassifier:
    """Deterministic float64 training: Xavier-style init from `seed`, Adam on
    cross-entropy + weight_decay * sum of squared weights, full batch or seeded mini-batches."""
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(seed)
    n_in, n_classes = x.shape[1], int(y.max()) + 1
    model = DigitClassifier.from_weights({
        "W1": rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_in, n_hidden)),
        "b1": np.zeros(n_hidden),
        "W2": rng.normal(0.0, 1.0 / np.sqrt(n_hidden), (n_hidden, n_classes)),
        "b2": np.zeros(n_classes),
    })
    xt = torch.as_tensor(np.asarray(x, dtype=np.float64))
    yt = torch.as_tensor(np.asarray(y, dtype=np.int64))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    size = len(xt) if batch_size is None else int(batch_size)
    for _ in range(epochs):
        perm = rng.permutation(len(xt)) if batch_size is not None else np.arange(len(xt))
        for start in range(0, len(xt), size):
            idx = torch.as_tensor(perm[start:start + size])
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            loss = loss + weight_decay * (model.W1.pow(2).sum() + model.W2.pow(2).sum())
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model


def save_weights(model: DigitClassifier, path: Path) -> None:
    np.savez(path, **model.weights())


def load_classifier(dataset: str = "digits", path: Path | None = None) -> DigitClassifier:
    """The shipped classifier for `dataset` (plain arrays, loaded without pickle)."""
    path = Path(path) if path is not None else weights_path(dataset)
    if not path.exists():
        raise FileNotFoundError(
            f"no digit classifier weights at {path}; create them with "
            f"`python -m graders.assignments.gan_torch.digit_classifier --dataset "
            f"{'mnist:PATH' if dataset == 'mnist' else dataset} --write`")
    with np.load(path, allow_pickle=False) as data:
        return DigitClassifier.from_weights({k: data[k] for k in data.files})


def classify(samples: np.ndarray, model: DigitClassifier) -> tuple[np.ndarray, np.ndarray]:
    """(labels int64 (N,), confidences float64 (N,)): argmax and max of the softmax."""
    x = torch.as_tensor(np.asarray(samples, dtype=np.float64))
    with torch.no_grad():
        probs = torch.softmax(model(x), dim=1)
    conf, labels = probs.max(dim=1)
    return labels.numpy().astype(np.int64), conf.numpy()


def mode_coverage(samples: np.ndarray, model: DigitClassifier, confidence: float,
                  min_count: int) -> dict:
    """How many digits a batch of samples covers.

    A class is *covered* when at least `min_count` samples are labelled with it at
    softmax confidence >= `confidence`. Returns {"n_classes": covered classes,
    "confident_fraction": fraction of samples at or above the confidence, "counts":
    confident samples per class (list of ints)}. A generator that ignores z covers one
    class at most.
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or not np.all(np.isfinite(samples)):
        return {"n_classes": 0, "confident_fraction": 0.0, "counts": []}
    labels, conf = classify(samples, model)
    ok = conf >= confidence
    counts = np.bincount(labels[ok], minlength=model.W2.shape[1])
    return {
        "n_classes": int((counts >= min_count).sum()),
        "confident_fraction": float(ok.mean()),
        "counts": [int(c) for c in counts],
    }


def accuracy(model: DigitClassifier, x: np.ndarray, y: np.ndarray) -> float:
    labels, _ = classify(x, model)
    return float((labels == np.asarray(y)).mean())


def main(argv: list[str] | None = None) -> int:
    from dlgrade.data.mnist import load_dataset

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="digits", help='"digits" or "mnist:PATH"')
    parser.add_argument("--write", action="store_true", help="save the weights (.npz)")
    args = parser.parse_args(argv)
    data = load_dataset(args.dataset)
    model = train_classifier(data["x_train"], data["y_train"], **SETTINGS[data["name"]])
    print(f"{data['name']}: train accuracy {accuracy(model, data['x_train'], data['y_train']):.4f}, "
          f"test accuracy {accuracy(model, data['x_test'], data['y_test']):.4f}")
    path = weights_path(data["name"])
    if path.exists():
        shipped = load_classifier(path=path).weights()
        diff = max(float(np.abs(shipped[k] - model.weights()[k]).max()) for k in KEYS)
        print(f"max |difference| from the weights at {path.name}: {diff:.3g}")
    if args.write:
        save_weights(model, path)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The project's digit classifier, used to judge a GAN's samples (grader process only).

A one-hidden-layer MLP, `softmax(tanh(x W1 + b1) W2 + b2)`, trained deterministically in
float64 on the training split of the data (the split the GAN is trained on), with an 11th
class for "not a digit" (noise, digits with shuffled pixels), so that a generator of
noise is not confidently read as digits. Its weights
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
NOT_A_DIGIT = 10  # the classifier's 11th class: noise and shuffled pixels

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


def make_negatives(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Images that are not digits, as many as x: half are real digits with their pixels
    shuffled (the same ink, no shape), a quarter sparse binary noise (ink density 5% to
    60%), a quarter uniform noise scaled by a random contrast."""
    n, d = x.shape
    n_shuffled, n_binary = n // 2, n // 4
    shuffled = np.stack([row[rng.permutation(d)] for row in x[rng.integers(0, n, n_shuffled)]])
    density = rng.uniform(0.05, 0.6, size=(n_binary, 1))
    binary = (rng.uniform(size=(n_binary, d)) < density).astype(np.float64)
    n_uniform = n - n_shuffled - n_binary
    uniform = rng.uniform(size=(n_uniform, d)) * rng.uniform(0.3, 1.0, size=(n_uniform, 1))
    return np.concatenate([shuffled, binary, uniform])


def train_classifier(x: np.ndarray, y: np.ndarray, *, n_hidden: int, epochs: int,
                     batch_size: int | None, lr: float, weight_decay: float,
                     seed: int = 0) -> DigitClassifier:
    """Deterministic float64 training on the digits plus a "not a digit" class (label
    NOT_A_DIGIT = 10, trained on `make_negatives`), so noise is rejected rather than
    confidently called some digit: Xavier-style init from `seed`, Adam on cross-entropy +
    weight_decay * sum of squared weights, full batch or seeded mini-batches."""
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(seed)
    negatives = make_negatives(np.asarray(x, dtype=np.float64), rng)
    x = np.concatenate([x, negatives])
    y = np.concatenate([y, np.full(len(negatives), NOT_A_DIGIT)])
    n_in, n_classes = x.shape[1], NOT_A_DIGIT + 1
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

    A digit class is *covered* when at least `min_count` samples are labelled with it at
    softmax confidence >= `confidence`. Returns {"n_classes": covered digit classes,
    "confident_fraction": fraction of samples confidently labelled as some digit (samples
    labelled "not a digit" never count), "counts": confident samples per digit (10 ints),
    "rejected_fraction": fraction labelled "not a digit"}. A generator that ignores z
    covers one class at most; one that makes noise is rejected.
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != model.W1.shape[0] or not np.all(np.isfinite(samples)):
        return {"n_classes": 0, "confident_fraction": 0.0, "counts": [0] * NOT_A_DIGIT,
                "rejected_fraction": 1.0}
    labels, conf = classify(samples, model)
    ok = (conf >= confidence) & (labels < NOT_A_DIGIT)
    counts = np.bincount(labels[ok], minlength=NOT_A_DIGIT)[:NOT_A_DIGIT]
    return {
        "n_classes": int((counts >= min_count).sum()),
        "confident_fraction": float(ok.mean()),
        "counts": [int(c) for c in counts],
        "rejected_fraction": float((labels == NOT_A_DIGIT).mean()),
    }


def accuracy(model: DigitClassifier, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of x labelled y (a digit labelled "not a digit" counts as wrong)."""
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
        shipped, new = load_classifier(path=path).weights(), model.weights()
        if all(shipped[k].shape == new[k].shape for k in KEYS):
            diff = max(float(np.abs(shipped[k] - new[k]).max()) for k in KEYS)
            print(f"max |difference| from the weights at {path.name}: {diff:.3g}")
        else:
            print(f"the weights at {path.name} have other shapes")
    if args.write:
        save_weights(model, path)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Bundled data sets shared by students, reference solutions and graders.

Everything here works offline: the digits and the two photos ship with scikit-learn,
the English text ships with Python (`pydoc_data.topics`), and the course's small files
(the Faust excerpt, the shampoo sales series, the hard-sigmoid LSTM worked example,
the BasicMotions series of the UEA archive) ship in `files/`. Full data sets an instructor has locally (MNIST in IDX files) are
read by `dlgrade.data.mnist`.

Every loader returns float64 arrays unless it says otherwise, and none of them touches
the network.
"""

from __future__ import annotations

import csv
import json
from importlib import resources

import numpy as np

__all__ = [
    "load_digits",
    "load_sample_photos",
    "load_faust",
    "load_shampoo",
    "load_lstm_worked_example",
    "load_english_text",
    "split_train_test",
    "load_basic_motions",
]


def _file(name: str):
    return resources.files(__package__).joinpath("files", name)


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 handwritten 8x8 digits.

    Returns (X, y): X of shape (1797, 64), float64 scaled to [0, 1] (the raw pixels
    are 0..16), y of shape (1797,), int64 labels 0..9.

    Read straight from scikit-learn's bundled digits.csv.gz when it is there: importing
    scikit-learn costs seconds (of every grade that needs the digits), reading its file a
    few milliseconds. The values are those of `sklearn.datasets.load_digits` (a test
    checks that they are identical).
    """
    data = _digits_csv()
    if data is not None:
        return data[:, :-1].astype(np.float64) / 16.0, data[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits as _load

    d = _load()
    return d.data.astype(np.float64) / 16.0, d.target.astype(np.int64)


def _digits_csv() -> np.ndarray | None:
    """scikit-learn's digits.csv.gz as a (1797, 65) array (64 pixels, then the label), or
    None where that file is not found."""
    import gzip
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            with gzip.open(path, "rt") as fh:
                data = np.loadtxt(fh, delimiter=",")
            if data.shape == (1797, 65):
                return data
    return None


def split_train_test(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A reproducible permutation split of range(n) into (train_idx, test_idx)."""
    perm = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def load_sample_photos() -> np.ndarray:
    """scikit-learn's two natural photos (china.jpg, flower.jpg).

    Returns uint8 RGB of shape (2, 427, 640, 3).
    """
    from sklearn.datasets import load_sample_images

    return np.stack(load_sample_images().images)


def load_faust() -> str:
    """The course's 184-character excerpt of Goethe's Faust (34 distinct characters)."""
    return _file("faust.txt").read_text(encoding="utf-8")


def load_shampoo() -> np.ndarray:
    """The 36-month shampoo sales series, float64 of shape (36,), month 1 first."""
    with _file("shampoo.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return np.array([float(r["Sales"]) for r in rows], dtype=np.float64)


def load_lstm_worked_example() -> dict:
    """The hard-sigmoid LSTM worked example of the course text, as parsed JSON.

    Matrices are in the course's column-vector convention (W_x* is hidden x features).
    """
    return json.loads(_file("lstm_worked_example.json").read_text(encoding="utf-8"))


def load_english_text(max_chars: int | None = None) -> str:
    """English prose from Python's own documentation (`pydoc_data.topics`, ~465 KB).

    Topics are joined in sorted-key order so the text is the same on every run of
    the same Python; `max_chars` keeps a prefix.
    """
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[k] for k in sorted(topics))
    return text if max_chars is None else text[:max_chars]


def load_basic_motions(split: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """BasicMotions (UEA archive): a smartwatch's 3-D accelerometer and 3-D gyroscope.

    split: "train" or "test" (40 series each, 10 of every class).

    Returns (X, y, labels): X of shape (40, 100, 6), float64, the raw values (channels:
    accelerometer x, y, z, then gyroscope x, y, z); y int64 in the order of labels,
    ["Standing", "Running", "Walking", "Badminton"]. Read by `dlgrade.data.ts.read_ts`.
    """
    from dlgrade.data.ts import read_ts

    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    with resources.as_file(_file(f"BasicMotions_{split.upper()}.ts")) as path:
        return read_ts(path)

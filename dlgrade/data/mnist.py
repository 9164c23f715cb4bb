"""MNIST from the IDX files an instructor has locally (nothing is downloaded).

The four files of Yann LeCun's distribution, gzipped or not, in one folder:

    train-images-idx3-ubyte[.gz]   train-labels-idx1-ubyte[.gz]
    t10k-images-idx3-ubyte[.gz]    t10k-labels-idx1-ubyte[.gz]

(the common spelling `train-images.idx3-ubyte`, with a dot, is found too; so is Fashion-MNIST,
which uses the same names and format).

IDX format: a big-endian header `0x00 0x00 <type> <ndim>`, then `ndim` big-endian uint32
sizes, then the data in C order. Image files are type 0x08 (unsigned byte) with 3 dims
(magic number 2051 = 0x00000803), label files type 0x08 with 1 dim (magic 2049). Every
reader here checks the magic number, that the data length matches the sizes exactly, and
that images and labels agree, and says what is wrong in plain words otherwise.

`load_dataset(spec)` is what calibration scripts and graders use: "digits" (the bundled
8x8 digits, split 80/20 with seed 0) or "mnist:PATH".
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

__all__ = [
    "IDXFormatError",
    "read_idx",
    "find_mnist_file",
    "load_mnist_images",
    "load_mnist_labels",
    "load_mnist",
    "load_dataset",
]

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049

_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_STEMS = {
    ("train", "images"): ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    ("train", "labels"): ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    ("test", "images"): ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    ("test", "labels"): ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}


class IDXFormatError(ValueError):
    """A file is not a well-formed IDX file of the expected kind."""


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise IDXFormatError(f"{path}: looks gzipped but does not decompress ({exc})") from exc
    return raw


def read_idx(path, expected_magic: int | None = None) -> tuple[int, np.ndarray]:
    """Read one IDX file (gzipped or not) into (magic, array in native byte order).

    Raises IDXFormatError if the header is malformed, the magic number is not
    `expected_magic` (when given), or the data is shorter or longer than the sizes say.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise IDXFormatError(f"{path}: {len(data)} bytes, too short for an IDX header")
    if data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES or data[3] == 0:
        raise IDXFormatError(
            f"{path}: not an IDX file (header bytes {data[:4].hex(' ')}; expected 00 00 "
            f"<type in {sorted(hex(t) for t in _DTYPES)}> <ndim >= 1>)")
    magic = int.from_bytes(data[:4], "big")
    if expected_magic is not None and magic != expected_magic:
        raise IDXFormatError(
            f"{path}: magic number {magic} (0x{magic:08x}), expected {expected_magic} "
            f"(0x{expected_magic:08x}); images and labels files swapped?")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXFormatError(f"{path}: truncated header ({len(data)} bytes for {ndim} dims)")
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = _DTYPES[data[2]]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    got = len(data) - header
    if got != expected:
        raise IDXFormatError(
            f"{path}: header says shape {dims} ({expected} data bytes) but the file has "
            f"{got} data bytes ({'truncated' if got < expected else 'trailing bytes'})")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return magic, array.astype(dtype.newbyteorder("="))


def find_mnist_file(folder, kind: str, what: str) -> Path:
    """The file of `kind` ("train" or "test") and `what` ("images" or "labels") in folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"MNIST folder {folder} does not exist or is not a folder")
    tried = []
    for stem in _STEMS[(kind, what)]:
        for name in (stem, stem + ".gz"):
            tried.append(name)
            if (folder / name).is_file():
                return folder / name
    raise FileNotFoundError(f"no MNIST {kind} {what} in {folder}: looked for {', '.join(tried)}")


def load_mnist_images(path) -> np.ndarray:
    """Images as float64 in [0, 1] of shape (N, rows * cols) (784 for MNIST)."""
    _, array = read_idx(path, IMAGES_MAGIC)
    if array.ndim != 3:
        raise IDXFormatError(f"{path}: images must have 3 dims (N, rows, cols), got {array.shape}")
    return array.reshape(array.shape[0], -1).astype(np.float64) / 255.0


def load_mnist_labels(path) -> np.ndarray:
    """Labels as int64 of shape (N,), each in 0..9."""
    _, array = read_idx(path, LABELS_MAGIC)
    if array.ndim != 1:
        raise IDXFormatError(f"{path}: labels must have 1 dim, got {array.shape}")
    labels = array.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise IDXFormatError(f"{path}: labels must lie in 0..9, found {labels.min()}..{labels.max()}")
    return labels


def load_mnist(folder, kind: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """(X float64 (N, 784) in [0, 1], y int64 (N,)) for kind "train" or "test" ("t10k")."""
    kind = {"t10k": "test"}.get(kind, kind)
    if kind not in ("train", "test"):
        raise ValueError(f'kind must be "train" or "test", got {kind!r}')
    images_path = find_mnist_file(folder, kind, "images")
    labels_path = find_mnist_file(folder, kind, "labels")
    x = load_mnist_images(images_path)
    y = load_mnist_labels(labels_path)
    if len(x) != len(y):
        raise IDXFormatError(
            f"{images_path.name} has {len(x)} images but {labels_path.name} has {len(y)} labels")
    return x, y


def load_dataset(spec: str = "digits", n_train: int | None = None,
                 n_test: int | None = None) -> dict:
    """An image data set by name: "digits" or "mnist:PATH" (PATH: the folder of the IDX files).

    Returns {"name": "digits" | "mnist", "x_train", "y_train", "x_test", "y_test",
    "image_shape": (H, W)}; images float64 in [0, 1] flattened to (N, H * W), labels
    int64. n_train / n_test keep the first that many samples of each split.
    """
    if spec == "digits":
        from dlgrade.data import load_digits, split_train_test

        x, y = load_digits()
        train_idx, test_idx = split_train_test(len(x), 0.2, seed=0)
        out = {"name": "digits", "x_train": x[train_idx], "y_train": y[train_idx],
               "x_test": x[test_idx], "y_test": y[test_idx], "image_shape": (8, 8)}
    elif spec.startswith("mnist:"):
        folder = spec[len("mnist:"):]
        if not folder:
            raise ValueError('give the MNIST folder as "mnist:PATH"')
        x_train, y_train = load_mnist(folder, "train")
        x_test, y_test = load_mnist(folder, "test")
        if x_train.shape[1] != x_test.shape[1]:
            raise IDXFormatError(f"train images have {x_train.shape[1]} pixels, test images "
                                 f"{x_test.shape[1]}")
        side = int(round(np.sqrt(x_train.shape[1])))
        if side * side != x_train.shape[1]:
            raise IDXFormatError(f"images of {x_train.shape[1]} pixels are not square")
        out = {"name": "mnist", "x_train": x_train, "y_train": y_train,
               "x_test": x_test, "y_test": y_test, "image_shape": (side, side)}
    else:
        raise ValueError(f'unknown data set {spec!r}: use "digits" or "mnist:PATH"')
    for split, n in (("train", n_train), ("test", n_test)):
        if n is not None:
            out[f"x_{split}"], out[f"y_{split}"] = out[f"x_{split}"][:n], out[f"y_{split}"][:n]
    return out

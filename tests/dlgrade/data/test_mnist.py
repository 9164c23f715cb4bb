"""The MNIST IDX reader, on small IDX files written by the tests (well-formed and not)."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from dlgrade.data.mnist import (IDXFormatError, find_mnist_file, load_dataset, load_mnist,
                                load_mnist_images, load_mnist_labels, read_idx)


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """An IDX file: 00 00 <type> <ndim>, big-endian uint32 sizes, big-endian data."""
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[type_code]
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.asarray(array).astype(dtype).tobytes()


def make_images(n: int, rows: int = 28, cols: int = 28, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, rows, cols), dtype=np.uint8)


def write_mnist(folder, n_train=5, n_test=3, gz=False, dot=False, rows=28):
    """A fake MNIST folder; returns the raw uint8 images and labels."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {}
    for kind, n, stem in (("train", n_train, "train"), ("test", n_test, "t10k")):
        images = make_images(n, rows, rows, seed=n)
        labels = np.arange(n, dtype=np.uint8) % 10
        sep = "." if dot else "-"
        for what, arr, suffix in (("images", images, "idx3-ubyte"), ("labels", labels, "idx1-ubyte")):
            raw = idx_bytes(arr)
            name = f"{stem}-{what}{sep}{suffix}" + (".gz" if gz else "")
            (folder / name).write_bytes(gzip.compress(raw) if gz else raw)
        data[kind] = (images, labels)
    return data


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_returns_float64_images_in_unit_interval_and_int64_labels(tmp_path, gz):
    raw = write_mnist(tmp_path, gz=gz)
    for kind in ("train", "test"):
        x, y = load_mnist(tmp_path, kind)
        images, labels = raw[kind]
        assert x.dtype == np.float64 and x.shape == (len(images), 784)
        assert y.dtype == np.int64 and y.shape == (len(images),)
        assert 0.0 <= x.min() and x.max() <= 1.0
        np.testing.assert_array_equal(x, images.reshape(len(images), -1) / 255.0)
        np.testing.assert_array_equal(y, labels)


def test_files_named_with_a_dot_and_t10k_kind_are_found(tmp_path):
    raw = write_mnist(tmp_path, dot=True)
    x, y = load_mnist(tmp_path, "t10k")
    assert x.shape == (3, 784)
    np.testing.assert_array_equal(y, raw["test"][1])


def test_gzip_is_detected_by_content_not_by_name(tmp_path):
    arr = make_images(2)
    path = tmp_path / "images.idx"
    path.write_bytes(gzip.compress(idx_bytes(arr)))
    magic, out = read_idx(path, 2051)
    assert magic == 2051
    np.testing.assert_array_equal(out, arr)


@pytest.mark.parametrize("type_code", [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E])
def test_read_idx_handles_every_idx_type_in_native_byte_order(tmp_path, type_code):
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(np.float64)
    if type_code == 0x08:
        arr = np.abs(arr)
    path = tmp_path / "x.idx"
    path.write_bytes(idx_bytes(arr, type_code))
    magic, out = read_idx(path)
    assert magic == (type_code << 8) | 3
    assert out.dtype.isnative and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out.astype(np.float64), arr)


def test_swapped_images_and_labels_files_raise_a_magic_number_error(tmp_path):
    labels = tmp_path / "labels"
    labels.write_bytes(idx_bytes(np.arange(4, dtype=np.uint8)))
    with pytest.raises(IDXFormatError, match="magic number 2049.*expected 2051"):
        load_mnist_images(labels)
    images = tmp_path / "images"
    images.write_bytes(idx_bytes(make_images(2)))
    with pytest.raises(IDXFormatError, match="magic number 2051.*expected 2049"):
        load_mnist_labels(images)


def test_truncated_data_raises(tmp_path):
    path = tmp_path / "images"
    path.write_bytes(idx_bytes(make_images(3))[:-10])
    with pytest.raises(IDXFormatError, match="truncated"):
        load_mnist_images(path)


def test_trailing_bytes_raise(tmp_path):
    path = tmp_path / "images"
    path.write_bytes(idx_bytes(make_images(3)) + b"\x00")
    with pytest.raises(IDXFormatError, match="trailing"):
        load_mnist_images(path)


@pytest.mark.parametrize("content", [b"", b"\x00\x00", b"\x01\x00\x08\x03" + b"\x00" * 12,
                                     b"\x00\x00\x07\x01\x00\x00\x00\x01\x00",
                                     b"\x00\x00\x08\x03\x00\x00"])
def test_malformed_headers_raise_an_idx_format_error(tmp_path, content):
    path = tmp_path / "bad"
    path.write_bytes(content)
    with pytest.raises(IDXFormatError):
        read_idx(path)


def test_corrupt_gzip_raises_an_idx_format_error(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(idx_bytes(make_images(2)))[:-12])
    with pytest.raises(IDXFormatError, match="gzip"):
        read_idx(path)


def test_labels_out_of_range_raise(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(np.array([1, 2, 12], dtype=np.uint8)))
    with pytest.raises(IDXFormatError, match="0..9"):
        load_mnist_labels(path)


def test_images_with_wrong_number_of_dims_raise(tmp_path):
    path = tmp_path / "images"
    path.write_bytes(idx_bytes(np.zeros((4, 784), dtype=np.uint8)))
    with pytest.raises(IDXFormatError):  # magic 2050, not 2051
        load_mnist_images(path)


def test_image_and_label_counts_must_agree(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(4, dtype=np.uint8)))
    with pytest.raises(IDXFormatError, match="5 images but .* 4 labels"):
        load_mnist(tmp_path, "train")


def test_missing_files_name_what_was_looked_for(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        find_mnist_file(tmp_path, "train", "images")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")


def test_unknown_kind_raises(tmp_path):
    with pytest.raises(ValueError, match="kind"):
        load_mnist(tmp_path, "validation")


def test_load_dataset_mnist_spec_keeps_the_first_samples(tmp_path):
    raw = write_mnist(tmp_path, n_train=6, n_test=4)
    d = load_dataset(f"mnist:{tmp_path}", n_train=4, n_test=2)
    assert d["name"] == "mnist" and d["image_shape"] == (28, 28)
    assert d["x_train"].shape == (4, 784) and d["x_test"].shape == (2, 784)
    np.testing.assert_array_equal(d["y_train"], raw["train"][1][:4])
    np.testing.assert_array_equal(d["x_test"], raw["test"][0][:2].reshape(2, -1) / 255.0)


def test_load_dataset_digits_is_the_80_20_split_with_seed_0():
    from dlgrade.data import load_digits, split_train_test

    d = load_dataset("digits")
    x, y = load_digits()
    train_idx, test_idx = split_train_test(1797, 0.2, seed=0)
    assert d["name"] == "digits" and d["image_shape"] == (8, 8)
    np.testing.assert_array_equal(d["x_train"], x[train_idx])
    np.testing.assert_array_equal(d["y_test"], y[test_idx])


def test_load_dataset_rejects_unknown_specs():
    with pytest.raises(ValueError, match="digits"):
        load_dataset("cifar10")
    with pytest.raises(ValueError, match="mnist:PATH"):
        load_dataset("mnist:")

"""dlgrade.data: the bundled, offline data sets (shapes, dtypes, ranges, determinism)."""

from __future__ import annotations

import numpy as np
import pytest

from dlgrade import data


def test_load_digits_shapes_dtypes_and_ranges():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))
    # the raw pixels are 0..16, scaled by 1/16
    assert np.allclose(X * 16, np.round(X * 16))


def test_load_digits_read_from_the_csv_are_scikit_learns_digits():
    from sklearn.datasets import load_digits as sklearn_digits

    d = sklearn_digits()
    X, y = data.load_digits()
    assert np.array_equal(X, d.data / 16.0) and np.array_equal(y, d.target)


def test_load_digits_without_the_csv_asks_scikit_learn(monkeypatch):
    fast_X, fast_y = data.load_digits()
    monkeypatch.setattr(data, "_digits_csv", lambda: None)
    X, y = data.load_digits()
    assert np.array_equal(X, fast_X) and np.array_equal(y, fast_y)
    assert X.dtype == fast_X.dtype and y.dtype == fast_y.dtype


def test_load_digits_is_the_same_on_every_call():
    X1, y1 = data.load_digits()
    X2, y2 = data.load_digits()
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)


@pytest.mark.parametrize("n, fraction", [(1797, 0.2), (10, 0.3), (7, 0.0), (5, 1.0)])
def test_split_train_test_partitions_range_n(n, fraction):
    train, test = data.split_train_test(n, fraction, seed=0)
    assert len(test) == int(round(n * fraction))
    assert len(train) + len(test) == n
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(n))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)  # sorted, no repeats
    assert train.dtype.kind == "i" and test.dtype.kind == "i"


def test_split_train_test_is_deterministic_for_a_seed_and_differs_across_seeds():
    a = data.split_train_test(1797, 0.2, seed=3)
    b = data.split_train_test(1797, 0.2, seed=3)
    c = data.split_train_test(1797, 0.2, seed=4)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def test_load_sample_photos_shape_and_dtype():
    photos = data.load_sample_photos()
    assert photos.shape == (2, 427, 640, 3) and photos.dtype == np.uint8
    assert photos.max() > 200 and photos.min() < 50  # real photos, not blank


def test_load_faust_is_the_184_character_excerpt_with_34_distinct_characters():
    text = data.load_faust()
    assert isinstance(text, str)
    assert len(text) == 184
    assert len(set(text)) == 34
    assert data.load_faust() == text


def test_load_shampoo_is_36_months_of_float64_sales():
    s = data.load_shampoo()
    assert s.shape == (36,) and s.dtype == np.float64
    assert s[0] == 266.0 and np.all(s > 0)


def test_load_lstm_worked_example_has_the_documented_shapes():
    # two hidden units, three input features, four outputs, two time steps; the
    # column-vector convention: W_x* is hidden x features
    ex = data.load_lstm_worked_example()
    shapes = {k: np.asarray(v, dtype=np.float64).shape for k, v in ex.items()
              if k not in ("about", "gate", "expected")}
    for gate in "ifgo":
        assert shapes[f"W_x{gate}"] == (2, 3)
        assert shapes[f"W_h{gate}"] == (2, 2)
        assert shapes[f"b_{gate}"] == (2,)
    assert (shapes["W_yh"], shapes["b_y"], shapes["x"]) == ((4, 2), (4,), (2, 3))
    assert ex["gate"] == "hard_sigmoid"
    assert {"c", "a", "y"} <= set(ex["expected"])
    assert all(np.all(np.isfinite(np.asarray(ex[k], dtype=np.float64))) for k in shapes)


def test_load_lstm_worked_example_returns_a_fresh_copy():
    ex = data.load_lstm_worked_example()
    ex["W_xi"] = None
    assert data.load_lstm_worked_example()["W_xi"] is not None


def test_load_english_text_is_deterministic_and_long():
    a = data.load_english_text()
    b = data.load_english_text()
    assert a == b
    assert len(a) > 100_000
    assert a.isascii() or sum(ch.isascii() for ch in a) / len(a) > 0.99


@pytest.mark.parametrize("n", [0, 1, 1000, 50_000])
def test_load_english_text_max_chars_keeps_a_prefix(n):
    text = data.load_english_text(max_chars=n)
    assert len(text) == n
    assert data.load_english_text().startswith(text)


def test_every_listed_loader_exists():
    for name in data.__all__:
        assert callable(getattr(data, name))

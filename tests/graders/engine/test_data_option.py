"""graders.engine.data_option: the grade's data set by its `data` option, read once, an
unreadable one blamed on the setting."""

from __future__ import annotations

import types

import numpy as np
import pytest

from dlgrade.data.mnist import load_dataset
from graders.engine.checks import CheckFailed
from graders.engine.data_option import dataset, grade_dataset
from tests.dlgrade.data.test_mnist import write_mnist

SIZES = {"digits": {"n_train": None, "n_test": None}, "mnist": {"n_train": 4, "n_test": 2}}


def _ctx(**options):
    return types.SimpleNamespace(options=options)


def test_dataset_is_load_dataset_with_the_sizes_of_its_name_and_read_once():
    data = dataset("digits", SIZES)
    expected = load_dataset("digits")
    assert all(np.array_equal(data[k], expected[k]) for k in ("x_train", "y_train", "x_test", "y_test"))
    assert dataset("digits", SIZES) is data


def test_mnist_is_cut_to_its_sizes_and_a_name_without_sizes_is_read_whole(tmp_path):
    write_mnist(tmp_path / "m", n_train=6, n_test=3)
    spec = f"mnist:{tmp_path / 'm'}"
    cut = dataset(spec, SIZES)
    assert cut["x_train"].shape == (4, 784) and cut["x_test"].shape == (2, 784)
    whole = dataset(spec, {})
    assert whole["x_train"].shape == (6, 784) and whole["x_test"].shape == (3, 784)


def test_grade_dataset_reads_the_option_and_defaults_to_the_digits():
    for ctx in (_ctx(), _ctx(data=None), _ctx(data="digits")):
        spec, name, data = grade_dataset(ctx, SIZES)
        assert (spec, name) == ("digits", "digits") and data is dataset("digits", SIZES)


@pytest.mark.parametrize("spec", ["imagenet", "mnist:{missing}"])
def test_a_data_set_that_cannot_be_read_is_blamed_on_the_setting(tmp_path, spec):
    spec = spec.format(missing=tmp_path / "missing")
    with pytest.raises(CheckFailed) as info:
        grade_dataset(_ctx(data=spec), SIZES)
    text = info.value.render()
    assert f"the data set {spec!r} could not be loaded (a setting of the grade, not your code)" in text
    assert "the instructor's --data option" in text

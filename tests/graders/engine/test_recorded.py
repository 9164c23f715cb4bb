"""graders.engine.recorded: digests, plain-data round trips, and answering from a recording."""

import math

import numpy as np
import pytest

from graders.engine.checks import CheckFailed
from graders.engine.recorded import (NeedsFullGrader, Recording, Unrecordable, decode, digest, encode,
                                     generator_state)


def test_digest_tells_apart_dtype_shape_and_container():
    a = np.arange(6, dtype=np.float64)
    assert digest(a) != digest(a.astype(np.float32))
    assert digest(a) != digest(a.reshape(2, 3))
    assert digest((1, 2)) != digest([1, 2])
    assert digest(0.0) != digest(-0.0)
    assert digest({"a": 1, "b": 2}) == digest({"b": 2, "a": 1})
    assert digest(a) == digest(a.copy())


def test_digest_refuses_what_is_not_plain_data():
    with pytest.raises(Unrecordable):
        digest(object())
    with pytest.raises(Unrecordable):
        digest(np.array([object()]))


def test_encode_then_decode_returns_equal_values_of_the_same_types():
    value = {"W": np.arange(4.0).reshape(2, 2), "n": np.int64(3), "s": np.float64(0.5), "f": -0.0,
             "inf": math.inf, "big": 2 ** 70, "t": (1, "x", None, True), "l": [np.array([1, 2])]}
    arrays = []
    back = decode(encode(value, arrays), arrays)
    assert np.array_equal(back["W"], value["W"]) and back["W"].dtype == np.float64
    assert type(back["n"]) is np.int64 and type(back["s"]) is np.float64
    assert math.copysign(1, back["f"]) == -1 and back["inf"] == math.inf and back["big"] == 2 ** 70
    assert back["t"] == (1, "x", None, True) and back["l"][0].dtype == value["l"][0].dtype


def _recording_of(calls: dict, tmp_path):
    """A saved and reloaded recording of {name: [(args, output, changed)]}."""
    arrays, table = [], {}
    for name, entries in calls.items():
        table[name] = {digest((args, {})): {"output": encode(output, arrays),
                                            "changed": [[[0, i], encode(v, arrays)] for i, v in changed]}
                       for args, output, changed in entries}
    Recording("ref", table, {"K": encode(3, arrays)}, arrays).save(tmp_path / "ref")
    return Recording.load(tmp_path / "ref")


def test_a_recorded_call_is_answered_with_a_fresh_copy(tmp_path):
    z = np.array([-1.0, 2.0])
    rec = _recording_of({"relu": [((z,), np.array([0.0, 2.0]), [])]}, tmp_path)
    relu = rec.attribute("relu")
    first = relu(z.copy())
    first[:] = 7
    assert np.array_equal(relu(z.copy()), [0.0, 2.0])
    assert rec.attribute("K") == 3


def test_an_unrecorded_call_fails_the_check_saying_it_needs_the_full_grader(tmp_path):
    rec = _recording_of({"relu": [((np.array([1.0]),), np.array([1.0]), [])]}, tmp_path)
    with pytest.raises(NeedsFullGrader, match="needs the full grader") as caught:
        rec.attribute("relu")(np.array([2.0]))
    assert isinstance(caught.value, CheckFailed)
    with pytest.raises(NeedsFullGrader, match="relu"):
        rec.attribute("relu")(object())
    with pytest.raises(AttributeError):
        rec.attribute("sigmoid")


def test_an_in_place_change_is_written_back_into_the_callers_arguments(tmp_path):
    params = {"W": np.ones(2)}
    rng = np.random.default_rng(0)
    before = generator_state(rng)
    rng.standard_normal(3)
    after = generator_state(rng)
    rng = np.random.default_rng(0)
    rec = _recording_of({"step": [((params, rng), None, [(0, {"W": np.zeros(2)}), (1, after)])]}, tmp_path)
    held = params["W"]
    assert generator_state(rng) == before
    rec.attribute("step")(params, rng)
    assert held is params["W"] and np.array_equal(held, [0.0, 0.0])
    assert generator_state(rng) == after

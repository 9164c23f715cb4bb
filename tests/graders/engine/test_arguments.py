"""as_argument passes values back to the sandbox unchanged; copy_params copies as float64."""

from __future__ import annotations

import numpy as np

from graders.engine.arguments import as_argument, copy_params
from graders.sandbox import wire


def test_as_argument_turns_every_handle_into_a_reference_at_any_depth():
    h = wire.Handle(3, "submission.StepCache")
    value = [(np.zeros(2), h), {"a": h, "b": [1, "x"], "c": [h]}, 1.5]
    out = as_argument(value)
    assert isinstance(out[0][1], wire.Ref) and out[0][1].id == 3
    assert isinstance(out[1]["a"], wire.Ref) and out[1]["b"] == [1, "x"]
    assert isinstance(out[1]["c"][0], wire.Ref) and out[2] == 1.5
    assert isinstance(out[0], tuple) and out[0][0] is value[0][0]


def test_copy_params_makes_fresh_float64_arrays():
    params = {"W": np.arange(6).reshape(2, 3), "b": np.zeros(3)}
    out = copy_params(params)
    assert all(out[k].dtype == np.float64 and out[k] is not params[k] for k in params)
    out["b"] += 1.0
    assert np.all(params["b"] == 0) and np.array_equal(out["W"], params["W"])

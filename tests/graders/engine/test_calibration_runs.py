"""calibration_runs: calibrating over course-secret draws and harmless variation."""

from __future__ import annotations

import types

import numpy as np
import pytest

from graders.engine import calibration_runs as cr
from graders.engine.calibration import load_reference


def test_perturbed_moves_float_arrays_by_at_most_the_relative_amount_and_keeps_the_rest():
    data = {"x": np.linspace(0.1, 1.0, 50), "y": np.arange(50), "name": "digits"}
    out = cr.perturbed(data)
    assert np.all(np.abs(out["x"] / data["x"] - 1) <= 1e-12) and not np.array_equal(out["x"], data["x"])
    assert out["y"] is data["y"] and out["name"] == "digits"


def test_variant_module_applies_every_edit_and_refuses_a_missing_one():
    ref = load_reference("autoencoders_torch")
    variant = cr.variant_module(ref, [("return torch.relu(self.encoder(x))",
                                       "return self.encoder(x).clamp(min=0.0)")], "variant")
    assert variant.DenseAutoencoder is not ref.DenseAutoencoder and hasattr(variant, "add_noise")
    with pytest.raises(ValueError, match="not found"):
        cr.variant_module(ref, [("no such text", "x")], "variant")


def test_standard_runs_are_five_draws_a_perturbed_draw_and_a_variant_draw():
    runs = cr.standard_runs("some_assignment", "REF", "VARIANT")
    assert len(runs) == cr.N_DRAWS + 2
    assert len({r.secret for r in runs[:cr.N_DRAWS]}) == cr.N_DRAWS
    assert runs[cr.N_DRAWS].secret == runs[0].secret and runs[cr.N_DRAWS].change_data is cr.perturbed
    assert runs[-1].secret == runs[1].secret and runs[-1].module == "VARIANT"
    assert all(r.module == "REF" for r in runs[:-1])


def test_calibrate_over_runs_shares_a_task_per_run_and_bounds_the_worst_run():
    table = types.SimpleNamespace(
        TASKS={"a": "t", "b": "t"}, METRIC_KEYS={"a": "loss", "b": "gain"},
        SETTINGS={"digits": {"a": {"k": 1}, "b": {"k": 1}}},
        METRICS={"a": ("loss", False), "b": ("gain", True)}, MARGINS={"a": 0.1, "b": 0.5},
        CPU_BUDGET_S={"a": 10.0, "b": 10.0})
    calls = []

    def measure(task, settings, data, secret, module):
        calls.append(secret)
        value = 1.0 + len(calls) / 10
        return {"loss": value, "gain": value}

    runs = cr.standard_runs("x", "REF", "VARIANT")
    out = cr.calibrate_over_runs(["a", "b"], runs, measure, table, {}, "digits", verbose=False)
    assert len(calls) == len(runs)  # b shares a's measurements
    assert out["a"].seeds == tuple(range(len(runs)))
    assert out["a"].bound == pytest.approx(max(out["a"].reference_values) * 1.1)
    assert out["b"].bound == pytest.approx(min(out["b"].reference_values) * 0.5)

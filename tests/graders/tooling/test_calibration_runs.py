"""calibration_runs: calibrating over course-secret draws and harmless variation."""

from __future__ import annotations

import numpy as np
import pytest

from graders.engine.trained_checks import STANDARD_RUNS, TrainedCheck
from graders.tooling import calibration_runs as cr
from graders.tooling.calibration import load_reference

EDIT = ("return torch.relu(self.encoder(x))", "return self.encoder(x).clamp(min=0.0)")


def test_perturbed_data_moves_float_arrays_by_at_most_the_relative_amount_and_keeps_the_rest():
    data = {"x": np.linspace(0.1, 1.0, 50), "y": np.arange(50), "name": "digits"}
    out = cr.perturbed_data(data)
    assert np.all(np.abs(out["x"] / data["x"] - 1) <= 1e-12) and not np.array_equal(out["x"], data["x"])
    assert out["y"] is data["y"] and out["name"] == "digits"


def test_standard_runs_are_five_draws_a_perturbed_draw_and_a_variant_draw():
    runs = cr.standard_runs("autoencoders_torch", "REF", [EDIT])
    assert len(runs) == cr.N_DRAWS + 2 and cr.RUNS_TEXT == STANDARD_RUNS
    assert len({r.secret for r in runs[:cr.N_DRAWS]}) == cr.N_DRAWS
    assert runs[cr.N_DRAWS].secret == runs[0].secret and runs[cr.N_DRAWS].change_data is cr.perturbed_data
    assert runs[-1].secret == runs[1].secret and runs[-1].module.DenseAutoencoder is not None
    assert runs[-1].module.DenseAutoencoder is not load_reference("autoencoders_torch").DenseAutoencoder
    assert all(r.module == "REF" for r in runs[:-1])
    assert len(cr.standard_runs("autoencoders_torch", "REF", [EDIT], n_draws=7)) == 9
    with pytest.raises(ValueError, match="occurs 0 times"):
        cr.standard_runs("autoencoders_torch", "REF", [("no such text", "x")])


def _declared(key, metric_key, higher, margin, settings=None):
    return TrainedCheck(assignment="autoencoders_torch", key=key, metric=key, higher_is_better=higher, margin=margin,
                        cpu_budget_s=10.0, settings={"digits": settings or {"k": 1}}, task="t", metric_key=metric_key)


def test_calibrate_over_runs_shares_a_task_per_run_and_bounds_the_worst_run():
    calls = []

    def measure(task, settings, data, secret, module):
        calls.append((secret, settings["k"]))
        value = 1.0 + len(calls) / 10
        return {"loss": value, "gain": value}

    runs = cr.standard_runs("autoencoders_torch", "REF", [EDIT])
    checks = [_declared("a", "loss", False, 0.1), _declared("b", "gain", True, 0.5),
              _declared("c", "loss", False, 0.1, {"k": 2})]
    out = cr.calibrate_over_runs(checks, runs, measure, {}, "digits", verbose=False)
    assert len(calls) == 2 * len(runs)  # b shares a's measurements; c has other settings
    assert out["a"].seeds == tuple(range(len(runs))) and out["a"].settings == {"k": 1}
    assert out["a"].bound == pytest.approx(max(out["a"].reference_values) * 1.1)
    assert out["b"].bound == pytest.approx(min(out["b"].reference_values) * 0.5)
    assert out["c"].settings == {"k": 2}


def test_a_variant_edit_replaces_every_occurrence_of_its_text():
    upsample = ('nn.Upsample(scale_factor=2, mode="nearest")', "nn.UpsamplingNearest2d(scale_factor=2)")
    variant = cr.standard_runs("autoencoders_torch", "REF", [upsample])[-1].module
    source = load_reference("autoencoders_torch").__file__
    assert open(source, encoding="utf-8").read().count(upsample[0]) == 2
    assert variant.ConvAutoencoder is not None
    with pytest.raises(ValueError, match="occurs 2 times"):
        from graders.tooling.calibration import reference_variant

        reference_variant("autoencoders_torch", [upsample])

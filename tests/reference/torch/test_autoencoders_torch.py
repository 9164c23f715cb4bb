"""The autoencoders_torch reference, its sandbox tasks and its calibrated thresholds."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from graders.assignments.autoencoders_torch import tasks
from graders.tooling.calibration import load_reference

torch.set_num_threads(1)
ref = load_reference("autoencoders_torch")


def _plain(value) -> bool:
    """Only what the sandbox's wire format carries: numbers, strings, arrays, containers."""
    if isinstance(value, (bool, int, float, str, type(None))):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype != object
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


# ----------------------------------------------------------------------------------------
# DenseAutoencoder


@pytest.mark.parametrize("n_in,n_hidden", [(64, 16), (784, 32), (5, 1)])
def test_dense_parameter_count_matches_the_formula(n_in, n_hidden):
    model = ref.DenseAutoencoder(n_in, n_hidden)
    assert sum(p.numel() for p in model.parameters()) == 2 * n_in * n_hidden + n_hidden + n_in


def test_dense_encode_gives_a_nonnegative_code_of_the_requested_size():
    torch.manual_seed(0)
    model = ref.DenseAutoencoder(64, 16)
    code = model.encode(torch.rand(7, 64))
    assert code.shape == (7, 16) and bool((code >= 0).all())


def test_dense_output_has_the_input_shape_and_lies_in_unit_interval():
    torch.manual_seed(0)
    model = ref.DenseAutoencoder(64, 16)
    with torch.no_grad():
        model.decoder.bias.fill_(50.0)  # saturate: still within [0, 1]
        out = model(torch.rand(9, 64) * 10)
    assert out.shape == (9, 64) and bool((out >= 0).all() and (out <= 1).all())


# ----------------------------------------------------------------------------------------
# ConvAutoencoder


@given(h=st.integers(1, 30), w=st.integers(1, 30), c=st.integers(1, 3))
@settings(max_examples=25, deadline=None)
def test_conv_output_shape_equals_input_shape_for_any_size(h, w, c):
    torch.manual_seed(0)
    out = ref.ConvAutoencoder(in_channels=c)(torch.rand(2, c, h, w))
    assert out.shape == (2, c, h, w)
    assert bool((out >= 0).all() and (out <= 1).all())


@pytest.mark.parametrize("size", [8, 28, 7])
def test_conv_output_shape_for_the_sizes_the_template_names(size):
    out = ref.ConvAutoencoder()(torch.rand(3, 1, size, size))
    assert out.shape == (3, 1, size, size)


def test_conv_parameter_count_is_as_documented():
    assert sum(p.numel() for p in ref.ConvAutoencoder(1).parameters()) == 3217


# ----------------------------------------------------------------------------------------
# add_noise


def test_add_noise_is_reproducible_with_a_generator_and_varies_with_its_seed():
    x = torch.rand(4, 64, dtype=torch.float64)
    a = ref.add_noise(x, 0.5, torch.Generator().manual_seed(3))
    b = ref.add_noise(x, 0.5, torch.Generator().manual_seed(3))
    c = ref.add_noise(x, 0.5, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_add_noise_does_not_touch_the_global_generator():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    ref.add_noise(torch.rand(5, 5), 0.3, torch.Generator().manual_seed(1))
    torch.manual_seed(0)
    assert torch.equal(torch.rand(3), expected)


def test_add_noise_is_clipped_to_unit_interval_and_keeps_dtype_and_input():
    x = torch.rand(50, 64, dtype=torch.float64)
    before = x.clone()
    noisy = ref.add_noise(x, 2.0, torch.Generator().manual_seed(0))
    assert noisy.dtype == torch.float64 and noisy.shape == x.shape
    assert float(noisy.min()) == 0.0 and float(noisy.max()) == 1.0
    assert torch.equal(x, before)


def test_add_noise_has_zero_mean_and_noise_factor_spread_away_from_the_edges():
    x = torch.full((200, 500), 0.5, dtype=torch.float64)
    noise = ref.add_noise(x, 0.05, torch.Generator().manual_seed(0)) - x  # 10 sigma from the edges
    assert abs(float(noise.mean())) < 3 * 0.05 / np.sqrt(noise.numel())
    assert abs(float(noise.std()) / 0.05 - 1.0) < 0.01


# ----------------------------------------------------------------------------------------
# l1_activity_penalty


def test_l1_penalty_value_and_gradient_match_the_formula_in_float64():
    rng = np.random.default_rng(0)
    code_np = rng.normal(size=(6, 5))
    code_np[np.abs(code_np) < 0.05] = 0.1  # away from the kink of |.| at 0
    code = torch.tensor(code_np, requires_grad=True)
    value = ref.l1_activity_penalty(code, 0.3)
    value.backward()
    assert value.shape == ()
    np.testing.assert_allclose(value.item(), 0.3 * np.abs(code_np).sum(axis=1).mean(), rtol=1e-14)
    np.testing.assert_allclose(code.grad.numpy(), 0.3 * np.sign(code_np) / 6, rtol=1e-14)


def test_l1_penalty_does_not_grow_with_the_batch_size():
    code = torch.randn(4, 8, dtype=torch.float64)
    twice = torch.cat([code, code])
    assert torch.allclose(ref.l1_activity_penalty(code, 0.1), ref.l1_activity_penalty(twice, 0.1))


def test_l1_penalty_sums_every_axis_after_the_batch():
    code = torch.randn(3, 2, 4, dtype=torch.float64)
    expected = code.abs().reshape(3, -1).sum(1).mean() * 0.2
    assert torch.allclose(ref.l1_activity_penalty(code, 0.2), expected)


# ----------------------------------------------------------------------------------------
# Sandbox tasks (tiny settings here; the calibrated settings in the slow test)

X = np.random.default_rng(0).uniform(size=(120, 64))


def test_probe_tasks_return_plain_data_describing_the_reference():
    r = tasks.task_inspect_dense_autoencoder(ref, n_in=64, n_hidden=16, x=X[:5])
    assert _plain(r) and r["n_params"] == 2 * 64 * 16 + 16 + 64
    assert r["code_shape"] == [5, 16] and r["out_shape"] == [5, 64] and r["input_unchanged"]
    r = tasks.task_conv_autoencoder_shapes(ref, shapes=[[2, 1, 8, 8], [1, 1, 28, 28], [1, 2, 7, 9]])
    assert _plain(r) and r["out_shapes"] == [[2, 1, 8, 8], [1, 1, 28, 28], [1, 2, 7, 9]]
    assert r["n_params"] == 3217
    r = tasks.task_add_noise(ref, x=X[:4], noise_factor=0.5, seed=1)
    assert _plain(r) and np.array_equal(r["noisy"], r["repeat"]) and not np.array_equal(r["noisy"], r["other"])
    assert r["dtype"] == "torch.float64" and r["input_unchanged"]
    r = tasks.task_l1_penalty(ref, code=X[:3, :4] - 0.5, factor=0.1)
    assert _plain(r) and r["ndim"] == 0
    np.testing.assert_allclose(r["value"], 0.1 * np.abs(X[:3, :4] - 0.5).sum(1).mean())


def test_conv_shape_task_reports_errors_shape_by_shape():
    class Broken:
        class ConvAutoencoder(torch.nn.Module):
            def __init__(self, in_channels=1):
                super().__init__()
                self.conv = torch.nn.Conv2d(in_channels, 1, 3)

            def forward(self, x):
                if x.shape[-1] % 2:
                    raise ValueError("odd")
                return self.conv(x)

    r = tasks.task_conv_autoencoder_shapes(Broken, shapes=[[1, 1, 8, 8], [1, 1, 7, 7]])
    assert r["out_shapes"] == [[1, 1, 6, 6], "ValueError: odd"]


@pytest.mark.parametrize("name,kwargs", [
    ("train_dense_autoencoder", {"n_hidden": 8, "epochs": 2, "lr": 1e-2}),
    ("train_conv_autoencoder", {"image_shape": (8, 8), "epochs": 1, "lr": 1e-2}),
    ("train_denoising_autoencoder", {"n_hidden": 8, "noise_factor": 0.5, "epochs": 2, "lr": 1e-2}),
    ("train_sparse_autoencoder", {"n_hidden": 8, "l1_factor": 1e-3, "epochs": 2, "lr": 1e-2}),
])
def test_trained_tasks_are_deterministic_and_return_plain_data(name, kwargs):
    fn = getattr(tasks, f"task_{name}")
    a = fn(ref, x_train=X[:100], seed=3, **kwargs)
    b = fn(ref, x_train=X[:100], seed=3, **kwargs)
    assert _plain(a) and "x_test" not in fn.__code__.co_varnames  # the training never sees held-out rows
    for key, value in a.items():
        if key == "cpu_s":
            continue
        if isinstance(value, dict):  # a state_dict: float32 arrays
            assert value and all(v.dtype == np.float32 for v in value.values())
            for k in value:
                np.testing.assert_array_equal(value[k], b[key][k], err_msg=f"{key}[{k}]")
        else:
            np.testing.assert_array_equal(value, b[key], err_msg=key)


def test_denoising_run_scores_everyone_on_the_same_noisy_held_out_images():
    from graders.assignments.autoencoders_torch.calibrate import in_process_measure
    from graders.engine.secret import fixed_secret

    data = {"x_train": X[:100], "x_test": X[100:140]}
    settings = {"n_hidden": 8, "noise_factor": 0.5, "epochs": 1, "lr": 1e-2, "batch_size": 64}
    secret = fixed_secret("test", "autoencoders_torch")
    a = in_process_measure("train_denoising_autoencoder", settings, data, secret, ref)

    class NoisierSubmission:
        DenseAutoencoder = ref.DenseAutoencoder

        @staticmethod
        def add_noise(x, noise_factor, generator):
            return ref.add_noise(x, 2 * noise_factor, generator)

    b = in_process_measure("train_denoising_autoencoder", settings, data, secret, NoisierSubmission)
    assert a["noisy_mse"] == b["noisy_mse"] and a["denoised_mse"] != b["denoised_mse"]
    np.testing.assert_array_equal(a["noisy"], b["noisy"])


def test_task_reports_a_wrong_output_shape_clearly():
    class Flat:
        class DenseAutoencoder(ref.DenseAutoencoder):
            def forward(self, x):
                return self.encode(x)

    with pytest.raises(ValueError, match=r"forward returned shape \(64, 8\), expected \(64, 64\)"):
        tasks.task_train_dense_autoencoder(Flat, x_train=X[:100], n_hidden=8, epochs=1, lr=1e-2)


# ----------------------------------------------------------------------------------------
# Thresholds


def test_every_declared_check_is_calibrated_with_its_settings():
    from graders.assignments.autoencoders_torch import thresholds as th
    from graders.engine.trained_checks import CalibrationError

    declared = th.declared()
    assert list(declared) == [c.key for c in th.TRAINED_CHECKS]
    for name, check in declared.items():
        t = check.for_dataset("digits")
        assert t.dataset == "digits" and len(t.seeds) >= 5 and t.settings == check.settings["digits"]
        assert all(t.passes(v) for v in t.reference_values) and t.model_size == th.MODEL_SIZE
        with pytest.raises(CalibrationError, match="--dataset mnist:PATH --write"):
            check.for_dataset("mnist")


@pytest.mark.slow
def test_reference_passes_every_bound_under_the_suites_secret_within_its_cpu_budget():
    from dlgrade.data.mnist import load_dataset
    from graders.assignments.autoencoders_torch.calibrate import in_process_measure
    from graders.assignments.autoencoders_torch.thresholds import declared
    from graders.engine.secret import CourseSecret, load_course_secret

    data = load_dataset("digits")
    secret = CourseSecret(load_course_secret(), "autoencoders_torch")
    for check in declared().values():
        t = check.for_dataset("digits")
        r = in_process_measure(check.task, t.settings, data, secret, ref)
        assert t.passes(r[check.metric_key]), (check.key, r[check.metric_key], t.describe())
        assert r["cpu_s"] <= t.cpu_budget_s, (check.key, r["cpu_s"])


def test_calibration_runs_on_mnist_idx_files_and_adds_an_mnist_entry(tmp_path):
    from graders.assignments.autoencoders_torch import calibrate, thresholds as th
    from graders.engine.trained_checks import with_calibration
    from graders.tooling.calibration import write_calibrations
    from tests.dlgrade.data.test_mnist import write_mnist

    write_mnist(tmp_path / "mnist", n_train=40, n_test=10)
    table = calibrate.calibrate([th.DENSE_RECONSTRUCTION], f"mnist:{tmp_path / 'mnist'}", verbose=False)
    t = table["dense_reconstruction"]
    assert t.dataset == "mnist" and t.settings == th.DENSE_RECONSTRUCTION.settings["mnist"]
    shutil.copy(Path(th.__file__).with_name("thresholds.json"), tmp_path / "thresholds.json")
    write_calibrations(tmp_path / "thresholds.json", table)
    read_back = with_calibration(tmp_path, th.TRAINED_CHECKS)
    assert read_back["dense_reconstruction"].for_dataset("mnist") == dataclasses.replace(t, model_size=th.MODEL_SIZE)
    assert {k: c.for_dataset("digits") for k, c in read_back.items()} == {
        k: c.for_dataset("digits") for k, c in th.declared().items()}  # the digits entries are kept

"""The gan_torch reference, its sandbox tasks, the digit classifier and the thresholds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from graders.tooling.calibration import load_reference
from graders.assignments.gan_torch import digit_classifier as dc
from graders.assignments.gan_torch import checks_train_step, tasks

torch.set_num_threads(1)
ref = load_reference("gan_torch")


def _plain(value) -> bool:
    if isinstance(value, (bool, int, float, str, type(None))):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype != object
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def _softplus(x):
    return np.logaddexp(0.0, x)


# ----------------------------------------------------------------------------------------
# Networks and losses


def test_generator_samples_lie_in_unit_interval_and_discriminator_gives_one_logit_each():
    torch.manual_seed(0)
    samples = ref.Generator(16, 64)(torch.randn(9, 16) * 10)
    assert samples.shape == (9, 64) and bool((samples >= 0).all() and (samples <= 1).all())
    logits = ref.Discriminator(64)(samples)
    assert logits.shape == (9,)
    assert ref.Discriminator(64)(samples[:1]).shape == (1,)


def test_losses_match_their_closed_forms_in_float64():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=7) * 4, rng.normal(size=5) * 4
    d = ref.discriminator_loss(torch.tensor(real), torch.tensor(fake))
    g = ref.generator_loss(torch.tensor(fake))
    assert d.shape == () and g.shape == ()
    np.testing.assert_allclose(d.item(), _softplus(-real).mean() + _softplus(fake).mean(), rtol=1e-13)
    np.testing.assert_allclose(g.item(), _softplus(-fake).mean(), rtol=1e-13)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_losses_are_finite_at_logits_of_magnitude_100(dtype):
    extreme = torch.tensor([100.0, -100.0], dtype=dtype, requires_grad=True)
    d = ref.discriminator_loss(extreme, extreme.flip(0))
    g = ref.generator_loss(extreme)
    assert torch.isfinite(d) and torch.isfinite(g)
    np.testing.assert_allclose(d.item(), 100.0, rtol=1e-6)  # mean of (0, 100) twice
    np.testing.assert_allclose(g.item(), 50.0, rtol=1e-6)
    assert torch.isfinite(torch.autograd.grad(g, extreme)[0]).all()


def test_generator_loss_is_non_saturating():
    # When D rejects the fakes with confidence the gradient stays near -1/M, not 0.
    fake = torch.tensor([-10.0, -12.0], dtype=torch.float64, requires_grad=True)
    grad = torch.autograd.grad(ref.generator_loss(fake), fake)[0]
    np.testing.assert_allclose(grad.numpy(), (torch.sigmoid(fake.detach()).numpy() - 1) / 2, rtol=1e-12)
    assert bool((grad < -0.49).all())


# ----------------------------------------------------------------------------------------
# train_step (through the sandbox task, which compares with the contract's step)

RNG = np.random.default_rng(1)
REALS = RNG.uniform(size=(2, 8, 64))
ZS = RNG.normal(size=(2, 8, 16))


def _step_checks(sub, **kwargs) -> dict:
    """The task's raw reply, with the parameter errors the grader measures from it."""
    r = tasks.task_train_step_checks(sub, **kwargs)
    return {**r, **checks_train_step.param_errors(r)}


def test_train_step_task_finds_the_reference_exact():
    raw = tasks.task_train_step_checks(ref, n_latent=16, n_out=64, real_batches=REALS, z_batches=ZS)
    assert _plain(raw)
    assert not any("err" in key for key in raw)  # raw changes only: the grader measures the errors
    r = {**raw, **checks_train_step.param_errors(raw)}
    assert r["d_param_err"] == [0.0, 0.0] and r["g_param_err"] == [0.0, 0.0]
    assert r["d_loss"] == r["expected_d_loss"] and r["g_loss"] == r["expected_g_loss"]
    assert r["g_unchanged_by_d_step"] == [True, True] and r["d_unchanged_by_g_step"] == [True, True]
    assert r["g_changed"] == [True, True] and r["d_changed"] == [True, True]
    assert r["calls"] == [["opt_D.zero_grad", "opt_D.step", "opt_G.zero_grad", "opt_G.step"]] * 2


def _mutated(name):
    from tests.mutants import load_module_from_source
    from graders.assignments.gan_torch.slips import MUTANTS

    mutant = next(m for m in MUTANTS if m.name == name)
    return load_module_from_source(mutant.apply(open(ref.__file__).read()), name)


def test_train_step_task_sees_gradients_that_are_not_zeroed_on_the_second_step():
    r = _step_checks(_mutated("train_step_never_zeroes_d_grads"), n_latent=16, n_out=64,
                     real_batches=REALS, z_batches=ZS)
    assert r["d_param_err"][0] < 1e-6 < r["d_param_err"][1]


def test_train_step_task_sees_the_wrong_optimizer_and_a_stray_d_update():
    wrong = _mutated("train_step_d_step_steps_opt_G")
    r = _step_checks(wrong, n_latent=16, n_out=64, real_batches=REALS[:1], z_batches=ZS[:1])
    assert r["g_unchanged_by_d_step"] == [None] and r["d_changed"] == [False]
    # On the second call opt_G.step() changes G in place before G's backward: torch raises.
    with pytest.raises(RuntimeError, match="inplace"):
        tasks.task_train_step_checks(wrong, n_latent=16, n_out=64, real_batches=REALS, z_batches=ZS)
    r = _step_checks(_mutated("train_step_g_step_also_steps_opt_D"), n_latent=16,
                     n_out=64, real_batches=REALS, z_batches=ZS)
    assert r["d_unchanged_by_g_step"] == [False, False] and r["d_param_err"][0] > 1e-3
    assert r["g_unchanged_by_d_step"] == [True, True] and r["calls"][0][-1] == "opt_D.step"


def test_train_step_task_sees_a_generator_step_that_does_not_reach_g():
    r = _step_checks(_mutated("train_step_g_step_on_detached_fake"), n_latent=16,
                     n_out=64, real_batches=REALS, z_batches=ZS)
    assert r["g_changed"] == [False, False]


def test_loss_task_returns_values_and_gradients():
    r = tasks.task_gan_losses(ref, real_logits=np.array([1.0, -2.0, 100.0]), fake_logits=np.array([0.5, -100.0]))
    assert _plain(r) and r["d_shape"] == [] and r["g_shape"] == []
    np.testing.assert_allclose(r["g_grad_fake"], (1 / (1 + np.exp(-np.array([0.5, -100.0]))) - 1) / 2)
    assert np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"])


def test_inspect_task_and_a_short_training_run():
    r = tasks.task_inspect_gan(ref, n_latent=16, n_out=64, z=ZS[0], x=REALS[0])
    assert r["g_shape"] == [8, 64] and r["d_shape"] == [8] and r["d_finite"]
    kwargs = {"x_train": REALS.reshape(-1, 64), "n_latent": 16, "steps": 30, "lr": 1e-3,
              "batch_size": 8, "seed": 2, "log_every": 10}
    a, b = tasks.task_train_gan(ref, **kwargs), tasks.task_train_gan(ref, **kwargs)
    # raw outputs only: the trained Generator's state and the loss curves, no samples
    assert _plain(a) and "samples" not in a and a["d_loss"].shape == (3,)
    assert sorted(a["state"]) == sorted(b["state"]) and a["state"]
    for key, value in a["state"].items():
        np.testing.assert_array_equal(value, b["state"][key])


# ----------------------------------------------------------------------------------------
# The digit classifier


def test_shipped_classifier_loads_without_pickle_and_recognises_held_out_digits():
    from dlgrade.data.mnist import load_dataset

    data = load_dataset("digits")
    with np.load(dc.weights_path("digits"), allow_pickle=False) as f:
        assert sorted(f.files) == sorted(dc.KEYS) and all(f[k].dtype == np.float64 for k in f.files)
    model = dc.load_classifier("digits")
    assert dc.accuracy(model, data["x_test"], data["y_test"]) > 0.95


def test_classifier_training_reproduces_the_shipped_weights():
    from dlgrade.data.mnist import load_dataset

    data = load_dataset("digits")
    model = dc.train_classifier(data["x_train"], data["y_train"], **dc.SETTINGS["digits"])
    shipped = dc.load_classifier("digits").weights()
    for k in dc.KEYS:
        np.testing.assert_allclose(model.weights()[k], shipped[k], rtol=1e-6, atol=1e-8, err_msg=k)


def test_mode_coverage_separates_real_digits_from_a_collapsed_generator():
    from dlgrade.data.mnist import load_dataset
    from graders.assignments.gan_torch.thresholds import SETTINGS

    coverage = SETTINGS["digits"]["coverage"]
    data = load_dataset("digits")
    model = dc.load_classifier("digits")
    real = dc.mode_coverage(data["x_test"], model, **coverage)
    assert real["n_classes"] == 10 and real["confident_fraction"] > 0.6 and real["rejected_fraction"] < 0.01
    collapsed = dc.mode_coverage(np.repeat(data["x_test"][:1], 500, axis=0), model, **coverage)
    assert collapsed["n_classes"] <= 1
    rng = np.random.default_rng(0)
    for noise in (rng.uniform(size=(500, 64)), (rng.uniform(size=(500, 64)) < 0.3).astype(float),
                  np.stack([rng.permutation(row) for row in data["x_test"]])):
        cov = dc.mode_coverage(noise, model, **coverage)
        assert cov["n_classes"] == 0 and cov["confident_fraction"] < 0.01 and cov["rejected_fraction"] > 0.9
    assert dc.mode_coverage(np.full((5, 64), np.nan), model, 0.9, 1)["n_classes"] == 0


def test_loading_missing_or_malformed_weights_fails_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="--write"):
        dc.load_classifier("mnist", path=tmp_path / "none.npz")
    bad = tmp_path / "bad.npz"
    np.savez(bad, W1=np.zeros((64, 4)), b1=np.zeros(5), W2=np.zeros((4, 10)), b2=np.zeros(10))
    with pytest.raises(ValueError, match="inconsistent shapes"):
        dc.load_classifier(path=bad)


# ----------------------------------------------------------------------------------------
# Thresholds


def test_every_declared_bound_is_calibrated_with_its_settings():
    from graders.assignments.gan_torch import thresholds as th

    declared = th.declared()
    assert declared.keys() == [c.key for c in th.TRAINED_CHECKS]
    for check in declared.checks:
        t = check.for_dataset("digits")
        assert t.higher_is_better and t.dataset == "digits" and len(t.seeds) >= 5
        assert t.settings == th.SETTINGS["digits"] and "course-secret draws" in check.runs
        assert all(t.passes(v) for v in t.reference_values)
    assert declared["gan_distinct_classes"].for_dataset("digits").passes(2) is False  # collapse to a few modes fails


@pytest.mark.slow
def test_reference_passes_both_bounds_at_the_grade_seed_within_its_cpu_budget():
    from dlgrade.data.mnist import load_dataset
    from graders.assignments.gan_torch.thresholds import SETTINGS, TRAIN_KEYS, declared

    settings = SETTINGS["digits"]
    bounds = declared()
    seed = bounds["gan_distinct_classes"].for_dataset("digits").grade_seed
    r = tasks.task_train_gan(ref, x_train=load_dataset("digits")["x_train"], seed=seed,
                             **{k: v for k, v in settings.items() if k in TRAIN_KEYS})
    cov = dc.mode_coverage(r["samples"], dc.load_classifier("digits"), **settings["coverage"])
    for check in bounds.checks:
        t = check.for_dataset("digits")
        if check.metric_key in cov:
            assert t.passes(cov[check.metric_key]), (check.key, cov)
        assert r["cpu_s"] <= t.cpu_budget_s


def test_classifier_trains_and_round_trips_on_mnist_sized_images(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.uniform(size=(60, 784)), np.arange(60) % 10
    model = dc.train_classifier(x, y, **{**dc.SETTINGS["mnist"], "epochs": 1})
    assert model.W1.shape == (784, dc.SETTINGS["mnist"]["n_hidden"]) and model.W2.shape[1] == 11
    dc.save_weights(model, tmp_path / "c.npz")
    again = dc.load_classifier(path=tmp_path / "c.npz")
    np.testing.assert_array_equal(dc.classify(x, again)[0], dc.classify(x, model)[0])

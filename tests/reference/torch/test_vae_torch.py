"""The vae_torch reference, its sandbox tasks and its calibrated threshold."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from graders.tooling.calibration import load_reference
from graders.assignments.vae_torch import tasks

torch.set_num_threads(1)
ref = load_reference("vae_torch")


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


def _kl_numpy(mu, logvar):
    return -0.5 * np.sum(1 + logvar - mu**2 - np.exp(logvar), axis=1)


# ----------------------------------------------------------------------------------------
# VAE


def test_vae_shapes_and_decoded_probabilities():
    torch.manual_seed(0)
    model = ref.VAE(64, 2)
    x = torch.rand(7, 64)
    mu, logvar = model.encode(x)
    assert mu.shape == (7, 2) and logvar.shape == (7, 2)
    probs = model.decode(torch.randn(7, 2) * 5)
    assert probs.shape == (7, 64) and bool((probs > 0).all() and (probs < 1).all())
    x_hat, mu_f, logvar_f = model(x)
    assert x_hat.shape == (7, 64) and torch.equal(mu_f, mu) and torch.equal(logvar_f, logvar)


def test_vae_forward_draws_eps_from_the_global_generator():
    torch.manual_seed(0)
    model = ref.VAE(64, 2)
    x = torch.rand(3, 64)
    torch.manual_seed(5)
    a = model(x)[0]
    torch.manual_seed(5)
    b = model(x)[0]
    c = model(x)[0]
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_reparameterize_value_and_gradients_match_the_formula_in_float64():
    rng = np.random.default_rng(0)
    mu_np, lv_np, eps_np, w_np = (rng.normal(size=(5, 3)) for _ in range(4))
    mu = torch.tensor(mu_np, requires_grad=True)
    logvar = torch.tensor(lv_np, requires_grad=True)
    z = ref.VAE(4, 3).reparameterize(mu, logvar, torch.tensor(eps_np))
    (z * torch.tensor(w_np)).sum().backward()
    np.testing.assert_allclose(z.detach().numpy(), mu_np + np.exp(0.5 * lv_np) * eps_np, rtol=1e-14)
    np.testing.assert_allclose(mu.grad.numpy(), w_np, rtol=1e-14)
    np.testing.assert_allclose(logvar.grad.numpy(), w_np * 0.5 * np.exp(0.5 * lv_np) * eps_np,
                               rtol=1e-13)


def test_reparameterize_without_eps_samples_the_posterior():
    torch.manual_seed(0)
    mu = torch.full((200000, 1), 1.5, dtype=torch.float64)
    logvar = torch.full((200000, 1), np.log(0.25), dtype=torch.float64)
    z = ref.VAE(4, 1).reparameterize(mu, logvar)
    assert abs(float(z.mean()) - 1.5) < 0.005 and abs(float(z.std()) - 0.5) < 0.005


# ----------------------------------------------------------------------------------------
# kl_divergence and vae_loss


def test_kl_matches_the_closed_form_and_torch_distributions():
    rng = np.random.default_rng(1)
    mu, logvar = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    kl = ref.kl_divergence(torch.tensor(mu), torch.tensor(logvar))
    assert kl.shape == (6,)
    np.testing.assert_allclose(kl.numpy(), _kl_numpy(mu, logvar), rtol=1e-13)
    q = torch.distributions.Normal(torch.tensor(mu), torch.tensor(np.exp(0.5 * logvar)))
    p = torch.distributions.Normal(torch.zeros(6, 2, dtype=torch.float64), 1.0)
    np.testing.assert_allclose(kl.numpy(), torch.distributions.kl_divergence(q, p).sum(1).numpy(),
                               rtol=1e-12)


def test_kl_matches_a_monte_carlo_estimate():
    rng = np.random.default_rng(2)
    mu, logvar = np.array([[0.7, -1.2]]), np.array([[-0.5, 0.4]])
    sigma = np.exp(0.5 * logvar)
    z = mu + sigma * rng.normal(size=(400000, 2))
    log_q = -0.5 * (((z - mu) / sigma) ** 2 + logvar + np.log(2 * np.pi)).sum(1)
    log_p = -0.5 * (z**2 + np.log(2 * np.pi)).sum(1)
    mc = (log_q - log_p).mean()
    kl = float(ref.kl_divergence(torch.tensor(mu), torch.tensor(logvar))[0])
    assert abs(kl - mc) < 4 * (log_q - log_p).std() / np.sqrt(len(z))


def test_kl_is_zero_at_the_prior_and_positive_elsewhere():
    zero = ref.kl_divergence(torch.zeros(3, 2, dtype=torch.float64), torch.zeros(3, 2, dtype=torch.float64))
    assert torch.equal(zero, torch.zeros(3, dtype=torch.float64))
    other = ref.kl_divergence(torch.randn(50, 2, dtype=torch.float64), torch.randn(50, 2, dtype=torch.float64))
    assert bool((other > 0).all())


def test_vae_loss_is_the_batch_mean_of_summed_bce_plus_kl():
    rng = np.random.default_rng(3)
    x_hat, x = rng.uniform(0.01, 0.99, size=(4, 6)), rng.uniform(size=(4, 6))
    mu, logvar = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    bce = -(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat)).sum(1)
    expected = (bce + _kl_numpy(mu, logvar)).mean()
    loss = ref.vae_loss(*(torch.tensor(a) for a in (x_hat, x, mu, logvar)))
    assert loss.shape == ()
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-13)


def test_vae_loss_does_not_change_when_the_batch_is_repeated():
    args = [torch.rand(3, 5, dtype=torch.float64) * 0.9 + 0.05, torch.rand(3, 5, dtype=torch.float64),
            torch.randn(3, 2, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64)]
    twice = [torch.cat([a, a]) for a in args]
    assert torch.allclose(ref.vae_loss(*args), ref.vae_loss(*twice))


def test_vae_loss_is_finite_at_saturated_probabilities():
    x = torch.tensor([[0.0, 1.0, 0.5]], dtype=torch.float64)
    x_hat = torch.tensor([[1.0, 0.0, 0.5]], dtype=torch.float64)
    assert torch.isfinite(ref.vae_loss(x_hat, x, torch.zeros(1, 2), torch.zeros(1, 2)))


# ----------------------------------------------------------------------------------------
# Sandbox tasks

X = np.random.default_rng(0).uniform(size=(120, 64))


def test_probe_tasks_return_plain_data_describing_the_reference():
    rng = np.random.default_rng(4)
    r = tasks.task_inspect_vae(ref, n_in=64, n_latent=2, x=X[:5])
    assert _plain(r) and r["mu_shape"] == [5, 2] and r["decode_shape"] == [5, 64]
    assert r["forward_shapes"] == [[5, 64], [5, 2], [5, 2]] and 0 < r["decode_min"] <= r["decode_max"] < 1
    mu, lv, eps, w = (rng.normal(size=(3, 2)) for _ in range(4))
    r = tasks.task_reparameterize(ref, n_in=64, mu=mu, logvar=lv, eps=eps, weights=w)
    assert _plain(r) and r["reached_mu"] and r["reached_logvar"]
    np.testing.assert_allclose(r["z"], mu + np.exp(0.5 * lv) * eps, rtol=1e-14)
    np.testing.assert_allclose(r["grad_logvar"], w * 0.5 * np.exp(0.5 * lv) * eps, rtol=1e-13)
    r = tasks.task_kl_divergence(ref, mu=mu, logvar=lv)
    assert r["shape"] == [3]
    np.testing.assert_allclose(r["kl"], _kl_numpy(mu, lv), rtol=1e-13)
    r = tasks.task_vae_loss(ref, x_hat=X[:3] * 0.9 + 0.05, x=X[3:6], mu=mu, logvar=lv)
    assert r["shape"] == [] and np.isfinite(r["loss"])


def test_reparameterize_task_reports_a_gradient_that_does_not_arrive():
    class Detached:
        class VAE(ref.VAE):
            def reparameterize(self, mu, logvar, eps=None):
                return (mu + torch.exp(0.5 * logvar) * eps).detach()

    r = tasks.task_reparameterize(Detached, n_in=4, mu=np.zeros((2, 2)), logvar=np.zeros((2, 2)),
                                  eps=np.ones((2, 2)), weights=np.ones((2, 2)))
    assert not r["reached_mu"] and not r["reached_logvar"] and not r["grad_mu"].any()


def test_train_task_is_deterministic_sees_no_held_out_rows_and_returns_a_state_dict():
    kwargs = {"x_train": X[:100], "n_latent": 2, "epochs": 2, "lr": 1e-2, "seed": 1}
    a = tasks.task_train_vae(ref, **kwargs)
    b = tasks.task_train_vae(ref, **kwargs)
    assert _plain(a) and "x_test" not in tasks.task_train_vae.__code__.co_varnames
    assert set(a["state"]) == set(ref.VAE(64, 2).state_dict())
    for key, value in a["state"].items():
        assert value.dtype == np.float32
        np.testing.assert_array_equal(value, b["state"][key], err_msg=key)
    np.testing.assert_array_equal(a["history"], b["history"])


def _measured(module, epochs=2, lr=1e-2):
    from graders.assignments.vae_torch.calibrate import in_process_measure
    from graders.engine.secret import fixed_secret

    data = {"x_train": X[:100], "x_test": X[100:], "y_train": np.zeros(100), "y_test": np.zeros(20)}
    settings = {"n_latent": 2, "epochs": epochs, "lr": lr, "batch_size": 64}
    return in_process_measure("train_vae", settings, data, fixed_secret("test", "vae_torch"), module)


def test_the_measured_run_returns_the_loss_its_terms_and_pictures():
    a = _measured(ref)
    assert a["latent_mu"].shape == (20, 2) and a["grid"].shape == (100, 64)
    assert a["grid_z"].shape == (100, 2) and a["reconstructions"].shape == (8, 64)
    assert a["test_loss"] == pytest.approx(a["test_bce"] + a["test_kl"])
    assert a["test_excess"] == pytest.approx(a["test_loss"] - a["entropy_floor"])
    b = _measured(ref)
    assert a["test_loss"] == b["test_loss"]


def test_the_grader_scores_with_the_contract_formula_not_the_students_loss():
    class HalfLoss:
        VAE = ref.VAE

        @staticmethod
        def vae_loss(x_hat, x, mu, logvar):
            return 0.5 * ref.vae_loss(x_hat, x, mu, logvar)  # same optimum direction, half the value

    a, b = _measured(ref, epochs=1, lr=1e-3), _measured(HalfLoss, epochs=1, lr=1e-3)
    assert b["test_loss"] == pytest.approx(a["test_loss"], rel=0.05)  # not halved
    assert b["history"][0] == pytest.approx(0.5 * a["history"][0], rel=0.05)


def test_the_grader_loss_terms_match_torch():
    from graders.assignments.vae_torch.trained_runs import kl_per_image
    from graders.engine.raw_outputs import bce_sum

    rng = np.random.default_rng(0)
    mu, logvar = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    x_hat, x = rng.uniform(0.01, 0.99, (5, 64)), X[:5]
    bce_t, kl_t = (torch.nn.functional.binary_cross_entropy(torch.tensor(x_hat), torch.tensor(x),
                                                            reduction="none").sum(1).numpy(),
                   ref.kl_divergence(torch.tensor(mu), torch.tensor(logvar)).numpy())
    np.testing.assert_allclose(bce_sum(x_hat, x), bce_t, rtol=1e-12)
    np.testing.assert_allclose(kl_per_image(mu, logvar), kl_t, rtol=1e-12)


def test_latent_grid_is_a_symmetric_scan_of_normal_quantiles():
    from graders.assignments.vae_torch.trained_runs import latent_grid

    grid = latent_grid(10)
    assert grid.shape == (100, 2)
    axis = np.unique(grid[:, 0])
    np.testing.assert_allclose(axis, -axis[::-1], atol=1e-12)
    assert axis[0] == pytest.approx(-1.6448536, abs=1e-6)


def test_entropy_floor_is_the_bce_of_the_perfect_reconstruction():
    from graders.assignments.vae_torch.trained_runs import entropy_floor

    x = torch.tensor(X[:10])
    perfect = torch.nn.functional.binary_cross_entropy(x, x, reduction="none").sum(1).mean()
    assert entropy_floor(X[:10]) == pytest.approx(float(perfect), rel=1e-9)


# ----------------------------------------------------------------------------------------
# Threshold


def test_the_declared_check_holds_the_calibrated_bound_and_settings():
    from graders.assignments.vae_torch import thresholds as th
    from graders.engine.trained_checks import CalibrationError

    declared = th.declared()["vae_test_loss"]
    t = declared.for_dataset("digits")
    assert t.dataset == "digits" and len(t.seeds) >= 5 and not t.higher_is_better
    assert t.settings == th.VAE_TEST_LOSS.settings["digits"]
    assert all(t.passes(v) for v in t.reference_values)
    with pytest.raises(CalibrationError, match="mnist:PATH"):
        declared.for_dataset("mnist")


@pytest.mark.slow
def test_reference_passes_the_bound_under_the_suites_secret_within_its_cpu_budget():
    from dlgrade.data.mnist import load_dataset
    from graders.assignments.vae_torch.calibrate import in_process_measure
    from graders.assignments.vae_torch.thresholds import declared
    from graders.engine.secret import CourseSecret, load_course_secret

    data = load_dataset("digits")
    check = declared()["vae_test_loss"]
    t = check.for_dataset("digits")
    secret = CourseSecret(load_course_secret(), "vae_torch")
    r = in_process_measure(check.task, t.settings, data, secret, ref)
    assert t.passes(r[check.metric_key]) and r["cpu_s"] <= t.cpu_budget_s

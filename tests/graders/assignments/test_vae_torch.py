"""The vae_torch grader beyond the mutants: its check list, its helpers, and grades on other
data sets (MNIST-sized IDX files the tests write; the sandbox is real).

The reference and every mutant are graded in tests/graders/test_mutants.py.
"""

from __future__ import annotations

import ast
import types
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from graders import assignments
from graders.assignments.vae_torch import checks, checks_kl, checks_trained, checks_vae_loss, problems, tasks
from graders.assignments.vae_torch import thresholds as th
from graders.engine.checks import Kind
from graders.engine.data_option import dataset
from graders.engine.runner import grade
from graders.engine.trained_checks import Calibration
from tests.dlgrade.data.test_mnist import write_mnist
from tests.graders.assignments.task_files import top_level_imports
from tests.mutants import reference_path

ASSIGNMENT = assignments.get("vae_torch")


# ------------------------------------------------------------------ the check list


def test_every_check_names_a_contract_function_or_the_vae_method_it_checks():
    names = {c.function for c in ASSIGNMENT.all_checks()}
    assert names == {"VAE", "reparameterize", "kl_divergence", "vae_loss"}
    assert set(checks.CONTRACT) <= names
    kinds = {c.kind for c in ASSIGNMENT.all_checks()}
    assert {Kind.VALUE, Kind.GRADIENT, Kind.PROPERTY, Kind.THRESHOLD} <= kinds


def test_trained_check_has_wall_time_for_its_cpu_budget_and_the_sandbox_for_the_whole_grade():
    (trained,) = [c for c in ASSIGNMENT.all_checks() if c.kind is Kind.THRESHOLD]
    assert trained.name == checks.TRAINED_CHECK
    assert trained.threshold.key == th.VAE_TEST_LOSS.key and trained.threshold.calibrated  # graded against it
    budget = trained.threshold.cpu_budget_s
    assert trained.timeout_s >= 3 * budget
    assert ASSIGNMENT.limits.cpu_s >= 4 * budget and ASSIGNMENT.limits.memory_mb >= 8192
    assert ASSIGNMENT.preload == ("numpy", "torch") and ASSIGNMENT.options == {"data": "digits"}


def test_the_tasks_file_is_registered_by_absolute_path_and_imports_only_stdlib_numpy_and_torch():
    from graders.engine.evaluation import TORCH_TASKS

    shared, path = ASSIGNMENT.tasks
    assert shared == TORCH_TASKS and path.is_absolute() and path == Path(tasks.__file__).resolve()
    for task_file in (shared, path):
        tree = ast.parse(task_file.read_text(encoding="utf-8"))
        imported = top_level_imports(tree)
        assert imported <= {"importlib", "os", "random", "time", "numpy", "torch"}, task_file
        assert not any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(tree))


# ------------------------------------------------------------------ helpers


def test_the_closed_form_kl_is_zero_at_the_prior_and_matches_torch_distributions():
    import torch

    rng = np.random.default_rng(0)
    mu, logvar = rng.normal(size=(4, 3)), rng.uniform(-2, 1.5, (4, 3))
    q = torch.distributions.Normal(torch.tensor(mu), torch.tensor(np.exp(0.5 * logvar)))
    p = torch.distributions.Normal(torch.zeros(4, 3, dtype=torch.float64), torch.ones(4, 3, dtype=torch.float64))
    np.testing.assert_allclose(problems.kl_closed_form(mu, logvar),
                               torch.distributions.kl_divergence(q, p).sum(dim=1).numpy(), rtol=1e-12)
    assert problems.kl_closed_form(np.zeros((1, 2)), np.zeros((1, 2)))[0] == 0.0


def test_the_monte_carlo_estimate_accepts_the_closed_form_and_rejects_the_missing_half():
    rng = np.random.default_rng(checks_kl.MC_SEED)
    mu, logvar = rng.uniform(-1.5, 1.5, (4, 2)), rng.uniform(-1.0, 1.0, (4, 2))
    est, se = checks_kl.monte_carlo_kl(mu, logvar)
    exact = problems.kl_closed_form(mu, logvar)
    assert np.all(np.abs(est - exact) <= checks_kl.MC_SIGMAS * se)  # what the check allows
    assert np.all(se < 0.02)
    assert np.all(np.abs(2.0 * exact - est) > 10 * checks_kl.MC_SIGMAS * se)


def test_each_known_kl_slip_differs_from_the_closed_form_on_the_checked_input():
    rng = np.random.default_rng(1)
    mu, logvar, _, _ = problems.latent_inputs(rng)
    exact = problems.kl_closed_form(mu, logvar)
    for words, wrong in checks_kl.kl_slips(mu, logvar).items():
        assert not np.allclose(wrong, exact, rtol=1e-6), words


def test_the_bce_helper_clamps_logs_like_pytorch():
    import torch
    import torch.nn.functional as F

    p = np.array([0.0, 1e-50, 0.3, 1.0])
    y = np.array([1.0, 1.0, 0.2, 0.0])
    np.testing.assert_allclose(checks_vae_loss._bce(p, y), F.binary_cross_entropy(
        torch.tensor(p), torch.tensor(y), reduction="none").numpy(), rtol=1e-12)


# ------------------------------------------------------------------ other data sets


def _grade_trained(options):
    a = ASSIGNMENT
    return grade(str(reference_path("vae_torch")), a, options=options,
                 select=lambda n: n == checks.TRAINED_CHECK)


def test_a_data_set_without_calibrated_bounds_fails_with_the_instructors_command(tmp_path, monkeypatch):
    assert "mnist" not in th.declared()[th.VAE_TEST_LOSS.key].calibrated
    write_mnist(tmp_path / "mnist", n_train=12, n_test=4)
    (result,) = _grade_trained({"data": f"mnist:{tmp_path / 'mnist'}"}).tests
    assert not result.passed and "not graded" in result.output
    assert "dlgrade calibrate vae_torch --dataset mnist:PATH --write" in result.output
    assert "not your code" in result.output


def test_a_missing_mnist_folder_fails_with_the_loaders_message(tmp_path):
    (result,) = _grade_trained({"data": f"mnist:{tmp_path / 'nowhere'}"}).tests
    assert not result.passed and "could not be loaded" in result.output and "nowhere" in result.output


def test_a_calibrated_mnist_bound_grades_mnist_sized_images_with_pictures(tmp_path, monkeypatch):
    write_mnist(tmp_path / "mnist", n_train=40, n_test=10)
    settings = {"n_latent": 2, "epochs": 1, "lr": 1e-3, "batch_size": 16}
    shipped = th.declared()[th.VAE_TEST_LOSS.key]
    mnist = Calibration(bound=1e6, reference_values=(1.0,) * 5, seeds=(0, 1, 2, 3, 4), settings=settings)
    declared = replace(shipped, settings={**shipped.settings, "mnist": settings},
                       calibrated={**shipped.calibrated, "mnist": mnist})
    monkeypatch.setattr(th, "declared", lambda: {declared.key: declared})
    (result,) = _grade_trained({"data": f"mnist:{tmp_path / 'mnist'}"}).tests
    assert result.passed, result.output
    assert "mnist" in result.output and "Passed" in result.output
    titles = [p.title for p in result.pictures]
    assert len(titles) == 3 and any("latent space" in t for t in titles)
    from PIL import Image
    import io

    from graders.reports.drawing import draw

    grid = Image.open(io.BytesIO(draw(result.pictures[1])))
    assert grid.size[0] > 10 * 28 * 4  # ten 28 x 28 images, scaled by 4, per row


# ------------------------------------------------------------------ the trained check's feedback


class FakeContext:
    """What check_vae_trained uses of a Context; `measure` gives a canned run (see `canned`)."""

    def __init__(self):
        self.check = types.SimpleNamespace(threshold=th.declared()[th.VAE_TEST_LOSS.key])
        self.options = {"data": "digits"}
        self.pictures = []
        self.session = types.SimpleNamespace(secret=None)

    def attach(self, title, picture):
        from graders.reports.drawing import draw

        assert draw(picture)[:8] == b"\x89PNG\r\n\x1a\n"  # data the report layer can draw
        self.pictures.append(title)


def canned(monkeypatch, **values) -> FakeContext:
    """A FakeContext, with checks_trained.measure replaced by a canned measured run."""
    from graders.assignments.vae_torch.trained_runs import latent_grid

    x_test = dataset("digits", th.VAE_TEST_LOSS.data)["x_test"]
    run = {"test_loss": 27.0, "test_bce": 27.0, "test_kl": 1e-5, "entropy_floor": 13.66,
           "test_excess": 13.34, "history": np.linspace(0.6, 0.43, 60),
           "latent_mu": np.zeros((len(x_test), 2)), "latent_labels": np.zeros(len(x_test)),
           "grid": np.full((100, 64), 0.3), "grid_z": latent_grid(10), "inputs": x_test[:8],
           "reconstructions": x_test[:8], "cpu_s": 2.0, **values}

    def measure(task, settings, data, secret, reach):
        assert task == "train_vae" and settings == th.VAE_TEST_LOSS.settings["digits"]
        return run

    monkeypatch.setattr(checks_trained, "measure", measure)
    return FakeContext()


def test_a_collapsed_posterior_is_named_and_the_pictures_are_still_attached(monkeypatch):
    from graders.engine.checks import CheckFailed

    ctx = canned(monkeypatch)
    with pytest.raises(CheckFailed) as info:
        checks_trained.check_vae_trained(ctx)
    assert "posterior collapsed" in info.value.slip and "13.34" in info.value.render()
    assert len(ctx.pictures) == 3


def test_a_diverged_training_is_named(monkeypatch):
    from graders.engine.checks import CheckFailed

    with pytest.raises(CheckFailed) as info:
        checks_trained.check_vae_trained(canned(monkeypatch, test_excess=float("nan"), test_kl=float("nan"),
                                                history=np.array([1.0, float("nan")])))
    assert "diverged" in info.value.slip

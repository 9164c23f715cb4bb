"""The gan_torch grader beyond the mutants: its check list, its helpers, the explanation of
train_step's torch errors, and grades on other data sets (MNIST-sized IDX files the tests
write; the sandbox is real).

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
from graders.assignments.gan_torch import checks, checks_losses, checks_train_step, checks_trained, tasks
from graders.assignments.gan_torch import thresholds as th
from graders.engine.checks import CheckFailed, Kind
from graders.engine.data_option import dataset
from graders.engine.runner import grade
from graders.engine.secret import fixed_secret
from graders.engine.trained_checks import TrainedGroup
from graders.sandbox.errors import StudentError
from reference.torch import gan_torch as ref
from tests.dlgrade.data.test_mnist import write_mnist
from tests.graders.assignments.task_files import top_level_imports
from tests.mutants import load_module_from_source, reference_path, write_edited
from graders.assignments.gan_torch.slips import MUTANTS, SLOW_UNUSUAL

ASSIGNMENT = assignments.get("gan_torch")
SOURCE = reference_path("gan_torch").read_text(encoding="utf-8")


def _mutated(name):
    mutant = next(m for m in MUTANTS if m.name == name)
    return load_module_from_source(mutant.apply(SOURCE), name)


# ------------------------------------------------------------------ the check list


def test_every_check_names_a_contract_function_or_the_gan_as_a_whole():
    names = {c.function for c in ASSIGNMENT.all_checks()}
    assert names == {"Generator/Discriminator", "discriminator_loss", "generator_loss", "train_step", "GAN"}
    assert {Kind.VALUE, Kind.PROPERTY, Kind.THRESHOLD} <= {c.kind for c in ASSIGNMENT.all_checks()}


def test_trained_check_has_wall_time_for_its_cpu_budget_and_the_sandbox_for_the_whole_grade():
    (trained,) = [c for c in ASSIGNMENT.all_checks() if c.kind is Kind.THRESHOLD]
    assert trained.name == checks.TRAINED_CHECK
    budget = max(c.cpu_budget_s for c in th.TRAINED_CHECKS)
    assert trained.timeout_s >= 3 * budget
    assert ASSIGNMENT.limits.cpu_s >= 4 * budget and ASSIGNMENT.limits.memory_mb >= 8192
    assert ASSIGNMENT.preload == ("numpy", "torch") and ASSIGNMENT.options == {"data": "digits"}


def test_the_tasks_file_is_registered_by_absolute_path_and_imports_only_stdlib_numpy_and_torch():
    from graders.engine.evaluation import TORCH_TASKS

    shared, path = ASSIGNMENT.tasks
    assert shared == TORCH_TASKS.resolve()  # task_torch_apply generates the trained check's samples
    assert path.is_absolute() and path == Path(tasks.__file__).resolve()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = top_level_imports(tree)
    assert imported <= {"copy", "importlib", "os", "time", "numpy", "torch"}


# ------------------------------------------------------------------ the loss tasks and closed forms


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_closed_forms_match_the_reference_losses_at_extreme_logits(dtype):
    d = tasks.task_discriminator_loss(ref, checks_losses.EXTREME_REAL, checks_losses.EXTREME_FAKE, dtype=dtype)
    g = tasks.task_generator_loss(ref, checks_losses.EXTREME_FAKE, dtype=dtype)
    expected_d, (gr, gf) = checks_losses.d_expected(checks_losses.EXTREME_REAL, checks_losses.EXTREME_FAKE)
    assert d["dtype"] == g["dtype"] == dtype and d["shape"] == g["shape"] == [] and all(d["reached"])
    np.testing.assert_allclose(d["loss"], expected_d, rtol=1e-6)
    np.testing.assert_allclose(d["grads"][0], gr, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(d["grads"][1], gf, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(g["loss"], np.logaddexp(0, -checks_losses.EXTREME_FAKE).mean(), rtol=1e-6)


def test_naive_log_sigmoid_losses_are_not_finite_where_the_check_looks():
    d = tasks.task_discriminator_loss(_mutated("discriminator_loss_naive_log_sigmoid"), checks_losses.EXTREME_REAL,
                                      checks_losses.EXTREME_FAKE, dtype="float64")
    assert not np.isfinite(d["loss"])
    naive_g = _mutated("generator_loss_naive_log_sigmoid")
    assert np.isfinite(tasks.task_generator_loss(naive_g, checks_losses.EXTREME_FAKE, dtype="float64")["loss"])
    assert not np.isfinite(tasks.task_generator_loss(naive_g, checks_losses.EXTREME_FAKE, dtype="float32")["loss"])


def test_a_loss_returned_as_a_float_is_reported_by_the_task():
    class Sub:
        @staticmethod
        def generator_loss(fake):
            return float(fake.detach().mean())

    with pytest.raises(ValueError, match="not loss.item"):
        tasks.task_generator_loss(Sub, np.zeros(3))


def test_train_step_task_reports_what_came_back_instead_of_two_losses():
    source = SOURCE.replace("return d_loss.item(), g_loss.item()", "return None")
    r = tasks.task_train_step_checks(load_module_from_source(source, "none"), n_latent=4, n_out=6,
                                     real_batches=np.full((1, 3, 6), 0.5), z_batches=np.zeros((1, 3, 4)))
    assert r["returned"] == ["NoneType"] and np.isnan(r["d_loss"][0])
    r = tasks.task_train_step_checks(ref, n_latent=4, n_out=6, real_batches=np.full((1, 3, 6), 0.5),
                                     z_batches=np.zeros((1, 3, 4)))
    assert r["returned"] == [""]


# ------------------------------------------------------------------ stochastic networks and zero_grad

DROPOUT_UNUSUAL = next(m for m in SLOW_UNUSUAL
                       if m.name == "train_step_dcgan_order_module_zero_grad_dropout_discriminator")
DROPOUT_MUTANT = next(m for m in MUTANTS if m.name == "train_step_dropout_discriminator_module_zero_grad_of_g_only")


def _step_report(mutant):
    reals, zs = checks_train_step._step_inputs()
    r = tasks.task_train_step_checks(load_module_from_source(mutant.apply(SOURCE), mutant.name), n_latent=16,
                                     n_out=64, real_batches=reals, z_batches=zs)
    return {**r, **checks_train_step.param_errors(r)}


def test_a_dropout_discriminator_draws_the_same_masks_in_both_runs_and_matches_the_contract():
    r = _step_report(DROPOUT_UNUSUAL)
    assert max(r["d_param_err"] + r["g_param_err"]) <= checks_train_step.PARAM_RTOL
    assert r["stale"] == [[], []] and r["calls"][0] == ["opt_D.step", "opt_G.step"]
    np.testing.assert_allclose(r["d_loss"], r["expected_d_loss"], rtol=1e-6)


def test_gradients_left_over_from_the_last_call_are_detected_whoever_zeroes_them():
    r = _step_report(DROPOUT_MUTANT)
    assert r["stale"] == [[], ["D"]] and r["d_param_err"][1] > checks_train_step.PARAM_RTOL
    assert _step_report(next(m for m in MUTANTS if m.name == "train_step_never_zeroes_g_grads"))["stale"][1] == ["G"]


def test_module_zero_grad_with_a_dropout_discriminator_gets_every_train_step_point(tmp_path):
    path = write_edited("gan_torch", tmp_path, DROPOUT_UNUSUAL)
    report = grade(path, ASSIGNMENT, select=lambda n: n.startswith("train_step"))
    assert len(report.tests) == 5 and report.score == report.max_score > 0, [t.output for t in report.tests]


def test_the_zero_grad_hint_is_given_only_when_left_over_gradients_are_seen():
    r = {"d_param_err": [0.0, 0.3], "g_param_err": [0.0, 0.0], "calls": [["opt_D.step", "opt_G.step"]] * 2,
         "stale": [[], []]}

    failure = _matches_contract_failure(r)
    assert "zero_grad" not in failure.slip and "carries over" in failure.slip
    r["stale"] = [[], ["D"]]
    assert "opt_D.zero_grad() (or D.zero_grad())" in _matches_contract_failure(r).slip


def _matches_contract_failure(r):
    from unittest import mock

    with mock.patch.object(checks_train_step, "step_run", lambda ctx: r):
        with pytest.raises(CheckFailed) as info:
            checks_train_step.check_train_step_matches_contract(None)
    return info.value


# ------------------------------------------------------------------ train_step's torch errors


def _torch_error(name):
    reals, zs = checks_train_step._step_inputs()
    with pytest.raises(RuntimeError) as info:
        tasks.task_train_step_checks(_mutated(name), n_latent=16, n_out=64, real_batches=reals, z_batches=zs)
    first = tasks.task_train_step_checks(_mutated(name), n_latent=16, n_out=64, real_batches=reals[:1],
                                         z_batches=zs[:1])["calls"][0] if name.endswith("opt_G") else None
    exc = StudentError("RuntimeError", str(info.value), traceback="  File \"submission.py\", line 1")
    return checks_train_step.explain_step_error(exc, first)


def test_a_missing_detach_is_explained_in_plain_words():
    failure = _torch_error("train_step_without_detach")
    assert "not detached" in failure.slip and "fake.detach()" in failure.slip
    assert "backward through the graph a second time" in failure.details


def test_an_early_generator_step_is_explained_in_plain_words():
    failure = _torch_error("train_step_d_step_steps_opt_G")
    assert "opt_G.step() is called in the discriminator step" in failure.slip
    assert "opt_D.zero_grad, opt_G.step, opt_G.zero_grad, opt_G.step" in failure.slip


# ------------------------------------------------------------------ other data sets


def _grade_trained(options):
    return grade(str(reference_path("gan_torch")), ASSIGNMENT, options=options,
                 select=lambda n: n == checks.TRAINED_CHECK)


def test_a_data_set_without_calibrated_bounds_fails_with_the_instructors_commands(tmp_path):
    assert not any("mnist" in c.calibrated for c in th.declared().checks)
    write_mnist(tmp_path / "mnist", n_train=12, n_test=4)
    (result,) = _grade_trained({"data": f"mnist:{tmp_path / 'mnist'}"}).tests
    assert not result.passed and "not graded" in result.output and "not your code" in result.output
    assert "dlgrade calibrate gan_torch --dataset mnist:PATH --write" in result.output
    assert "digit_classifier --dataset mnist:" in result.output


def test_a_missing_mnist_folder_fails_with_the_loaders_message(tmp_path):
    (result,) = _grade_trained({"data": f"mnist:{tmp_path / 'nowhere'}"}).tests
    assert not result.passed and "could not be loaded" in result.output and "nowhere" in result.output


def test_a_calibrated_mnist_bound_without_its_classifier_fails_clearly(tmp_path, monkeypatch):
    write_mnist(tmp_path / "mnist", n_train=12, n_test=4)
    digits = th.declared()
    with_mnist = TrainedGroup(tuple(replace(c, calibrated={**c.calibrated, "mnist": c.calibrated["digits"]})
                                    for c in digits.checks))
    monkeypatch.setattr(th, "declared", lambda: with_mnist)

    def no_classifier(name):
        raise FileNotFoundError(f"no digit classifier weights for {name!r}")

    monkeypatch.setattr(checks_trained, "classifier", no_classifier)
    (result,) = _grade_trained({"data": f"mnist:{tmp_path / 'mnist'}"}).tests
    assert not result.passed and "digit classifier" in result.output and "not your code" in result.output


# ------------------------------------------------------------------ the trained check's feedback


class FakeSession:
    secret = fixed_secret("gan tests", "gan_torch")


class FakeContext:
    """What check_gan_trained uses of a Context: a canned training reply, and the fresh
    sandbox's generation replaced by canned samples (`samples(z)` of the grader's z)."""

    def __init__(self, samples, d_loss=None):
        self.check = types.SimpleNamespace(threshold=th.declared())
        self.options = {"data": "digits"}
        self.session = FakeSession()
        self.pictures = []
        self.samples = samples
        self.reply = {"state": {"w": np.zeros(3)}, "d_loss": np.full(40, 0.7) if d_loss is None else d_loss,
                      "g_loss": np.full(40, 1.0), "cpu_s": 1.0}
        self.sent = {}

    def task(self, name, **kwargs):
        assert name == "train_gan"
        self.sent["train"] = kwargs
        return self.reply

    def fresh_task(self, name, **kwargs):
        assert name == "torch_apply" and kwargs["class_name"] == "Generator" and kwargs["method"] == "forward"
        self.sent["fresh"] = kwargs
        return [self.samples(kwargs["inputs"][0]) if callable(self.samples) else self.samples]

    def attach(self, title, picture):
        from graders.reports.drawing import draw

        assert draw(picture)[:8] == b"\x89PNG\r\n\x1a\n"  # data the report layer can draw
        self.pictures.append(title)


def _trained_feedback(samples, **kwargs):
    from graders.engine.checks import CheckFailed

    ctx = FakeContext(samples, **kwargs)
    try:
        note = checks_trained.check_gan_trained(ctx)
    except CheckFailed as exc:
        return False, exc.render(), ctx.pictures
    return True, note, ctx.pictures


def test_real_digits_pass_the_trained_check_with_three_pictures():
    x_test = dataset("digits", th.DATA)["x_test"]
    passed, text, pictures = _trained_feedback(np.concatenate([x_test, x_test])[:500])
    assert passed and "Passed" in text and "10 digit classes" in text
    assert len(pictures) == 3


def test_one_repeated_image_is_named_as_a_generator_that_ignores_z():
    x_test = dataset("digits", th.DATA)["x_test"]
    passed, text, _ = _trained_feedback(np.repeat(x_test[:1], 500, axis=0))
    assert not passed and "ignores its input z" in text and "k = 6" in text


def test_two_digits_are_named_as_mode_collapse_and_noise_as_no_digits():
    data = dataset("digits", th.DATA)
    two = data["x_test"][np.isin(data["y_test"], [0, 1])]
    passed, text, _ = _trained_feedback(np.resize(two, (500, 64)) + 1e-3 * np.arange(500)[:, None] / 500)
    assert not passed and "mode collapse" in text
    noise = np.random.default_rng(0).uniform(size=(500, 64))
    passed, text, _ = _trained_feedback(noise)
    assert not passed and "not recognisable digits" in text


def test_the_trained_check_declares_the_model_size_its_budget_assumes():
    (trained,) = [c for c in ASSIGNMENT.all_checks() if c.kind is Kind.THRESHOLD]
    assert trained.threshold == th.declared() and trained.threshold.keys() == [c.key for c in th.TRAINED_CHECKS]
    assert "128 units" in trained.threshold.describe_budget() and "256-512-1024" in th.MODEL_SIZE
    assert all(c.for_dataset("digits").model_size == th.MODEL_SIZE for c in trained.threshold.checks)


def test_training_images_handed_back_fail_as_memorised_beside_the_coverage():
    data = dataset("digits", th.DATA)
    x_train, _, _ = checks_trained.secret_subset(FakeSession.secret, data)
    passed, text, _ = _trained_feedback(np.resize(x_train, (500, 64)))
    assert not passed and "hands back training images" in text and "500 of 500 samples" in text
    # an eighth of the samples copied is enough to fail
    mixed = np.concatenate([np.resize(data["x_test"], (440, 64)), x_train[:60]])
    passed, text, _ = _trained_feedback(mixed)
    assert not passed and "hands back training images" in text


def test_the_trained_check_sends_training_rows_only_and_generates_from_the_graders_z():
    data = dataset("digits", th.DATA)
    ctx = FakeContext(lambda z: np.resize(data["x_test"], (len(z), 64)))
    checks_trained.check_gan_trained(ctx)
    x_train, unseen, seed = checks_trained.secret_subset(FakeSession.secret, data)
    sent = ctx.sent["train"]
    assert sent["seed"] == seed and np.array_equal(sent["x_train"], x_train)
    trained = {row.tobytes() for row in sent["x_train"]}
    assert not any(row.tobytes() in trained for row in data["x_train"] if row.tobytes() not in
                   {r.tobytes() for r in x_train})
    assert len(x_train) == len(data["x_train"]) - round(th.HELDOUT_FRACTION * len(data["x_train"]))
    (z,) = ctx.sent["fresh"]["inputs"]
    assert z.dtype == np.float32 and z.shape == (th.SETTINGS["digits"]["n_samples"], 16)

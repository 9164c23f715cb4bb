"""The autoencoders_torch grader beyond the mutants: its helpers, its data option (digits,
MNIST IDX files written here, uncalibrated and unknown data sets), its task runner and the
template notebook (the sandbox is real where a grade runs).

The reference and every mutant are graded in tests/graders/test_mutants.py.
"""

from __future__ import annotations

import ast
import dataclasses
import gzip
import types
from pathlib import Path

import numpy as np
import pytest

from graders import assignments
from graders.assignments.autoencoders_torch import (
    checks,
    checks_l1,
    checks_noise,
    checks_trained,
    data,
    tasks,
    thresholds,
)
from graders.engine.checks import CheckFailed, Kind
from graders.engine.common import away_from
from graders.engine.runner import grade
from graders.engine.shared import SharedValues
from graders.engine.task_calls import run_task
from graders.engine.trained_checks import Calibration, as_json
from graders.sandbox.errors import CallTimeout, StudentError
from tests.graders.assignments.task_files import top_level_imports

ASSIGNMENT = assignments.get("autoencoders_torch")
REPO = Path(__file__).resolve().parents[3]
TRAINED = [c for c in ASSIGNMENT.all_checks() if c.kind is Kind.THRESHOLD]


# ------------------------------------------------------------------ the check list


def test_every_check_names_a_contract_object_and_no_name_is_a_prefix_of_another():
    all_checks = ASSIGNMENT.all_checks()
    names = [c.name for c in all_checks]
    assert {c.function for c in all_checks} == set(checks.CONTRACT)
    assert {Kind.VALUE, Kind.GRADIENT, Kind.PROPERTY, Kind.THRESHOLD} <= {c.kind for c in all_checks}
    assert not [(a, b) for a in names for b in names if a != b and b.startswith(a)]
    for c in all_checks:
        assert set(c.needs) <= set(checks.CONTRACT) and c.needs, c.name


def test_trained_checks_are_the_calibrated_ones_with_wall_time_for_their_cpu_budget():
    assert sorted(c.name for c in TRAINED) == sorted(checks_trained.CHECK_NAMES.values())
    by_name = {v: k for k, v in checks_trained.CHECK_NAMES.items()}
    for c in TRAINED:
        assert c.threshold.key == by_name[c.name] and c.threshold.calibrated["digits"]  # graded against it
        assert c.timeout_s >= 3 * c.threshold.cpu_budget_s
    assert ASSIGNMENT.limits.cpu_s >= sum(c.cpu_budget_s for c in thresholds.TRAINED_CHECKS) + 60
    assert ASSIGNMENT.limits.memory_mb >= 8192
    assert ASSIGNMENT.preload == ("numpy", "torch")


def test_calibrated_settings_are_the_current_settings():
    """A stale table (settings edited, no recalibration) would grade with old settings: the
    calibrated entries are read only when they were calibrated with the declared settings."""
    for check in thresholds.declared().values():
        for dataset, calibration in check.calibrated.items():
            assert calibration.settings == as_json(check.settings[dataset]), (dataset, check.key)
            assert check.for_dataset(dataset).dataset == dataset


def test_the_tasks_file_is_registered_and_imports_only_stdlib_numpy_and_torch():
    from graders.engine.evaluation import TORCH_TASKS

    assert ASSIGNMENT.tasks == (TORCH_TASKS, Path(tasks.__file__))
    for path in ASSIGNMENT.tasks:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
        imported = top_level_imports(tree)
        assert imported <= {"importlib", "os", "random", "time", "numpy", "torch"}, path
        assert not any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(tree))


# ------------------------------------------------------------------ helpers


def test_the_digits_data_set_is_that_of_the_calibration():
    from dlgrade.data.mnist import load_dataset

    fast, slow = data.dataset("digits"), load_dataset("digits")
    for key in ("x_train", "y_train", "x_test", "y_test"):
        assert np.array_equal(fast[key], slow[key]), key
    assert fast["image_shape"] == slow["image_shape"] == (8, 8)


def test_the_numpy_penalty_is_the_reference_penalty():
    import torch

    from graders.tooling.calibration import load_reference

    ref = load_reference("autoencoders_torch")
    code = np.random.default_rng(0).normal(size=(7, 3, 2))
    assert checks_l1.l1_penalty(code, 0.3) == pytest.approx(
        float(ref.l1_activity_penalty(torch.as_tensor(code), 0.3)), rel=1e-14)


def test_named_l1_slips_differ_from_each_other_and_from_the_contract():
    rng = np.random.default_rng(1)
    code = away_from(rng, checks_l1.L1_SHAPE, -2.0, 2.0, kinks=(0.0,), margin=0.05)
    factor = checks_l1.L1_FACTOR
    values = list(checks_l1.l1_slips(code, factor).values()) + [checks_l1.l1_penalty(code, factor)]
    assert len({round(v, 9) for v in values}) == len(values)


def test_noise_slip_statistics_are_told_apart():
    for factor in checks_noise.NOISE_STAT_FACTORS:
        stats = list(checks_noise._slip_stats(factor).values()) + [(0.0, factor)]
        for i, (m1, s1) in enumerate(stats):
            for m2, s2 in stats[i + 1:]:
                assert abs(m1 - m2) > 0.04 * max(s2, factor) or abs(s1 - s2) > 0.05 * s2


class FakeSession:
    def __init__(self):
        self.shared = SharedValues()


class FakeCtx:
    """Enough of runner.Context for run_task: a session, a check name and a task that
    answers from a script."""

    def __init__(self, session, answer):
        self.session = session
        self.check = types.SimpleNamespace(name="a check")
        self.answer = answer
        self.calls = 0

    def task(self, name, **kwargs):
        self.calls += 1
        return self.answer()

    def shared(self, key, make, *, retry=None):
        return self.session.shared.get(key, make, retry=retry)


def test_run_task_shares_results_and_stops_after_a_timeout():
    session = FakeSession()
    ctx = FakeCtx(session, lambda: {"v": 1})
    assert run_task(ctx, "t", "DenseAutoencoder", share=True, objects=("DenseAutoencoder",), x=np.ones(3)) == {"v": 1}
    assert run_task(ctx, "t", "DenseAutoencoder", share=True, objects=("DenseAutoencoder",), x=np.ones(3)) == {"v": 1}
    assert ctx.calls == 1

    def timeout():
        raise CallTimeout("running a task")

    slow = FakeCtx(session, timeout)
    with pytest.raises(CallTimeout):
        run_task(slow, "train", "DenseAutoencoder", share=True, objects=("DenseAutoencoder", "add_noise"),
                 x=np.ones(3))
    with pytest.raises(CheckFailed, match="did not finish in time"):
        run_task(FakeCtx(session, lambda: {}), "other", "add_noise", share=True, objects=("add_noise",))
    assert run_task(FakeCtx(session, lambda: {"ok": 1}), "other", "ConvAutoencoder", share=True,
                    objects=("ConvAutoencoder",)) == {"ok": 1}


def test_run_task_words_an_error_of_the_task_itself_and_keeps_the_students_own():
    def own():
        raise StudentError("RuntimeError", "mat1 and mat2 shapes cannot be multiplied", "File submission.py ...")

    def tasks_check():
        raise StudentError("ValueError", "ConvAutoencoder.forward returned shape (2, 1), expected (2, 1, 8, 8)")

    with pytest.raises(StudentError):
        run_task(FakeCtx(FakeSession(), own), "t", "ConvAutoencoder", share=True, objects=("ConvAutoencoder",))
    with pytest.raises(CheckFailed, match="returned shape"):
        run_task(FakeCtx(FakeSession(), tasks_check), "t", "ConvAutoencoder", share=True,
                 objects=("ConvAutoencoder",))


# ------------------------------------------------------------------ data options (real grades)


def write_idx(path: Path, array: np.ndarray, magic: int, gz: bool = False) -> None:
    header = magic.to_bytes(4, "big") + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    body = header + array.astype(">u1").tobytes()
    path.write_bytes(gzip.compress(body) if gz else body)


def fake_mnist(folder: Path, n_train: int = 96, n_test: int = 32) -> Path:
    """Small MNIST-format IDX files: blurry random 28x28 'digits' with labels 0..9."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for kind, n, gz in (("train", n_train, True), ("t10k", n_test, False)):
        images = np.zeros((n, 28, 28))
        for i in range(n):
            r, c = rng.integers(6, 22, size=2)
            images[i, r - 5:r + 5, c - 3:c + 3] = 255
        suffix = ".gz" if gz else ""
        write_idx(folder / f"{kind}-images-idx3-ubyte{suffix}", images, 2051, gz)
        write_idx(folder / f"{kind}-labels-idx1-ubyte{suffix}", rng.integers(0, 10, n), 2049, gz)
    return folder


def trained_only(name: str) -> bool:
    return name in checks_trained.CHECK_NAMES.values()


def test_uncalibrated_mnist_fails_the_trained_checks_saying_what_the_instructor_must_run(tmp_path):
    assert not any("mnist" in c.calibrated for c in thresholds.declared().values())
    folder = fake_mnist(tmp_path / "mnist")
    report = grade(str(ASSIGNMENT.reference), ASSIGNMENT, options={"data": f"mnist:{folder}"},
                   select=trained_only)
    assert len(report.tests) == len(TRAINED)
    for t in report.tests:
        assert not t.passed
        assert "internal error" not in t.output
        assert f"dlgrade calibrate autoencoders_torch --dataset mnist:{folder} --write" in t.output
        assert "instructor" in t.output


@pytest.mark.slow
def test_calibrated_mnist_trains_on_the_idx_files_with_pictures(tmp_path, monkeypatch):
    """With a (fake, tiny) calibrated table for MNIST, the trained checks run on 28x28 images
    read from IDX files and pass with a generous bound."""
    folder = fake_mnist(tmp_path / "mnist")
    tiny = {"dense_reconstruction": {"n_hidden": 8, "epochs": 1, "lr": 1e-2, "batch_size": 32},
            "conv_reconstruction": {"image_shape": (28, 28), "epochs": 1, "lr": 1e-2, "batch_size": 32},
            "denoising_ratio": {"n_hidden": 8, "noise_factor": 0.5, "epochs": 1, "lr": 1e-2, "batch_size": 32},
            "sparsity_factor": {"n_hidden": 8, "l1_factor": 1e-3, "epochs": 1, "lr": 1e-2, "batch_size": 32},
            "sparse_reconstruction": {"n_hidden": 8, "l1_factor": 1e-3, "epochs": 1, "lr": 1e-2, "batch_size": 32}}
    table = {}
    for key, c in thresholds.declared().items():
        mnist = Calibration(bound=0.0 if c.higher_is_better else 10.0, reference_values=(1.0,) * 5,
                            seeds=(0, 1, 2, 3, 4), settings=tiny[key])
        table[key] = dataclasses.replace(c, settings={**c.settings, "mnist": tiny[key]},
                                         calibrated={**c.calibrated, "mnist": mnist})
    monkeypatch.setattr(thresholds, "declared", lambda: table)
    report = grade(str(ASSIGNMENT.reference), ASSIGNMENT, options={"data": f"mnist:{folder}"},
                   select=trained_only)
    failed = {t.name: t.output for t in report.tests if not t.passed}
    assert not failed, failed
    pictures = {t.name: [p.title for p in t.pictures] for t in report.tests}
    assert len(pictures[checks_trained.CHECK_NAMES["dense_reconstruction"]]) == 2
    assert len(pictures[checks_trained.CHECK_NAMES["conv_reconstruction"]]) == 2
    assert any("noisy" in title for title in pictures[checks_trained.CHECK_NAMES["denoising_ratio"]])
    assert all("mnist" in t.output for t in report.tests)


@pytest.mark.parametrize("spec", ["imagenet", "mnist", "", "digits:extra"])
def test_an_unknown_data_option_fails_a_trained_check_in_words(spec):
    ctx = _context({"data": spec}, "dense_reconstruction")
    with pytest.raises(CheckFailed, match="unknown data set"):
        checks_trained.threshold(ctx) if spec else data.data_name(spec)


def _context(options: dict, key: str):
    """What `threshold` uses of a Context: the options and the check's declaration."""
    return types.SimpleNamespace(options=options, check=types.SimpleNamespace(threshold=thresholds.declared()[key]))


def test_an_unreadable_mnist_folder_fails_in_words(tmp_path):
    with pytest.raises(CheckFailed, match="could not read"):
        data.dataset(f"mnist:{tmp_path / 'missing'}")
    broken = fake_mnist(tmp_path / "broken", n_train=4, n_test=2)
    (broken / "train-images-idx3-ubyte.gz").unlink()
    write_idx(broken / "train-images-idx3-ubyte", np.zeros((4, 28, 28)), 2049)  # the labels' magic number
    with pytest.raises(CheckFailed, match="magic number"):
        data.dataset(f"mnist:{tmp_path / 'broken'}")


def test_an_uncalibrated_data_set_names_the_calibration_command():
    ctx = _context({"data": "mnist:/data/mnist"}, "sparsity_factor")
    with pytest.raises(CheckFailed, match="dlgrade calibrate autoencoders_torch --dataset mnist:/data/mnist --write"):
        checks_trained.threshold(ctx)
    spec, t = checks_trained.threshold(_context({}, "sparsity_factor"))
    assert spec == "digits" and t == thresholds.declared()["sparsity_factor"].for_dataset("digits")


# ------------------------------------------------------------------ the template


def test_the_template_notebook_grades_to_zero_with_not_implemented_feedback():
    notebook = REPO / "student_templates" / "autoencoders_torch.ipynb"
    report = grade(str(notebook), ASSIGNMENT, select=lambda n: not trained_only(n)
                   or n == checks_trained.CHECK_NAMES["dense_reconstruction"])
    assert report.score == 0 and report.tests
    for t in report.tests:
        assert "internal error" not in t.output, (t.name, t.output)
        assert "Not implemented yet" in t.output, (t.name, t.output)


# ------------------------------------------------------------------ the slow mutant lists


def _slow_lists():
    from graders.assignments.autoencoders_torch import slips as m

    return m.MUTANTS, m.SLOW_MUTANTS, m.UNUSUAL, m.SLOW_UNUSUAL


def test_mutant_names_are_unique_across_all_four_lists():
    names = [m.name for group in _slow_lists() for m in group]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("mutant", _slow_lists()[1], ids=lambda m: m.name)
def test_slow_mutant_changes_some_contract_output(mutant):
    """tests/mutants/test_mutant_probes.py probes MUTANTS; the same probe here for
    SLOW_MUTANTS, so a slip graded only with -m slow is still shown to be a real slip."""
    from tests.mutants.test_mutant_probes import test_buggy_mutant_changes_some_contract_output as probe

    probe("autoencoders_torch", mutant)


@pytest.mark.parametrize("mutant", _slow_lists()[3], ids=lambda m: m.name)
def test_slow_unusual_matches_the_reference(mutant):
    from tests.mutants.test_mutant_probes import test_correct_mutant_matches_the_reference as probe

    probe("autoencoders_torch", mutant)


# ------------------------------------------------------------------ separate evaluation


@pytest.mark.slow
def test_a_model_without_decode_fails_the_trained_check_saying_decode_is_missing(tmp_path):
    source = ASSIGNMENT.reference.read_text(encoding="utf-8").replace(
        "    def decode(self, code):\n        \"\"\"The reconstruction of a batch of codes: sigmoid",
        "    def _decode(self, code):\n        \"\"\"The reconstruction of a batch of codes: sigmoid", 1).replace(
        "        return self.decode(self.encode(x))", "        return self._decode(self.encode(x))", 1)
    path = tmp_path / "no_decode.py"
    path.write_text(source, encoding="utf-8")
    name = checks_trained.CHECK_NAMES["dense_reconstruction"]
    (result,) = grade(str(path), ASSIGNMENT, select=lambda n: n == name).tests
    assert not result.passed
    assert "DenseAutoencoder.decode is not defined" in result.output and "internal error" not in result.output


@pytest.mark.slow
def test_the_reference_passes_with_training_and_evaluation_in_separate_sandboxes(tmp_path, monkeypatch):
    """Every trained check's evaluation runs in fresh sandboxes, never the training's."""
    from graders.engine import evaluation

    fresh = []
    real = evaluation.apply

    def spy(ctx, class_name, state, method, inputs, **kwargs):
        fresh.append((ctx.check.name, class_name, method))
        return real(ctx, class_name, state, method, inputs, **kwargs)

    monkeypatch.setattr(evaluation, "apply", spy)
    report = grade(str(ASSIGNMENT.reference), ASSIGNMENT, select=lambda n: n in {c.name for c in TRAINED})
    assert all(t.passed for t in report.tests), [(t.name, t.output[:300]) for t in report.tests if not t.passed]
    methods = [m for _, _, m in fresh]
    assert methods.count("encode") == 5 and methods.count("decode") == 4 and "forward" not in methods

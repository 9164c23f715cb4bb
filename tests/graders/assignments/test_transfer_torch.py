"""The transfer_torch grader beyond the mutants: its check list, its data, its tasks, and
the feedback of its checks (most run in-process through a fake context whose `task` calls
tasks.py directly; one grade goes through the real sandbox).

The reference and every mutant are graded in tests/graders/test_mutants.py.
"""

from __future__ import annotations

import ast
import contextlib
from pathlib import Path

import numpy as np
import pytest

from graders import assignments
from graders.assignments.transfer_torch import (
    base_model,
    checks,
    checks_freeze,
    checks_replace_head,
    checks_unfreeze_from,
    data,
    tasks,
    tasks_probes,
)
from graders.assignments.transfer_torch.thresholds import CHECK_FINE, CHECK_HEAD, CLASSES, data_set, declared
from graders.engine.checks import CheckFailed, Kind
from graders.engine.runner import grade
from graders.engine.secret import fixed_secret
from graders.engine.shared import SharedValues
from tests.graders.assignments.task_files import top_level_imports
from tests.mutants import Mutant, load_module_from_source, reference_path

ASSIGNMENT = assignments.get("transfer_torch")
SOURCE = reference_path("transfer_torch").read_text(encoding="utf-8")
REF = load_module_from_source(SOURCE, "transfer_torch_reference_for_grader_tests")


class FakeSession:
    """Stands for a grade's session: the course secret and the values its checks share."""

    secret = fixed_secret("transfer tests", "transfer_torch")

    def __init__(self):
        self.shared = SharedValues()


class FakeContext:
    """ctx.task runs the task in this process on `module`; `canned` replaces some tasks' replies;
    ctx.fresh_sandbox() runs its tasks in this process too, recorded as "fresh:<name>"."""

    def __init__(self, module, canned=None):
        self.module, self.canned, self.session = module, dict(canned or {}), FakeSession()
        self.calls: list[str] = []

    def shared(self, key, make, *, retry=None):
        return self.session.shared.get(key, make, retry=retry)

    def task(self, name, **kwargs):
        self.calls.append(name)
        if name in self.canned:
            return self.canned[name]
        task = getattr(tasks, f"task_{name}", None) or getattr(tasks_probes, f"task_{name}")
        return task(self.module, **kwargs)

    @contextlib.contextmanager
    def fresh_sandbox(self):
        ctx = self

        class Box:
            def task(self, name, **kwargs):
                return ctx._fresh(name, **kwargs)

        yield Box()

    def _fresh(self, name, **kwargs):
        self.calls.append(f"fresh:{name}")
        return getattr(tasks, f"task_{name}")(self.module, **kwargs)


def edited(*edits: Mutant):
    source = SOURCE
    for e in edits:
        source = e.apply(source)
    return load_module_from_source(source, "edited_transfer_torch")


def failure(fn, ctx) -> str:
    with pytest.raises(CheckFailed) as info:
        fn(ctx)
    return info.value.render()


def check_fn(name):
    """The check's function, run with the check in ctx.check (as the runner gives it)."""
    (found,) = [c for c in ASSIGNMENT.all_checks() if c.name == name]

    def run(ctx):
        ctx.check = found
        return found.run(ctx)
    return run


# ------------------------------------------------------------------ the check list


def test_every_check_names_a_contract_function_and_the_trained_checks_are_the_calibrated_ones():
    all_checks = ASSIGNMENT.all_checks()
    assert {c.function for c in all_checks} == set(checks.CONTRACT) == set(ASSIGNMENT.contract)
    trained = [c for c in all_checks if c.kind is Kind.THRESHOLD]
    assert sorted(c.name for c in trained) == sorted(declared()) == sorted([*CHECK_HEAD.values(), *CHECK_FINE.values()])
    for c in trained:
        assert c.threshold == declared()[c.name] and c.timeout_s >= 2 * c.threshold.cpu_budget_s
    assert ASSIGNMENT.limits.cpu_s >= 4 * sum(declared()[CHECK_HEAD[k]].cpu_budget_s for k in CLASSES)


def test_torch_is_preloaded_with_room_for_it_and_the_tasks_files_are_registered():
    assert ASSIGNMENT.preload == ("numpy", "torch")
    assert ASSIGNMENT.limits.memory_mb >= 8192
    assert ASSIGNMENT.tasks == (Path(tasks.__file__), Path(tasks_probes.__file__))


@pytest.mark.parametrize("module", [tasks, tasks_probes], ids=["tasks", "tasks_probes"])
def test_the_tasks_files_import_only_stdlib_numpy_and_torch(module):
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = top_level_imports(tree)
    assert imported <= {"time", "importlib", "os", "pathlib", "numpy", "torch"}
    assert not any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(tree))


def test_the_probes_file_loaded_alone_by_path_finds_the_base_as_the_sandbox_does():
    import importlib.util

    spec = importlib.util.spec_from_file_location("_dlgrade_tasks_1", tasks_probes.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert {k for k in vars(module) if k.startswith("task_")} == {
        "task_freeze_probe", "task_head_probe", "task_layer_counts", "task_count_params"}
    assert [type(c).__name__ for c in module.build_base().children()] == list(checks_unfreeze_from.BASE_LAYERS)


def test_the_unfreeze_indices_include_one_past_the_parameter_free_max_pooling():
    # unfreeze_from one layer early at index 7 starts at the max pooling (no parameters) and
    # looks right: index 8 is what tells it apart
    assert (checks_unfreeze_from.FINE_TUNE_FROM + 1, True) in checks_unfreeze_from.UNFREEZE_CASES
    assert any(not first for _, first in checks_unfreeze_from.UNFREEZE_CASES)
    assert [type(c).__name__ for c in tasks.build_base().children()] == list(checks_unfreeze_from.BASE_LAYERS)


# ------------------------------------------------------------------ data sent to the sandbox


def test_the_probe_images_are_those_of_base_model_split():
    for classes in CLASSES.values():
        fast = data.digits_split(classes)
        slow = base_model.digits_split(classes, **{"test_fraction": 0.3, "seed": 0})
        assert all(np.array_equal(a, b) for a, b in zip(fast, slow))


def test_the_weights_sent_to_the_sandbox_are_the_shipped_ones_as_plain_arrays():
    sent, shipped = data.weights(), base_model.load_weights()
    assert sent.keys() == shipped.keys()
    assert all(isinstance(v, np.ndarray) and np.array_equal(v, shipped[k]) for k, v in sent.items())


# ------------------------------------------------------------------ each check uses only its function


def _broken(*names):
    """The reference with the named functions raising."""
    module = edited()
    for name in names:
        def boom(*args, _name=name, **kwargs):
            raise AssertionError(f"{_name} must not be called")
        setattr(module, name, boom)
    return module


def test_the_freeze_checks_use_neither_replace_head_nor_count_params():
    ctx = FakeContext(_broken("replace_head", "count_params", "unfreeze_from"))
    for name in ("freeze: no gradients and unchanged by an optimizer step", "freeze: BatchNorm stays in inference mode"):
        assert check_fn(name)(ctx) is None


def test_the_replace_head_checks_use_neither_freeze_nor_count_params():
    ctx = FakeContext(_broken("freeze", "count_params", "unfreeze_from"))
    for c in ASSIGNMENT.all_checks():
        if c.function == "replace_head" and c.kind is not Kind.THRESHOLD:
            assert c.run(ctx) is None, c.name


def test_the_unfreeze_from_and_count_params_checks_need_only_their_functions():
    ctx = FakeContext(_broken("replace_head", "count_params"))
    for c in ASSIGNMENT.all_checks():
        if c.function == "unfreeze_from" and c.kind is not Kind.THRESHOLD:
            assert c.run(ctx) is None, c.name
    ctx = FakeContext(_broken("replace_head", "freeze", "unfreeze_from"))
    for c in ASSIGNMENT.all_checks():
        if c.function == "count_params":
            assert c.run(ctx) is None, c.name


# ------------------------------------------------------------------ feedback


def test_global_max_pooling_is_named():
    module = edited(Mutant("max", "nn.AdaptiveAvgPool2d(1)", "nn.AdaptiveMaxPool2d(1)"))
    r = tasks_probes.task_head_probe(module, data.weights(), data.probe_images(), n_classes=5)
    assert r["max_diff_max_pool"] < 1e-5 < r["max_diff"]
    text = failure(checks_replace_head.check_replace_head_average_pool_linear, FakeContext(module))
    assert "global MAX pooling" in text


def test_a_head_with_a_hidden_layer_is_told_apart_from_a_wrong_output_count():
    module = edited(Mutant("mlp", "nn.Flatten(), nn.Linear(n_features, n_out))",
                           "nn.Flatten(), nn.Linear(n_features, 16), nn.ReLU(), nn.Linear(16, n_out))"))
    text = failure(checks_replace_head.check_replace_head_average_pool_linear, FakeContext(module))
    assert "an extra trainable layer in the head" in text


def test_count_params_slips_are_named_from_the_counts_of_the_common_mistakes():
    wrong = tasks_probes._wrong_counts(tasks_probes._count_models()["shared"])
    assert wrong["shared_twice"][0] == 36 + 36 + 6 + 6 and wrong["tensors"][0] == 3
    module = edited(Mutant("twice", "    return sum(p.numel() for p in model.parameters() if p.requires_grad or not "
                                    "trainable_only)",
                           "    return sum(p.numel() for m in model.modules() for p in m.parameters(recurse=False)\n"
                           "               if p.requires_grad or not trainable_only)"))
    text = failure(check_fn("count_params: shared weights counted once"), FakeContext(module))
    assert "is 84; expected 48" in text and "counted twice" in text


def test_a_frozen_base_whose_batchnorm_follows_model_train_is_reported_with_both_symptoms():
    module = edited(Mutant("once", tasks_freeze_bn(), "    module.eval()\n"))
    text = failure(checks_freeze.check_freeze_batchnorm_inference, FakeContext(module))
    assert "running statistics changed by up to" in text and "module.eval() once is not enough" in text


def tasks_freeze_bn():
    from graders.assignments.transfer_torch.slips import _FREEZE_BN

    return _FREEZE_BN


def _canned_run(head=0.9, fine=0.95, trainable_head=325, trainable_fine=325 + 18624, drift=0.0):
    return {"head_accuracy": head, "fine_accuracy": fine, "base_drift": drift, "trainable_head": trainable_head,
            "trainable_fine": trainable_fine, "n_test": 269}


def test_a_trained_check_reports_the_value_the_bound_and_the_counts_per_layer(monkeypatch):
    from graders.assignments.transfer_torch import checks_trained

    name = CHECK_FINE["5 classes"]
    t = declared()[name].for_dataset(data_set("5 classes"))
    monkeypatch.setattr(checks_trained, "transfer_run",
                        lambda ctx, key: _canned_run(fine=t.bound - 0.01, trainable_fine=325))
    ctx = FakeContext(REF)
    text = failure(check_fn(name), ctx)
    assert f"{t.bound - 0.01:.4f} is below the calibrated bound" in text and t.describe() in text
    assert "expected trainable" in text and "18496" in text  # the per-layer table
    assert "does not use `base` itself" in text  # unfreeze_from alone is right: the model holds a copy
    assert ctx.calls == ["layer_counts"]


def test_training_gets_no_held_out_rows_and_the_evaluation_no_labels():
    from graders.assignments.transfer_torch import checks_trained

    seen = {}

    class Spy(FakeContext):
        def task(self, name, **kwargs):
            seen[name] = kwargs
            return super().task(name, **kwargs)

        def _fresh(self, name, **kwargs):
            seen.setdefault("fresh", []).append(kwargs)
            return super()._fresh(name, **kwargs)

    ctx = Spy(REF)
    note = check_fn(CHECK_HEAD["5 vs 9"])(ctx)
    check_fn(CHECK_FINE["5 vs 9"])(ctx)
    assert ctx.calls == ["transfer_train", "fresh:transfer_logits", "fresh:transfer_logits"]  # one shared run
    assert "Passed" in note
    draw = data.secret_draw(FakeSession.secret, "5 vs 9")
    train_rows = {row.tobytes() for row in seen["transfer_train"]["X_train"]}
    assert not any(row.tobytes() in train_rows for row in draw["X_test"])
    assert set(seen["transfer_train"]) >= {"X_train", "y_train"} and "X_test" not in seen["transfer_train"]
    for kwargs in seen["fresh"]:
        assert set(kwargs) == {"weights", "n_classes", "state", "X"}
        np.testing.assert_array_equal(kwargs["X"], draw["X_test"])
    assert checks_trained.accuracy(np.array([[1.0], [-1.0], [np.nan]]), np.array([9, 5, 5]), (5, 9)) == \
        pytest.approx(2 / 3)


def test_the_secret_draw_changes_the_split_and_the_seed_with_the_secret():
    a = data.secret_draw(fixed_secret("one", "transfer_torch"), "5 classes")
    b = data.secret_draw(fixed_secret("two", "transfer_torch"), "5 classes")
    assert a["seed"] != b["seed"] and not np.array_equal(a["y_test"], b["y_test"])
    again = data.secret_draw(fixed_secret("one", "transfer_torch"), "5 classes")
    assert again["seed"] == a["seed"] and np.array_equal(again["X_test"], a["X_test"])
    n = len(a["y_train"]) + len(a["y_test"])
    assert len(a["y_test"]) == round(0.3 * n)


# ------------------------------------------------------------------ a real grade


def test_odd_return_values_get_feedback_not_internal_errors(tmp_path):
    source = (SOURCE
              .replace("    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)",
                       "    sum(p.numel() for p in model.parameters())")  # forgets the return
              .replace("    return nn.Sequential(base, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(n_features, n_out))",
                       "    nn.Sequential(base, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(n_features, n_out))"))
    path = tmp_path / "submission.py"
    path.write_text(source, encoding="utf-8")
    report = grade(str(path), ASSIGNMENT, select=lambda n: n.startswith(("count_params: every", "replace_head: one")))
    outputs = {t.name: t.output for t in report.tests}
    assert len(outputs) == 2 and not any(t.passed for t in report.tests)
    assert "count_params(model) returned NoneType None; expected an int" in outputs["count_params: every parameter, as scalars"]
    assert "returned NoneType; expected an nn.Module" in outputs["replace_head: one output for two classes"]
    assert not any("internal error" in o for o in outputs.values())


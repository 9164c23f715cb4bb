"""Separate evaluation processes: ctx.fresh_task and ctx.fresh_sandbox run in a new sandbox of
the submission that nothing of the grade's main sandbox (or an earlier fresh one) reaches, and
evaluation.apply runs a contract class with the grader's state_dict (the sandbox is real)."""

from __future__ import annotations

import numpy as np

from graders.engine import evaluation, raw_outputs
from graders.engine.assignment import Assignment
from graders.engine.checks import Check
from graders.engine.runner import grade
from graders.sandbox.limits import Limits

TASKS = '''
import os


def task_remember(sub, value):
    sub.REMEMBERED = value
    return os.getpid()


def task_recall(sub):
    return [getattr(sub, "REMEMBERED", None), os.getpid()]
'''

SUBMISSION = '''
import torch
from torch import nn

STASH = []


class Halver(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.scale = nn.Linear(n, n, bias=False)

    def encode(self, x):
        STASH.append(x)  # what a cheat would keep for decode
        return self.scale(x)

    def decode(self, code):
        return STASH[-1] if STASH else code


class NoDecode(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.scale = nn.Linear(n, n, bias=False)

    def encode(self, x):
        return self.scale(x)
'''


def _assignment(tmp_path, checks, preload=("numpy",)) -> Assignment:
    tasks = tmp_path / "tasks.py"
    tasks.write_text(TASKS, encoding="utf-8")
    ref = tmp_path / "reference.py"
    ref.write_text(SUBMISSION, encoding="utf-8")
    return Assignment(id="tiny_eval", title="fresh sandboxes", contract=("Halver",),
                      checks=lambda options: iter(checks), reference=ref, preload=preload,
                      tasks=(evaluation.TORCH_TASKS, tasks),
                      limits=Limits(cpu_s=120, memory_mb=4096, startup_s=60))


def test_a_fresh_task_sees_nothing_the_main_sandbox_or_an_earlier_fresh_one_kept(tmp_path):
    seen = {}

    def check(ctx):
        main_pid = ctx.task("remember", value=7.0)
        seen["main"] = ctx.task("recall")
        seen["fresh"] = ctx.fresh_task("recall")
        with ctx.fresh_sandbox() as box:
            box.task("remember", value=3.0)
            seen["same_box"] = box.task("recall")
        seen["after"] = ctx.fresh_task("recall")
        seen["main_pid"] = main_pid

    a = _assignment(tmp_path, [Check("Halver: fresh", check)], preload=("numpy", "torch"))
    report = grade(str(a.reference), a)
    assert report.tests[0].passed, report.tests[0].output
    assert seen["main"] == [7.0, seen["main_pid"]]
    assert seen["fresh"][0] is None and seen["fresh"][1] != seen["main_pid"]
    assert seen["same_box"][0] == 3.0
    assert seen["after"][0] is None and seen["after"][1] not in (seen["fresh"][1], seen["same_box"][1])


def test_apply_loads_the_graders_state_and_encode_and_decode_run_in_different_processes(tmp_path):
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    state = {"scale.weight": 0.5 * np.eye(3, dtype=np.float32)}
    seen = {}

    def check(ctx):
        code = evaluation.apply_one(ctx, "Halver", state, "encode", [x], (2, 3), args=[3])
        seen["code"] = code
        seen["decoded"] = evaluation.apply_one(ctx, "Halver", state, "decode",
                                               [raw_outputs.relay_float32(code)], (2, 3), args=[3])

    a = _assignment(tmp_path, [Check("Halver: apply", check)], preload=("numpy", "torch"))
    report = grade(str(a.reference), a)
    assert report.tests[0].passed, report.tests[0].output
    np.testing.assert_allclose(seen["code"], x / 2)
    np.testing.assert_allclose(seen["decoded"], x / 2)  # the stash of encode did not reach decode


def test_apply_of_a_missing_method_says_the_method_is_missing(tmp_path):
    def check(ctx):
        evaluation.apply(ctx, "NoDecode", {"scale.weight": np.eye(3)}, "decode", [np.ones((1, 3))], args=[3])

    a = _assignment(tmp_path, [Check("NoDecode: decode", check)], preload=("numpy", "torch"))
    out = grade(str(a.reference), a).tests[0]
    assert not out.passed and "NoDecode.decode is not defined" in out.output


def test_apply_of_a_state_dict_that_does_not_fit_says_so(tmp_path):
    def check(ctx):
        evaluation.apply(ctx, "Halver", {"other.weight": np.eye(3)}, "encode", [np.ones((1, 3))], args=[3])

    a = _assignment(tmp_path, [Check("Halver: state", check)], preload=("numpy", "torch"))
    out = grade(str(a.reference), a).tests[0]
    assert not out.passed and "could not evaluate your trained model" in out.output

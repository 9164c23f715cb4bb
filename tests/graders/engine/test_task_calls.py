"""graders.engine.task_calls: which task errors are put in words, replies shared within a grade,
timeouts remembered per contract object, and the replies checked."""

from __future__ import annotations

import types

import numpy as np
import pytest

from graders.engine.checks import CheckFailed
from graders.engine.shared import SharedValues
from graders.engine.task_calls import call_key, raised_around_the_submission, reply, run_task
from graders.sandbox.errors import CallTimeout, SandboxCrashed, StudentError


class FakeCtx:
    """A check's context: task calls answered by `answer`, the grade's shared values."""

    def __init__(self, answer, shared=None, check="a check"):
        self.answer = answer
        self.calls = []
        self.values = shared if shared is not None else SharedValues()
        self.check = types.SimpleNamespace(name=check)

    def task(self, name, **kwargs):
        self.calls.append((name, kwargs))
        return self.answer()

    def shared(self, key, make, *, retry=None):
        return self.values.get(key, make, retry=retry)


def _raises(exc):
    def answer():
        raise exc
    return answer


def test_run_task_passes_the_name_and_arguments_and_returns_the_reply():
    ctx = FakeCtx(lambda: {"v": 1})
    assert run_task(ctx, "forward", "Generator", z=3) == {"v": 1}
    assert ctx.calls == [("forward", {"z": 3})]


def test_an_error_of_the_graders_code_around_the_submission_is_put_in_words():
    exc = StudentError("RuntimeError", "shape '[-1, 1, 8, 8]' is invalid for input of size 10")
    assert raised_around_the_submission(exc)
    with pytest.raises(CheckFailed) as info:
        run_task(FakeCtx(_raises(exc)), "t", "Generator(8, 64)")
    text = info.value.render()
    assert "Generator(8, 64): the grader could not use your code: RuntimeError: shape" in text
    assert "a signature, a returned type or a shape other than the contract's" in text


@pytest.mark.parametrize("exc", [
    StudentError("ValueError", "bad", "File submission.py, line 3"),      # raised in the submission
    StudentError("NameError", "no Generator", missing="Generator"),        # not defined
    StudentError("NotImplementedError", ""),                               # the template's placeholder
])
def test_the_students_own_errors_stay_as_they_are(exc):
    assert not raised_around_the_submission(exc)
    with pytest.raises(StudentError) as info:
        run_task(FakeCtx(_raises(exc)), "t", "Generator")
    assert info.value is exc


def test_reply_returns_a_dict_with_the_keys_and_calls_anything_else_internal():
    assert reply({"a": 1, "b": 2}, "t", ("a",)) == {"a": 1, "b": 2}
    for value in ({"b": 2}, [("a", 1)], None):
        with pytest.raises(RuntimeError, match="t: unexpected reply from the grader's task"):
            reply(value, "t", ("a",))


def test_a_shared_call_runs_once_per_grade_and_arguments():
    ctx = FakeCtx(lambda: {"v": 1})
    x = np.arange(3.0)
    first = run_task(ctx, "forward", "f", share=True, x=x)
    assert run_task(ctx, "forward", "f", share=True, x=x.copy()) is first   # equal arguments
    run_task(ctx, "forward", "f", share=True, x=x + 1)                      # other arguments
    run_task(ctx, "forward", "f", x=x)                                      # not shared
    assert len(ctx.calls) == 3
    run_task(FakeCtx(ctx.answer), "forward", "f", share=True, x=x)          # another grade
    assert len(ctx.calls) == 3


def test_a_shared_calls_timeout_is_raised_again_and_a_crash_is_not_remembered():
    timeout = FakeCtx(_raises(CallTimeout("too slow")))
    for _ in range(2):
        with pytest.raises(CallTimeout):
            run_task(timeout, "train", "f", share=True)
    assert len(timeout.calls) == 1
    crash = FakeCtx(_raises(SandboxCrashed("CPU time")))
    for _ in range(2):
        with pytest.raises(SandboxCrashed):
            run_task(crash, "train", "f", share=True)
    assert len(crash.calls) == 2


def test_after_a_timeout_calls_needing_the_same_object_fail_at_once_in_that_grade_only():
    shared = SharedValues()
    with pytest.raises(CallTimeout):
        run_task(FakeCtx(_raises(CallTimeout("too slow")), shared, "dense: train"), "train", "Dense",
                 objects=("Dense",))
    later = FakeCtx(lambda: {"v": 1}, shared)
    with pytest.raises(CheckFailed, match="`Dense` did not finish in time in an earlier check .'dense: train'."):
        run_task(later, "inspect", "Dense", objects=("Dense", "add_noise"))
    assert later.calls == []
    assert run_task(later, "noise", "add_noise", objects=("add_noise",)) == {"v": 1}
    assert run_task(FakeCtx(lambda: {"v": 2}), "inspect", "Dense", objects=("Dense",)) == {"v": 2}


def test_call_keys_tell_arrays_with_the_same_repr_apart():
    a = np.zeros((2000, 64))
    b = a.copy()
    b[1000, 30] = 1.0
    assert repr(a) == repr(b)
    assert call_key({"x": a}) != call_key({"x": b})
    assert call_key({"x": a, "n": 3}) == call_key({"n": 3, "x": a.copy()})

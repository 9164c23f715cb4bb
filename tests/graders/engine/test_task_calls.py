"""graders.engine.task_calls: which task errors are put in words, the replies checked, and runs
shared within a grade."""

from __future__ import annotations

import gc
import weakref

import pytest

from graders.engine.checks import CheckFailed
from graders.engine.task_calls import SharedRuns, raised_around_the_submission, reply, run_task
from graders.sandbox.errors import CallTimeout, SandboxCrashed, StudentError


class FakeCtx:
    def __init__(self, answer):
        self.answer = answer
        self.calls = []

    def task(self, name, **kwargs):
        self.calls.append((name, kwargs))
        return self.answer()


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


class Session:
    """A grade's session: SharedRuns only needs it to be weakly referenceable."""


class Ctx:
    def __init__(self, session):
        self.session = session


def _counting(result):
    calls = []

    def run():
        calls.append(1)
        if isinstance(result, BaseException):
            raise result
        return result
    return run, calls


def test_a_shared_run_runs_once_per_grade_and_key():
    runs, session = SharedRuns(), Session()
    run, calls = _counting({"loss": 1.0})
    assert runs.once(Ctx(session), "train", run) is runs.once(Ctx(session), "train", run)
    assert len(calls) == 1
    runs.once(Ctx(session), ("train", 2), run)        # another key
    runs.once(Ctx(Session()), "train", run)           # another grade
    SharedRuns().once(Ctx(session), "train", run)     # another module's runs
    assert len(calls) == 4


@pytest.mark.parametrize("exc", [CheckFailed("bad reply"), StudentError("ValueError", "bad"),
                                 CallTimeout("too slow"), SandboxCrashed("gone")])
def test_a_shared_runs_failure_is_raised_again_without_running_again(exc):
    runs, ctx = SharedRuns(), Ctx(Session())
    run, calls = _counting(exc)
    for _ in range(2):
        with pytest.raises(type(exc)) as info:
            runs.once(ctx, "train", run)
        assert info.value is exc
    assert len(calls) == 1


def test_any_other_error_is_not_remembered():
    runs, ctx = SharedRuns(), Ctx(Session())
    run, calls = _counting(RuntimeError("the grader's own bug"))
    for _ in range(2):
        with pytest.raises(RuntimeError):
            runs.once(ctx, "train", run)
    assert len(calls) == 2


def test_a_grades_runs_are_forgotten_with_its_session():
    runs, session = SharedRuns(), Session()
    result = weakref.ref(runs.once(Ctx(session), "train", Session))
    assert result() is not None
    del session
    gc.collect()
    assert result() is None

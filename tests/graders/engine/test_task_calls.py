"""graders.engine.task_calls: which task errors are put in words, and the replies checked."""

from __future__ import annotations

import pytest

from graders.engine.checks import CheckFailed
from graders.engine.task_calls import raised_around_the_submission, reply, run_task
from graders.sandbox.errors import StudentError


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

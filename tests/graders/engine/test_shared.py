"""graders.engine.shared: a value made once per key, its failure remembered unless retried."""

from __future__ import annotations

import pytest

from graders.engine.checks import CheckFailed
from graders.engine.shared import SharedValues
from graders.sandbox.errors import CallTimeout, SandboxCrashed, StudentError


def _counting(result):
    calls = []

    def make():
        calls.append(1)
        if isinstance(result, BaseException):
            raise result
        return result
    return make, calls


def test_a_shared_value_is_made_once_per_key():
    shared = SharedValues()
    make, calls = _counting({"loss": 1.0})
    assert shared.get("train", make) is shared.get("train", make)
    assert len(calls) == 1
    shared.get(("train", 2), make)     # another key
    SharedValues().get("train", make)  # another grade's values
    assert len(calls) == 3


@pytest.mark.parametrize("exc", [CheckFailed("bad reply"), StudentError("ValueError", "bad"),
                                 CallTimeout("too slow"), SandboxCrashed("gone")])
def test_a_failure_is_raised_again_without_making_again(exc):
    shared = SharedValues()
    make, calls = _counting(exc)
    for _ in range(2):
        with pytest.raises(type(exc)) as info:
            shared.get("train", make)
        assert info.value is exc
    assert len(calls) == 1


def test_a_failure_retry_accepts_is_raised_and_made_again_next_time():
    shared = SharedValues()
    make, calls = _counting(SandboxCrashed("the sandbox's CPU time ran out"))
    for _ in range(2):
        with pytest.raises(SandboxCrashed):
            shared.get("train", make, retry=lambda exc: isinstance(exc, SandboxCrashed))
    assert len(calls) == 2


def test_any_other_error_is_not_remembered():
    shared = SharedValues()
    make, calls = _counting(RuntimeError("the grader's own bug"))
    for _ in range(2):
        with pytest.raises(RuntimeError):
            shared.get("train", make)
    assert len(calls) == 2


def test_a_mutable_value_is_per_grade_state():
    shared = SharedValues()
    shared.get("timed out", dict)["train"] = "'train: history'"
    assert shared.get("timed out", dict) == {"train": "'train: history'"}
    assert SharedValues().get("timed out", dict) == {}

"""properties: derandomised Hypothesis checks with a shrunk counterexample in the feedback."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.errors import FlakyFailure

from graders.engine.checks import CheckFailed
from graders.engine.properties import check_property, floats_array, matrix_shapes, render_example
from graders.sandbox.errors import CallTimeout, SandboxCrashed, StudentError


def _no_entry_above_five(z):
    if np.any(z > 5):
        raise CheckFailed("an entry is above 5.")


def _failure(prop, *strategies, **kwargs) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        check_property(prop, *strategies, **kwargs)
    return info.value


def test_a_true_property_passes():
    seen = []

    def prop(z):
        seen.append(z.shape)
        if np.any(np.abs(z) > 10):
            raise CheckFailed("out of range")

    assert check_property(prop, floats_array(matrix_shapes(), -10.0, 10.0), max_examples=20) is None
    assert len(seen) >= 10
    assert all(1 <= n <= 6 and 1 <= d <= 6 for n, d in seen)


def test_a_false_property_fails_with_the_smallest_counterexample():
    exc = _failure(_no_entry_above_five, floats_array(matrix_shapes(), -10.0, 10.0))
    assert exc.summary == "an entry is above 5."
    assert exc.details == "Smallest failing input found: [[6.]]"


def test_the_counterexample_is_the_same_on_every_run():
    strategy = floats_array(matrix_shapes(), -10.0, 10.0)
    first = _failure(_no_entry_above_five, strategy).details
    second = _failure(_no_entry_above_five, strategy).details
    assert first == second


def test_examples_drawn_are_the_same_on_every_run():
    runs = []
    for _ in range(2):
        seen = []
        check_property(lambda x: seen.append(x), st.integers(0, 10 ** 9), max_examples=15)
        runs.append(seen)
    assert runs[0] == runs[1]


def test_the_counterexample_is_shrunk_to_a_small_input():
    def prop(n, z):
        if n > 3 and z.size > 2:
            raise CheckFailed("fails on larger inputs.")

    shrunk = []

    def recording(n, z):
        try:
            prop(n, z)
        except CheckFailed:
            shrunk.append((n, z))
            raise

    exc = _failure(recording, st.integers(0, 1000), floats_array(matrix_shapes(), -1.0, 1.0))
    n, z = shrunk[-1]
    assert n == 4 and z.size == 3  # the smallest n and array that still fail
    assert exc.details == "Smallest failing input found: " + render_example((n, z))


def test_counterexample_is_appended_to_existing_details():
    def prop(x):
        if x > 2:
            raise CheckFailed("too big.", details="Inputs: x")

    exc = _failure(prop, st.integers(0, 100))
    assert exc.details == "Inputs: x\nSmallest failing input found: 3"


def test_student_error_becomes_check_failed_with_the_exception():
    def prop(x):
        if x >= 7:
            raise StudentError("ZeroDivisionError", "division by zero", "line 3, in f")

    exc = _failure(prop, st.integers(0, 50))
    assert exc.summary.startswith("your code raised an exception on this input: "
                                  "ZeroDivisionError: division by zero")
    assert exc.details == "Smallest failing input found: 7"


def test_a_sandbox_crash_is_re_raised_as_is():
    crash = CallTimeout("calling relu")

    def prop(x):
        raise crash

    with pytest.raises(SandboxCrashed) as info:
        check_property(prop, st.integers())
    assert info.value is crash


def test_floats_array_respects_bounds_shape_and_kinks():
    seen = []

    def prop(z):
        seen.append(z)

    check_property(prop, floats_array((3, 2), -3.0, 3.0, avoid=(0.0, 2.5), margin=0.1), max_examples=25)
    for z in seen:
        assert z.shape == (3, 2) and z.dtype == np.float64
        assert np.all((z >= -3) & (z <= 3))
        assert np.all(np.abs(z) > 0.1) and np.all(np.abs(z - 2.5) > 0.1)


def test_render_example_shows_arrays_and_other_values():
    assert render_example((np.array([[1.0, 2.5]]), 3, "a")) == "[[1. , 2.5]], 3, 'a'"


def test_a_nondeterministic_failure_is_reported_as_check_failed():
    calls = []

    def prop(x):
        calls.append(x)
        if len(calls) == 1:
            raise CheckFailed("wrong the first time only.")

    _failure(prop, st.floats(0, 1))


def test_hypothesis_home_is_the_configured_storage_or_the_user_cache_never_the_working_directory(
        monkeypatch, tmp_path):
    from graders.engine.properties import hypothesis_home

    monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", str(tmp_path / "configured"))
    assert hypothesis_home() == tmp_path / "configured"
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert hypothesis_home() == tmp_path / "cache" / "dlgrade" / "hypothesis"


def test_a_grade_with_property_checks_leaves_the_working_directory_empty(tmp_path):
    # a fresh interpreter: Hypothesis writes its caches on first use in a process
    import os
    import subprocess
    import sys

    work, cache = tmp_path / "work", tmp_path / "cache"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    env["XDG_CACHE_HOME"] = str(cache)
    code = ("import graders.assignments as a; from graders.engine.runner import grade; "
            "g = a.get('numpy_basics'); r = grade(str(g.reference), g); "
            "assert r.score == r.max_score, r; "
            "assert any(t.kind == 'property' for t in r.tests)")
    subprocess.run([sys.executable, "-c", code], cwd=work, env=env, check=True, timeout=300)
    assert sorted(p.name for p in work.iterdir()) == []

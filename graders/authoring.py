"""The public authoring API: everything a course's graders import, from one module.

    from graders.authoring import Assignment, Check, Kind, assert_close, assert_gradient, ...

What is not named here is private to dlgrade and may change between releases; what is named
here keeps its name and signature. docs/authoring.md is the tutorial and the reference.

An assignment folder (`COURSE/<id>/`) defines `ASSIGNMENT = Assignment(...)` in its
`__init__.py`; its `checks` generator yields `Check`s; each check is a function `run(ctx)`
that calls the submission through `ctx` (a `Context`, below), compares what came back with
the reference in the grader's own process, and raises `CheckFailed` with what was expected,
what came back, where, by how much and the likely slip. The submission never runs in the
grader's process: `ctx.call` sends plain data (numbers, float64 arrays, strings, lists,
dicts) to a sandbox and gets plain data back.

Declaring
    Assignment, Limits, Check, Kind, Visibility, CheckFailed, Picture, option_value,
    TORCH_TASKS (the engine's shared PyTorch task file, for `Assignment.tasks`)
Calling the submission (the `Context` a check receives; `Handle`)
    ctx.call(name, *args, method=None, **kwargs)   call a contract function (or a method of a
                                                   returned object, a `Handle`) in the sandbox
    ctx.call_echo(name, *args, **kwargs)           (value, args_after, kwargs_after): what it changed
    ctx.task(name, **kwargs)                       run task_<name>(submission, ...) of tasks.py
    ctx.fresh_task / ctx.fresh_sandbox()           the same in a fresh process of the submission
    ctx.shared(key, make)                          make() once per grade, shared by the checks
    ctx.rng                                        a NumPy Generator seeded by the check's name
    ctx.secret_seed(purpose) / ctx.secret_split(n, n_heldout)   from the course secret
    ctx.attach(title, picture)                     a Picture (or PNG bytes) for the HTML reports
    ctx.options                                    the grade's options (Assignment.options merged)
Validating what came back
    expect_array, expect_scalar, expect_sequence, expect_array_dict, describe_value
Comparing values (one tolerance table, torch.testing-style messages)
    TOLERANCES, Tolerance, assert_close, assert_scalar_close, check_array_values,
    check_inputs_unchanged, inputs_unchanged_check, assert_unchanged, away_from,
    render_inputs, fmt
Gradient checks (directional probes, per-entry localisation, slip diagnosis)
    assert_gradient, check_gradient, GradientVerdict, directional_probe, numeric_entries,
    describe_spread, diagnose, match_known, describe_ratio, best_ratio
Property checks (Hypothesis, derandomised, the smallest failing input reported)
    check_property, floats_array, matrix_shapes, strategies
Symbolic answers (SymPy behind a restricted parser)
    AnswerSpec, AnswerSlip, AnswerVerdict, check_answer, assert_answer, equivalent, parse_answer
Trained thresholds (declared once, calibrated numbers in thresholds.json: `dlgrade calibrate`)
    TrainedCheck, TrainedGroup, with_calibration, Calibration, CalibrationError, STANDARD_RUNS,
    GRADED_RUNS, Threshold, calibrate_threshold, derived_bound, format_thresholds
Named slips
    Mutant
"""

from __future__ import annotations

from hypothesis import strategies

from graders.engine.assignment import Assignment, option_value
from graders.engine.checks import Check, CheckFailed, Kind, Picture, Visibility
from graders.engine.common import (
    assert_unchanged,
    away_from,
    check_array_values,
    check_inputs_unchanged,
    inputs_unchanged_check,
    render_inputs,
)
from graders.engine.compare import TOLERANCES, Tolerance, assert_close, assert_scalar_close, fmt
from graders.engine.evaluation import TORCH_TASKS
from graders.engine.expect import array as expect_array
from graders.engine.expect import array_dict as expect_array_dict
from graders.engine.expect import describe_value
from graders.engine.expect import scalar as expect_scalar
from graders.engine.expect import sequence as expect_sequence
from graders.engine.gradcheck import (
    GradientVerdict,
    assert_gradient,
    check_gradient,
    describe_spread,
    directional_probe,
    numeric_entries,
)
from graders.engine.mutants import Mutant
from graders.engine.properties import check_property, floats_array, matrix_shapes
from graders.engine.runner import Context
from graders.engine.slips import best_ratio, describe_ratio, diagnose, match_known
from graders.engine.thresholds import Threshold, derived_bound
from graders.engine.thresholds import calibrate as calibrate_threshold
from graders.engine.thresholds import format_table as format_thresholds
from graders.engine.trained_checks import (
    GRADED_RUNS,
    STANDARD_RUNS,
    Calibration,
    CalibrationError,
    TrainedCheck,
    TrainedGroup,
    with_calibration,
)
from graders.sandbox.limits import Limits
from graders.sandbox.wire import Handle
from graders.symbolic import Slip as AnswerSlip
from graders.symbolic import Spec as AnswerSpec
from graders.symbolic import Verdict as AnswerVerdict
from graders.symbolic import check as check_answer
from graders.symbolic import equivalent, parse_answer


def assert_answer(answer, spec: AnswerSpec, what: str) -> str:
    """Judge one answer (plain data the submission returned: a number, text, a list, SymPy's
    `srepr` text) against its key entry `spec`, raising `CheckFailed` with the verdict's
    feedback when it is wrong; the verdict's message when it is right.

    The answer text is read only by the restricted parser (never `eval` or `sympify`). A check
    of kind `Kind.SYMBOLIC` has the expected answer withheld from the student's feedback unless
    the grade's options say `reveal_answers`.

        spec = AnswerSpec(expected=sympy.sympify("s*(1 - s)"), kind="expr", symbols={"s": s})
        assert_answer(ctx.call("derivative_formula"), spec, "derivative_formula()")
    """
    verdict = check_answer(spec, answer, what)
    if not verdict.passed:
        if verdict.fields:
            raise CheckFailed(**verdict.fields)
        raise CheckFailed(f"{what}: {verdict.message}", slip=verdict.slip)
    return verdict.message


# Every public name, grouped as in docs/authoring.md (a test keeps the two in step).
__all__ = [
    # declaring an assignment and its checks
    "Assignment", "Limits", "option_value", "Check", "Kind", "Visibility", "CheckFailed", "Picture",
    "Context", "Handle", "TORCH_TASKS",
    # validating what came back
    "expect_array", "expect_scalar", "expect_sequence", "expect_array_dict", "describe_value",
    # comparing values
    "TOLERANCES", "Tolerance", "assert_close", "assert_scalar_close", "check_array_values",
    "check_inputs_unchanged", "inputs_unchanged_check", "assert_unchanged", "away_from",
    "render_inputs", "fmt",
    # gradient checks and slip diagnosis
    "assert_gradient", "check_gradient", "GradientVerdict", "directional_probe", "numeric_entries",
    "describe_spread", "diagnose", "match_known", "describe_ratio", "best_ratio",
    # property checks
    "check_property", "floats_array", "matrix_shapes", "strategies",
    # symbolic answers
    "AnswerSpec", "AnswerSlip", "AnswerVerdict", "check_answer", "assert_answer", "equivalent",
    "parse_answer",
    # trained thresholds
    "TrainedCheck", "TrainedGroup", "with_calibration", "Calibration", "CalibrationError", "STANDARD_RUNS",
    "GRADED_RUNS", "Threshold",
    "calibrate_threshold", "derived_bound", "format_thresholds",
    # named slips
    "Mutant",
]

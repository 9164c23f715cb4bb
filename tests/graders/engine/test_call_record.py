"""The record of a grade's calls: digests that tell programs apart by their replies only."""

from __future__ import annotations

import numpy as np

from graders.engine.call_record import CallRecorder, first_difference
from graders.sandbox.errors import StudentError


def _record(*replies, sent=("x",)) -> CallRecorder:
    recorder = CallRecorder()
    for reply in replies:
        if isinstance(reply, BaseException):
            recorder.add("f: check", "f", sent, error=reply)
        else:
            recorder.add("f: check", "f", sent, reply)
    return recorder


def test_equal_replies_give_equal_records_and_different_replies_different_ones():
    a = np.linspace(-3, 3, 12).reshape(3, 4)
    assert _record(a, 1.5, (2, "s")).fingerprint() == _record(a.copy(), 1.5, (2, "s")).fingerprint()
    assert _record(a, 1.5).fingerprint() != _record(a * (1 + 1e-9), 1.5).fingerprint()
    assert _record(a).fingerprint() != _record(a.T).fingerprint()  # same values, another shape
    assert _record(a).fingerprint() != _record(a, sent=("y",)).fingerprint()


def test_floats_equal_to_about_12_digits_digest_alike():
    a = np.array([0.1 + 0.2, 1e300, -2.5e-300, 0.0, 1.0])
    assert _record(a).fingerprint() == _record(np.array([0.3, 1e300, -2.5e-300, -0.0, 1.0 - 1e-16])).fingerprint()


def test_nan_and_the_infinities_are_kept_apart():
    records = {_record(np.array([v])).fingerprint() for v in (np.nan, np.inf, -np.inf, 0.0)}
    assert len(records) == 4


def test_an_error_counts_by_its_kind_not_its_message():
    assert (_record(StudentError("ValueError", "at 0x1")).fingerprint()
            == _record(StudentError("ValueError", "at 0x2")).fingerprint())
    assert (_record(StudentError("ValueError", "m")).fingerprint()
            != _record(StudentError("TypeError", "m")).fingerprint())


def test_the_record_is_bounded_and_its_fingerprint_covers_every_call():
    small = CallRecorder(max_calls=3)
    for i in range(10):
        small.add("f: check", "f", (), float(i))
    assert len(small.calls) == 3 and small.count == 10
    other = CallRecorder(max_calls=3)
    for i in range(10):
        other.add("f: check", "f", (), float(i) if i < 9 else 99.0)
    assert small.fingerprint() != other.fingerprint()


def test_first_difference_names_the_check_and_the_call():
    a, b = CallRecorder(), CallRecorder()
    for recorder, last in ((a, 1.0), (b, 2.0)):
        recorder.add("f: values", "f", (), 0.0)
        recorder.add("g: values", "g", (), last)
    assert first_difference(a.summary(), a.summary()) is None
    assert first_difference(a.summary(), b.summary()) == "g: values: g"


def _numpy_basics_checks(prefix):
    from graders import assignments

    return assignments.get("numpy_basics"), (lambda name: name.startswith(prefix))


def test_a_grade_records_every_call_of_its_checks_the_same_way_each_time():
    from graders.engine.runner import grade

    a, select = _numpy_basics_checks("sigmoid")
    records = []
    for _ in range(2):
        recorder = CallRecorder()
        report = grade(str(a.reference), a, select=select, record_calls=recorder)
        assert report.score == report.max_score
        records.append(recorder)
    assert records[0].count > len(report.tests) and records[0].fingerprint() == records[1].fingerprint()
    assert set(records[0].by_check()) == {t.name for t in report.tests}


def test_stop_at_first_failure_runs_no_check_after_the_first_that_fails(tmp_path):
    from graders.engine.runner import grade

    a, select = _numpy_basics_checks("")
    broken = a.reference.read_text(encoding="utf-8").replace("return dout * (z > 0)", "return dout")
    path = tmp_path / "submission.py"
    path.write_text(broken, encoding="utf-8")
    report = grade(str(path), a, stop_at_first_failure=True)
    assert [t.passed for t in report.tests][-1] is False and all(t.passed for t in report.tests[:-1])
    assert report.tests[-1].name.startswith("relu_backward:") and len(report.tests) < len(a.all_checks())


def test_a_tasks_measurements_of_time_are_left_out():
    a, b = CallRecorder(), CallRecorder()
    a.add("train: accuracy", "task train_timed", {}, {"result": 0.75, "cpu_s": 3.2})
    b.add("train: accuracy", "task train_timed", {}, {"result": 0.75, "cpu_s": 4.1})
    assert a.fingerprint() == b.fingerprint()
    b.add("train: accuracy", "task train_timed", {}, {"result": 0.5, "cpu_s": 3.2})
    a.add("train: accuracy", "task train_timed", {}, {"result": 0.75, "cpu_s": 3.2})
    assert a.fingerprint() != b.fingerprint()

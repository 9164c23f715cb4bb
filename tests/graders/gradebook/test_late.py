"""Late policies: the penalty per day late, grace, the cut-off; times from Gradescope and CSVs."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from graders.gradebook.late import (LatePolicy, LatePolicyError, gradescope_times, load_policies, policy_for,
                                    times_from_csv)

DUE = datetime(2026, 10, 2, 23, 59, tzinfo=timezone.utc)
POLICY = LatePolicy(DUE, percent_per_day=10, grace_minutes=15, max_days=3)


@pytest.mark.parametrize("late, points", [(timedelta(minutes=-5), 0.0), (timedelta(minutes=10), 0.0),
                                          (timedelta(minutes=16), 4.0), (timedelta(hours=30), 8.0),
                                          (timedelta(days=3, minutes=10), 12.0), (timedelta(days=5), 40.0)])
def test_penalty_is_a_percentage_per_started_day_after_grace_and_everything_after_the_cut_off(late, points):
    deducted, why = POLICY.penalty(DUE + late, 40.0)
    assert deducted == points
    assert (why == "") == (points == 0.0)


def test_the_reason_says_when_it_was_due_how_late_and_what_was_deducted():
    _, why = POLICY.penalty(DUE + timedelta(hours=30), 40.0)
    assert "due 2026-10-02T23:59+00:00" in why and "2 days late" in why and "-20% = -8 points" in why
    _, why = POLICY.penalty(DUE + timedelta(days=5), 40.0)
    assert "more than 3 days late: no credit" in why


def test_gradescope_metadata_gives_the_submission_time_and_the_due_date(tmp_path):
    meta = tmp_path / "submission_metadata.json"
    meta.write_text(json.dumps({"id": 1, "created_at": "2026-10-03T10:00:00.000000-07:00",
                                "assignment": {"due_date": "2026-10-02T23:00:00.000000-07:00", "late_due_date": None},
                                "users": [{"email": "s@example.com", "id": 1, "name": "S"}]}))
    submitted, due = gradescope_times(meta)
    assert submitted - due == timedelta(hours=11)
    policy = LatePolicy.from_dict({"due": "gradescope", "percent_per_day": 25})
    assert policy.penalty(submitted, 10.0, due=due)[0] == 2.5
    assert gradescope_times(tmp_path / "missing.json") == (None, None)


def test_policies_and_times_files_are_read_and_bad_ones_refused(tmp_path):
    f = tmp_path / "late.json"
    f.write_text(json.dumps({"hw1": {"due": "2026-10-02T23:59:00"}, "*": {"due": "2026-11-01T00:00:00Z"}}))
    policies = load_policies(f)
    assert policy_for(policies, "hw1").due == DUE and policy_for(policies, "other").due.month == 11
    f.write_text(json.dumps({"due": "tomorrow"}))
    with pytest.raises(LatePolicyError, match="ISO 8601"):
        load_policies(f)
    with pytest.raises(LatePolicyError, match="unknown late policy keys: penalty"):
        LatePolicy.from_dict({"due": "2026-10-02T23:59:00", "penalty": 5})
    times = tmp_path / "times.csv"
    times.write_text("student,submitted_at\nalice,2026-10-03T01:00:00+00:00\n")
    assert times_from_csv(times)["alice"] - DUE == timedelta(minutes=61)
    times.write_text("name,time\nalice,x\n")
    with pytest.raises(LatePolicyError, match="student and submitted_at"):
        times_from_csv(times)

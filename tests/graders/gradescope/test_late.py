"""The Gradescope late-policy hook: times from submission_metadata.json, the penalty in results.json."""

from __future__ import annotations

import json
import zipfile

from graders.gradescope.bundle import build_bundle
from graders.gradescope.run import apply_late_policy

METADATA = {"id": 1, "created_at": "2026-10-03T10:00:00.000000-07:00", "submission_method": "upload",
            "assignment": {"due_date": "2026-10-02T23:00:00.000000-07:00", "late_due_date": None,
                           "title": "HW1", "total_points": "46.0"},
            "users": [{"email": "s@example.com", "id": 1, "name": "S"}], "previous_submissions": []}


def results() -> dict:
    return {"score": 40.0, "output": "dlgrade 0.1.0: numpy_basics", "tests": []}


def test_a_late_submission_loses_its_penalty_and_the_output_says_why(tmp_path):
    (tmp_path / "submission_metadata.json").write_text(json.dumps(METADATA))
    config = {"late_policy": {"due": "gradescope", "percent_per_day": 10}}
    data = apply_late_policy(results(), tmp_path, config)
    assert data["score"] == 36.0
    assert "Late penalty: submitted 2026-10-03T10:00-07:00, due 2026-10-02T23:00-07:00" in data["output"]
    assert "1 day late, 10% per day late: -10% = -4 points" in data["output"]


def test_on_time_or_without_a_policy_nothing_changes(tmp_path):
    (tmp_path / "submission_metadata.json").write_text(json.dumps(METADATA))
    assert apply_late_policy(results(), tmp_path, {}) == results()
    on_time = {"late_policy": {"due": "2026-10-05T00:00:00Z"}}
    assert apply_late_policy(results(), tmp_path, on_time) == results()


def test_without_metadata_the_output_says_no_penalty_could_be_computed(tmp_path):
    data = apply_late_policy(results(), tmp_path, {"late_policy": {"due": "2026-10-01T00:00:00Z"}})
    assert data["score"] == 40.0 and "submission time was not available" in data["output"]


def test_the_bundle_carries_the_late_policy(tmp_path):
    out = build_bundle("numpy_basics", tmp_path / "b.zip", late_policy={"due": "gradescope", "percent_per_day": 5})
    with zipfile.ZipFile(out) as zf:
        config = json.loads(zf.read("dlgrade_autograder.json"))
    assert config["late_policy"] == {"due": "gradescope", "percent_per_day": 5}

"""Late policies: a due date and a penalty rule, and where submission times come from.

A policy is JSON, one per assignment (a course file maps assignment ids to policies):

    {"due": "2026-10-02T23:59:00+02:00", "percent_per_day": 10, "grace_minutes": 15, "max_days": 5}

A submission later than `due` + `grace_minutes` loses `percent_per_day` percent of its score
for each day or part of a day late (late by 1 minute = 1 day); later than `max_days` days it
loses everything. `"due": "gradescope"` takes the due date Gradescope records for the
assignment (its `submission_metadata.json`).

Times come from Gradescope's `submission_metadata.json` (`created_at`), or in batch mode
from a CSV (`student,submitted_at`, ISO 8601) or the submission file's modification time.
A time without a zone is read as UTC.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

DAY = timedelta(days=1)


class LatePolicyError(ValueError):
    """A late policy or a times file that cannot be read: a usage error."""


def parse_time(text: str) -> datetime:
    try:
        t = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise LatePolicyError(f"not an ISO 8601 time: {text!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class LatePolicy:
    due: datetime | None  # None: Gradescope's due date, given to `penalty`
    percent_per_day: float = 10.0
    grace_minutes: float = 0.0
    max_days: int | None = None

    @classmethod
    def from_dict(cls, data: dict) -> LatePolicy:
        if not isinstance(data, dict) or "due" not in data:
            raise LatePolicyError('a late policy needs a "due" time, e.g. {"due": "2026-10-02T23:59:00+02:00"}')
        unknown = set(data) - {"due", "percent_per_day", "grace_minutes", "max_days"}
        if unknown:
            raise LatePolicyError(f"unknown late policy keys: {', '.join(sorted(unknown))}")
        due = None if data["due"] == "gradescope" else parse_time(data["due"])
        try:
            policy = cls(due, float(data.get("percent_per_day", 10.0)), float(data.get("grace_minutes", 0.0)),
                         None if data.get("max_days") is None else int(data["max_days"]))
        except (TypeError, ValueError) as exc:
            raise LatePolicyError(f"late policy: {exc}") from None
        if not 0 <= policy.percent_per_day <= 100 or policy.grace_minutes < 0 or (policy.max_days or 0) < 0:
            raise LatePolicyError("late policy: percent_per_day in [0, 100], grace_minutes and max_days >= 0")
        return policy

    def to_dict(self) -> dict:
        return {"due": self.due.isoformat() if self.due else "gradescope", "percent_per_day": self.percent_per_day,
                "grace_minutes": self.grace_minutes, "max_days": self.max_days}

    def penalty(self, submitted: datetime | None, score: float | None,
                due: datetime | None = None) -> tuple[float, str]:
        """(points deducted, why) for a submission at `submitted` that scored `score`."""
        due = self.due or due
        if submitted is None or due is None or score is None:
            return 0.0, ""
        late = submitted - due - timedelta(minutes=self.grace_minutes)
        if late <= timedelta(0):
            return 0.0, ""
        days = math.ceil(late / DAY)
        percent = 100.0 if self.max_days is not None and days > self.max_days \
            else min(100.0, days * self.percent_per_day)
        points = round(max(0.0, float(score)) * percent / 100.0, 6)
        rule = (f"more than {self.max_days} days late: no credit" if percent == 100.0 and self.max_days is not None
                and days > self.max_days else f"{self.percent_per_day:g}% per day late")
        why = (f"submitted {submitted.isoformat(timespec='minutes')}, due {due.isoformat(timespec='minutes')}"
               + (f" (+{self.grace_minutes:g} min grace)" if self.grace_minutes else "")
               + f": {days} day{'s' if days != 1 else ''} late, {rule}: -{percent:g}% = -{points:g} points")
        return points, why


def load_policies(path) -> dict[str, LatePolicy]:
    """{assignment id: policy} from a JSON file: {"<id>": {policy}, ...} or one policy for every assignment ("*")."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LatePolicyError(f"{path}: cannot read the late policy ({exc})") from None
    if isinstance(data, dict) and "due" in data:
        return {"*": LatePolicy.from_dict(data)}
    if not isinstance(data, dict):
        raise LatePolicyError(f"{path}: expected a JSON object")
    return {str(k): LatePolicy.from_dict(v) for k, v in data.items()}


def policy_for(policies: dict[str, LatePolicy], assignment: str) -> LatePolicy | None:
    return policies.get(assignment) or policies.get("*")


def times_from_csv(path) -> dict[str, datetime]:
    """{student: time} from a CSV with columns student and submitted_at."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise LatePolicyError(f"{path}: cannot read submission times ({exc})") from None
    if rows and not {"student", "submitted_at"} <= set(rows[0]):
        raise LatePolicyError(f"{path}: expected the columns student and submitted_at")
    return {r["student"]: parse_time(r["submitted_at"]) for r in rows if r.get("submitted_at")}


def file_time(path: Path) -> datetime:
    return datetime.fromtimestamp(Path(path).stat().st_mtime, timezone.utc)


def gradescope_times(metadata_path) -> tuple[datetime | None, datetime | None]:
    """(submitted, due) from Gradescope's submission_metadata.json; (None, None) if unreadable."""
    try:
        data = json.loads(Path(metadata_path).read_text(encoding="utf-8"))
        submitted = parse_time(data["created_at"])
    except (OSError, ValueError, KeyError, TypeError, LatePolicyError):
        return None, None
    assignment = data.get("assignment") if isinstance(data.get("assignment"), dict) else {}
    try:
        due = parse_time(assignment["due_date"]) if assignment.get("due_date") else None
    except LatePolicyError:
        due = None
    return submitted, due

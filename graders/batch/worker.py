"""One student's grade as a job for any `concurrent.futures` executor.

A job and its result are plain data (picklable, small): the job carries the submission's
bytes rather than its path, so the worker may be another process, or another machine of a
Dask cluster that does not share this one's disk. The worker writes the submission into a
temporary folder, grades it (the grade runs the student's code in its own sandbox), and
sends back the rendered reports. It never raises: whatever goes wrong comes back as an
"error" result, so one broken submission or worker never stops the batch.

A class's submissions are untrusted: each grade runs in autograder mode (the sandbox's own
user as root, namespaces, Landlock: docs/security.md) unless the job says "trusted", and the
class's folder and the zip's extraction folder are hidden from the sandbox besides its own
(`hide`): a student sees only their own submission, which the grader reads and sends.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import traceback
from contextlib import contextmanager
from pathlib import Path


def make_job(student, assignment: str, options: dict | None, checks: list[str] | None, *,
             trusted: bool = False, hide=(), course=None) -> dict:
    """trusted: grade in default mode (an instructor's own code); hide: folders the sandbox
    may not read (the class's folder, the zip's extraction folder); course: the course folder
    the worker loads the assignment with (graders.courses), or None."""
    data = student.submission.read_bytes()
    return {"student": student.name, "key": student.key, "relpath": student.relpath,
            "filename": student.submission.name, "data": data, "sha256": hashlib.sha256(data).hexdigest(),
            "assignment": assignment, "options": dict(options or {}),
            "checks": list(checks) if checks is not None else None,
            "trusted": bool(trusted), "hide": [str(p) for p in hide],
            "course": str(Path(course).resolve()) if course else None}


def job_isolation(job: dict) -> str:
    """The sandbox's mode for this job, passed to the grade: autograder mode unless the job
    is trusted (whatever DLGRADE_AUTOGRADER says in this process)."""
    return "default" if job.get("trusted") else "autograder"


@contextmanager
def _hidden_paths(job: dict):
    """The folders this job's sandboxes may not read, through the environment every Sandbox
    of this process reads (DLGRADE_HIDE); restored afterwards."""
    saved = {k: os.environ.get(k) for k in ("DLGRADE_HIDE",)}
    hide = [p for p in (saved["DLGRADE_HIDE"] or "").split(os.pathsep) if p] + list(job.get("hide") or ())
    os.environ["DLGRADE_HIDE"] = os.pathsep.join(hide)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def grade_job(job: dict) -> dict:
    """Grade one job; returns {"key", "status": "graded", "json", "html"} or {"key", "status": "error", "error"}."""
    try:
        return _grade(job)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a worker must answer whatever happens
        return {"key": job.get("key"), "student": job.get("student"), "status": "error",
                "error": f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)[-2000:]}"}


def _grade(job: dict) -> dict:
    from graders.courses import catalog
    from graders.engine.runner import grade
    from graders.reports.html import render_html
    from graders.reports.results_json import render_json

    assignment = catalog(job.get("course")).get(job["assignment"])
    select = None
    if job.get("checks") is not None:
        wanted = set(job["checks"])
        select = wanted.__contains__
    with tempfile.TemporaryDirectory(prefix="dlgrade-batch-") as tmp, _hidden_paths(job):
        path = Path(tmp) / Path(job["filename"]).name
        path.write_bytes(job["data"])
        report = grade(str(path), assignment, options=job.get("options") or {}, select=select,
                       isolation=job_isolation(job))
    report.submission = job["relpath"]
    data = json.loads(render_json(report))
    data["student"] = job["student"]
    data["submission_sha256"] = job["sha256"]
    return {"key": job["key"], "student": job["student"], "status": "graded",
            "json": json.dumps(data, indent=2) + "\n", "html": render_html(report)}

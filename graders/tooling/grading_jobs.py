"""Grading many variants of one reference at once: jobs for a process pool, or this process.

A job is plain data (picklable): the variant's name and source, the checks to run (None:
all), whether to record the grade's calls (`graders.engine.call_record`) and whether to stop
at the first failed check (all an automatic mutant needs to be known killed). Its result is
plain data too: the score, the checks run, each failed check's output, and the call record.
In a pool (`pool_grader`) each worker process loads the assignment by id and grades with
its own fork server, as `dlgrade batch`'s workers do; `local_grader` grades in this process,
with an `Assignment` object given (a course built in memory, a weakened one in a test).

Every variant here is the instructor's own code (a reference and edits of it), so it is
graded in the sandbox's own default mode, as `dlgrade grade` grades without --autograder.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import multiprocessing
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Iterator

from graders.engine.assignment import Assignment
from graders.engine.call_record import CallRecorder

MAX_OUTPUT_CHARS = 4000  # of each failed check's output sent back (enough for its slip)


def make_job(name: str, source: str, checks: Iterable[str] | None = None, record: bool = False,
             stop_at_first_failure: bool = False, first: Iterable[str] = ()) -> dict:
    """first: with stop_at_first_failure, checks to run before the others (those likeliest to
    fail: a variant is then often known wrong after a few checks rather than most)."""
    return {"name": name, "source": source, "checks": None if checks is None else sorted(checks),
            "record": bool(record), "stop": bool(stop_at_first_failure), "first": sorted(first)}


def grade_variant(assignment: Assignment, job: dict) -> dict:
    """Grade one job against `assignment`; never raises for what the variant does."""
    from graders.engine.runner import grade

    recorder = CallRecorder() if job["record"] else None
    wanted = (lambda name: True) if job["checks"] is None else set(job["checks"]).__contains__
    first = set(job["first"]) if job["stop"] else set()
    phases = [lambda n: wanted(n) and n in first, lambda n: wanted(n) and n not in first] if first else [wanted]
    tests, score, max_score, messages = [], 0.0, 0.0, []
    with tempfile.TemporaryDirectory(prefix="dlgrade-verify-") as folder:
        path = Path(folder) / f"{assignment.id}.py"
        path.write_text(job["source"], encoding="utf-8")
        for select in phases:
            report = grade(str(path), assignment, select=select, record_calls=recorder,
                           stop_at_first_failure=job["stop"])
            tests += report.tests
            score, max_score = score + report.score, max_score + report.max_score
            messages = messages or report.load_messages
            if job["stop"] and any(not t.passed for t in report.tests):
                break
    return {"name": job["name"], "score": score, "max_score": max_score,
            "graded": [t.name for t in tests],
            "failed": {t.name: (t.output or "")[:MAX_OUTPUT_CHARS] for t in tests if not t.passed},
            "load_messages": [m[:MAX_OUTPUT_CHARS] for m in messages],
            "calls": recorder.summary() if recorder is not None else None}


def local_grader(assignment: Assignment) -> Callable[[list[dict]], Iterator[dict]]:
    """Grade jobs one after the other in this process, in order."""
    return lambda jobs: (grade_variant(assignment, job) for job in jobs)


@functools.lru_cache(maxsize=4)
def _load(assignment_id: str, course: str | None):
    from graders.tooling.targets import load_assignment

    return load_assignment(assignment_id, course)


def _pool_job(assignment_id: str, course: str | None, job: dict) -> dict:
    return grade_variant(_load(assignment_id, course), job)


def _worker_start() -> None:
    """A pool worker ends its fork servers when it exits (atexit does not run in one)."""
    from multiprocessing import util

    from graders.sandbox import forkserver

    util.Finalize(None, forkserver.shutdown, exitpriority=10)


@contextlib.contextmanager
def pool_grader(assignment_id: str, course: str | None, workers: int):
    """Grade jobs in `workers` processes (spawned), each loading the assignment by id; the
    results come back in the order of the jobs."""
    context = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context,
                                initializer=_worker_start) as pool:
        yield lambda jobs: pool.map(functools.partial(_pool_job, assignment_id, course), jobs)

"""Grading a whole class: `run_batch(source, assignment, out_dir, workers=N)`.

    out_dir/gradebook.sqlite        the gradebook database: every grade, regrades kept (graders/gradebook)
    out_dir/gradebook.csv           one row per student, exported from the database (see gradebook.py)
    out_dir/reports/<student>.json  dlgrade's JSON report (+ student, submission_sha256)
    out_dir/reports/<student>.html  the self-contained HTML report, with pictures

Resumable: a student whose JSON and HTML reports exist, for this assignment and the same
submission bytes (sha256), is not graded again unless `force`. A student the grader failed
on ("error") gets no report, so the next run tries again. Jobs go to any
`concurrent.futures.Executor`: a local process pool by default, or a Dask cluster's
(`dask_executor(address)`); results are written as they come, in whatever order, and the
gradebook is rebuilt from the reports on disk, sorted by student, so it is the same
whatever the number of workers.

Every student's code is untrusted: it is graded in autograder mode (docs/security.md) and
cannot read the class's folder, the zip's extraction folder or another student's work;
`trusted=True` (`dlgrade batch --trusted`) grades in default mode, for an instructor's own code.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import multiprocessing
import os
import sys
import tempfile
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from graders.batch.discover import MAX_ZIP_BYTES, BatchError, Student, discover, extract_zip
from graders.batch.gradebook import read_report, record_batch, row_for
from graders.batch.worker import grade_job, make_job
from graders.gradebook.db import GradebookError, open_gradebook


@dataclass
class BatchResult:
    out_dir: Path
    gradebook: Path
    rows: list[dict]
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # student key -> what went wrong
    missing: list[str] = field(default_factory=list)
    database: Path | None = None

    def summary(self) -> str:
        parts = [f"{len(self.rows)} students", f"{len(self.graded)} graded"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} already graded (skipped; --force regrades)")
        if self.missing:
            parts.append(f"{len(self.missing)} without a submission")
        if self.errors:
            parts.append(f"{len(self.errors)} not graded because of an error (run again to retry)")
        return (", ".join(parts) + f"\ngradebook: {self.gradebook}"
                + (f"\ndatabase: {self.database}" if self.database else "") + f"\nreports: {self.out_dir / 'reports'}")


def process_executor(workers: int) -> cf.Executor:
    """A local pool of `workers` processes (spawned: safe on every platform, whatever threads run here)."""
    return cf.ProcessPoolExecutor(max_workers=max(1, workers), mp_context=multiprocessing.get_context("spawn"))


def dask_executor(address: str, stack: ExitStack) -> cf.Executor:
    """The concurrent.futures executor of the Dask cluster at `address` (closed with `stack`)."""
    try:
        from distributed import Client
    except ImportError:
        raise BatchError("--dask needs Dask's distributed package: pip install 'dlgrade[cluster]'") from None
    client = stack.enter_context(Client(address))
    return client.get_executor()


def _up_to_date(student: Student, assignment: str, reports: Path) -> bool:
    data = read_report(reports / f"{student.key}.json")
    if data is None or not (reports / f"{student.key}.html").is_file() or data.get("assignment") != assignment:
        return False
    digest = hashlib.sha256(student.submission.read_bytes()).hexdigest()
    return data.get("submission_sha256") == digest


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _progress(total: int, enabled: bool, desc: str):
    try:
        from tqdm import tqdm
    except ImportError:
        return _PlainProgress(total, enabled, desc)
    return tqdm(total=total, desc=desc, unit="student", file=sys.stderr, disable=not enabled, dynamic_ncols=True)


class _PlainProgress:
    """A progress line for when tqdm is not installed."""

    def __init__(self, total: int, enabled: bool, desc: str):
        self.total, self.n, self.enabled, self.desc = total, 0, enabled, desc

    def update(self, n: int = 1) -> None:
        self.n += n
        if self.enabled:
            print(f"\r{self.desc}: {self.n}/{self.total}", end="" if self.n < self.total else "\n",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        pass


def _run_jobs(jobs: list[dict], executor: cf.Executor, on_result) -> list[dict]:
    """Submit every job; call on_result(result) as each finishes; return the jobs lost to a broken pool."""
    futures = {executor.submit(grade_job, job): job for job in jobs}
    lost = []
    for future in cf.as_completed(futures):
        job = futures[future]
        try:
            result = future.result()
        except BrokenProcessPool:
            lost.append(job)
            continue
        except Exception as exc:  # the executor failed on this job (a lost worker, a cluster error)
            result = {"key": job["key"], "student": job["student"], "status": "error",
                      "error": f"the worker failed: {type(exc).__name__}: {exc}"}
        on_result(result)
    return lost


def run_batch(source, assignment: str, out_dir, *, workers: int = 1, force: bool = False,
              executor: cf.Executor | None = None, dask: str | None = None, options: dict | None = None,
              checks: list[str] | None = None, progress: bool = True,
              max_zip_bytes: int = MAX_ZIP_BYTES, db=None, late_policy=None,
              submission_times: dict | None = None, trusted: bool = False, course=None) -> BatchResult:
    """Grade every student of `source` (a folder or a .zip) for `assignment`; see the module's doc.

    executor: any concurrent.futures executor (not shut down here); else `dask` (a scheduler
    address) or a local process pool of `workers`. checks: only these check names.
    db: the gradebook database (default out_dir/gradebook.sqlite); late_policy: a
    graders.gradebook.late.LatePolicy; submission_times: {student: datetime} (default: file times).
    trusted: grade in default mode rather than autograder mode (an instructor's own code).
    course: a course folder (graders.courses) the assignment may come from or be overridden
    by; every worker loads it too (a Dask worker finds it at the same path).
    """
    from graders.courses import catalog

    found = catalog(course)
    try:
        target = found.get(assignment)
    except KeyError:
        raise BatchError(f"unknown assignment {assignment!r}; known: {', '.join(found.ids())}") from None
    check_names = [c.name for c in target.all_checks(options or {})
                   if checks is None or c.name in set(checks)]
    source, out_dir = Path(source), Path(out_dir)
    reports = out_dir / "reports"
    hide = [source.resolve()]  # the class's folder or zip; the extraction folder below
    with ExitStack() as stack:
        if source.is_file() and source.suffix.lower() == ".zip":
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dlgrade-batch-zip-")))
            extract_zip(source, tmp, max_bytes=max_zip_bytes)
            source = tmp
            hide.append(tmp.resolve())
        students = discover(source, assignment, target.reference)
        if not students:
            raise BatchError(f"{source}: no submissions found (one .py/.ipynb file or one folder per student)")
        reports.mkdir(parents=True, exist_ok=True)
        result = BatchResult(out_dir=out_dir, gradebook=out_dir / "gradebook.csv", rows=[],
                             database=Path(db) if db else out_dir / "gradebook.sqlite")
        _check_database(result.database)  # a database it cannot write fails now, not after grading
        todo = []
        for s in students:
            if s.submission is None:
                result.missing.append(s.name)
            elif not force and _up_to_date(s, assignment, reports):
                result.skipped.append(s.name)
            else:
                todo.append(s)
        bar = _progress(len(todo), progress and bool(todo), f"grading {assignment}")

        def on_result(res: dict) -> None:
            if res.get("status") == "graded":
                _write_atomic(reports / f"{res['key']}.json", res["json"])
                _write_atomic(reports / f"{res['key']}.html", res["html"])
                result.graded.append(res["student"])
            else:
                result.errors[res["key"]] = str(res.get("error", "unknown error"))
            bar.update(1)

        jobs = [make_job(s, assignment, options, checks, trusted=trusted, hide=hide, course=course) for s in todo]
        try:
            if jobs and executor is None and dask:
                executor = dask_executor(dask, stack)
            if not jobs:
                pass
            elif executor is not None:
                _run_jobs(jobs, executor, on_result)
            else:
                for attempt in range(2):  # a pool broken by a dying worker is replaced once
                    with process_executor(min(workers, len(jobs))) as pool:
                        jobs = _run_jobs(jobs, pool, on_result)
                    if not jobs:
                        break
                for job in jobs:
                    on_result({"key": job["key"], "student": job["student"], "status": "error",
                               "error": "the worker process died while grading (twice)"})
        finally:
            bar.close()
        result.rows = _rows(students, reports, result)
        try:
            gradebook = record_batch(result.database, students, reports, result, assignment=assignment,
                                     check_names=check_names, late_policy=late_policy, times=submission_times)
        except GradebookError as exc:
            raise BatchError(str(exc)) from None
        _write_atomic(result.gradebook, gradebook)
    return result


def _check_database(path: Path) -> None:
    try:
        with open_gradebook(path):
            pass
    except GradebookError as exc:
        raise BatchError(str(exc)) from None


def _rows(students: list[Student], reports: Path, result: BatchResult) -> list[dict]:
    rows = []
    for s in students:
        if s.submission is None:
            rows.append(row_for(s.name, "no submission", None, "no .ipynb or .py file in the folder"))
        elif s.key in result.errors:
            rows.append(row_for(s.name, "error", None, (result.errors[s.key].splitlines() or [""])[0][:200]))
        else:
            report = read_report(reports / f"{s.key}.json")
            rows.append(row_for(s.name, "graded" if report else "error", report,
                                "" if report else "the report could not be read"))
    return rows

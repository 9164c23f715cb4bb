"""Running an assignment's checks against one submission.

One sandboxed process serves all the checks of a grade (starting Python and importing
NumPy or torch is the expensive part). A check that crashes or hangs the process fails,
and the next check gets a fresh process; a submission that cannot even be loaded fails
every check with the reason, once. Whatever happens, `grade` returns a valid `Report`.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
import zlib

import numpy as np

from graders.engine.assignment import Assignment
from graders.engine.call_record import CallRecorder
from graders.engine.checks import Check, CheckFailed, Picture, Report, TestResult, Visibility, render_failure
from graders.engine.feedback import fields_of_message, shown_fields
from graders.engine.secret import CourseSecret, load_course_secret
from graders.engine.shared import SharedValues
from graders.engine.safe_text import MAX_FIELD_CHARS, MAX_NAME_CHARS, safe_text
from graders.engine.source import Source, read_submission
from graders.sandbox.environment import DEFAULT_ISOLATION
from graders.sandbox.errors import CallTimeout, SandboxCrashed, StudentError
from graders.sandbox.process import Sandbox

MAX_RESTARTS = 8
_LOG = logging.getLogger("dlgrade")  # the instructor's log (stderr unless configured)


def printable(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    """Text any report format can encode and any reader can be shown (graders.engine.safe_text:
    lone surrogates and control characters escaped, at most `limit` characters)."""
    return safe_text(text, limit)


class Context:
    """What a check's `run(ctx)` can use: calls into the sandbox, a seeded RNG, options."""

    def __init__(self, session: "Session", check: Check, options: dict):
        self.session = session
        self.check = check
        self.options = options
        self.deadline = time.monotonic() + check.timeout_s
        self.rng = np.random.default_rng(zlib.crc32(check.name.encode("utf-8")))
        self.artifacts: list[Picture] = []

    def _left(self) -> float:
        return max(self.deadline - time.monotonic(), 0.05)

    def call(self, name, *args, method: str | None = None, **kwargs):
        """Call a contract function (or a Handle's method, with method=...) in the sandbox.

        Every other keyword argument goes to the submission's function (seed=3 included).
        """
        return self._recorded(name if method is None else f"{getattr(name, 'type', name)}.{method}", (args, kwargs),
                              lambda: self.session.sandbox().invoke(name, args, kwargs, timeout=self._left(),
                                                                    method=method))

    def _recorded(self, what: str, sent, call):
        """call(), its (call, reply) pair recorded when the grade records its calls."""
        recorder = self.session.recorder
        if recorder is None:
            return call()
        try:
            reply = call()
        except Exception as exc:
            recorder.add(self.check.name, what, sent, error=exc)
            raise
        recorder.add(self.check.name, what, sent, reply)
        return reply

    def call_echo(self, name, *args, method: str | None = None, **kwargs):
        """Like call, returning (value, args_after, kwargs_after) to see what it modified."""
        return self._recorded(f"{name if method is None else getattr(name, 'type', name)}"
                              f"{'.' + method if method else ''} (echo)", (args, kwargs),
                              lambda: self.session.sandbox().invoke(name, args, kwargs, timeout=self._left(),
                                                                    echo=True, method=method))

    def secret_seed(self, purpose: str = "seed") -> int:
        """A seed for this check's `purpose`, derived from the course secret: the same on every
        run of this course, unknown to a student (see graders.engine.secret)."""
        return self.session.secret.seed(self.check.name, purpose)

    def secret_split(self, n: int, n_heldout: int, purpose: str = "split"):
        """(train_idx, heldout_idx): this check's secret partition of range(n)."""
        return self.session.secret.split(n, n_heldout, self.check.name, purpose)

    def shared(self, key, make, *, retry=None):
        """make(), once per grade, shared by every check of the grade that asks for `key`.

        The way for checks to share a run (a training several checks measure, a data draw)
        or any other per-grade state (`ctx.shared("timed out", dict)` is a dict kept for the
        grade): the first check that asks calls make(); the others get its value, or the
        same failure raised again (the submission's error, a CheckFailed, a timeout, a crash)
        without running it again, unless `retry(exception)` says so. Keys are the
        assignment's own (one grade runs one assignment); values go with the grade.
        """
        return self.session.shared.get(key, make, retry=retry)

    def task(self, name: str, **kwargs):
        """Run `task_<name>(submission, **kwargs)` from the assignment's tasks.py in the sandbox."""
        return self._recorded(f"task {name}", kwargs,
                              lambda: self.session.sandbox().run_task(name, kwargs, timeout=self._left()))

    def fresh_task(self, name: str, **kwargs):
        """Run `task_<name>(submission, **kwargs)` in a FRESH sandbox of the same submission
        (forked from the fork server, the submission's cells run again, closed right after),
        separate from the grade's main sandbox: what the main sandbox (a training) or an
        earlier fresh one (an `encode`) did or kept cannot reach it. See
        graders.engine.evaluation for the pattern."""
        with self.fresh_sandbox() as box:
            return box.task(name, **kwargs)

    @contextlib.contextmanager
    def fresh_sandbox(self):
        """A fresh sandbox of the submission for several task calls in one process (e.g. a
        step-by-step evaluation), killed when the `with` block ends:

            with ctx.fresh_sandbox() as box:
                state = box.task("start", ...)
                ...
        """
        box = self.session.fresh_sandbox()
        try:
            yield FreshBox(self, box)
        finally:
            self.session.close_fresh(box)

    def attach(self, title: str, picture: Picture | bytes) -> None:
        """Attach a picture to this check's result, for the reports that show pictures: a
        `Picture` (data the report layer draws: `Picture("image_grid", data={"rows": ...})`)
        or PNG bytes the check drew itself (kept for pictures no report function draws)."""
        if isinstance(picture, Picture):
            self.artifacts.append(Picture(picture.kind, str(title), picture.data))
        elif isinstance(picture, (bytes, bytearray)) and picture:
            self.artifacts.append(Picture("png", str(title), {"png": bytes(picture)}))


def as_picture(picture) -> Picture | None:
    """A failure's picture as a `Picture`: one already, or {"title", "png": bytes} (PNG bytes a
    check drew itself); None for anything else."""
    if isinstance(picture, Picture):
        return picture
    if isinstance(picture, dict) and isinstance(picture.get("png"), (bytes, bytearray)) and picture["png"]:
        return Picture("png", str(picture.get("title", "")), {"png": bytes(picture["png"])})
    return None


class FreshBox:
    """A fresh sandbox as a check sees it: task calls within the check's deadline."""

    def __init__(self, ctx: Context, sandbox: Sandbox):
        self._ctx = ctx
        self._sandbox = sandbox

    def task(self, name: str, **kwargs):
        return self._ctx._recorded(f"fresh task {name}", kwargs,
                                   lambda: self._sandbox.run_task(name, kwargs, timeout=self._ctx._left()))


class Session:
    """One grade's state: its sandbox, restarted after a crash; fresh ones on request; the
    isolation mode and the extra hidden paths of every sandbox; the course secret; the values
    its checks share."""

    def __init__(self, assignment: Assignment, source: Source, secret: CourseSecret | None = None,
                 isolation: str = DEFAULT_ISOLATION, hide=(), recorder: CallRecorder | None = None):
        self.assignment = assignment
        self.recorder = recorder  # digests of every call's reply, when the grade records them
        self.source = source
        self._secret = secret
        self.isolation = isolation  # every sandbox of the grade: "default" or "autograder"
        self.hide = [str(p) for p in hide]  # and what each may not read besides the usual
        self.shared = SharedValues()  # what the checks share (Context.shared)
        self.current: Sandbox | None = None
        self.load_report: dict | None = None
        self.load_failure: str | None = None
        self.restarts = 0
        self.outputs: list[str] = []

    def sandbox(self) -> Sandbox:
        if self.load_failure:
            raise SandboxCrashed(self.load_failure)
        if self.current is not None and self.current.alive:
            return self.current
        if self.current is not None:
            self._retire()
            self.restarts += 1
            if self.restarts > MAX_RESTARTS:
                self.load_failure = "your code crashed the sandbox too many times; remaining checks not run"
                raise SandboxCrashed(self.load_failure)
        self.current = self._new_sandbox()
        try:
            report = self.current.start()
        except SandboxCrashed as exc:
            self.load_failure = f"your code could not be loaded: {exc}"
            self._retire()
            raise SandboxCrashed(self.load_failure) from None
        if self.load_report is None:
            self.load_report = report
        return self.current

    def fresh_sandbox(self) -> Sandbox:
        """A new sandbox of the submission, started (SandboxCrashed if it cannot load); the
        caller closes it with `close_fresh`. It counts as a restart of the grade's sandbox only
        if it crashes (then `sandbox()`'s own count applies to the next one)."""
        if self.load_failure:
            raise SandboxCrashed(self.load_failure)
        box = self._new_sandbox()
        try:
            box.start()
        except SandboxCrashed as exc:
            self.close_fresh(box)
            raise SandboxCrashed(f"your code could not be loaded in a fresh process: {exc}") from None
        return box

    def _new_sandbox(self) -> Sandbox:
        a = self.assignment
        return Sandbox(self.source.cells, preload=a.preload, tasks=a.tasks, limits=a.limits,
                       isolation=self.isolation, hide=[*map(str, a.hide), *self.hide])

    def close_fresh(self, box: Sandbox) -> None:
        box.close()
        out = box.captured_output()
        if out:
            self.outputs.append(out)

    @property
    def secret(self) -> CourseSecret:
        """The course secret for this assignment, loaded on first use (only trained checks
        need it)."""
        if self._secret is None:
            self._secret = CourseSecret(load_course_secret(), self.assignment.id)
        return self._secret

    def defined(self) -> set[str]:
        return set((self.load_report or {}).get("names", {}))

    def _retire(self) -> None:
        if self.current is not None:
            self.current.close()  # first: closing waits for the output pipe to be drained
            out = self.current.captured_output()
            if out:
                self.outputs.append(out)
            self.current = None

    def close(self) -> None:
        self._retire()


def timeout_feedback(check: Check, exc: CallTimeout) -> str:
    """What a timeout says: for a trained check, its budget and the model size it assumes."""
    text = f"Your code did not finish in time ({check.timeout_s:g} s for this check) {exc.what}"
    budget = getattr(check.threshold, "describe_budget", None)
    if budget is None:
        return text + ": an infinite loop, or far more work than needed."
    return (text + f". This trained check ran over its budget: it is calibrated for {budget()} on the grading "
            "machine (the wall-time limit leaves room for a busy machine). A larger model than that (wider or "
            "more layers), far more work per step than needed, or an infinite loop runs over it.")


def run_check(check: Check, session: Session, options: dict) -> TestResult:
    start = time.monotonic()
    status, output, fields = "failed", "", None
    ctx: Context | None = None
    pictures: list[Picture] = []
    missing = [n for n in check.needs if n not in session.defined()] if session.load_report else []
    try:
        if session.load_failure:
            raise SandboxCrashed(session.load_failure)
        session.sandbox()
        missing = [n for n in check.needs if n not in session.defined()]
        if missing:
            raise CheckFailed(f"{', '.join('`' + m + '`' for m in missing)} "
                              f"{'is' if len(missing) == 1 else 'are'} not defined in your submission.",
                              slip="a misspelt name, or a cell that failed before the definition "
                                   "(see the notes on loading above).")
        ctx = Context(session, check, options)
        note = check.run(ctx)
        status, output = "passed", str(note or "")
    except CheckFailed as exc:
        fields = shown_fields(exc, check.kind, options)  # answer hiding: graders.engine.feedback
        output = render_failure(fields)
        pictures += [p for p in map(as_picture, exc.pictures) if p]  # e.g. a gradient-error heatmap
    except StudentError as exc:
        output = f"Your code raised an exception:\n{exc.describe()}"
    except CallTimeout as exc:
        output = timeout_feedback(check, exc)
    except SandboxCrashed as exc:
        output = f"Your code's process stopped: {exc}"
    except OverflowError as exc:  # a value it returned is beyond any float (e.g. 10**400)
        output = (f"Your code returned a value the grader cannot convert to a number ({exc}); "
                  "return float64 values (Python floats or NumPy float64 arrays).")
    except Exception:  # a bug in a check must not cost the student a report, nor show its source
        _LOG.error("internal error in check %r (assignment %s):\n%s", check.name, session.assignment.id,
                   traceback.format_exc())
        output = ("The grader could not run this check because of an internal error. Please contact your "
                  "instructor; the grader's log has the details.")
    if status == "failed" and fields is None:
        fields = fields_of_message(output)
    score = check.points if status == "passed" else 0.0
    result = TestResult(name=check.name, score=score, max_score=check.points, status=status,
                        output=printable(output),
                        kind=check.kind.value, visibility=check.visibility.value,
                        time_s=round(time.monotonic() - start, 3),
                        pictures=(ctx.artifacts if ctx is not None else []) + pictures)
    for name, value in (fields or {}).items():
        setattr(result, name, None if value is None else printable(str(value)))
    return result


def grade(path: str, assignment: Assignment, *, options: dict | None = None,
          include_hidden: bool = True, select=None, secret: bytes | None = None,
          isolation: str = DEFAULT_ISOLATION, hide=(), source: Source | None = None,
          record_calls: CallRecorder | None = None, stop_at_first_failure: bool = False) -> Report:
    """Grade the submission at `path`; never raises for anything the submission does.

    include_hidden: False runs only the visible checks (a student's self-check).
    select: optional predicate on a check's name, to run only some checks.
    secret: the course secret's bytes (default: `load_course_secret()` when a check needs it).
    isolation: the sandboxes' mode, "default" or "autograder" (docs/security.md); the front
        door decides it (a command-line flag, DLGRADE_AUTOGRADER read there); never read from
        the environment here.
    hide: more paths the sandboxes may not read (a batch's class folder, for instance).
    source: the submission already read from `path` (`read_submission`), e.g. by a front door
        that read it to find its assignment; None reads it here.
    record_calls: a `CallRecorder` that digests each call of the checks and its reply, in
        order (to tell whether two submissions answered every call alike); None records nothing.
    stop_at_first_failure: run no check after the first that fails (the report then holds the
        checks run so far: enough to know that a submission is wrong, and by which check).
    """
    start = time.monotonic()
    options = {**assignment.options, **(options or {})}
    checks = assignment.all_checks(options)
    if select is not None:
        checks = [c for c in checks if select(c.name)]
    hidden = [c for c in checks if c.visibility is not Visibility.VISIBLE]
    if not include_hidden:
        checks = [c for c in checks if c.visibility is Visibility.VISIBLE]
    try:
        source = source if source is not None else read_submission(path)
    except Exception as exc:  # a reader bug must still give a report
        source = Source(path=str(path), kind="unknown",
                        problems=[f"the submission could not be read ({type(exc).__name__}: {exc})"])
    messages = list(source.problems) + list(source.notes)
    session = Session(assignment, source,
                      CourseSecret(secret, assignment.id) if secret is not None else None,
                      isolation=isolation, hide=hide, recorder=record_calls)
    if source.problems:
        session.load_failure = "the submission could not be read: " + " ".join(source.problems)
    results = []
    try:
        for number, check in enumerate(checks, 1):
            result = run_check(check, session, options)
            result.number = str(number)
            results.append(result)
            if stop_at_first_failure and not result.passed:
                break
    finally:
        session.close()
    if session.load_report:
        for cell in session.load_report.get("cells", []):
            err = cell.get("error")
            if err:
                messages.append(f"{cell['label']} raised {err.get('type')}: {err.get('message')}"
                                + (f"\n{err['traceback']}" if err.get("traceback") else ""))
    if session.load_failure and not source.problems:
        messages.append(session.load_failure)
    return Report(assignment=assignment.id, submission=printable(str(path), MAX_NAME_CHARS), tests=results,
                  execution_time=round(time.monotonic() - start, 3),
                  output=printable("\n".join(session.outputs)),
                  load_messages=[printable(m) for m in messages], hidden_not_run=0 if include_hidden else len(hidden))

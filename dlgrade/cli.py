"""The `dlgrade` command line.

    dlgrade grade SUBMISSION [--assignment ID] [--format text|json|gradescope|junit|html] [--out FILE]
                  [--data SPEC] [--option NAME=VALUE ...]
    dlgrade check SUBMISSION [--assignment ID]     the visible checks only, as a student sees them
    dlgrade list [ID]                               the assignments, or one assignment's checks
    dlgrade demo                                    grade the bundled example submission
    dlgrade batch DIR_OR_ZIP --assignment ID [--workers N] [--force] [--out DIR] [--dask ADDRESS] [--trusted]
                                                    a whole class: gradebook CSV, a report per student
    dlgrade gradescope-bundle --assignment ID [--out FILE]   Gradescope's autograder zip

Exit status: 0 whenever grading completed, whatever the score; 2 for a usage error
(unknown assignment, unreadable options); 1 for an internal error of the grader.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import resources
from pathlib import Path

from graders.reports import FORMATS

DEMO_SUBMISSION = "numpy_basics_example.py"
OPTION_HELP = ("an option the assignment declares (`dlgrade list ID` shows them), e.g. all_configs=true; "
               "repeatable")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlgrade", description="Grade deep-learning assignments.")
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("grade", help="grade a .py file or .ipynb notebook")
    g.add_argument("submission")
    g.add_argument("--assignment", "-a", help="assignment id (inferred from a template notebook if omitted)")
    g.add_argument("--format", "-f", choices=FORMATS, default="text")
    g.add_argument("--out", "-o", help="write the report to this file instead of standard output")
    g.add_argument("--data", help="data set for trained checks, e.g. digits or mnist:PATH")
    g.add_argument("--visible-only", action="store_true", help="run only the checks students can see")
    g.add_argument("--autograder", action="store_true",
                   help="autograder mode: the submission cannot read the grader's files or use the "
                        "network, and runs as an unprivileged user when the grader is root "
                        "(same as DLGRADE_AUTOGRADER=1; see docs/security.md)")
    g.add_argument("--reveal-answers", action="store_true",
                   help="feedback may show expected answers (off by default: students would copy them)")
    g.add_argument("--option", metavar="NAME=VALUE", action="append", default=[], help=OPTION_HELP)

    c = sub.add_parser("check", help="run the visible checks on your own work (hidden ones are not run)")
    c.add_argument("submission")
    c.add_argument("--assignment", "-a")

    ls = sub.add_parser("list", help="list the assignments, or the checks of one")
    ls.add_argument("assignment", nargs="?")

    sub.add_parser("demo", help="grade the bundled example submission and print the report")

    b = sub.add_parser("batch", help="grade a class: a folder or zip with one file or folder per student")
    b.add_argument("source", metavar="DIR_OR_ZIP")
    b.add_argument("--assignment", "-a", required=True)
    b.add_argument("--workers", "-w", type=int, default=max(1, (os.cpu_count() or 2) // 2),
                   help="grades run at once (default: half the CPU cores)")
    b.add_argument("--force", action="store_true", help="regrade students who already have a report")
    b.add_argument("--out", "-o", help="output folder (default: grades_<assignment>)")
    b.add_argument("--dask", metavar="ADDRESS", help="run the grades on this Dask scheduler (tcp://host:8786)")
    b.add_argument("--data", help="data set for trained checks, e.g. digits or mnist:PATH")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.add_argument("--trusted", action="store_true",
                   help="grade in default mode: only for code you trust (by default a class is graded "
                        "in autograder mode, each submission unable to read the others; docs/security.md)")
    b.add_argument("--option", metavar="NAME=VALUE", action="append", default=[], help=OPTION_HELP)

    gs = sub.add_parser("gradescope-bundle", help="build the Gradescope autograder zip of an assignment")
    gs.add_argument("--assignment", "-a", required=True)
    gs.add_argument("--out", "-o", help="the zip to write (default: <assignment>_autograder.zip)")
    gs.add_argument("--data", help="data set option baked into the bundle, e.g. digits")
    gs.add_argument("--option", metavar="NAME=VALUE", action="append", default=[],
                    help="an option the assignment declares, baked into the bundle; repeatable")
    return parser


def _usage_error(message: str) -> int:
    print(f"dlgrade: error: {message}", file=sys.stderr)
    return 2


def _resolve_assignment(submission: str, requested: str | None):
    from graders import assignments
    from graders.engine.source import read_submission

    assignment_id = requested or read_submission(submission).assignment
    if not assignment_id:
        raise LookupError("cannot tell which assignment this is; pass --assignment ID "
                          f"(one of: {', '.join(assignments.assignment_ids())})")
    try:
        return assignments.get(assignment_id)
    except KeyError:
        raise LookupError(f"unknown assignment {assignment_id!r}; "
                          f"known: {', '.join(assignments.assignment_ids())}") from None


def _known_assignment(assignment_id: str):
    from graders import assignments

    try:
        return assignments.get(assignment_id)
    except KeyError:
        raise LookupError(f"unknown assignment {assignment_id!r}; "
                          f"known: {', '.join(assignments.assignment_ids())}") from None


def _options(args, assignment=None) -> dict:
    """The grade's options from the command line; ValueError for an --option the assignment
    does not declare (a typo would otherwise change nothing, silently)."""
    options = {}
    if getattr(args, "data", None):
        options["data"] = args.data
    if getattr(args, "reveal_answers", False):
        options["reveal_answers"] = True
    if assignment is not None:
        options.update(assignment.parse_options(getattr(args, "option", None) or []))
    return options


def cmd_grade(args, *, include_hidden: bool, fmt: str, out: str | None) -> int:
    from graders.engine.runner import grade
    from graders.reports import render

    try:
        assignment = _resolve_assignment(args.submission, args.assignment)
    except LookupError as exc:
        return _usage_error(str(exc))
    try:
        options = _options(args, assignment)
    except ValueError as exc:
        return _usage_error(str(exc))
    report = grade(args.submission, assignment, options=options, include_hidden=include_hidden)
    text = render(report, fmt)
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_list(args) -> int:
    from graders import assignments

    if not args.assignment:
        for aid in assignments.assignment_ids():
            a = assignments.get(aid)
            checks = a.all_checks()
            print(f"{aid:24s} {a.title}  ({len(checks)} checks, {sum(c.points for c in checks):g} points)")
        return 0
    try:
        a = assignments.get(args.assignment)
    except KeyError:
        return _usage_error(f"unknown assignment {args.assignment!r}")
    print(f"{a.id}: {a.title}")
    if a.options:
        print("  options (--option NAME=VALUE): "
              + ", ".join(f"{k} (default {v!r})" for k, v in sorted(a.options.items())))
    for c in a.all_checks():
        print(f"  {c.points:4g}  {c.kind.value:9s}  {c.visibility.value:14s}  {c.name}")
    return 0


def cmd_batch(args) -> int:
    from graders.batch import BatchError, run_batch

    if args.workers < 1:
        return _usage_error("--workers must be at least 1")
    out = Path(args.out or f"grades_{args.assignment}")
    try:
        options = _options(args, _known_assignment(args.assignment))
    except (LookupError, ValueError) as exc:
        return _usage_error(str(exc))
    try:
        result = run_batch(args.source, args.assignment, out, workers=args.workers, force=args.force,
                           dask=args.dask, options=options, progress=not args.no_progress,
                           trusted=args.trusted)
    except BatchError as exc:
        return _usage_error(str(exc))
    print(result.summary())
    return 0


def cmd_gradescope_bundle(args) -> int:
    from graders import assignments
    from graders.gradescope.bundle import build_bundle

    if args.assignment not in assignments.assignment_ids():
        return _usage_error(f"unknown assignment {args.assignment!r}; "
                            f"known: {', '.join(assignments.assignment_ids())}")
    try:
        options = _options(args, assignments.get(args.assignment))
    except ValueError as exc:
        return _usage_error(str(exc))
    out = Path(args.out or f"{args.assignment}_autograder.zip")
    path = build_bundle(args.assignment, out, options=options)
    print(f"wrote {path}: upload it as the autograder of a Gradescope programming assignment")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "grade":
            if args.autograder:
                os.environ["DLGRADE_AUTOGRADER"] = "1"  # read by every Sandbox this process starts
            return cmd_grade(args, include_hidden=not args.visible_only, fmt=args.format, out=args.out)
        if args.command == "check":
            return cmd_grade(args, include_hidden=False, fmt="text", out=None)
        if args.command == "list":
            return cmd_list(args)
        if args.command == "batch":
            return cmd_batch(args)
        if args.command == "gradescope-bundle":
            return cmd_gradescope_bundle(args)
        if args.command == "demo":
            example = resources.files("student_templates").joinpath("examples", DEMO_SUBMISSION)
            with resources.as_file(example) as path:
                args = argparse.Namespace(submission=str(path), assignment=None)
                return cmd_grade(args, include_hidden=True, fmt="text", out=None)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # an internal error of the grader, not of a submission
        print(f"dlgrade: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 2

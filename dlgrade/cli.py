"""The `dlgrade` command line.

    dlgrade grade SUBMISSION [--assignment ID] [--format text|json|gradescope|junit|html] [--out FILE]
                  [--data SPEC] [--option NAME=VALUE ...]
    dlgrade check SUBMISSION [--assignment ID]     the visible checks only, as a student sees them
    dlgrade list [ID]                               the assignments, or one assignment's checks
    dlgrade contract [ID]                           the course contract, or one assignment's part
    dlgrade demo                                    grade the bundled example submission
    dlgrade batch DIR_OR_ZIP --assignment ID [--workers N] [--force] [--out DIR] [--dask ADDRESS] [--trusted]
                                                    a whole class: gradebook CSV, a report per student
    dlgrade gradescope-bundle --assignment ID [--out FILE] [--hidden-checks as_declared|score_only]
                                                    Gradescope's autograder zip
    dlgrade gradebook override|export|history --db PATH ...  the gradebook database
    dlgrade dashboard --db PATH --out DIR           a static HTML page of the class
    dlgrade similarity DIR_OR_ZIP --assignment ID   pairs of submissions with much code in common
    dlgrade prairielearn-grader ID [--out DIR]      PrairieLearn's external grader of an assignment
    dlgrade verify ID [--auto N] [--course DIR]     prove the graders against known and automatic mutants
    dlgrade new ID --course DIR [--kind numpy|torch|trained]  scaffold an assignment that grades at once
    dlgrade build [ID ...] [--course DIR] [--out DIR] [--check]  write the student notebooks
    dlgrade engine-dist [--out DIR]                 the dlgrade-engine wheel: the engine without a course
    dlgrade student-pack ID --out PATH [--zip]       what a student gets: the notebook and a self-check without solutions

Every verb that takes an assignment also takes --course DIR (default: DLGRADE_COURSE), a course
folder whose assignments and overrides join the bundled ones (graders.courses, docs/courses.md).

Exit status: 0 whenever grading completed, whatever the score; 2 for a usage error
(unknown assignment, unreadable options); 1 for an internal error of the grader; 141 (as
for other commands stopped by SIGPIPE), quietly, when the reader of the output went away
(`dlgrade list ID | head`).
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import resources
from pathlib import Path

from dlgrade import build_command, calibrate_command, course_commands, new_command, verify_command
from dlgrade import engine_dist_command, student_pack_command
from dlgrade.course_option import add_course_argument, catalog_from_args, known_assignment, resolve_course_argument
from graders.reports import FORMATS

DEMO_SUBMISSION = "numpy_basics_example.py"
REVEAL_HELP = ("answer checks (kind symbolic, e.g. theory's ANSWERS) print the expected answer, its "
               "tolerance, how far off a wrong number is and the expected value where a formula "
               "differs; without it they give the slip and where a formula is wrong, not the answer. "
               "Other kinds (value, gradient, property, trained) always show expected values on "
               "the grader's own inputs and are unchanged")
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
    g.add_argument("--reveal-answers", action="store_true", help=REVEAL_HELP)
    g.add_argument("--option", metavar="NAME=VALUE", action="append", default=[], help=OPTION_HELP)
    add_course_argument(g)

    c = sub.add_parser("check", help="run the visible checks on your own work (hidden ones are not run)")
    c.add_argument("submission")
    c.add_argument("--assignment", "-a")
    add_course_argument(c)

    ls = sub.add_parser("list", help="list the assignments, or the checks of one")
    ls.add_argument("assignment", nargs="?")
    add_course_argument(ls)

    ct = sub.add_parser("contract", help="print the course contract (CONTRACT.md), or one assignment's part")
    ct.add_argument("assignment", nargs="?")
    add_course_argument(ct)

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
    course_commands.add_batch_options(b)
    add_course_argument(b)

    gs = sub.add_parser("gradescope-bundle", help="build the Gradescope autograder zip of an assignment")
    gs.add_argument("--assignment", "-a", required=True)
    gs.add_argument("--out", "-o", help="the zip to write (default: <assignment>_autograder.zip)")
    gs.add_argument("--data", help="data set option baked into the bundle, e.g. digits")
    gs.add_argument("--option", metavar="NAME=VALUE", action="append", default=[],
                    help="an option the assignment declares, baked into the bundle; repeatable")
    gs.add_argument("--hidden-checks", choices=("as_declared", "score_only"), default="as_declared",
                    help="how checks that are not visible appear on Gradescope: as_declared (Gradescope's "
                         "hidden or after_due_date; students then do not see their total score) or "
                         "score_only (visible, anonymous, points without feedback: totals stay "
                         "visible); see docs/courses.md")
    gs.add_argument("--late-policy", metavar="JSON", help="a late policy run_autograder applies "
                                                          '(its "due" may be "gradescope": the assignment\'s due date)')
    add_course_argument(gs)
    course_commands.add_parsers(sub)
    new_command.add_parser(sub)  # verbs with their own module set args.run
    build_command.add_parser(sub)
    calibrate_command.add_parser(sub)
    verify_command.add_parser(sub)
    engine_dist_command.add_parser(sub)
    student_pack_command.add_parser(sub)

    pl = sub.add_parser("prairielearn-grader",
                        help="write the PrairieLearn external grader of an assignment into a folder")
    pl.add_argument("assignment", metavar="ID")
    pl.add_argument("--out", "-o", help="the folder to write (default: dlgrade_<assignment>); put it in "
                                        "the course's serverFilesCourse/")
    pl.add_argument("--data", help="data set option baked into the grader, e.g. digits")
    pl.add_argument("--option", metavar="NAME=VALUE", action="append", default=[],
                    help="an option the assignment declares, baked into the grader; repeatable")
    add_course_argument(pl)
    return parser


def _usage_error(message: str) -> int:
    print(f"dlgrade: error: {message}", file=sys.stderr)
    return 2


def _resolve_assignment(submission: str, requested: str | None, source=None, found=None):
    from graders.engine.source import read_submission

    found = found if found is not None else catalog_from_args(None)
    assignment_id = requested or (source or read_submission(submission)).assignment
    if not assignment_id:
        raise LookupError("cannot tell which assignment this is; pass --assignment ID "
                          f"(one of: {', '.join(found.ids())})")
    return known_assignment(found, assignment_id)


def _known_assignment(assignment_id: str, args=None):
    return known_assignment(catalog_from_args(args), assignment_id)


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
    from graders.engine.source import read_submission
    from graders.reports import render
    from graders.sandbox.environment import isolation_from_environment

    # the submission, read once: for its assignment id here and for the grade
    try:
        source = read_submission(args.submission)
    except Exception:  # a reader bug: the grade reads it again and reports it
        source = None
    try:
        assignment = _resolve_assignment(args.submission, args.assignment, source, catalog_from_args(args))
    except LookupError as exc:
        return _usage_error(str(exc))
    try:
        options = _options(args, assignment)
    except ValueError as exc:
        return _usage_error(str(exc))
    isolation = isolation_from_environment(getattr(args, "autograder", False))
    report = grade(args.submission, assignment, options=options, include_hidden=include_hidden,
                   isolation=isolation, source=source)
    text = render(report, fmt)
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_list(args) -> int:
    found = catalog_from_args(args)
    if not args.assignment:  # from the manifests alone: no assignment's checks are imported
        manifests = found.manifests()
        if not manifests:
            print(NO_ASSIGNMENT, file=sys.stderr)
        for aid, manifest in manifests.items():
            print(f"{aid:24s} {manifest.title}")
        return 0
    try:
        a = found.get(args.assignment)
    except KeyError:
        return _usage_error(f"unknown assignment {args.assignment!r}")
    print(f"{a.id}: {a.title}")
    if a.options:
        print("  options (--option NAME=VALUE): "
              + ", ".join(f"{k} (default {v!r})" for k, v in sorted(a.options.items())))
    for c in a.all_checks():
        print(f"  {c.points:4g}  {c.kind.value:9s}  {c.visibility.value:14s}  {c.name}")
    return 0


def cmd_contract(args) -> int:
    from dlgrade.contract import assignment_part, contract_text, course_contract_text

    found = catalog_from_args(args)
    try:
        text = contract_text() + course_contract_text(found)
    except FileNotFoundError:
        return _usage_error("this installation has no course contract (dlgrade-engine holds no course)")
    if args.assignment:
        part = assignment_part(text, args.assignment)
        if part is None and args.assignment in found.ids() and found.course_folders():
            a = found.get(args.assignment)
            part = (f"{a.id}: {a.title}\nThe course's contract has no section on {a.id} (a CONTRACT.md in the "
                    f"course folder would hold it). The names a submission defines: {', '.join(a.contract)}\n")
        if part is None:
            return _usage_error(f"the contract has no assignment {args.assignment!r}")
        text = part
    sys.stdout.write(text)
    return 0


def cmd_batch(args) -> int:
    from graders.batch import BatchError, run_batch

    if args.workers < 1:
        return _usage_error("--workers must be at least 1")
    out = Path(args.out or f"grades_{args.assignment}")
    try:
        options = _options(args, _known_assignment(args.assignment, args))
        course = course_commands.batch_options(args)
    except (LookupError, ValueError) as exc:
        return _usage_error(str(exc))
    try:
        result = run_batch(args.source, args.assignment, out, workers=args.workers, force=args.force,
                           dask=args.dask, options=options, progress=not args.no_progress,
                           trusted=args.trusted, course=args.course, **course)
    except BatchError as exc:
        return _usage_error(str(exc))
    print(result.summary())
    return 0


def cmd_gradescope_bundle(args) -> int:
    from graders.gradescope.bundle import build_bundle, check_assignment_sources
    from graders.gradescope.contents import BundleError
    from graders.gradescope.selftest import BundleSelfTestFailed, self_test_bundle

    try:
        check_assignment_sources(args.assignment, args.course)
    except KeyError:
        pass  # an unknown id: said below
    except BundleError as exc:
        print(f"dlgrade: error: cannot build the bundle of {args.assignment}: {exc}", file=sys.stderr)
        return 1
    try:
        options = _options(args, _known_assignment(args.assignment, args))
    except (LookupError, ValueError) as exc:
        return _usage_error(str(exc))
    out = Path(args.out or f"{args.assignment}_autograder.zip")
    try:
        late = course_commands.bundle_late_policy(args)
    except ValueError as exc:
        return _usage_error(str(exc))
    try:
        path = build_bundle(args.assignment, out, options=options, hidden_checks=args.hidden_checks,
                            course=args.course, **late)
    except BundleError as exc:
        print(f"dlgrade: error: cannot build the bundle of {args.assignment}: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}; self-test: grading the reference and an empty submission with it ...", file=sys.stderr)
    try:
        result = self_test_bundle(path, _known_assignment(args.assignment, args).reference)
    except BundleSelfTestFailed as exc:
        print(f"dlgrade: error: {path} failed its self-test, do not upload it: {exc}", file=sys.stderr)
        return 1
    print(f"self-test passed: the reference gets {result.reference_score:g} of {result.max_score:g} "
          f"({result.checks} checks), an empty submission {result.empty_score:g}", file=sys.stderr)
    print(f"wrote {path}: upload it as the autograder of a Gradescope programming assignment")
    return 0


def cmd_prairielearn_grader(args) -> int:
    from graders.gradescope.contents import BundleError
    from graders.prairielearn.grader import ENTRY_POINT, write_grader

    try:
        options = _options(args, _known_assignment(args.assignment, args))
    except (LookupError, ValueError) as exc:
        return _usage_error(str(exc))
    try:
        out = write_grader(args.assignment, Path(args.out or f"dlgrade_{args.assignment}"), options=options,
                           course=args.course)
    except BundleError as exc:
        print(f"dlgrade: error: cannot write the grader of {args.assignment}: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {out}: copy it into the course's serverFilesCourse/ and set the question's "
          f"externalGradingOptions (entrypoint .../{out.name}/{ENTRY_POINT}; see docs/courses.md)")
    return 0


# what dlgrade-engine (graders/tooling/engine_dist.py) leaves out, in part or whole
FULL_DISTRIBUTION_PACKAGES = ("graders", "reference", "student_templates")
NO_ASSIGNMENT = ("No assignment is installed: this dlgrade has no course of its own (the engine alone). "
                 "Give a course folder with --course DIR or DLGRADE_COURSE.")

CLOSED_PIPE_STATUS = 128 + 13  # 128 + SIGPIPE, the shell's status of a command a pipe stopped


def main(argv: list[str] | None = None) -> int:
    try:
        code = _run(argv)
        sys.stdout.flush()  # a closed pipe shows up here rather than at the interpreter's exit
        return code
    except BrokenPipeError:
        # The reader stopped reading (`| head`): not an error of the grader. Standard output
        # goes to /dev/null so that the interpreter's last flush cannot complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return CLOSED_PIPE_STATUS


def _run(argv: list[str] | None) -> int:
    from graders.course_config import CourseError

    args = build_parser().parse_args(argv)
    resolve_course_argument(args)  # --course, else DLGRADE_COURSE: read here, once
    try:
        if args.command == "grade":
            return cmd_grade(args, include_hidden=not args.visible_only, fmt=args.format, out=args.out)
        if args.command == "check":
            return cmd_grade(args, include_hidden=False, fmt="text", out=None)
        if args.command == "list":
            return cmd_list(args)
        if args.command == "contract":
            return cmd_contract(args)
        if args.command == "batch":
            return cmd_batch(args)
        if args.command == "gradescope-bundle":
            return cmd_gradescope_bundle(args)
        if args.command == "engine-dist":
            return engine_dist_command.run(args)
        if args.command == "calibrate":
            return calibrate_command.run(args)
        if args.command == "verify":
            return verify_command.run(args)
        if callable(getattr(args, "run", None)):  # a verb with its own module (dlgrade/<verb>_command.py)
            return args.run(args)
        course = course_commands.run(args)
        if course is not None:
            return course
        if args.command == "student-pack":
            return student_pack_command.run(args)
        if args.command == "prairielearn-grader":
            return cmd_prairielearn_grader(args)
        if args.command == "demo":
            example = resources.files("student_templates").joinpath("examples", DEMO_SUBMISSION)
            with resources.as_file(example) as path:
                args = argparse.Namespace(submission=str(path), assignment=None, course=None)
                return cmd_grade(args, include_hidden=True, fmt="text", out=None)
    except CourseError as exc:  # a course folder that cannot be used: what is wrong, where
        return _usage_error(str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise
    except Exception as exc:  # an internal error of the grader, not of a submission
        if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in FULL_DISTRIBUTION_PACKAGES:
            return _usage_error(f"`dlgrade {args.command}` needs the full dlgrade distribution ({exc.name} is "
                                "not installed; dlgrade-engine, the engine alone, leaves it out)")
        print(f"dlgrade: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 2

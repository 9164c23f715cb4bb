"""`dlgrade calibrate ID`: retrain the reference to set an assignment's trained-check bounds.

    dlgrade calibrate ID [--course DIR] [--dataset SPEC] [--runs N] [--checks KEY ...]
                         [--set KEY=VALUE ...] [--write | --out FILE] [--mutants [NAME ...]]

Prints the table of bounds (reference mean and spread, margin, budget) and, with --write,
writes them into the thresholds.json of the assignment's folder, a course's assignment
included (see graders/tooling/calibrate_assignment.py).
"""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    from dlgrade.course_option import add_course_argument
    from graders.tooling.calibrate_assignment import add_arguments

    p = sub.add_parser("calibrate", help="retrain the reference over course-secret draws and set the bounds of an "
                                         "assignment's trained checks (thresholds.json)")
    p.add_argument("assignment", metavar="ID")
    add_course_argument(p)
    add_arguments(p)


def _error(message: str) -> int:
    print(f"dlgrade: error: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    from dlgrade.course_option import catalog_from_args
    from graders.courses import CourseError
    from graders.engine.trained_checks import CalibrationError
    from graders.tooling.calibrate_assignment import run as calibrate

    found = catalog_from_args(args)
    if args.assignment not in found.ids():
        return _error(f"unknown assignment {args.assignment!r}; known: {', '.join(found.ids())}")
    try:
        return calibrate(args.assignment, args, found=found)
    except (ValueError, CalibrationError, CourseError) as exc:
        return _error(str(exc))

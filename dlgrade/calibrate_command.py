"""`dlgrade calibrate ID`: retrain the reference to set an assignment's trained-check bounds.

    dlgrade calibrate ID [--course DIR] [--dataset SPEC] [--runs N] [--checks KEY ...]
                         [--set KEY=VALUE ...] [--write | --out FILE]

Prints the table of bounds (reference mean and spread, margin, budget) and, with --write,
writes them into the assignment's thresholds.json (see graders/tooling/calibrate_assignment.py).
"""

from __future__ import annotations

import os
import sys


def add_parser(sub) -> None:
    from graders.tooling.calibrate_assignment import add_arguments

    p = sub.add_parser("calibrate", help="retrain the reference over course-secret draws and set the bounds of an "
                                         "assignment's trained checks (thresholds.json)")
    p.add_argument("assignment", metavar="ID")
    p.add_argument("--course", metavar="DIR", default=os.environ.get("DLGRADE_COURSE"),
                   help="the course folder the assignment is in (default: $DLGRADE_COURSE, else the bundled course)")
    add_arguments(p)


def run(args) -> int:
    from graders import assignments
    from graders.engine.trained_checks import CalibrationError
    from graders.tooling.calibrate_assignment import run as calibrate

    if args.course:
        print("dlgrade: error: calibrating an assignment of a course folder is not supported yet; "
              "the bundled assignments are calibrated without --course", file=sys.stderr)
        return 2
    if args.assignment not in assignments.assignment_ids():
        print(f"dlgrade: error: unknown assignment {args.assignment!r}; known: "
              f"{', '.join(assignments.assignment_ids())}", file=sys.stderr)
        return 2
    try:
        return calibrate(args.assignment, args)
    except (ValueError, CalibrationError) as exc:
        print(f"dlgrade: error: {exc}", file=sys.stderr)
        return 2

"""`dlgrade new ID --course DIR [--kind numpy|torch] [--title TEXT]`: scaffold an assignment.

Writes `DIR/ID/` (graders.tooling.scaffold): a manifest, the declaration, a reference with
solution markers, checks written with `graders.authoring`, and known slips its checks catch.
It grades at once: the reference gets full marks, `dlgrade build` writes its notebook and
`dlgrade verify` passes. It never overwrites, and refuses an id already in use.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

COURSE_HELP = "the course folder (default: DLGRADE_COURSE)"


def add_parser(sub) -> None:
    p = sub.add_parser("new", help="scaffold a new assignment in a course folder, ready to grade")
    p.add_argument("assignment", metavar="ID", help="the new assignment's id (a Python identifier)")
    p.add_argument("--course", default=os.environ.get("DLGRADE_COURSE"), help=COURSE_HELP)
    p.add_argument("--kind", choices=("numpy", "torch"), default="numpy",
                   help="what the reference computes with (default: numpy)")
    p.add_argument("--title", help="the assignment's title (default: from its id)")
    p.set_defaults(run=run)


def run(args) -> int:
    from graders.course_config import CourseError
    from graders.tooling.scaffold import ScaffoldError, scaffold

    if not args.course:
        print("dlgrade: error: dlgrade new needs --course DIR (or DLGRADE_COURSE)", file=sys.stderr)
        return 2
    try:
        folder = scaffold(args.assignment, Path(args.course), kind=args.kind, title=args.title)
    except (ScaffoldError, CourseError) as exc:
        print(f"dlgrade: error: {exc}", file=sys.stderr)
        return 2
    course = args.course
    print(f"wrote {folder}: reference.py, checks.py, slips.py, __init__.py, assignment.toml\n"
          f"next: dlgrade grade {folder / 'reference.py'} --assignment {args.assignment} --course {course}\n"
          f"      dlgrade build {args.assignment} --course {course}\n"
          f"      dlgrade verify {args.assignment} --course {course}")
    return 0

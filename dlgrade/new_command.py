"""`dlgrade new ID --course DIR [--kind numpy|torch|trained] [--title TEXT]`: scaffold an assignment.

Writes `DIR/ID/` (graders.tooling.scaffold): a manifest, the declaration, a reference with
solution markers, checks written with `graders.authoring`, and known slips its checks catch.
It grades at once: the reference gets full marks, `dlgrade build` writes its notebook and
`dlgrade verify` passes. It never overwrites, and refuses an id already in use.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dlgrade.course_option import add_course_argument, course_from_environment


def add_parser(sub) -> None:
    p = sub.add_parser("new", help="scaffold a new assignment in a course folder, ready to grade")
    p.add_argument("assignment", metavar="ID", help="the new assignment's id (a Python identifier)")
    add_course_argument(p)
    p.add_argument("--kind", choices=("numpy", "torch", "trained"), default="numpy",
                   help="what the reference computes with (default: numpy); trained: a NumPy assignment with a "
                        "trained check, to calibrate with `dlgrade calibrate ID --course DIR --write`")
    p.add_argument("--title", help="the assignment's title (default: from its id)")
    p.set_defaults(run=run)


def run(args) -> int:
    from graders.course_config import CourseError
    from graders.tooling.scaffold import ScaffoldError, scaffold

    args.course = course_from_environment(args.course)
    if not args.course:
        print("dlgrade: error: dlgrade new needs --course DIR (or DLGRADE_COURSE)", file=sys.stderr)
        return 2
    try:
        folder = scaffold(args.assignment, Path(args.course), kind=args.kind, title=args.title)
    except (ScaffoldError, CourseError) as exc:
        print(f"dlgrade: error: {exc}", file=sys.stderr)
        return 2
    course = args.course
    files = ", ".join(sorted(p.name for p in folder.iterdir()))
    calibrate = (f"next: dlgrade calibrate {args.assignment} --course {course} --write   (its trained check's "
                 "bound, in thresholds.json)\n      " if (folder / "thresholds.py").is_file() else "next: ")
    print(f"wrote {folder}: {files}\n"
          f"{calibrate}dlgrade grade {folder / 'reference.py'} --assignment {args.assignment} --course {course}\n"
          f"      dlgrade build {args.assignment} --course {course}\n"
          f"      dlgrade verify {args.assignment} --course {course}")
    return 0

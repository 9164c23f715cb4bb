"""`dlgrade build [ID ...] --course DIR [--out DIR] [--check]`: write a course's student notebooks.

Each notebook is built from its assignment's reference (graders.tooling.notebooks, the code
path of the bundled course's `student_templates/`): solutions replaced by their stubs, the
assignment id in the notebook's metadata. Without --course it builds the bundled course
into `student_templates/`; with it, the course's own assignments into DIR/notebooks/.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dlgrade.course_option import add_course_argument, course_from_environment


def add_parser(sub) -> None:
    p = sub.add_parser("build", help="write a course's student notebooks from its references")
    p.add_argument("assignment", metavar="ID", nargs="*", help="only these assignments (default: all of the course)")
    add_course_argument(p)  # without --course or DLGRADE_COURSE: the bundled course
    p.add_argument("--out", "-o", help="the folder to write (default: COURSE/notebooks, or student_templates/ "
                                       "for the bundled course)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if a notebook is missing or out of date")
    p.set_defaults(run=run)


def run(args) -> int:
    from graders.course_config import CourseError
    from graders.courses import catalog
    from graders.tooling.notebooks import NotebookError, build_notebooks, course_ids
    from student_templates.build import HERE as BUNDLED_NOTEBOOKS

    chosen = course_from_environment(args.course)
    course = Path(chosen) if chosen else None
    try:
        found = catalog(course)
        own = course_ids(found, course)
    except CourseError as exc:
        print(f"dlgrade: error: {exc}", file=sys.stderr)
        return 2
    unknown = [aid for aid in args.assignment if aid not in own]
    if unknown:
        print(f"dlgrade: error: no assignment {', '.join(map(repr, unknown))} in "
              f"{course or 'the bundled course'}; its assignments: {', '.join(own) or 'none'}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else (course / "notebooks" if course else BUNDLED_NOTEBOOKS)
    try:
        written, stale = build_notebooks(found, args.assignment or own, out, bundled=course is None, check=args.check)
    except (CourseError, NotebookError) as exc:
        print(f"dlgrade: error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    if stale:
        print("out of date (run dlgrade build): " + ", ".join(str(p) for p in stale), file=sys.stderr)
        return 1
    return 0

"""`dlgrade student-pack ID [--course DIR] --out PATH [--zip] [--with-engine] [--no-slips]`:
what a student gets.

Writes the folder PATH (and PATH.zip with --zip): the student notebook and a self-check
that carries no reference code and no hidden check (graders.tooling.student_pack).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("student-pack", help="write what a student gets: the notebook and a self-check "
                                            "without solutions or hidden checks")
    p.add_argument("assignment", metavar="ID")
    p.add_argument("--course", metavar="DIR", help="a course folder (default: $DLGRADE_COURSE, else the bundled course)")
    p.add_argument("--out", "-o", required=True, help="the folder to write (replaced if it exists)")
    p.add_argument("--template", help="the student notebook (default: student_templates/ID.ipynb)")
    p.add_argument("--zip", action="store_true", help="also write PATH.zip")
    p.add_argument("--with-engine", action="store_true",
                   help="put the dlgrade-engine wheel into PATH/wheels (students then need no package index "
                        "for dlgrade itself)")
    p.add_argument("--no-slips", action="store_true",
                   help="record the reference's grade only, not the known slips' (a smaller recording whose "
                        "failures more often say 'needs the full grader')")


def _assignment_and_slips(assignment_id: str, course: str | None):
    """The assignment as its own package declares it, its slips module (or None), and the
    courses that override or extend it (carried into the pack), from the course folder when
    one is given."""
    from graders.courses import catalog

    found = catalog(course or None)
    return (found.owner(assignment_id).load(assignment_id), found.slips(assignment_id),
            found.extensions(assignment_id))


def run(args) -> int:
    from graders.tooling.student_pack.build import build_student_pack
    from graders.tooling.student_pack.sources import PackError

    course = args.course or os.environ.get("DLGRADE_COURSE") or None
    try:
        assignment, slips, extensions = _assignment_and_slips(args.assignment, course)
    except KeyError:
        print(f"dlgrade: error: no assignment {args.assignment!r}", file=sys.stderr)
        return 2
    except LookupError as exc:
        print(f"dlgrade: error: {exc}", file=sys.stderr)
        return 2
    try:
        summary = build_student_pack(assignment, Path(args.out), slips=None if args.no_slips else slips,
                                     make_zip=args.zip, with_engine=args.with_engine,
                                     template=Path(args.template) if args.template else None,
                                     course=extensions)
    except PackError as exc:
        print(f"dlgrade: error: {exc}", file=sys.stderr)
        return 2
    distribution = summary.package.replace("_", "-")
    print(f"wrote {summary.folder}" + (f" and {summary.zip_path}" if summary.zip_path else "")
          + f": {len(summary.visible)} visible checks, {summary.hidden} hidden ones left out")
    if summary.notebook is None:
        print(f"  no student notebook found for {args.assignment}: add yours to the folder (its last cell: "
              f"from {summary.package} import check_notebook; check_notebook())")
    for check, reasons in summary.not_replayable.items():
        print(f"  needs the full grader: {check}: {'; '.join(reasons)}")
    print(f"students install it, in that folder, with: {summary.install}   (distribution {distribution})")
    return 0

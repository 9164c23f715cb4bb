"""`--course DIR` for every verb that takes an assignment, read once at the front door.

    add_course_argument(parser)     adds --course DIR (default: DLGRADE_COURSE)
    catalog_from_args(args)         the catalog of the bundled course, the installed ones and
                                    args.course (graders.courses.catalog); CourseError if broken
    known_assignment(catalog, id)   the assignment, or LookupError listing the known ids
"""

from __future__ import annotations

from graders.courses import COURSE_ENVIRONMENT, course_from_environment
COURSE_HELP = ("a course folder of assignments and overrides (docs/courses.md, \"Your own course\"); "
               f"default: ${COURSE_ENVIRONMENT}")


def add_course_argument(parser) -> None:
    parser.add_argument("--course", metavar="DIR", default=None, help=COURSE_HELP)


def resolve_course_argument(args) -> None:
    """Fix args.course once, at the front door, from --course or DLGRADE_COURSE (every later
    reader, a batch's workers included, gets this value)."""
    if hasattr(args, "course"):
        args.course = course_from_environment(args.course)


def catalog_from_args(args):
    """The catalog for this command: the bundled course, installed courses and args.course
    (else DLGRADE_COURSE)."""
    from graders.courses import catalog

    return catalog(course_from_environment(getattr(args, "course", None)))


def known_assignment(found, assignment_id: str):
    """`found.get(assignment_id)`, or LookupError naming the known ids."""
    try:
        return found.get(assignment_id)
    except KeyError:
        raise LookupError(f"unknown assignment {assignment_id!r}; known: {', '.join(found.ids())}") from None

"""The command line's course verbs: the gradebook database, the dashboard, similarity.

    dlgrade gradebook override --db PATH -a ID --student NAME --score X --by WHO --reason WHY
    dlgrade gradebook export --db PATH -a ID [--format dlgrade|canvas|moodle] [--roster CSV]
                             [--column NAME] [--identify-by email|idnumber|username] [--out FILE]
    dlgrade gradebook history --db PATH [-a ID]
    dlgrade dashboard --db PATH --out DIR [-a ID ...]
    dlgrade similarity DIR_OR_ZIP -a ID [--db PATH] [--threshold 0.6] [--template FILE] [--no-progress]

and `dlgrade batch`'s options for them: --db, --late-policy, --submission-times.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dlgrade.course_option import add_course_argument, catalog_from_args, known_assignment


def add_batch_options(b) -> None:
    b.add_argument("--db", help="the gradebook database (default: OUT/gradebook.sqlite)")
    b.add_argument("--late-policy", metavar="JSON",
                   help='late policy: {"due": ISO time, "percent_per_day": 10, "grace_minutes": 0, "max_days": N}, '
                        "or {assignment id: policy}")
    b.add_argument("--submission-times", metavar="CSV",
                   help="submission times (columns student, submitted_at); default: the files' modification times")


def add_parsers(sub) -> None:
    gb = sub.add_parser("gradebook", help="the gradebook database: overrides, exports, history")
    gsub = gb.add_subparsers(dest="gradebook_command", required=True)
    o = gsub.add_parser("override", help="set a student's score by hand (kept with who and why)")
    o.add_argument("--db", required=True)
    o.add_argument("--assignment", "-a", required=True)
    o.add_argument("--student", required=True)
    o.add_argument("--score", type=float, required=True)
    o.add_argument("--by", required=True, help="who sets it")
    o.add_argument("--reason", required=True, help="why")
    e = gsub.add_parser("export", help="a spreadsheet-safe CSV: dlgrade's gradebook, Canvas's or Moodle's import")
    e.add_argument("--db", required=True)
    e.add_argument("--assignment", "-a", required=True)
    e.add_argument("--format", choices=("dlgrade", "canvas", "moodle"), default="dlgrade")
    e.add_argument("--roster", help="CSV: student (dlgrade's name) and canvas_id, sis_user_id, sis_login_id, "
                                    "section, name, email, idnumber or username")
    e.add_argument("--column", help="the LMS's column: Canvas 'Title (assignment id)', Moodle's grade item name")
    e.add_argument("--identify-by", choices=("email", "idnumber", "username"), default="email",
                   help="Moodle: the roster column that identifies students")
    e.add_argument("--out", "-o", help="file to write (default: standard output)")
    h = gsub.add_parser("history", help="every grade, regrade and override, oldest first")
    h.add_argument("--db", required=True)
    h.add_argument("--assignment", "-a")

    d = sub.add_parser("dashboard", help="a static HTML page of the class, from the gradebook database")
    d.add_argument("--db", required=True)
    d.add_argument("--out", "-o", required=True, help="folder to write index.html into")
    d.add_argument("--assignment", "-a", action="append", help="only these assignments (repeatable)")
    d.add_argument("--no-progress", action="store_true")

    s = sub.add_parser("similarity", help="pairs of submissions with much code in common (template code ignored)")
    s.add_argument("source", metavar="DIR_OR_ZIP")
    s.add_argument("--assignment", "-a", required=True)
    s.add_argument("--db", help="gradebook database to record the pairs in, for the dashboard")
    s.add_argument("--threshold", type=float, default=None, help="flag pairs sharing at least this share of "
                                                                 "code (0-1, default 0.6)")
    s.add_argument("--template", help="the starter code to ignore (default: the assignment's template notebook)")
    s.add_argument("--no-progress", action="store_true")
    add_course_argument(s)


def _bar(total: int, enabled: bool, desc: str, unit: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not enabled, dynamic_ncols=True)


def batch_options(args) -> dict:
    """run_batch's keyword arguments from batch's course options; ValueError for a bad file."""
    from graders.gradebook.late import load_policies, policy_for, times_from_csv

    extra = {"db": args.db}
    if args.late_policy:
        policy = policy_for(load_policies(args.late_policy), args.assignment)
        if policy is None:
            raise ValueError(f"{args.late_policy}: no late policy for {args.assignment} (nor '*')")
        if policy.due is None:
            raise ValueError('"due": "gradescope" only works in a Gradescope bundle; give the due time')
        extra["late_policy"] = policy
        if args.source.lower().endswith(".zip") and not args.submission_times:
            raise ValueError("a zip's files carry the time they are extracted, not when they were submitted: "
                             "with --late-policy, give --submission-times CSV (student,submitted_at)")
    if args.submission_times:
        extra["submission_times"] = times_from_csv(args.submission_times)
    return extra


def bundle_late_policy(args) -> dict:
    """build_bundle's late_policy keyword from gradescope-bundle's --late-policy; ValueError for a bad file."""
    from graders.gradebook.late import load_policies, policy_for

    if not getattr(args, "late_policy", None):
        return {}
    policy = policy_for(load_policies(args.late_policy), args.assignment)
    if policy is None:
        raise ValueError(f"{args.late_policy}: no late policy for {args.assignment} (nor '*')")
    return {"late_policy": policy.to_dict()}


def cmd_gradebook(args) -> int:
    from graders.gradebook.db import add_override, open_gradebook
    from graders.gradebook.exports import canvas_csv, gradebook_csv, moodle_csv, read_roster
    from graders.gradebook.record import current_grades, history

    if not Path(args.db).is_file():
        raise ValueError(f"{args.db}: no such gradebook database")
    with open_gradebook(args.db) as conn:
        if args.gradebook_command == "override":
            add_override(conn, args.student, args.assignment, args.score, args.by, args.reason)
            print(f"{args.student}: {args.assignment} set to {args.score:g} by {args.by}")
            return 0
        if args.gradebook_command == "history":
            for r in history(conn, args.assignment):
                score = "" if r["score"] is None else f"{r['score']:g}"
                print(f"{r['at']}  {r['assignment']:20s} {_safe(r['student']):20s} {r['kind']:8s} {score:>6s}  "
                      f"{_safe(r['detail'] or '')}")
            return 0
        grades = current_grades(conn, args.assignment)
        if not grades:
            raise ValueError(f"no grades for {args.assignment!r} in {args.db}")
        if args.format == "dlgrade":
            names = [c["name"] for c in max(grades, key=lambda g: len(g.checks)).checks]
            text, missing = gradebook_csv(grades, names), []
        else:
            if not args.roster:
                raise ValueError(f"--format {args.format} needs --roster (the LMS's ids of each student)")
            roster = read_roster(args.roster)
            column = args.column or args.assignment
            text, missing = (canvas_csv(grades, roster, column) if args.format == "canvas"
                             else moodle_csv(grades, roster, column, args.identify_by))
    if missing:
        print(f"dlgrade: not in the roster (left out): {', '.join(_safe(m) for m in missing)}", file=sys.stderr)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8", newline="")
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def _safe(text: str) -> str:
    """Control characters shown escaped (a name or note may come from a submission)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def cmd_dashboard(args) -> int:
    from graders.gradebook.dashboard import write_dashboard
    from graders.gradebook.db import assignments, open_gradebook

    if not Path(args.db).is_file():
        raise ValueError(f"{args.db}: no such gradebook database")
    with open_gradebook(args.db) as conn:
        names = args.assignment or assignments(conn)
        bar = _bar(len(names), not args.no_progress, "dashboard", "assignment")
        try:
            page = write_dashboard(conn, args.out, names, progress=bar)
        finally:
            bar.close()
    print(f"wrote {page}")
    return 0


def cmd_similarity(args) -> int:
    import tempfile

    from graders.batch.discover import discover, extract_zip
    from graders.gradebook.similarity import DEFAULT_THRESHOLD, find_similar, submission_code, template_code

    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    if not 0 < threshold <= 1:
        raise ValueError("--threshold is a share of code, between 0 and 1")
    found = catalog_from_args(args)
    try:
        target = known_assignment(found, args.assignment)
    except LookupError as exc:
        raise ValueError(str(exc)) from None
    own = found.owner(args.assignment).package != "graders.assignments"  # a course's: no bundled template
    template = (submission_code(Path(args.template)) if args.template
                else template_code(args.assignment, target.reference if own else None))
    with tempfile.TemporaryDirectory(prefix="dlgrade-similarity-") as tmp:
        source = Path(args.source)
        if source.is_file() and source.suffix.lower() == ".zip":
            source = extract_zip(source, Path(tmp))
        students = [s for s in discover(source) if s.submission is not None]
        codes = {s.name: submission_code(s.submission) for s in students}
    bar = _bar(len(codes), not args.no_progress, "fingerprinting", "submission")
    try:
        pairs = find_similar(codes, template, threshold, progress=bar)
    finally:
        bar.close()
    for p in pairs:
        print(f"{100 * p.similarity_a:3.0f}% / {100 * p.similarity_b:3.0f}%  {_safe(p.student_a)}  "
              f"{_safe(p.student_b)}")
    print(f"{len(pairs)} pair(s) of {len(codes)} submissions share at least {100 * threshold:g}% of their code"
          + ("" if template.strip() else " (no template code was ignored)"))
    if args.db:
        from graders.gradebook.db import open_gradebook
        from graders.gradebook.similarity import record_pairs

        with open_gradebook(args.db) as conn:
            record_pairs(conn, args.assignment, pairs)
        print(f"recorded in {args.db}: `dlgrade dashboard --db {args.db} --out DIR` shows the passages")
    return 0


def run(args) -> int | None:
    """The exit status of a course verb, or None when `args` is another command."""
    from graders.batch.discover import BatchError
    from graders.gradebook.db import GradebookError
    from graders.gradebook.exports import ExportError
    from graders.gradebook.late import LatePolicyError

    commands = {"gradebook": cmd_gradebook, "dashboard": cmd_dashboard, "similarity": cmd_similarity}
    if args.command not in commands:
        return None
    try:
        return commands[args.command](args)
    except (GradebookError, ExportError, LatePolicyError, BatchError, ValueError) as exc:
        print(f"dlgrade: error: {exc}", file=sys.stderr)
        return 2

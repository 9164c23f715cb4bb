"""`dlgrade verify ID [--auto N]`: prove an assignment's graders against its known slips and
automatic mutants (graders.tooling.verify says what is proven).

    dlgrade verify ID [--course DIR] [--auto N] [--seed S] [--workers W] [--slow]
                      [--min-kill-rate R] [--format text|json]

Exit status: 0 when every expectation holds; 1 when one does not (the reference or an
unusual variant loses points, a listed slip is not caught by the checks it names, a check is
failed by no listed slip, or the kill rate is below --min-kill-rate); 2 for a usage error.
"""

from __future__ import annotations

import json
import os
import sys

FAILED_STATUS = 1


def add_parser(sub) -> None:
    v = sub.add_parser("verify", help="prove an assignment's graders against its known slips and automatic mutants")
    v.add_argument("assignment", metavar="ID")
    v.add_argument("--course", metavar="DIR", default=os.environ.get("DLGRADE_COURSE") or None,
                   help="the course folder the assignment is in (default: DLGRADE_COURSE, else the bundled course)")
    v.add_argument("--auto", type=int, default=0, metavar="N",
                   help="also grade N automatic mutants of the reference (the same N and seed give the same mutants)")
    v.add_argument("--seed", type=int, default=0, help="which automatic mutants are drawn (default 0)")
    v.add_argument("--workers", "-w", type=int, default=2, help="grades run at once (default 2)")
    v.add_argument("--slow", action="store_true", help="also the slow slips (SLOW_MUTANTS, SLOW_UNUSUAL)")
    v.add_argument("--min-kill-rate", type=float, metavar="R",
                   help="fail when fewer than this fraction (0 to 1) of the automatic mutants that are not "
                        "likely equivalent are killed")
    v.add_argument("--format", "-f", choices=("text", "json"), default="text")


def run(args) -> int:
    from graders.tooling.grading_jobs import pool_grader
    from graders.tooling.targets import TargetError, load_assignment, load_slips
    from graders.tooling.verify import verify

    if args.workers < 1:
        return _usage_error("--workers must be at least 1")
    if args.auto < 0:
        return _usage_error("--auto must be 0 or more")
    if args.min_kill_rate is not None and not 0.0 <= args.min_kill_rate <= 1.0:
        return _usage_error("--min-kill-rate is a fraction between 0 and 1, e.g. 0.9")
    try:
        assignment = load_assignment(args.assignment, args.course)
        slips = load_slips(args.assignment, args.course)
    except TargetError as exc:
        return _usage_error(str(exc))
    with pool_grader(args.assignment, args.course, args.workers) as grader:
        result = verify(assignment, slips, grader, slow=args.slow, auto=args.auto, seed=args.seed,
                        min_kill_rate=args.min_kill_rate)
    if args.format == "json":
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(render_text(result))
    return 0 if result.ok else FAILED_STATUS


def render_text(result) -> str:
    """The verification as a terminal table."""
    listed = result.listed
    counts = {k: sum(o.kind == k for o in listed) for k in ("unusual", "mutant")}
    lines = [f"Verifying {result.assignment}: {len(result.checks)} checks; the reference, "
             f"{counts['unusual']} unusual and {counts['mutant']} buggy variants listed"
             + (f"; {result.auto_requested} automatic mutants" if result.auto_requested else ""), ""]
    width = max([len(o.name) for o in listed] + [9])
    for o in listed:
        if o.problems:
            what = o.problems[0] + (f" (and {len(o.problems) - 1} more)" if len(o.problems) > 1 else "")
        elif o.kind == "mutant":
            what = f"caught: fails {len(o.failed)} check{'s' if len(o.failed) != 1 else ''} it names"
        else:
            what = f"full marks ({o.score:g}/{o.max_score:g})"
        kind = "" if o.kind == "reference" else o.kind
        lines.append(f"  {'ok  ' if o.ok else 'FAIL'}  {kind:9s} {o.name:{width}s}  {what}")
    lines.append("")
    if result.uncovered:
        lines.append("Checks no listed buggy variant fails (a check that cannot fail is a defect):")
        lines += [f"  {name}" for name in result.uncovered]
    else:
        lines.append("Every check is failed by some listed buggy variant"
                     + (" (some by slow ones only: see below)." if result.slow_only else "."))
    if result.slow_only:
        lines.append("Checks only slow slips fail, not graded here (--slow grades them):")
        lines += [f"  {name}" for name in result.slow_only]
    if result.auto_requested:
        lines += [""] + _auto_lines(result)
    problems = result.problems
    lines += ["", f"verify {result.assignment}: " + ("OK" if not problems else f"FAILED ({len(problems)} problem"
                                                                           f"{'s' if len(problems) != 1 else ''})")]
    lines += [f"  - {p}" for p in problems]
    lines.append(f"({result.seconds:.1f} s)")
    return "\n".join(lines) + "\n"


def _auto_lines(result) -> list[str]:
    auto = result.auto
    survivors = [a for a in auto if not a.killed]
    rate = result.kill_rate
    lines = [f"Automatic mutants (seed {result.seed}): {len(auto)} graded, {result.killed} killed, "
             f"{len(survivors)} survived ({result.equivalent} likely equivalent)"]
    if len(auto) < result.auto_requested:
        lines.append(f"  (the reference has only {len(auto)} distinct edits of these kinds)")
    relevant = len(auto) - result.equivalent
    lines.append("Kill rate: " + (f"{result.killed}/{relevant} = {rate:.1%} of the mutants not likely equivalent"
                                  if rate is not None else "none to count (every mutant is likely equivalent)"))
    if survivors:
        lines.append("Survivors:")
        for a in sorted(survivors, key=lambda a: (a.likely_equivalent, a.name)):
            tag = "likely equivalent" if a.likely_equivalent else "SURVIVED"
            lines.append(f"  {tag:17s}  {a.diff}")
            if a.differs_at:
                lines.append(f"  {'':17s}  (its replies first differ from the reference's at {a.differs_at})")
    return lines


def _usage_error(message: str) -> int:
    print(f"dlgrade verify: error: {message}", file=sys.stderr)
    return 2

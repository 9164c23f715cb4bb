"""Grade one Gradescope submission: `python -m graders.gradescope.run --root /autograder --config FILE`.

Reads the submission in ROOT/submission (the file `choose.choose` picks: the notebook of this
assignment with work in it, before a blank copy of the template or another assignment's
notebook), grades it with every check, and writes ROOT/results/results.json in Gradescope's
schema (`render_gradescope`); its output starts by naming the file graded and the files
not graded. A check that attached pictures gets `output_format: "html"`: its feedback
escaped in a <pre>, its pictures inline as data: URIs. Whatever happens, a results.json is
written. `run_autograder` calls this in autograder mode (DLGRADE_AUTOGRADER=1: the
sandbox's stronger isolation).

Checks that are not `visible` follow the config's `hidden_checks` (see HIDDEN_CHECKS and
docs/courses.md): Gradescope documents that students do not see their total score while a
test is hidden, so `score_only` keeps the total visible by showing such checks as
anonymous visible tests, their points only, their feedback in the autograder's stdout
(shown to instructors only).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

from graders.submission_choice import choice_note, choose, files_found

MAX_PICTURE_BYTES = 1024 * 1024  # of base64 pictures in one results.json

# How checks that are not `visible` (hidden, after the due date) appear on Gradescope:
#   as_declared: with the check's own visibility (`hidden`, `after_due_date`). Gradescope
#                documents that students cannot see their total score while tests are hidden.
#   score_only:  as `visible` tests named "Hidden check N", with their points and without
#                their feedback (printed to the autograder's stdout, for instructors): the
#                student sees the total, and how many points the hidden checks gave.
HIDDEN_CHECKS = ("as_declared", "score_only")
WITHHELD = "A hidden check: only its points are shown."


def choose_submission(folder: Path, assignment: str) -> Path | None:
    """The file to grade in `folder` (see `choose.choose`), or None."""
    choice = choose(folder, assignment)
    return choice.path if choice else None


def results_dict(report, hidden_checks: str = "as_declared") -> dict:
    """Gradescope's results.json for a report, with HTML output for checks that have pictures;
    `hidden_checks` (one of HIDDEN_CHECKS) says how checks that are not visible appear."""
    from graders.reports.html import check_feedback_html, pictures_of
    from graders.reports.results_json import render_gradescope

    if hidden_checks not in HIDDEN_CHECKS:
        raise ValueError(f"hidden_checks must be one of {', '.join(HIDDEN_CHECKS)}, not {hidden_checks!r}")
    data = json.loads(render_gradescope(report))
    budget = MAX_PICTURE_BYTES
    anonymous = 0
    for entry, test in zip(data["tests"], report.tests):
        if hidden_checks == "score_only" and test.visibility != "visible":
            anonymous += 1
            print(f"Hidden check {anonymous} is {test.name!r} ({test.status}):\n{test.output}\n")
            entry.update(name=f"Hidden check {anonymous}", output=WITHHELD, output_format="text",
                         tags=[], visibility="visible")
            continue
        pictures = pictures_of(test)
        size = sum(len(png) * 4 // 3 for _, png in pictures)
        if not pictures:
            continue
        if size > budget:
            entry["output"] += "\n(Pictures left out: the results would be too large.)"
            continue
        budget -= size
        entry["output"] = check_feedback_html(test, pictures)
        entry["output_format"] = "html"
    return data


def failure_results(message: str) -> dict:
    return {"score": 0.0, "output": message, "output_format": "text", "visibility": "visible",
            "stdout_visibility": "visible", "tests": []}


def bundle_catalog(config: dict, root: Path | None = None):
    """The catalog the bundle grades with: the bundled course and the course folders it carries
    (in ROOT/source, beside the config)."""
    from graders.course_files import shipped_courses
    from graders.courses import catalog

    return catalog(shipped_courses(config, Path(root or "/autograder") / "source"))


def grade_submission(root: Path, config: dict) -> dict:
    from graders.engine.runner import grade
    from graders.sandbox.environment import isolation_from_environment
    from graders.submission_choice import TemplateCode

    assignment = bundle_catalog(config, root).get(config["assignment"])
    hidden_checks = config.get("hidden_checks") or "as_declared"
    folder = root / "submission"
    choice = choose(folder, assignment.id, TemplateCode(assignment.id, assignment.reference))
    note = None
    if choice is None:
        found = files_found(folder)
        note = (f"No .ipynb notebook or .py file was found in your submission (found: "
                f"{', '.join(found) or 'nothing'}). Upload your notebook, e.g. {assignment.id}.ipynb.")
        path = folder / f"{assignment.id}.ipynb"
    else:
        path = choice.path
    report = grade(str(path), assignment, options=config.get("options") or {},
                   isolation=isolation_from_environment(), source=choice.source if choice else None)
    report.submission = path.relative_to(folder).as_posix() if path.is_relative_to(folder) else path.name
    report.load_messages.insert(0, note or choice_note(choice, report.submission))
    return apply_late_policy(results_dict(report, hidden_checks), root, config)


def apply_late_policy(data: dict, root: Path, config: dict) -> dict:
    """Deduct the bundle's late penalty (if any) from the score; the output says what and why.

    The times come from Gradescope's ROOT/submission_metadata.json: `created_at`, and the
    assignment's `due_date` when the policy's due is "gradescope"."""
    if not config.get("late_policy"):
        return data
    from graders.gradebook.late import LatePolicy, gradescope_times

    policy = LatePolicy.from_dict(config["late_policy"])
    submitted, due = gradescope_times(root / "submission_metadata.json")
    penalty, why = policy.penalty(submitted, data.get("score"), due=due)
    if penalty:
        data["score"] = max(0.0, float(data["score"]) - penalty)
        data["output"] = (data.get("output") or "") + f"\nLate penalty: {why}."
    elif submitted is None:
        data["output"] = (data.get("output") or "") + "\nNo late penalty: the submission time was not available."
    return data


def self_test(config: dict, root: Path | None = None) -> int:
    checks = bundle_catalog(config, root).get(config["assignment"]).all_checks(config.get("options") or {})
    print(f"dlgrade autograder: {config['assignment']}, {len(checks)} checks, "
          f"{sum(c.points for c in checks):g} points")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="/autograder")
    parser.add_argument("--config", required=True)
    parser.add_argument("--self-test", action="store_true", help="only check that the grader loads")
    args = parser.parse_args(argv)
    config = json.loads(Path(args.config).read_text(encoding="utf-8"))
    if args.self_test:
        return self_test(config, Path(args.config).resolve().parent.parent)
    root = Path(args.root)
    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = grade_submission(root, config)
        code = 0
    except Exception as exc:  # the grader's own failure: still a results.json, and say so
        traceback.print_exc()
        data = failure_results(f"The autograder failed ({type(exc).__name__}: {exc}). "
                               "Please tell your instructor.")
        code = 1
    tmp = results.with_name("results.json.part")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(results)
    print(f"dlgrade: {config['assignment']}: score {data['score']:g}", file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())

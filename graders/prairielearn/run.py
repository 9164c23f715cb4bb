"""Grade one PrairieLearn submission: `python -m graders.prairielearn.run --root /grade --config FILE`.

Reads the submission in ROOT/student (the file `graders.submission_choice.choose` picks:
the notebook of this assignment with work in it, before a blank copy of the template or
another assignment's notebook), grades it with every check, and writes
ROOT/results/results.json in PrairieLearn's external-grading format:

    gradable   false when there is nothing to grade (no notebook or .py file, or one that
               cannot be read): PrairieLearn then marks the submission "invalid, not
               gradable" and the student keeps the attempt; `format_errors` says why
    score      points earned / points possible, in [0, 1]
    message    the points, as a line
    output     the file graded and the files not graded, notes on loading the submission
    tests      one per check: name, description, points, max_points, message, output, and
               the check's pictures as `images` ({label, url: a data: URI})

PrairieLearn shows every test to the student, so a check that is not `visible` (hidden,
after the due date) appears as "Hidden check N" with its points only. Its feedback is not
written anywhere a student could see it. `<pl-external-grader-results>` escapes the text
fields (messages and outputs through ansi2html); control characters are escaped here
(graders.engine.safe_text) so that no terminal escape from a submission styles the page. PrairieLearn limits results.json to
1 MB: texts are cut and pictures left out to stay below.

Whatever happens, a results.json is written: a failure of the grader itself gives
`gradable: false` (the student is not charged an attempt) and a message for the instructor.
`run.sh` calls this in autograder mode (DLGRADE_AUTOGRADER=1: the sandbox's stronger
isolation, with ROOT hidden from the submission).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

from graders.version import __version__
from graders.submission_choice import choice_note, choose, files_found

MAX_RESULTS_BYTES = 1_000_000  # PrairieLearn's documented limit on results.json
MAX_PICTURE_CHARS = 600_000  # of data: URIs in one results.json
MAX_TEXT_CHARS = 20_000  # of one test's output, or the top-level output
WITHHELD = "A hidden check: only its points are shown."


def clean(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Text safe to hand to PrairieLearn's page: control characters escaped (tabs and newlines
    kept), valid UTF-8, at most `limit` characters (graders.engine.safe_text)."""
    from graders.engine.safe_text import safe_text

    return safe_text(text, limit)


def _points(x: float) -> float:
    return round(float(x), 6)


def _test_entry(test, number: int | None) -> dict:
    """One check as a PrairieLearn test; `number` is set for a check shown anonymously."""
    if number is not None:
        return {"name": f"Hidden check {number}", "description": "A check whose details are hidden.",
                "points": _points(test.score), "max_points": _points(test.max_score),
                "message": WITHHELD, "output": ""}
    return {"name": clean(test.name, 500), "description": f"A {clean(test.kind, 50)} check.",
            "points": _points(test.score), "max_points": _points(test.max_score),
            "message": "Passed." if test.passed else "Failed.", "output": clean(test.output)}


def results_dict(report) -> dict:
    """PrairieLearn's results.json for a graded report (see the module's doc)."""
    from graders.reports.html import data_uri, pictures_of

    tests, budget, anonymous = [], MAX_PICTURE_CHARS, 0
    for test in report.tests:
        if test.visibility != "visible":
            anonymous += 1
            tests.append(_test_entry(test, anonymous))
            continue
        entry = _test_entry(test, None)
        images = [{"label": clean(title, 200) or "Figure", "url": data_uri(png)}
                  for title, png in pictures_of(test)]
        size = sum(len(image["url"]) for image in images)
        if images and size > budget:
            entry["output"] += "\n(Pictures left out: the results would be too large.)"
        elif images:
            budget -= size
            entry["images"] = images
        tests.append(entry)
    earned, possible = report.score, report.max_score
    score = min(1.0, max(0.0, earned / possible)) if possible > 0 else 0.0
    lines = [clean(m, 2000) for m in report.load_messages]
    data = {"gradable": True, "score": round(score, 6), "message": f"{earned:g} / {possible:g} points.",
            "output": clean("\n".join(lines)), "tests": tests}
    return fit(data)


def fit(data: dict) -> dict:
    """`data` cut to PrairieLearn's size limit: outputs shortened, then pictures dropped."""
    for limit in (2000, 200):
        if len(json.dumps(data)) <= MAX_RESULTS_BYTES:
            return data
        for test in data["tests"]:
            test["output"] = clean(test["output"], limit)
    for test in data["tests"]:
        if test.pop("images", None):
            test["output"] += "\n(Pictures left out: the results would be too large.)"
    return data


def not_gradable(message: str, errors: list[str] | None = None) -> dict:
    """A results.json for a submission PrairieLearn should not count (no points, no attempt)."""
    return {"gradable": False, "score": 0.0, "message": clean(message, 4000),
            "format_errors": [clean(e, 2000) for e in (errors or [message])], "output": "", "tests": []}


def grade_submission(root: Path, config: dict, here: Path | None = None) -> dict:
    """here: the grader's folder (the config's), where the course folders it carries lie."""
    from graders.course_files import shipped_courses
    from graders.courses import catalog
    from graders.engine.runner import grade
    from graders.engine.source import read_submission
    from graders.sandbox.environment import isolation_from_environment
    from graders.submission_choice import TemplateCode

    assignment = catalog(shipped_courses(config, here or Path("."))).get(config["assignment"])
    if config.get("dlgrade_version") not in (None, __version__):
        print(f"dlgrade: the grader was written with dlgrade {config['dlgrade_version']} and grades "
              f"with {__version__}: write it again with this version", file=sys.stderr)
    folder = root / "student"
    choice = choose(folder, assignment.id, TemplateCode(assignment.id, assignment.reference))
    if choice is None:
        found = files_found(folder)
        return not_gradable(f"No .ipynb notebook or .py file was found in your submission (found: "
                            f"{', '.join(found) or 'nothing'}). Submit your notebook, e.g. "
                            f"{assignment.id}.ipynb.")
    name = choice.path.relative_to(folder).as_posix()
    # read once: while choosing (a notebook), else here; for the problems and for the grade
    source = choice.source or read_submission(choice.path)
    if source.problems:
        return not_gradable(f"Your submission {name} could not be read: " + " ".join(source.problems),
                            source.problems)
    report = grade(str(choice.path), assignment, options=config.get("options") or {},
                   isolation=isolation_from_environment(), source=source)
    report.submission = name
    report.load_messages.insert(0, choice_note(choice, name))
    return results_dict(report)


def _write(results: Path, data: dict) -> None:
    tmp = results.with_name("results.json.part")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="/grade")
    parser.add_argument("--config", required=True)
    args = parser.parse_args(argv)
    root = Path(args.root)
    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    try:
        config = json.loads(Path(args.config).read_text(encoding="utf-8"))
        data = grade_submission(root, config, Path(args.config).resolve().parent)
        code = 0
    except Exception as exc:  # the grader's own failure: still a results.json, and say so
        traceback.print_exc()
        data = not_gradable(f"The grader failed ({type(exc).__name__}: {exc}). Please tell your instructor.")
        code = 1
    _write(results, data)
    print(f"dlgrade: gradable {data['gradable']}, score {data['score']:g}", file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())

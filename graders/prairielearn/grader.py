"""Writing the PrairieLearn external grader of one assignment into a folder.

    run.sh                       the entry point (`externalGradingOptions.entrypoint`)
    dlgrade_prairielearn.json    the assignment, its options, the versions it was built with
    course-secret                the course secret, so that trained checks draw the same
                                 seeds and held-out rows in every grading container
    dlgrade_courses/             the course folders in use (`--course`, installed courses), when
                                 there are any (graders.course_files); the config names them

The folder goes into the course's `serverFilesCourse/`; PrairieLearn copies it into each
grading container under /grade/serverFilesCourse/. The image provides Python with dlgrade
installed (docs/courses.md, "PrairieLearn"): the folder holds no code of dlgrade's own, only
the course folders in use, if any.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from graders.version import __version__

CONFIG = "dlgrade_prairielearn.json"
ENTRY_POINT = "run.sh"
SECRET = "course-secret"

RUN_SH = r"""#!/usr/bin/env bash
# dlgrade external grader for "{assignment}": PrairieLearn runs this for each submission.
# It grades the notebook (or .py file) in $DLGRADE_GRADE_ROOT/student and writes
# $DLGRADE_GRADE_ROOT/results/results.json. DLGRADE_GRADE_ROOT defaults to /grade;
# DLGRADE_PYTHON picks the interpreter (default: python3, with dlgrade installed).
set -uo pipefail
HERE="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
ROOT=${{DLGRADE_GRADE_ROOT:-/grade}}
PY=${{DLGRADE_PYTHON:-python3}}
export DLGRADE_AUTOGRADER=1
export DLGRADE_HIDE="$ROOT${{DLGRADE_HIDE:+:$DLGRADE_HIDE}}"
if [ -f "$HERE/{secret}" ]; then
  export DLGRADE_SECRET_FILE="$HERE/{secret}"
  unset DLGRADE_SECRET
fi
mkdir -p "$ROOT/results"
rm -f "$ROOT/results/results.json"
"$PY" -m graders.prairielearn.run --root "$ROOT" --config "$HERE/{config}"
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  cat > "$ROOT/results/results.json" <<EOF
{{"gradable": false, "score": 0, "message": "The grader stopped before it could grade your submission (exit status $status). Please tell your instructor.", "output": "", "tests": []}}
EOF
fi
exit 0
"""


def grader_config(assignment: str, options: dict | None = None, courses: list[str] | None = None) -> dict:
    config = {"assignment": assignment, "options": dict(options or {}), "dlgrade_version": __version__,
              "python": "%d.%d" % sys.version_info[:2]}
    if courses:
        config["courses"] = list(courses)
    return config


def _write(path: Path, text: str, mode: int) -> None:
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, mode)  # whatever the umask
    tmp.replace(path)


def write_grader(assignment: str, out, *, options: dict | None = None, secret: bytes | None = None,
                 course=None) -> Path:
    """Write the external grader of `assignment` into the folder `out`; returns it.

    secret: the course secret (default: `load_course_secret()`, the instructor's own).
    course: a course folder (graders.courses); the grader carries it, and every installed
    course, so that the assignment grades in the container as it does here.
    """
    from graders.course_files import course_files, shipped_names
    from graders.courses import catalog
    from graders.engine.secret import load_course_secret

    found = catalog(course)
    found.get(assignment)  # KeyError for an unknown id, before anything is written
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fill = {"assignment": assignment, "config": CONFIG, "secret": SECRET}
    _write(out / ENTRY_POINT, RUN_SH.format(**fill), 0o755)
    for name, path in course_files(found):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        _write(out / name, path.read_text(encoding="utf-8"), 0o644)
    config = grader_config(assignment, options, shipped_names(found))
    _write(out / CONFIG, json.dumps(config, indent=2, sort_keys=True) + "\n", 0o644)
    key = secret if secret is not None else load_course_secret()
    _write(out / SECRET, key.decode("utf-8") + "\n", 0o600)
    return out

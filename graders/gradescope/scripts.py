"""The two shell scripts of a Gradescope autograder bundle, as templates.

Gradescope unzips the bundle into /autograder/source, runs `setup.sh` there once (as root,
with network) to build the image, and then, for each submission, copies `run_autograder` to
/autograder/run_autograder and runs it: the student's files are in /autograder/submission,
and /autograder/results/results.json is the grade.

setup.sh follows scripts/setup.sh: PyTorch first, only for an assignment whose sandbox
preloads it (TORCH_SETUP), and always a CPU build (a local wheel folder, else PyTorch's CPU
index on Linux, else the default index), then the pinned
requirements, into a virtual environment outside /autograder (the sandbox hides
/autograder from submissions, so the interpreter must live elsewhere).
"""

SETUP_SH = r"""#!/usr/bin/env bash
# dlgrade autograder for "{assignment}": Gradescope runs this once, as root, to build the image.
# Override with DLGRADE_VENV (where the environment goes), DLGRADE_SETUP_PYTHON (the interpreter),
# DLGRADE_TORCH_INDEX (PyTorch's CPU wheel index).
set -euo pipefail
SOURCE="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
VENV=${{DLGRADE_VENV:-/opt/dlgrade-venv}}
PYTHON=${{DLGRADE_SETUP_PYTHON:-python3}}
WANT_PY={python}

apt_install() {{
  command -v apt-get >/dev/null 2>&1 || return 1
  apt-get update -y >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}}

# The pins were made with Python $WANT_PY: use it when the image has it or can install it.
if command -v "python$WANT_PY" >/dev/null 2>&1 || apt_install "python$WANT_PY" "python$WANT_PY-venv" >/dev/null 2>&1; then
  PYTHON=${{DLGRADE_SETUP_PYTHON:-python$WANT_PY}}
fi
if ! "$PYTHON" -m venv --help >/dev/null 2>&1; then
  apt_install python3 python3-venv python3-pip
fi
"$PYTHON" -m venv "$VENV" || {{ apt_install python3-venv "python$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv"; "$PYTHON" -m venv "$VENV"; }}
pip() {{ "$VENV/bin/python" -m pip --disable-pip-version-check "$@"; }}

{torch_setup}
if ! pip install -r "$SOURCE/requirements.txt"; then
  echo "setup: the pinned versions do not install on $("$VENV/bin/python" -V); using the declared ranges" >&2
  pip install -r "$SOURCE/requirements-ranges.txt"
fi
chmod -R a+rX "$VENV"
# A smoke test: the grader imports and knows the assignment's checks.
PYTHONPATH="$SOURCE/dlgrade_src" "$VENV/bin/python" -m graders.gradescope.run --self-test \
  --config "$SOURCE/dlgrade_autograder.json"
"""

# Only for an assignment whose sandbox preloads torch: always a CPU build.
TORCH_SETUP = r"""TORCH_VERSION={torch}
TORCH_INDEX=${{DLGRADE_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}}
if ! "$VENV/bin/python" -c "import torch" >/dev/null 2>&1; then
  if pip install --quiet --no-index --no-deps "torch==$TORCH_VERSION" >/dev/null 2>&1; then
    echo "setup: torch $TORCH_VERSION (CPU) from the local wheel folder"
  elif [ "$(uname -s)" = "Linux" ]; then
    pip install --no-deps "torch==$TORCH_VERSION" --index-url "$TORCH_INDEX" \
      || pip install --no-deps torch --index-url "$TORCH_INDEX"
  else
    pip install --no-deps "torch==$TORCH_VERSION" || pip install --no-deps torch
  fi
fi"""
NO_TORCH_SETUP = "# {assignment}'s sandbox preloads no torch: the image installs none."

SECRET_FILE = "course-secret"  # in the bundle, beside run_autograder

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# dlgrade autograder for "{assignment}": Gradescope runs this for each submission.
# It grades the notebook (or .py file) in $AUTOGRADER_ROOT/submission and writes
# $AUTOGRADER_ROOT/results/results.json. AUTOGRADER_ROOT defaults to /autograder;
# DLGRADE_PYTHON picks the interpreter (default: the one setup.sh made, else python3).
set -uo pipefail
ROOT=${{AUTOGRADER_ROOT:-/autograder}}
SOURCE="$ROOT/source"
VENV=${{DLGRADE_VENV:-/opt/dlgrade-venv}}
if [ -n "${{DLGRADE_PYTHON:-}}" ]; then
  PY=$DLGRADE_PYTHON
elif [ -x "$VENV/bin/python" ]; then
  PY="$VENV/bin/python"
else
  PY=python3
fi
export DLGRADE_AUTOGRADER=1
# the instructor's course secret, in the grader's own files (hidden from the sandbox below)
if [ -f "$SOURCE/{secret_file}" ]; then
  unset DLGRADE_SECRET
  export DLGRADE_SECRET_FILE="$SOURCE/{secret_file}"
fi
export DLGRADE_HIDE="$ROOT${{DLGRADE_HIDE:+:$DLGRADE_HIDE}}"
export PYTHONPATH="$SOURCE/dlgrade_src${{PYTHONPATH:+:$PYTHONPATH}}"
mkdir -p "$ROOT/results"
rm -f "$ROOT/results/results.json"
"$PY" -m graders.gradescope.run --root "$ROOT" --config "$SOURCE/dlgrade_autograder.json"
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  cat > "$ROOT/results/results.json" <<EOF
{{"score": 0, "output": "The autograder stopped before it could grade your submission (exit status $status). Please tell your instructor.", "visibility": "visible", "stdout_visibility": "visible", "tests": []}}
EOF
fi
exit 0
"""

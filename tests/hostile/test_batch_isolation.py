"""A class graded with `run_batch`: each student sees only their own submission.

bob's submission knows where the class lies (the folder, the zip, its extraction folder: it
is told the paths here, the strongest case) and looks there for alice's work to copy. By
default the batch grades in autograder mode; `trusted=True` (`dlgrade batch --trusted`) in
default mode. In both, bob finds nothing where the platform can refuse it (Landlock's
allow-list, or the sandbox's own mount namespace) and scores what his own code is worth.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import zipfile
from pathlib import Path

import pytest

from graders.courses import Catalog
from graders.batch import run_batch
from tests.hostile import corpus

PROTECT = corpus.protections()
ALICE = corpus.REPO / "reference" / "numpy" / "numpy_basics.py"
BOB = '''
import glob, os, sys

import numpy as np

print("UID", os.getuid())
_found = None
for _base in {bases!r}:
    for _path in glob.glob(os.path.join(_base, "**", "*.py"), recursive=True):
        try:
            with open(_path, encoding="utf-8") as _f:
                _text = _f.read()
        except OSError:
            continue
        if "def " + "softmax(" in _text:  # (not this file)
            _found = _text
            print("HOSTILE-SUCCESS copied", _path)
            break
    if _found:
        break
if _found:
    _theirs = {{}}
    exec(compile(_found, "copied", "exec"), _theirs)
    for _name in ("relu", "sigmoid", "softmax", "tanh"):
        globals()[_name] = _theirs[_name]
'''
FUNCTIONS = {"relu", "sigmoid", "softmax", "tanh"}


def _class(tmp_path: Path, bases) -> Path:
    root = tmp_path / "class"
    root.mkdir()
    (root / "alice.py").write_text(ALICE.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "bob.py").write_text(BOB.format(bases=[str(b) for b in bases]), encoding="utf-8")
    return root


def _grade(source: Path, out: Path, monkeypatch, trusted: bool):
    assignment = corpus.fast_assignment(FUNCTIONS, properties=False)
    monkeypatch.setattr(Catalog, "get", lambda self, aid: assignment)
    with cf.ThreadPoolExecutor(1) as pool:  # (in this process: the registry above answers)
        result = run_batch(source, "numpy_basics", out, executor=pool, progress=False, trusted=trusted)
    assert not result.errors, result.errors
    return {s: json.loads((out / "reports" / f"{s}.json").read_text(encoding="utf-8")) for s in ("alice", "bob")}


def _refused() -> bool:
    return PROTECT["landlock"] or PROTECT["namespaces"]


@pytest.mark.parametrize("trusted", [False, True], ids=["isolated (default)", "trusted"])
@pytest.mark.parametrize("packed", [False, True], ids=["folder", "zip"])
def test_a_student_cannot_read_or_copy_a_classmates_submission(trusted, packed, tmp_path, monkeypatch):
    if not _refused():
        pytest.skip("neither Landlock nor namespaces here: a sandbox can read the class folder "
                    "(see docs/security.md)")
    monkeypatch.chdir(tmp_path)
    system_tmp = Path(__import__("tempfile").gettempdir())
    # bob is told every place alice's file is: the class folder, the zip, and where a batch
    # extracts a zip or writes each submission (the system's temporary folder)
    root = _class(tmp_path, [tmp_path, system_tmp])
    source = root
    if packed:
        source = tmp_path / "class.zip"
        with zipfile.ZipFile(source, "w") as zf:
            for p in root.iterdir():
                zf.write(p, p.name)
    reports = _grade(source, tmp_path / "out", monkeypatch, trusted)
    bob = reports["bob"]
    assert corpus.SUCCESS not in bob["captured_output"], bob["captured_output"]
    assert bob["score"] == 0, bob["score"]
    assert reports["alice"]["score"] == reports["alice"]["max_score"] > 0
    uid = int(bob["captured_output"].split("UID", 1)[1].split()[0])
    if PROTECT["root"]:  # autograder mode as root: the sandbox's own user; trusted: the grader's
        assert (uid == 0) == trusted


def test_cli_batch_has_a_trusted_switch_and_isolates_by_default():
    from dlgrade.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["batch", "class", "-a", "numpy_basics"]).trusted is False
    assert parser.parse_args(["batch", "class", "-a", "numpy_basics", "--trusted"]).trusted is True

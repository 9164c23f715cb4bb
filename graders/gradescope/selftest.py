"""The self-test of a built Gradescope bundle, before anyone uploads it.

The bundle is unpacked as Gradescope does (ROOT/source, the scripts executable, run_autograder
copied to ROOT), and its own `run_autograder` grades two submissions with this interpreter
(which has dlgrade's requirements; the grader's code comes from the bundle alone, first on
PYTHONPATH): the reference solution must get full marks with every check passed, and an empty
submission must get a valid results.json that scores nothing. So a bundle that lacks a module
or a data file, or whose grader fails, is caught on the instructor's machine.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

SHOWN_FAILURES = 3  # failed checks quoted in the error


class BundleSelfTestFailed(RuntimeError):
    """The bundle does not grade as it must (the message says how)."""


@dataclass(frozen=True)
class SelfTestResult:
    checks: int
    max_score: float
    reference_score: float
    empty_score: float


def unpack(bundle: Path, root: Path) -> Path:
    """A simulated /autograder at `root`: the bundle in source/ (modes kept), submission/, results/."""
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
        for info in zf.infolist():
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope does
    return root


def results_problems(data) -> list[str]:
    """What is wrong with a results.json for Gradescope (its documented required fields)."""
    def number(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

    if not isinstance(data, dict):
        return ["results.json is not a JSON object"]
    problems = []
    if not number(data.get("score")):
        problems.append(f"score is {data.get('score')!r}, not a number")
    if not isinstance(data.get("tests"), list):
        return problems + ["tests is not a list"]
    for i, test in enumerate(data["tests"]):
        if not (isinstance(test, dict) and number(test.get("score")) and number(test.get("max_score"))
                and isinstance(test.get("name"), str) and isinstance(test.get("output", ""), str)):
            problems.append(f"test {i} lacks a name, a score or a max_score")
    return problems


def run_autograder(root: Path, python: str = sys.executable, timeout: float | None = None) -> dict:
    """Run ROOT/run_autograder once and return ROOT/results/results.json."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DLGRADE_COURSE")}
    env.update(AUTOGRADER_ROOT=str(root), DLGRADE_PYTHON=python)
    # cwd: `python -m` puts the working directory first on sys.path, and a checkout's would
    # hand the grader modules the bundle lacks
    proc = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, cwd=root)
    results = root / "results" / "results.json"
    try:
        return json.loads(results.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BundleSelfTestFailed(f"run_autograder wrote no readable results.json ({exc}); its output:\n"
                                   f"{(proc.stdout + proc.stderr)[-3000:]}") from None


def _failures(data: dict) -> str:
    failed = [t for t in data.get("tests", []) if t.get("status") != "passed"]
    lines = [f"- {t.get('name')}: {str(t.get('output', '')).strip()[:400]}" for t in failed[:SHOWN_FAILURES]]
    if len(failed) > SHOWN_FAILURES:
        lines.append(f"... and {len(failed) - SHOWN_FAILURES} more")
    return "\n".join(lines)


def self_test_bundle(bundle, reference, *, python: str = sys.executable,
                     timeout: float | None = None) -> SelfTestResult:
    """Grade the reference (full marks) and an empty submission (a valid results.json that
    scores nothing) with the bundle's own run_autograder; BundleSelfTestFailed otherwise."""
    bundle, reference = Path(bundle), Path(reference)
    with zipfile.ZipFile(bundle) as zf:
        assignment = json.loads(zf.read("dlgrade_autograder.json"))["assignment"]
    with tempfile.TemporaryDirectory(prefix="dlgrade-bundle-test-") as tmp:
        root = unpack(bundle, Path(tmp) / "graded")
        shutil.copyfile(reference, root / "submission" / f"{assignment}.py")
        graded = run_autograder(root, python, timeout)
        empty_root = unpack(bundle, Path(tmp) / "empty")
        empty = run_autograder(empty_root, python, timeout)
    for what, data in (("the reference", graded), ("an empty submission", empty)):
        problems = results_problems(data)
        if problems:
            raise BundleSelfTestFailed(f"the results.json of {what} is not valid: {'; '.join(problems)}; "
                                       f"its output: {str(data.get('output', ''))[:1000]}")
    max_score = sum(t["max_score"] for t in graded["tests"])
    if not graded["tests"] or abs(graded["score"] - max_score) > 1e-6 or any(t.get("status") != "passed" for t in graded["tests"]):
        raise BundleSelfTestFailed(
            f"the reference of {assignment} gets {graded['score']:g} of {max_score:g} with the bundle "
            f"(expected full marks); output: {str(graded.get('output', '')).strip()[:1000]}\n{_failures(graded)}")
    if len(empty["tests"]) != len(graded["tests"]) or empty["score"] != 0:
        raise BundleSelfTestFailed(
            f"an empty submission gets {empty['score']:g} with {len(empty['tests'])} checks (expected 0, with "
            f"the {len(graded['tests'])} checks the reference got); output: {str(empty.get('output', ''))[:1000]}")
    return SelfTestResult(checks=len(graded["tests"]), max_score=max_score, reference_score=graded["score"],
                          empty_score=empty["score"])

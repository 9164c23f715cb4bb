"""Every submission of the hostile corpus, graded through `dlgrade.cli.main`.

For each one, in default mode and (as root only) in autograder mode:
- grading finishes in bounded time with a valid report and exit status 0;
- the score is never higher than its clean twin's (the same code without the attack);
- no process of the submission outlives the grade;
- nothing outside its temporary directory changed: the checkout's files, the grader's
  working directory, the temporary directories, /autograder;
- attacks the platform can refuse were refused (no `HOSTILE-SUCCESS` line was printed),
  no network connection reached the listener the test opened, the reference was not read.
"""

from __future__ import annotations

import dataclasses
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.hostile import corpus

CASES = [p.stem for p in corpus.corpus_files()]
MODES = ("default", "autograder")
PROTECT = corpus.protections()
CGROUPS = corpus.cgroup_available()
# attacks that, left unrefused, would write into the shared checkout or fill the disk:
# they run in default mode only where Landlock refuses them
NEEDS_LANDLOCK = {"write_grader_files", "fill_disk", "fake_results", "shared_tmp"}
# what must be refused, by mode: {case: predicate(protections) -> bool}
REFUSED_DEFAULT = {
    "import_reference": lambda p: p["landlock"],
    "read_reference_file": lambda p: p["landlock"],
    "write_grader_files": lambda p: p["landlock"],
    "fake_results": lambda p: p["landlock"],
    "fill_disk": lambda p: p["landlock"],
    "network_connect": lambda p: p["seccomp"] or p["landlock_net"],
    "monkeypatch_grader_modules": lambda p: True,
    "read_git": lambda p: p["landlock"] or p["namespaces"],
    "read_other_processes": lambda p: p["landlock"] or p["namespaces"],
    "shared_tmp": lambda p: p["landlock"] or p["namespaces"],
}
# the files the attacks go after (the whole checkout is not watched: other people edit it)
WATCHED = [corpus.REPO / "graders" / "engine", corpus.REPO / "graders" / "sandbox", corpus.REPO / "dlgrade",
           corpus.REPO / "reference" / "numpy" / "numpy_basics.py", corpus.SUBMISSIONS]
MAX_SECONDS = 90.0
# words the feedback must contain: the student is told what happened
FEEDBACK = {
    "exit_os_exit_in_function": ["exited with status 0"],
    "exit_system_exit_in_function": ["SystemExit"],
    "exit_sys_exit_top_level": ["SystemExit"],
    "loop_at_import": ["timed out while running your code's top level"],
    "loop_in_function": ["did not finish in time"],
    "ignore_sigterm_loop": ["did not finish in time"],
    "memory_unbounded": ["MemoryError"],
    "deep_recursion": ["RecursionError", "SIGSEGV"],
    "input_call": ["EOFError"],
    "lying_objects": ["submission.Liar object", "submission.LyingFloat object"],
    "bad_returns": ["the string 'relu(z)'", "None", "contains NaN", "contains inf", "wrong shape",
                    "dtype object cannot be sent", "builtins.generator object"],
    "fill_disk": [],
    "print_flood": ["more bytes of output not shown"],
    "unconvertible_returns": ["cannot convert to a number", "dtype object cannot be sent"],
    "escape_sequences": ["ValueError"],
}
_TWINS: dict[str, float] = {}


class Listener:
    """TCP and UDP on one loopback port, recording whatever arrives."""

    def __init__(self):
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(16)
        self.tcp.settimeout(0.2)
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.udp.settimeout(0.2)
        self.events: list[str] = []
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                conn, addr = self.tcp.accept()
                self.events.append(f"tcp from {addr}")
                conn.close()
            except OSError:
                pass
            try:
                data, addr = self.udp.recvfrom(4096)
                self.events.append(f"udp {data[:40]!r} from {addr}")
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.thread.join(timeout=2)
        self.tcp.close()
        self.udp.close()


def _source(name: str, which: str, port: int | None = None) -> str:
    text = corpus.variant((corpus.SUBMISSIONS / f"{name}.py").read_text(encoding="utf-8"), which)
    if port is not None:
        text = text.replace("PORT = 47613", f"PORT = {port}")
    return text


def _assignment(name: str, which: str = "hostile"):
    text = (corpus.SUBMISSIONS / f"{name}.py").read_text(encoding="utf-8")
    limits = corpus.FAST_LIMITS
    if which == "hostile" and name == "loop_at_import":
        # a shorter start-up limit only lowers the hostile submission's score; it keeps the test short
        limits = dataclasses.replace(limits, startup_s=3.0)
    return corpus.fast_assignment(corpus.defined_functions(text), properties=False, limits=limits)


def _twin_score(name, tmp_path, monkeypatch) -> float:
    if name not in _TWINS:
        path = tmp_path / f"{name}_twin.py"
        path.write_text(_source(name, "twin"), encoding="utf-8")
        with monkeypatch.context() as m:
            m.setenv("DLGRADE_AUTOGRADER", "0")
            report = corpus.grade_cli(path, tmp_path / "twin.json", m, _assignment(name, "twin"))
        _TWINS[name] = report["score"]
    return _TWINS[name]


def _markers_outside() -> list[str]:
    found = []
    for d in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            found += [str(p) for p in Path(d).iterdir() if p.name.startswith(corpus.MARKER)]
        except OSError:
            pass
    return found


def test_corpus_covers_every_attack_of_the_issue():
    expected = {"exit_sys_exit_top_level", "exit_os_exit_in_function", "exit_system_exit_in_function",
                "loop_at_import", "loop_in_function", "ignore_sigterm_loop", "memory_unbounded",
                "fork_double_fork_setsid", "fork_popen_new_session", "fork_many_processes", "print_flood",
                "deep_recursion", "input_call", "monkeypatch_numpy_math", "monkeypatch_grader_modules",
                "lying_objects", "fake_results", "import_reference", "read_reference_file",
                "write_grader_files", "network_connect", "fill_disk", "modify_inputs", "bad_returns",
                "read_git", "read_other_processes", "shared_tmp", "unconvertible_returns", "escape_sequences"}
    assert expected <= set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_twin_differs_from_hostile_and_both_compile(name):
    hostile, twin = _source(name, "hostile"), _source(name, "twin")
    assert hostile != twin
    compile(hostile, f"{name} (hostile)", "exec")
    compile(twin, f"{name} (twin)", "exec")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", CASES)
def test_hostile_submission_gains_nothing_and_leaves_nothing(name, mode, tmp_path, monkeypatch):
    if mode == "autograder" and not PROTECT["root"]:
        pytest.skip("autograder mode needs root (its user switch and namespaces); see docs/security.md")
    if mode == "default" and name in NEEDS_LANDLOCK and not PROTECT["landlock"]:
        pytest.skip("without Landlock, default mode cannot stop this attack from writing outside its "
                    "directory; not run against the shared checkout (see docs/security.md)")
    twin = _twin_score(name, tmp_path, monkeypatch)

    sandboxes = tmp_path / "sandboxes"
    cwd = tmp_path / "cwd"
    sandboxes.mkdir()
    cwd.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(sandboxes))
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("DLGRADE_AUTOGRADER", "1" if mode == "autograder" else "0")
    autograder_results = Path("/autograder/results/results.json")
    had_results = autograder_results.exists()
    before = corpus.tree_snapshot(WATCHED)
    markers_before = set(_markers_outside())
    listener = Listener() if name == "network_connect" else None
    path = tmp_path / f"{name}.py"
    path.write_text(_source(name, "hostile", listener.port if listener else None), encoding="utf-8")
    try:
        start = time.monotonic()
        report = corpus.grade_cli(path, tmp_path / "report.json", monkeypatch, _assignment(name))
        elapsed = time.monotonic() - start
    finally:
        if listener is not None:
            time.sleep(0.3)
            listener.close()
        planted = [p for pattern in ("graders/**/*hostile-marker*", "*results.json", "reference/**/*hostile*")
                   for p in corpus.REPO.glob(pattern)]
        for p in planted:
            p.unlink()

    corpus.assert_valid_report(report)
    assert elapsed < MAX_SECONDS
    assert report["score"] <= twin + 1e-9, (report["score"], twin)
    assert corpus.survivors() == []
    assert not planted, "a file was planted in the grader's package"
    assert corpus.tree_snapshot(WATCHED) == before, "the checkout changed"
    assert list(cwd.iterdir()) == [], "the grader's working directory changed"
    assert list(sandboxes.iterdir()) == [], "a sandbox directory was left behind"
    if PROTECT["landlock"] or PROTECT["root"]:  # a private /tmp, or /tmp not writable at all
        assert set(_markers_outside()) <= markers_before, "files were left in /tmp, /var/tmp or /dev/shm"
    if not had_results:
        assert not autograder_results.exists()
    text = corpus.report_text(report)
    for words in FEEDBACK.get(name, []):
        assert words in text, words
    # whatever a submission returns or does, the grader's own source never reaches the student
    assert "internal error" not in text and "Traceback (most recent call last)" not in text
    if name == "fork_many_processes" and (mode == "autograder" or not PROTECT["root"] or CGROUPS):
        forked = [int(line.split()[1]) for line in report["captured_output"].splitlines()
                  if line.startswith("FORKED ")]
        assert forked and max(forked) <= corpus.FAST_LIMITS.processes + 16, forked
    refused = mode == "autograder" or REFUSED_DEFAULT.get(name, lambda p: False)(PROTECT)
    if refused:
        assert corpus.SUCCESS not in text, [line for line in report["captured_output"].splitlines()
                                             if corpus.SUCCESS in line]
    if listener is not None and (mode == "autograder" or REFUSED_DEFAULT[name](PROTECT)):
        assert listener.events == []


"""Benchmark 5: peak memory of one grading worker: the grader process and its sandbox.

Each measurement runs in a fresh Python process (a batch worker's situation) that grades
the assignment's reference once. The peaks are VmHWM from /proc/<pid>/status: the grader
process's and its fork server's at the end, the sandbox process's just before it is killed.

Not getrusage's ru_maxrss: on Linux a process started with vfork + exec (as subprocess
starts the sandbox, and this script the measuring process) inherits its parent's
high-water mark, so RUSAGE_CHILDREN reports at least the grader's resident size when it
started the sandbox, and a process started by a big one at least that one's size. The
notes give the RUSAGE_CHILDREN figure beside, to show it.

When no registered assignment preloads torch yet, the torch measurement grades nothing:
it starts a Sandbox with the ("numpy", "torch") preload and trains a small MLP in it for
a few steps through a call (a stand-in, said so in the table).

    .venv/bin/python -m benchmarks.bench_memory [--quick] [--repeats N] [--json PATH]
"""

from __future__ import annotations

import contextlib
import json
import resource
import subprocess
import sys

from benchmarks.common import fork_server_off, log, main, median, result
from graders import assignments
from graders.engine import runner
from graders.sandbox.limits import Limits
from graders.sandbox.process import Sandbox

TORCH_CELL = '''
import numpy as np
import torch

def train(steps):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    X, y = torch.randn(256, 64), torch.randint(0, 10, (256,))
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
    return float(loss)
'''
STAND_IN = "torch sandbox stand-in"


def peak_rss_mb(pid="self") -> float:
    """VmHWM: the peak resident memory of a process's current address space, in MiB."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/<pid>/status")


SANDBOX_PEAKS: list[float] = []
LAUNCHERS: set[str] = set()


class MeasuredSandbox(Sandbox):
    """Reads the sandbox process's peak memory just before it is killed."""

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            SANDBOX_PEAKS.append(peak_rss_mb(self.proc.pid))
            LAUNCHERS.add(getattr(self, "launcher", None) or "fresh")
        super().close()


def fork_server_peaks() -> list[float]:
    """VmHWM of this process's running fork servers (none without a fork server)."""
    try:
        from graders.sandbox import forkserver
    except ImportError:
        return []
    return [peak_rss_mb(pid) for pid in forkserver.server_pids()]


def measure(target: str, checks: int | None) -> dict:
    """In this (fresh) process: grade `target`'s reference, or run the torch stand-in."""
    if target == STAND_IN:
        with MeasuredSandbox([("cell 1", TORCH_CELL)], preload=("numpy", "torch"),
                             limits=Limits(memory_mb=8192)) as box:
            box.start()
            box.call("train", 50, timeout=120)
        score = None
    else:
        assignment = assignments.get(target)
        names = [c.name for c in assignment.all_checks()][:checks] if checks else None
        runner.Sandbox = MeasuredSandbox
        report = runner.grade(str(assignment.reference), assignment,
                              select=(lambda n: n in names) if names else None)
        score = f"{sum(t.score for t in report.tests):g}/{sum(t.max_score for t in report.tests):g}"
    return {"grader MB": peak_rss_mb(), "sandbox MB": max(SANDBOX_PEAKS, default=0.0), "score": score,
            "fork server MB": sum(fork_server_peaks()), "launcher": ", ".join(sorted(LAUNCHERS)),
            "ru_maxrss self MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "ru_maxrss children MB": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def measure_in_fresh_process(target: str, checks: int | None) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.bench_memory", "--measure", target]
    if checks:
        cmd += ["--checks", str(checks)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def targets(quick: bool) -> list[tuple[str, str]]:
    """(target, preload) pairs: every assignment, and the torch stand-in when none preloads torch;
    only numpy_basics with --quick."""
    ids = assignments.assignment_ids()
    chosen = [(i, "+".join(assignments.get(i).preload)) for i in ids]
    if quick:
        chosen = [c for c in chosen if c[0] == "numpy_basics"]
    elif not any("torch" in preload for _, preload in chosen):
        chosen.append((STAND_IN, "numpy+torch"))
    return chosen


COLUMNS = ["grading", "preload", "launcher", "score", "grader process peak RSS (MB)",
           "fork server peak RSS (MB)", "sandbox process peak RSS (MB)", "worker total (MB)", "runs"]


def run(quick: bool = False, repeats: int = 3) -> dict:
    rows, children = [], []  # children: RUSAGE_CHILDREN's ru_maxrss per row
    checks = 4 if quick else None
    cases = [(target, preload, False) for target, preload in targets(quick)]
    if not quick:  # the same without the fork server, for a numpy and a torch assignment
        torch_one = next((t for t, p in targets(quick) if "torch" in p), None)
        cases += [(t, p, True) for t, p in targets(quick) if t in ("numpy_basics", torch_one)]
    for target, preload, fresh in cases:
        log(f"memory: {target}{' (fork server off)' if fresh else ''} x{repeats}")
        with fork_server_off() if fresh else contextlib.nullcontext():
            runs = [measure_in_fresh_process(target, checks) for _ in range(repeats)]
        children.append(median([r["ru_maxrss children MB"] for r in runs]))
        grader, sandbox = median([r["grader MB"] for r in runs]), median([r["sandbox MB"] for r in runs])
        server = median([r["fork server MB"] for r in runs])
        rows.append({"grading": target, "preload": preload, "launcher": runs[0]["launcher"],
                     "score": runs[0]["score"], "grader process peak RSS (MB)": grader,
                     "fork server peak RSS (MB)": server or None, "sandbox process peak RSS (MB)": sandbox,
                     "worker total (MB)": grader + server + sandbox, "runs": repeats})
    # the example for the note: where ru_maxrss overstates the sandbox's peak the most
    i = max(range(len(rows)), key=lambda k: children[k] - rows[k]["sandbox process peak RSS (MB)"])
    notes = ["Peak resident memory (VmHWM), in MiB, of a fresh process that grades one submission, of its fork "
             "server (which has imported the preload) and of its sandbox; 'worker total' adds the peaks: an upper "
             "bound of what one batch worker holds at once, the more so as a forked sandbox shares the server's "
             "pages (copy-on-write) and both count them.",
             "Why not ru_maxrss: a process started by vfork + exec (a fresh sandbox interpreter, this script's "
             "measuring process) inherits its parent's high-water mark, so RUSAGE_CHILDREN's ru_maxrss of a fresh "
             "sandbox is at least the grader's resident size when it started it (this run, "
             f"{rows[i]['grading']}, {rows[i]['launcher']}: RUSAGE_CHILDREN {children[i]:.0f} MiB, sandbox VmHWM "
             f"{rows[i]['sandbox process peak RSS (MB)']:.0f} MiB)."]
    if any(r["grading"] == STAND_IN for r in rows):
        notes.append(f"{STAND_IN}: no registered assignment preloads torch yet; a Sandbox with the "
                     "numpy+torch preload trains a 64-128-10 MLP for 50 Adam steps on 256 examples instead.")
    if quick:
        notes.append("--quick grades only the first 4 checks of numpy_basics.")
    return result("memory", "Peak memory per grading worker", COLUMNS, rows, notes,
                  {"quick": quick, "repeats": repeats})


if __name__ == "__main__":
    if "--measure" in sys.argv:
        args = sys.argv[sys.argv.index("--measure") + 1:]
        n = int(args[args.index("--checks") + 1]) if "--checks" in args else None
        print(json.dumps(measure(args[0], n)))
        sys.exit(0)
    sys.exit(main(run, sys.argv[1:], __doc__.splitlines()[0]))

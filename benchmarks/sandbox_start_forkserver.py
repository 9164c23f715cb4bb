"""Sandbox start with and without the fork server: fresh interpreter vs forked from a server
that has NumPy (and torch) imported.

For each preload, ("numpy",) and ("numpy", "torch"), and each launcher (a fresh interpreter,
`Sandbox(forkserver=False)`; the fork server, `Sandbox(forkserver=True)`), it times:

* spawn: from `Sandbox.start()` to the child's process existing (Popen returned, or the
  server answered: a spare forked in advance became the sandbox's process);
* ready: to the child's first message ("ready": Python started, limits applied; the fresh
  child has also imported NumPy here, torch comes in its set-up; as root the grader has also
  moved the process into its cgroup);
* start: to the end of `start()` (set-up: the preload, the isolation layers, the submission's
  top level);
* first result: to the value of the first call of a function of the submission;
* close: killing the process (group, tree, orphans, cgroup) and removing its directory.

The fork server's own start (once per grader process and preload) is reported on its own
row; it is not in the per-sandbox numbers (one untimed sandbox starts it before the runs).

    .venv/bin/python -m benchmarks.sandbox_start_forkserver [--quick] [--repeats N] [--json PATH]
"""

from __future__ import annotations

import sys
import time

from benchmarks.common import main, median, result
from graders.sandbox import forkserver, reaper
from graders.sandbox.limits import Limits
from graders.sandbox.process import Sandbox

CELL = "def f(x):\n    return x + 1.0\n"
PRELOADS = {"numpy": ("numpy",), "numpy+torch": ("numpy", "torch")}
PHASES = ("spawn", "ready", "start", "first result", "close")


def once(preload, use_forkserver: bool) -> dict:
    limits = Limits(memory_mb=8192) if "torch" in preload else Limits(memory_mb=2048)
    marks = {}
    box = Sandbox([("cell 1", CELL)], preload=preload, limits=limits, forkserver=use_forkserver)
    receive, register = box._receive, reaper.register

    def timed_receive(deadline, what):
        value = receive(deadline, what)
        marks.setdefault("ready", time.perf_counter())
        return value

    def timed_register(pid):  # called as soon as the sandbox's process exists
        marks.setdefault("spawn", time.perf_counter())
        register(pid)

    box._receive = timed_receive
    reaper.register = timed_register
    t0 = time.perf_counter()
    try:
        box.start()
        reaper.register = register
        marks["start"] = time.perf_counter()
        value = box.call("f", 1.0)
        marks["first result"] = time.perf_counter()
    finally:
        reaper.register = register
        box.close()
    marks["close"] = time.perf_counter()
    assert value == 2.0, value
    expected = "forkserver" if use_forkserver else "fresh"
    assert box.launcher == expected, (box.launcher, box.launch_note)
    out = {k: marks[k] - t0 for k in ("spawn", "ready", "start", "first result")}
    out["close"] = marks["close"] - marks["first result"]
    return out


COLUMNS = ["launcher", "preload", "spawn (ms)", "ready (ms)", "start (ms)", "first result (ms)", "close (ms)",
           "runs"]


def run(quick: bool = False, repeats: int = 9) -> dict:
    preloads = {"numpy": PRELOADS["numpy"]} if quick else PRELOADS
    rows, notes = [], []
    for name, mods in preloads.items():
        forkserver.shutdown()
        t0 = time.perf_counter()
        once(mods, True)  # starts the server (and warms the page cache)
        server_start = time.perf_counter() - t0
        server = forkserver.servers().get((sys.executable, tuple(mods)))
        rows.append({"launcher": "fork server's own start (once)", "preload": name, "spawn (ms)": None,
                     "ready (ms)": None, "start (ms)": 1000 * (server.start_s if server else server_start),
                     "first result (ms)": 1000 * server_start, "close (ms)": None, "runs": 1})
        if not quick:
            once(mods, False)  # warm the page cache for the fresh interpreter too
        for label, use in (("fresh interpreter", False), ("fork server", True)):
            runs = [once(mods, use) for _ in range(repeats)]
            row = {"launcher": label, "preload": name, "runs": repeats}
            for phase in PHASES:
                row[f"{phase} (ms)"] = 1000 * median([r[phase] for r in runs])
            rows.append(row)
    forkserver.shutdown()
    notes.append("Medians; wall-clock milliseconds from Sandbox.start() (close: from the first result).")
    notes.append("The fork server's own start row: 'start' is the server's start (the preload and its scan for "
                 "directory-derived state), 'first result' the first sandbox's, server start included.")
    notes.append("Both launchers run the same set-up from the child's first message on: limits, isolation layers "
                 "(Landlock, seccomp; as root in autograder mode also namespaces and the user switch), the "
                 "submission's top level. As root each sandbox also gets a cgroup (about 10 ms to move a process "
                 "into it on this kernel), in both columns.")
    return result("sandbox_start_forkserver", "Sandbox start: fresh interpreter vs fork server", COLUMNS, rows,
                  notes, {"quick": quick, "repeats": repeats})


if __name__ == "__main__":
    sys.exit(main(run, sys.argv[1:], __doc__.splitlines()[0]))

"""Benchmark 2: time from "grade this" to the first function result.

Ours: graders.sandbox.process.Sandbox(cells).start() (its process, the preloads, the
isolation layers, the submission's top level) and one call of a function the submission
defines, for the preloads ("numpy",) and ("numpy", "torch"); then close(). The process
is a fresh interpreter, or a fork of the fork server (graders/sandbox/forkserver.py),
measured both when the sandbox has to start the server and when it is already running.
Beside it, bare interpreters (`python -c "import ..."`, to show what the imports cost)
and executing the same code as a notebook in a Jupyter kernel with nbclient, which is
how kernel-based graders run a submission (skipped with a note when nbclient or
ipykernel is not installed: `pip install -e .[bench]`).

    .venv/bin/python -m benchmarks.bench_sandbox_start [--quick] [--repeats N] [--json PATH]
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import time

from benchmarks.common import main, median, result
from graders.sandbox.limits import Limits
from graders.sandbox.process import Sandbox

CELL = "def f(x):\n    return x + 1.0\n"
PRELOADS = {"numpy": ("numpy",), "numpy+torch": ("numpy", "torch")}


def fork_server_supported() -> bool:
    return "forkserver" in inspect.signature(Sandbox).parameters


def sandbox_once(preload, fork: bool | None = None, cold: bool = False) -> dict:
    """One sandbox: start, one call, close. fork: Sandbox(forkserver=...) (None: the engine
    without a fork server); cold: first end this process's fork servers, so this sandbox's
    start includes starting one."""
    limits = Limits(memory_mb=8192) if "torch" in preload else Limits(memory_mb=2048)
    options = {} if fork is None else {"forkserver": fork}
    if cold:
        from graders.sandbox import forkserver

        forkserver.shutdown()
    t0 = time.perf_counter()
    box = Sandbox([("cell 1", CELL)], preload=preload, limits=limits, **options)
    try:
        box.start()
        t1 = time.perf_counter()
        value = box.call("f", 1.0)
        t2 = time.perf_counter()
    finally:
        box.close()
    t3 = time.perf_counter()
    assert value == 2.0, value
    if fork and getattr(box, "launcher", None) != "forkserver":
        raise RuntimeError(f"the fork server was not used: {getattr(box, 'launch_note', None)}")
    return {"first result": t2 - t0, "start": t1 - t0, "call": t2 - t1, "close": t3 - t2}


def interpreter_once(modules) -> dict:
    code = "; ".join(f"import {m}" for m in modules) or "pass"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-s", "-c", code], check=True, env={"OMP_NUM_THREADS": "1"})
    return {"first result": time.perf_counter() - t0, "start": None, "call": None, "close": None}


def notebook_once(preload) -> dict:
    import nbformat
    from nbclient import NotebookClient

    cells = [nbformat.v4.new_code_cell("\n".join(f"import {m}" for m in preload)),
             nbformat.v4.new_code_cell(CELL), nbformat.v4.new_code_cell("f(1.0)")]
    nb = nbformat.v4.new_notebook(cells=cells)
    marks = {}

    def started(cell, cell_index, **_):
        marks.setdefault("kernel ready", time.perf_counter())
        if cell_index == 2:
            marks["call"] = time.perf_counter()

    def executed(cell, cell_index, **_):
        if cell_index == 2:
            marks["result"] = time.perf_counter()

    client = NotebookClient(nb, kernel_name="python3", timeout=300, on_cell_start=started,
                            on_cell_executed=executed, extra_arguments=["--IPKernelApp.log_level=ERROR"])
    t0 = time.perf_counter()
    client.execute()
    t1 = time.perf_counter()
    assert nb.cells[-1].outputs[0]["data"]["text/plain"] == "2.0"
    return {"first result": marks["result"] - t0, "start": marks["call"] - t0,
            "call": marks["result"] - marks["call"], "close": t1 - marks["result"]}


def nbclient_missing() -> str | None:
    try:
        import ipykernel  # noqa: F401
        import nbclient  # noqa: F401
    except ImportError as exc:
        return f"nbclient comparison skipped: {exc.name} is not installed (pip install -e .[bench])."
    return None


COLUMNS = ["what", "preload", "first result (s)", "start (s)", "call (s)", "close (s)", "runs"]


def run(quick: bool = False, repeats: int = 7) -> dict:
    preloads = {"numpy": PRELOADS["numpy"]} if quick else PRELOADS
    cases = []
    for name, mods in preloads.items():
        cases.append(("python -c 'import ...' (bare interpreter)", name, lambda m=mods: interpreter_once(m)))
    if fork_server_supported():
        for name, mods in preloads.items():
            cases.append(("Sandbox: fresh interpreter", name, lambda m=mods: sandbox_once(m, fork=False)))
            cases.append(("Sandbox: fork server, first sandbox (starts the server)", name,
                          lambda m=mods: sandbox_once(m, fork=True, cold=True)))
            cases.append(("Sandbox: fork server already running", name,
                          lambda m=mods: sandbox_once(m, fork=True)))
    else:
        for name, mods in preloads.items():
            cases.append(("Sandbox: fresh interpreter", name, lambda m=mods: sandbox_once(m)))
    notes = [] if fork_server_supported() else ["No fork server in graders/sandbox yet: fresh interpreters only."]
    missing = nbclient_missing()
    if missing:
        notes.append(missing)
    else:
        for name, mods in preloads.items():
            cases.append(("nbclient: execute notebook in a Jupyter kernel", name,
                          lambda m=mods: notebook_once(m)))
    rows = []
    for what, name, once in cases:
        if not quick:
            once()  # warm the page cache: the first import after a while reads the disk
        runs = [once() for _ in range(repeats)]
        row = {"what": what, "preload": name, "runs": repeats}
        for key in ("first result", "start", "call", "close"):
            values = [r[key] for r in runs if r[key] is not None]
            row[f"{key} (s)"] = median(values) if values else None
        rows.append(row)
    notes.append("first result: from creating the Sandbox (or launching the interpreter / the kernel) to "
                 "the value of the first call of f (for python -c: to the process's exit).")
    notes.append("The sandbox's start includes starting its process (a fresh interpreter importing the preload, "
                 "or a fork of the fork server, which has imported it), the isolation layers (Landlock, seccomp "
                 "where available) and the submission's top level; close kills its processes and removes its "
                 "temporary directory. A grader process starts one fork server per preload set and keeps it.")
    notes.append("nbclient runs the kernel without limits or isolation; its start is from creating the client "
                 "to the start of the cell that calls f (kernel start, the import cell, the cell defining f); "
                 "its close is the kernel's shutdown.")
    return result("sandbox_start", "Sandbox start: 'grade this' to the first function result", COLUMNS, rows,
                  notes, {"quick": quick, "repeats": repeats})


if __name__ == "__main__":
    sys.exit(main(run, sys.argv[1:], __doc__.splitlines()[0]))

"""What every benchmark shares: timing, the machine's state, results and their tables.

A benchmark's `run(quick, repeats)` returns one result, a plain dict:

    {"benchmark": "gradcheck", "title": "...", "columns": [...], "rows": [{column: value}],
     "notes": ["..."], "settings": {...}}

`markdown(result)` renders it as a table for docs/benchmarks.md; `check_result(result)`
says whether it is well formed (the smoke test uses it). Times are wall-clock seconds
from time.perf_counter; every timed number in a table is a median over repeats.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import inspect
import json
import os
import platform
import statistics
import sys
import time
from typing import Callable


def median(values) -> float:
    return float(statistics.median(values))


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """(wall seconds, fn's return value) of one call."""
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def machine() -> dict:
    """Where and when the numbers were taken, with the load at that moment."""
    info = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_avg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for name in ("numpy", "torch"):
        try:
            info[name] = __import__(name).__version__
        except ImportError:
            pass
    return info


def result(benchmark: str, title: str, columns: list[str], rows: list[dict], notes=(), settings=None) -> dict:
    return {"benchmark": benchmark, "title": title, "columns": list(columns), "rows": list(rows),
            "notes": list(notes), "settings": dict(settings or {})}


def check_result(res: dict) -> list[str]:
    """Problems with a result's shape (empty when it is well formed)."""
    problems = []
    for key, kind in (("benchmark", str), ("title", str), ("columns", list), ("rows", list),
                      ("notes", list), ("settings", dict)):
        if not isinstance(res.get(key), kind):
            problems.append(f"{key!r} missing or not a {kind.__name__}")
    if problems:
        return problems
    for i, row in enumerate(res["rows"]):
        if not isinstance(row, dict) or set(row) != set(res["columns"]):
            problems.append(f"row {i} has keys {sorted(row) if isinstance(row, dict) else row!r}, "
                            f"expected the columns {res['columns']}")
    try:
        json.dumps(res)
    except (TypeError, ValueError) as exc:
        problems.append(f"not JSON-serialisable: {exc}")
    return problems


def cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:.2f}"
        return f"{value:.3g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown(res: dict) -> str:
    lines = [f"### {res['title']}", ""]
    lines.append("| " + " | ".join(res["columns"]) + " |")
    lines.append("|" + "|".join("---" for _ in res["columns"]) + "|")
    for row in res["rows"]:
        lines.append("| " + " | ".join(cell(row[c]) for c in res["columns"]) + " |")
    if res["notes"]:
        lines.append("")
        lines += [f"- {note}" for note in res["notes"]]
    return "\n".join(lines) + "\n"


def default_repeats(run: Callable[..., dict]) -> int:
    """The default of a benchmark's `run(quick, repeats=N)`: the one source of that number."""
    return inspect.signature(run).parameters["repeats"].default


def parse_args(argv, description: str, default_repeats: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run: checks the script works")
    parser.add_argument("--repeats", type=int, default=None,
                        help=f"runs per measurement, median reported (default {default_repeats}; 1 with --quick)")
    parser.add_argument("--json", metavar="PATH", help="also write the result as JSON")
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 1 if args.quick else default_repeats
    return args


def main(run: Callable[..., dict], argv, description: str) -> int:
    """The command line of one benchmark script: run it, print its table, optionally save JSON."""
    args = parse_args(argv, description, default_repeats(run))
    res = run(quick=args.quick, repeats=args.repeats)
    print(markdown(res))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"machine": machine(), "results": [res]}, fh, indent=2)
    return 0


@contextlib.contextmanager
def fork_server_off():
    """DLGRADE_FORKSERVER=0 for the sandboxes started meanwhile (and the processes started
    meanwhile, which inherit it): fresh interpreters."""
    before = os.environ.get("DLGRADE_FORKSERVER")
    os.environ["DLGRADE_FORKSERVER"] = "0"
    try:
        yield
    finally:
        if before is None:
            del os.environ["DLGRADE_FORKSERVER"]
        else:
            os.environ["DLGRADE_FORKSERVER"] = before


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)

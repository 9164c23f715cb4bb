"""Benchmark 7: the wire's caps against what assignments send, and the grader's peak memory
under the worst reply a submission can send, next to a normal grade.

Sizes: every assignment's reference is graded once while the grader records, for each reply
it reads, its bytes, its JSON values, its nesting and its arrays' bytes (and the same for the
requests it sends): the largest legitimate messages, from which `wire.REPLY_CAPS` and
`wire.REQUEST_CAPS` are sized.

Memory: each case runs in a fresh Python process (a batch worker's situation), whose peak
resident memory (VmHWM) is read at the end: a normal grade of numpy_basics' reference, and a
sandbox whose submission writes one of the worst messages of tests/hostile/wire_flood.py
straight onto its reply pipe. Before the caps, a 60 MB message took the grader to 2.8 GB.

    .venv/bin/python -m benchmarks.bench_wire [--quick] [--repeats N] [--json PATH]
"""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks.common import log, main, median, result
from graders import assignments
from graders.engine import runner
from graders.sandbox import process, wire
from graders.sandbox.errors import ProtocolError, SandboxCrashed
from graders.sandbox.limits import Limits
from tests.hostile import wire_flood

NORMAL = "normal grade (numpy_basics reference)"


def peak_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def _shape(value, depth=0) -> tuple[int, int, int]:
    """(JSON values, nesting, array bytes) of a parsed message."""
    if isinstance(value, dict) and isinstance(value.get("$array"), dict):
        return 1, depth, len(value["$array"].get("b64", "")) // 4 * 3
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    n, d, a = 1 + (len(value) if isinstance(value, dict) else 0), depth, 0
    for child in children:
        cn, cd, ca = _shape(child, depth + 1)
        n, d, a = n + cn, max(d, cd), a + ca
    return n, d, a


def sizes(ids) -> dict[str, dict]:
    """The largest reply and request of each assignment's reference grade."""
    found: dict[str, dict] = {}
    parse, pack = wire.parse, wire.pack
    current = [""]

    def record(kind, body, message):
        values, depth, arrays = _shape(message)
        row = found.setdefault(current[0], {})
        for key, value in (("bytes", len(body)), ("values", values), ("depth", depth), ("arrays", arrays)):
            row[f"{kind} {key}"] = max(row.get(f"{kind} {key}", 0), value)

    def recording_parse(body, caps=wire.REPLY_CAPS):
        message = parse(body, caps)
        record("reply", body, message)
        return message

    def recording_pack(message, caps=wire.REPLY_CAPS):
        data = pack(message, caps)
        record("request", data, message)
        return data

    process.wire.parse, process.wire.pack = recording_parse, recording_pack
    try:
        for aid in ids:
            current[0] = aid
            log(f"wire: sizes of {aid}")
            a = assignments.get(aid)
            runner.grade(str(a.reference), a)
    finally:
        process.wire.parse, process.wire.pack = parse, pack
    return found


def measure(case: str) -> dict:
    """In this (fresh) process: a normal grade, or one worst message; the peak RSS."""
    refused = ""
    if case == NORMAL:
        a = assignments.get("numpy_basics")
        runner.grade(str(a.reference), a)
    else:
        with process.Sandbox([("flood.py", wire_flood.submission())],
                             limits=Limits(cpu_s=30, memory_mb=1024, startup_s=20)) as sb:
            sb.start()
            try:
                sb.call("flood", case, timeout=30)
            except (ProtocolError, SandboxCrashed) as exc:
                refused = str(exc)[:90]
    return {"grader MB": peak_rss_mb(), "refused": refused}


def measure_in_fresh_process(case: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_wire", "--measure", case],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


COLUMNS = ["case", "message bytes", "grader peak RSS (MB)", "grader's answer", "runs"]


def run(quick: bool = False, repeats: int = 3) -> dict:
    ids = ["numpy_basics"] if quick else assignments.assignment_ids()
    found = sizes(ids)
    rows = []
    for case in [NORMAL] + list(wire_flood.MESSAGES):
        log(f"wire: memory, {case} x{repeats}")
        runs = [measure_in_fresh_process(case) for _ in range(repeats)]
        size = {"header claims 60 MB": "60 MB (claimed)", NORMAL: "-"}.get(case, "at most the cap")
        rows.append({"case": case, "message bytes": size,
                     "grader peak RSS (MB)": median([r["grader MB"] for r in runs]),
                     "grader's answer": runs[0]["refused"] or "decoded", "runs": repeats})
    largest = max(found.items(), key=lambda kv: kv[1].get("reply bytes", 0))
    notes = [
        f"Caps: replies {wire.REPLY_CAPS.max_bytes:,} bytes, {wire.REPLY_CAPS.max_values:,} JSON values, "
        f"{wire.REPLY_CAPS.max_depth} levels, {wire.REPLY_CAPS.max_array_bytes:,} array bytes per reply; "
        f"requests {wire.REQUEST_CAPS.max_bytes:,} bytes, {wire.REQUEST_CAPS.max_values:,} values.",
        f"Largest legitimate reply: {largest[0]}, {largest[1].get('reply bytes', 0):,} bytes.",
    ] + [f"{aid}: largest reply {r.get('reply bytes', 0):,} bytes, {r.get('reply values', 0):,} values, "
         f"nesting {r.get('reply depth', 0)}, arrays {r.get('reply arrays', 0):,} bytes; largest request "
         f"{r.get('request bytes', 0):,} bytes, arrays {r.get('request arrays', 0):,} bytes"
         for aid, r in sorted(found.items())]
    return result("wire", "The wire's caps: largest legitimate messages, and the grader's peak memory "
                  "under the worst reply", COLUMNS, rows, notes, {"repeats": repeats, "assignments": ids})


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2])))
    else:
        sys.exit(main(run, sys.argv[1:], __doc__.splitlines()[0]))

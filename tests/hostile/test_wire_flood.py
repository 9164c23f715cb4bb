"""A submission that writes the worst messages it can on its reply pipe: the grader refuses
each before it builds anything large, kills the sandbox, fails the check with the reason,
and its own memory stays within a small multiple of the reply cap (tracemalloc counts every
allocation of the grader's Python and NumPy). Before the caps, a 60 MB message took the
grader to 2.8 GB. Peak RSS figures: benchmarks/bench_wire.py, docs/benchmarks.md."""

from __future__ import annotations

import tracemalloc

import pytest

from graders.sandbox import wire
from graders.sandbox.errors import ProtocolError, SandboxCrashed
from graders.sandbox.limits import Limits
from graders.sandbox.process import Sandbox
from tests.hostile import corpus, wire_flood

MODES = ("default", "autograder")
LIMITS = Limits(cpu_s=30, memory_mb=1024, startup_s=20, output_kb=16)
# what the grader may hold while it reads one reply: the body, its text and the value decoded
# from it (an array of up to the array budget), with room for the allocator
MAX_PEAK_BYTES = 6 * wire.REPLY_CAPS.max_bytes


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("which", list(wire_flood.MESSAGES))
def test_the_worst_reply_is_refused_or_bounded_in_the_graders_memory(which, mode, monkeypatch):
    if mode == "autograder" and not corpus.protections()["root"]:
        pytest.skip("autograder mode's user switch needs root")
    with Sandbox([("flood.py", wire_flood.submission())], isolation=mode, limits=LIMITS) as sb:
        sb.start()
        tracemalloc.start()
        try:
            try:
                value = sb.call("flood", which, timeout=30)
            except (ProtocolError, SandboxCrashed) as exc:
                value, refused = None, str(exc)
            else:
                refused = None
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < MAX_PEAK_BYTES, f"the grader peaked at {peak / 2**20:.0f} MiB reading {which!r}"
        if which == "one array at the cap":  # a legitimate size: decoded, then the check judges it
            assert refused is None and value.shape == (wire.REPLY_CAPS.max_bytes // 4 * 3 - 300,)
        else:
            assert refused is not None and not sb.alive
            assert any(w in refused for w in ("over the limit", "values", "nested", "budget")), refused


def test_a_value_too_large_to_send_fails_in_the_sandbox_with_the_reason():
    code = "import numpy as np\ndef big():\n    return np.zeros(3_000_000)\n"  # 24 MB of float64
    with Sandbox([("big.py", code)], limits=LIMITS) as sb:
        sb.start()
        with pytest.raises(Exception, match="too large to send"):
            sb.call("big", timeout=30)
        assert sb.alive  # the sandbox refused its own reply and goes on

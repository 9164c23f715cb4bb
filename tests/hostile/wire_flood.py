"""The worst messages a submission can send the grader: it finds the sandbox's own reply pipe
(the `Child` object, through the garbage collector) and writes raw messages on it, bypassing
the sandbox's `pack`. Shared by tests/hostile/test_wire_flood.py and
benchmarks/bench_wire.py."""

from __future__ import annotations

from graders.sandbox import wire

CAP = wire.REPLY_CAPS.max_bytes
# name -> Python expression of the message's body (bytes), evaluated in the sandbox; each at
# most the reply cap but the first (which only claims its size in the header)
MESSAGES = {
    "header claims 60 MB": None,
    "zeros list at the cap": f"b'{{\"ok\":true,\"value\":[' + b'0,' * ({CAP} // 2 - 40) + b'0]}}'",
    "empty lists at the cap": f"b'{{\"ok\":true,\"value\":[' + b'[],' * ({CAP} // 3 - 40) + b'[]]}}'",
    "deep nesting": "b'{\"ok\":true,\"value\":' + b'[' * 90000 + b']' * 90000 + b'}'",
    "one array at the cap": ("b'{\"ok\":true,\"value\":{\"$array\":{\"dtype\":\"uint8\",\"shape\":[' + "
                             f"str({CAP} // 4 * 3 - 300).encode() + b'],\"b64\":\"' + b'A' * ({CAP} // 4 * 4 - 400) "
                             "+ b'\"}}}'"),
    "an array that claims 1 TB": ("b'{\"ok\":true,\"value\":{\"$array\":{\"dtype\":\"uint8\",\"shape\":["
                                  "1099511627776],\"b64\":\"AAAA\"}}}'"),
}

SUBMISSION = '''
import gc, os, struct

def _reply_fd():
    for obj in gc.get_objects():
        if type(obj).__name__ == "Child" and hasattr(obj, "fd_out"):
            return obj.fd_out

def flood(which):
    fd = _reply_fd()
    if which == "header claims 60 MB":
        os.write(fd, struct.pack(">I", 60 << 20) + b"{" * 4096)
    else:
        body = BODIES[which]
        view = memoryview(struct.pack(">I", len(body)) + body)
        while view:
            view = view[os.write(fd, view):]
    import time
    time.sleep(30)

def relu(z):
    import numpy as np
    return np.maximum(z, 0.0)
'''


def submission() -> str:
    """The flooding submission's source (its messages built in the sandbox, lazily)."""
    table = ",\n".join(f"    {name!r}: None" for name in MESSAGES)
    lazy = "\n".join(f"    if which == {name!r}:\n        return {expr}" for name, expr in MESSAGES.items() if expr)
    return (SUBMISSION.replace("body = BODIES[which]", "body = _body(which)")
            + f"\nNAMES = {{\n{table}\n}}\n\ndef _body(which):\n{lazy}\n")

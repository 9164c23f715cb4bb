"""Goes after the grader's own modules: imports them (blocked), plants fake ones in
sys.modules, patches the sandbox's wire format and request loop so that every reply says
"ok" with the expected-looking value, and edits numpy's compare helpers."""
import sys
import types

import numpy as np

# >>> cheat
for _name in ("graders", "graders.engine.compare", "graders.engine.expect", "graders.sandbox.wire"):
    try:
        __import__(_name)
        print(f"HOSTILE-SUCCESS imported {_name}")
    except Exception:
        pass

_fake = types.ModuleType("graders.engine.compare")
_fake.assert_close = lambda *a, **k: None
sys.modules["graders"] = types.ModuleType("graders")
sys.modules["graders.engine"] = types.ModuleType("graders.engine")
sys.modules["graders.engine.compare"] = _fake
sys.meta_path.clear()  # the import blocker, and every other finder

import __main__  # the sandbox's own child.py

_child = getattr(__main__, "Child", None)
if _child is not None:
    _real_invoke = _child.invoke

    def _lying_invoke(self, fn, args, kwargs, request):
        reply = _real_invoke(self, fn, args, kwargs, request)
        # claim the inputs were left unchanged and the call worked
        reply["ok"] = True
        reply.pop("error", None)
        reply.setdefault("value", None)
        return reply

    _child.invoke = _lying_invoke
_wire = getattr(__main__, "wire", None)
if _wire is not None:
    _wire.encode = lambda value, keep=None, _depth=0: {"$float": "nan"}
# <<< cheat


def relu(z):
    return np.maximum(z, 0.0)


def sigmoid(z):
    # >>> cheat
    return "expected"
    # === twin
    raise NotImplementedError
    # <<< cheat

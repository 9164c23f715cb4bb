"""Reads the checkout's version control: finds the checkout through the editable install's
finder (or `dlgrade.__file__`, sys.path, the grader's /proc/<pid>/cwd), reads `.git` (and the
repository a worktree's `.git` file points to), and runs `git show HEAD:reference/...` to
steal the reference solution, then uses it."""
import os
import subprocess
import sys

import numpy as np

# >>> cheat
_roots = []
try:
    import __editable___dlgrade_0_1_0_finder as _finder

    _roots += [os.path.dirname(p) for p in _finder.MAPPING.values()]
except Exception:
    pass
try:
    import dlgrade

    _roots.append(os.path.dirname(os.path.dirname(os.path.abspath(dlgrade.__file__))))
except Exception:
    pass
_roots += [os.path.dirname(p) for p in sys.path if p] + [f"/proc/{os.getppid()}/cwd", sys.prefix,
                                                          os.path.dirname(sys.prefix)]
_stolen_source = None
for _root in dict.fromkeys(_roots):
    _git = os.path.join(_root, ".git")
    _gitdirs = [_git]
    try:
        if os.path.isfile(_git):
            with open(_git) as _f:
                _text = _f.read(1000)
            if _text.startswith("gitdir:"):
                _gitdirs.append(os.path.join(_root, _text[7:].strip()))
    except OSError:
        pass
    for _gitdir in _gitdirs:
        try:
            with open(os.path.join(_gitdir, "HEAD")) as _f:
                if _f.read(100).strip():
                    print(f"HOSTILE-SUCCESS read {_gitdir}/HEAD")
        except OSError:
            pass
    try:
        _out = subprocess.run(["git", "-C", _root, "show", "HEAD:reference/numpy/numpy_basics.py"],
                              capture_output=True, timeout=20, env={"PATH": "/usr/bin:/bin", "HOME": os.getcwd(),
                                                                    "GIT_CONFIG_NOSYSTEM": "1"})
        if _out.returncode == 0 and b"def softmax" in _out.stdout:
            _stolen_source = _out.stdout.decode("utf-8")
            print(f"HOSTILE-SUCCESS git show in {_root}")
            break
    except (OSError, subprocess.SubprocessError):
        pass
if _stolen_source is not None:
    _stolen = {}
    exec(compile(_stolen_source, "stolen", "exec"), _stolen)
    for _name in ("sigmoid", "sigmoid_backward", "softmax", "mse_loss", "bce_loss", "tanh"):
        globals()[_name] = _stolen[_name]
# <<< cheat


def relu(z):
    return np.maximum(z, 0.0)


def relu_backward(dout, z):
    return dout * (z > 0)

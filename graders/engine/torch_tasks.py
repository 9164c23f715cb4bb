"""Shared sandbox tasks and helpers of the PyTorch assignments (trusted code, untrusted process).

An assignment lists this file first in its `Assignment.tasks` (`TORCH_TASKS` of
`graders.engine.evaluation`), so its `task_*` functions are there in every sandbox:

- `task_torch_apply`: build a contract class of the submission, load a state_dict the grader
  sends (float arrays), run one method (`encode`, `decode`, `forward`, ...) in eval mode
  under no_grad on the given inputs, return float64 arrays. The evaluation of a trained
  check runs it in a *fresh* sandbox (`ctx.fresh_task`), so the process that trained never
  sees the evaluation's inputs, and a process that encodes never sees what is decoded.

An assignment's own tasks.py uses the helpers (`setup`, `tensor`, `array`, `state_arrays`,
`state_arrays_float64`, `load_state`, `build`) by loading this file by path at its top level -- the sandbox loads
task files before the submission runs and before the isolation hides `graders/`, and
`graders` itself cannot be imported there:

    def _shared_torch_tasks():
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
                            "engine", "torch_tasks.py")
        if not os.path.isfile(path):  # a student pack: the installed engine's (found, not imported)
            path = os.path.join(importlib.util.find_spec("graders").submodule_search_locations[0],
                                "engine", "torch_tasks.py")
        spec = importlib.util.spec_from_file_location("_dlgrade_torch_tasks", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

Rules (those of every task file): stdlib, numpy and torch only; no project imports; plain
data in and out. Nothing here computes a metric: code running in the submission's process
can patch torch or read these functions' frames, so only raw outputs come back.
"""

import random

import numpy as np
import torch

MAX_INPUT_ROWS = 100_000


def setup(seed):
    """Seed random, NumPy and torch; deterministic algorithms; one thread."""
    random.seed(int(seed))
    np.random.seed(int(seed) % (2**32))
    torch.manual_seed(int(seed))
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


def tensor(a, dtype=torch.float32):
    """A float array from the grader as a torch tensor (float32 unless told)."""
    return torch.as_tensor(np.asarray(a, dtype=np.float64), dtype=dtype)


def array(t):
    """A tensor (or anything torch.as_tensor takes) as a float64 NumPy array, detached."""
    if not torch.is_tensor(t):
        raise TypeError(f"returned {type(t).__name__}, expected a tensor")
    return t.detach().to(torch.float64).cpu().numpy()


def state_arrays(model):
    """The model's state_dict as {name: float32 array}: what a training task returns."""
    out = {}
    for key, value in torch.nn.Module.state_dict(model).items():
        if not torch.is_tensor(value):
            raise TypeError(f"state_dict entry {key!r} is a {type(value).__name__}, not a tensor")
        if not value.is_floating_point():  # e.g. BatchNorm's num_batches_tracked
            value = value.to(torch.float64)
        out[str(key)] = value.detach().to(torch.float32).cpu().numpy()
    return out


def state_arrays_float64(module):
    """The module's state_dict as {name: float64 array} (integer buffers as floats): what a
    training task returns when the grader keeps the trained state in float64."""
    return {str(k): v.detach().double().cpu().numpy().copy() for k, v in module.state_dict().items()}


def load_state(model, state):
    """Load {name: float array} into the model with nn.Module's own load_state_dict (strict),
    each tensor cast to the dtype the model holds it in."""
    own = torch.nn.Module.state_dict(model)
    tensors = {}
    for key, value in state.items():
        dtype = own[key].dtype if key in own and torch.is_tensor(own[key]) else torch.float32
        tensors[key] = torch.as_tensor(np.asarray(value, dtype=np.float64)).to(dtype)
    torch.nn.Module.load_state_dict(model, tensors, strict=True)
    return model


def build(sub, class_name, args=(), kwargs=None):
    """The submission's contract class `class_name` built with args and kwargs."""
    cls = getattr(sub, str(class_name))
    return cls(*list(args), **dict(kwargs or {}))


def _outputs(value, what):
    if isinstance(value, (tuple, list)):
        return [array_or_raise(v, f"{what}[{i}]") for i, v in enumerate(value)]
    return [array_or_raise(value, what)]


def array_or_raise(value, what):
    if not torch.is_tensor(value):
        raise ValueError(f"{what} returned {type(value).__name__}, expected a tensor")
    return array(value)


def task_torch_apply(sub, class_name, state, method, inputs, args=(), kwargs=None, seed=0,
                     dtype="float32"):
    """`class_name(*args, **kwargs)` of the submission with `state` loaded, in eval mode and
    under no_grad: `getattr(model, method)(*inputs)` (each input a float array sent as a
    tensor of `dtype`).

    Returns a list of float64 arrays: one per returned tensor (a tuple such as VAE.encode's
    (mu, logvar) gives two). A returned value that is not a tensor raises ValueError.
    """
    setup(seed)
    model = build(sub, class_name, args, kwargs)
    load_state(model, state)
    torch.nn.Module.train(model, False)
    torch_dtype = {"float32": torch.float32, "float64": torch.float64}[str(dtype)]
    xs = [tensor(x, torch_dtype) for x in inputs]
    if any(x.dim() and x.shape[0] > MAX_INPUT_ROWS for x in xs):
        raise ValueError("too many rows for one evaluation call")
    with torch.no_grad():
        out = getattr(model, str(method))(*xs)
    return _outputs(out, f"{class_name}.{method}")

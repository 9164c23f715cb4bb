"""Sandbox tasks of `activity_recognition`: the calibrated training run, timed, and two
steps of `momentum_update` watched from outside.

The sandbox child loads this file by path before the student's code runs and calls
`task_<name>(sub, **kwargs)` with the student's module namespace `sub` and plain data;
what a task returns is plain data, validated by the grader in its own process.

Rules: stdlib and numpy only; no project imports.
"""

import time

import numpy as np


def task_train_timed(sub, X, y, cell, n_hidden, dense_dims, n_classes, lr, momentum, epochs, batch_size,
                     train_seed):
    """Call sub.train with the contract's arguments and measure its CPU time.

    train_seed: the `seed` argument of train (the sandbox's own request field is `seed`).

    Returns {"result": whatever train returned, "cpu_s": CPU seconds train took}.
    """
    X = np.array(X, dtype=np.float64, copy=True)
    y = np.array(y, dtype=np.int64, copy=True)
    start = time.process_time()
    result = sub.train(X, y, str(cell), int(n_hidden), [int(d) for d in dense_dims], int(n_classes), float(lr),
                       float(momentum), int(epochs), int(batch_size), int(train_seed))
    return {"result": result, "cpu_s": float(time.process_time() - start)}


def task_momentum_two_steps(sub, params, grads, lr, momentum):
    """Two calls of sub.momentum_update(params, grads[s], velocity, lr, momentum) from an
    empty velocity, keeping the arrays first passed in params.

    Returns {"returned": [what each call returned, as a type name or None],
    "arrays": [copies of the ORIGINAL arrays after each call], "entries": [copies of the
    dict's entries after each call], "velocity": [copies of velocity after each call]}.
    """
    params = {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    originals = dict(params)
    velocity = {}
    out = {"returned": [], "arrays": [], "entries": [], "velocity": []}
    for step in grads:
        step = {k: np.array(v, dtype=np.float64, copy=True) for k, v in step.items()}
        value = sub.momentum_update(params, step, velocity, float(lr), float(momentum))
        out["returned"].append(None if value is None else type(value).__name__)
        out["arrays"].append({k: np.array(v, copy=True) for k, v in originals.items()})
        out["entries"].append({str(k): _copied(v) for k, v in params.items()})
        out["velocity"].append({str(k): _copied(v) for k, v in velocity.items()})
    return out


def _copied(value):
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value

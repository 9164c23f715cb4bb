"""Sandbox tasks of `autoencoder_numpy`: the training runs that need trusted code beside the
submission's `train`.

The sandbox child loads this file by path before the student's code runs and calls
`task_<name>(sub, **kwargs)` with the student's module namespace `sub` and plain data.
What a task returns is plain data (or, for anything else the submission returns, a
handle the grader reports as a wrong type); the grader validates and compares it in its
own process.

Rules: stdlib and numpy only; no project imports.
"""

import random
import time

import numpy as np


def _epoch_record(epoch):
    """How an epoch argument is recorded: an int if it is integral, else a short repr."""
    if isinstance(epoch, (bool, np.bool_)):
        return repr(epoch)[:50]
    if isinstance(epoch, (int, np.integer)):
        return int(epoch)
    if isinstance(epoch, (float, np.floating)) and float(epoch).is_integer():
        return int(epoch)
    return repr(epoch)[:50]


def task_train_recording(sub, X, n_hidden, epochs, batch_size, lr, lr_decay, train_seed,
                         global_seed=None, return_x=False):
    """Call sub.train with a schedule lr * lr_decay ** epoch that records what it is asked.

    train_seed: the `seed` argument of train (named so because the sandbox's own request
        field is called `seed`).
    global_seed: if given, NumPy's and random's global generators are seeded with it first,
        so two runs that differ only here show whether train depends on global state.

    Returns {"result": whatever train returned, "epochs_asked": [epoch, ...] in call order,
    "cpu_s": CPU seconds train took}; with return_x, also "X_after": the X that train was given,
    as it is after the call (the grader compares it with the X it sent).
    """
    if global_seed is not None:
        np.random.seed(int(global_seed))
        random.seed(int(global_seed))
    asked = []
    lr, lr_decay = float(lr), float(lr_decay)

    def lr_schedule(epoch):
        asked.append(_epoch_record(epoch))
        return lr * lr_decay ** float(epoch)

    X = np.array(X, dtype=np.float64, copy=True)
    start = time.process_time()
    result = sub.train(X, int(n_hidden), int(epochs), int(batch_size), lr_schedule, int(train_seed))
    cpu = time.process_time() - start
    if len(asked) > 100000:  # every batch of a long run: keep the reply small
        asked = sorted(set(a for a in asked if isinstance(a, int)))[:100000]
    out = {"result": result, "epochs_asked": asked, "cpu_s": float(cpu)}
    if return_x:
        out["X_after"] = X
    return out

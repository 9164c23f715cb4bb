"""Sandbox task of `char_rnn_numpy`: the submission's `train`, timed in CPU seconds.

The sandbox child loads this file by path before the student's code runs and calls
`task_<name>(sub, **kwargs)` with the student's module namespace `sub` and plain data;
the grader validates what comes back in its own process.

Rules: stdlib and numpy only; no project imports.
"""

import random
import time

import numpy as np


def task_train_timed(sub, text, hidden_size, seq_length, lr, n_iter, train_seed, global_seed=None):
    """sub.train(text, hidden_size, seq_length, lr, n_iter, train_seed) and its CPU time.

    train_seed: the `seed` argument of train (the sandbox's own request field is `seed`).
    global_seed: if given, NumPy's and random's global generators are seeded with it first,
        so two runs that differ only here show whether train depends on global state.

    Returns {"result": whatever train returned, "cpu_s": CPU seconds train took}.
    """
    if global_seed is not None:
        np.random.seed(int(global_seed))
        random.seed(int(global_seed))
    start = time.process_time()
    result = sub.train(str(text), int(hidden_size), int(seq_length), float(lr), int(n_iter), int(train_seed))
    return {"result": result, "cpu_s": float(time.process_time() - start)}

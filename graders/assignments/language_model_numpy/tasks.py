"""Sandbox tasks of `language_model_numpy`: the calibrated training run, timed.

The sandbox child loads this file by path before the student's code runs and calls
`task_<name>(sub, **kwargs)` with the student's module namespace `sub` and plain data;
what a task returns is plain data, validated by the grader in its own process.

Rules: stdlib and numpy only; no project imports.
"""

import time

import numpy as np


def task_train_timed(sub, contexts, targets, vocab_size, embed_dim, hidden_dim, lr, momentum, epochs,
                     batch_size, train_seed):
    """Call sub.train with the contract's arguments and measure its CPU time.

    train_seed: the `seed` argument of train (named so because the sandbox's own request
        field is called `seed`).

    Returns {"result": whatever train returned, "cpu_s": CPU seconds train took}.
    """
    contexts = np.array(contexts, dtype=np.int64, copy=True)
    targets = np.array(targets, dtype=np.int64, copy=True)
    start = time.process_time()
    result = sub.train(contexts, targets, int(vocab_size), int(embed_dim), int(hidden_dim), float(lr),
                       float(momentum), int(epochs), int(batch_size), int(train_seed))
    return {"result": result, "cpu_s": float(time.process_time() - start)}

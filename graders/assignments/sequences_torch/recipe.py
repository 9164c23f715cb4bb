"""The course text's shampoo recipe in one process, for the reference's tests and the course table.

`shampoo_forecast(sub, series, ...)` runs the whole recipe (difference, scale, windows, a
Forecaster trained full-batch, the walk-forward over the test year) with the module `sub`'s
functions; `shampoo_table` repeats it per cell type and seed. No check runs it (the graded
forecasts are `tasks.task_forecaster_*` with the grader's side in `causal.py`), and its
standard series functions (`pipeline="task"`) are a copy of part of the solution: a student
pack does not carry this module, since nothing it carries imports it.
"""

import time

import numpy as np
import torch
import torch.nn.functional as F

from graders.assignments.sequences_torch.tasks import fit_full_batch
from graders.engine.torch_tasks import setup


def pipeline_functions(sub, pipeline):
    """The series functions to use: the student's ("student") or standard ones ("task")."""
    if pipeline == "student":
        return (sub.difference, sub.fit_scaler, sub.scale, sub.invert_scale, sub.make_windows,
                sub.inverse_difference)

    def difference(s, interval=1):
        s = np.asarray(s, dtype=np.float64)
        return s[interval:] - s[:-interval]

    def fit_scaler(train):
        return float(np.min(train)), float(np.max(train))

    def scale(x, lo, hi):
        return 2.0 * (np.asarray(x, dtype=np.float64) - lo) / (hi - lo) - 1.0

    def invert_scale(y, lo, hi):
        return lo + (np.asarray(y, dtype=np.float64) + 1.0) * (hi - lo) / 2.0

    def make_windows(s, w):
        s = np.asarray(s, dtype=np.float64)
        return np.stack([s[i:i + w] for i in range(len(s) - w)])[:, :, None], s[w:].copy()

    def inverse_difference(last, d):
        return last + d

    return difference, fit_scaler, scale, invert_scale, make_windows, inverse_difference


def shampoo_forecast(sub, series, cell="lstm", hidden_size=8, window=1, epochs=150, lr=0.02,
                          n_test=12, seed=0, pipeline="student"):
    """Walk-forward forecast of the last `n_test` months with the student's Forecaster.

    Recipe (course text): d = difference(series); (lo, hi) = fit_scaler(d[:n_train]) with
    n_train = len(d) - n_test (the differences that involve training months only);
    z = scale(d, lo, hi); X, y = make_windows(z, window); the windows whose target is a
    training difference train Forecaster(cell, hidden_size) full-batch with Adam(lr) and
    the MSE for `epochs` epochs. Walk forward: for each test month t, the window of the
    observed differences before it gives a scaled forecast; invert_scale, then
    inverse_difference(series[t - 1], forecast) is the sales forecast for month t.
    `pipeline="task"` uses standard implementations of the series functions instead of
    the student's (to judge the Forecaster alone).

    Returns a dict: rmse, persistence_rmse (predict last month's value), predictions
    (n_test,), actual (n_test,), final_train_mse (scaled units), seconds.
    """
    setup(seed)
    difference, fit_scaler, scale, invert_scale, make_windows, inverse_difference = \
        pipeline_functions(sub, pipeline)
    s = np.asarray(series, dtype=np.float64)
    d = np.asarray(difference(s), dtype=np.float64)
    n_train = len(d) - n_test
    lo, hi = fit_scaler(d[:n_train].copy())
    z = np.asarray(scale(d, lo, hi), dtype=np.float64)
    X, y = make_windows(z, window)
    X = torch.as_tensor(np.asarray(X, dtype=np.float64), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y, dtype=np.float64), dtype=torch.float32)
    # row i predicts d[i + window]; it is a training row when i + window < n_train
    n_rows_train = n_train - window
    Xtr, ytr = X[:n_rows_train], y[:n_rows_train]

    model = sub.Forecaster(cell, hidden_size)
    t0 = time.perf_counter()
    fit_full_batch(model, Xtr, ytr, epochs, lr)  # the graded training's own loop
    seconds = time.perf_counter() - t0

    model.eval()
    preds = []
    first_month = len(s) - n_test
    with torch.no_grad():
        for j in range(n_test):
            t = first_month + j  # predict s[t]; its difference is d[t - 1] = row t - 1 - window
            x = X[t - 1 - window:t - window]
            zhat = float(model(x).reshape(-1)[0])
            dhat = float(np.asarray(invert_scale(np.array([zhat]), lo, hi)).reshape(-1)[0])
            preds.append(float(np.asarray(inverse_difference(s[t - 1], dhat), dtype=np.float64).reshape(-1)[-1]))
        final_mse = float(F.mse_loss(model(Xtr).reshape(-1), ytr))
    preds = np.array(preds)
    actual = s[first_month:]
    return {
        "rmse": float(np.sqrt(np.mean((preds - actual) ** 2))),
        "persistence_rmse": float(np.sqrt(np.mean((s[first_month - 1:-1] - actual) ** 2))),
        "predictions": preds,
        "actual": actual.copy(),
        "final_train_mse": final_mse,
        "seconds": seconds,
    }


def shampoo_table(sub, series, cells=("rnn", "lstm", "gru"), seeds=(0, 1, 2), **settings):
    """`shampoo_forecast` for each cell type and seed: the course's table.

    Returns a dict cell -> {"rmse": [per seed], "mean": float, "std": float}, plus
    "persistence_rmse".
    """
    table = {}
    persistence = None
    for cell in cells:
        rmses = []
        for seed in seeds:
            r = shampoo_forecast(sub, series, cell=cell, seed=seed, **settings)
            rmses.append(r["rmse"])
            persistence = r["persistence_rmse"]
        table[cell] = {"rmse": rmses, "mean": float(np.mean(rmses)), "std": float(np.std(rmses))}
    table["persistence_rmse"] = persistence
    return table

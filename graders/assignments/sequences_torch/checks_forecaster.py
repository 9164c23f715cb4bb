"""The checks of `Forecaster`, untrained and trained.

Output shape, cell type (parameter counts) and reading the last step are probed untrained
(`tasks.task_forecaster_probe`). The walk-forward test RMSE of each cell type is compared with
its calibrated bound: the grader prepares the data with standard series functions (so that
only the Forecaster is judged), trains in the grade's sandbox on the training windows only
(`tasks.task_forecaster_train`), walks forward in a fresh sandbox one month per call
(`causal.forecast_evaluation`) and computes the RMSE itself.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.sequences_torch import causal
from graders.assignments.sequences_torch.checks_series import N_TEST
from graders.assignments.sequences_torch.thresholds import CELLS, PERSISTENCE_RMSE
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.compare import fmt
from graders.engine.task_calls import reply, run_task


# ------------------------------------------------------------------ Forecaster: untrained probes


def _forecaster_probe(ctx) -> dict:
    r = ctx.task("forecaster_probe", hidden_size=5, n=4, window=4)
    if not isinstance(r, dict) or set(r) != set(CELLS):
        raise CheckFailed(f"the Forecaster probe returned {expect.describe_value(r)}")
    return r


def check_forecaster_shape(ctx):
    r = _forecaster_probe(ctx)
    for cell in CELLS:
        for key, n in (("shape", 4), ("shape_one", 1)):
            got = r[cell].get(key)
            if got != [n]:
                slip = None
                if got == [n, 1]:
                    slip = "the head's output (N, 1) is returned as is: drop the last axis (.squeeze(-1) or [:, 0])."
                elif got == [] and n == 1:
                    slip = "squeeze() dropped the batch axis too when N = 1: use squeeze(-1)."
                elif got and len(got) >= 2 and got[1] == 4:
                    slip = "the head is applied at every time step; keep only the last step's output (out[:, -1])."
                raise CheckFailed(f"Forecaster({cell!r}, 5) on x of shape ({n}, 4, 1) returned shape "
                                  f"{tuple(got) if got is not None else None}; expected ({n},).",
                                  expected=f"({n},)", got=str(tuple(got) if got is not None else None), slip=slip)


def _standard_counts(h: int) -> dict[str, int]:
    per_gate = h * 1 + h * h + 2 * h  # input weights, recurrent weights, two biases (PyTorch's layout)
    return {cell: gates * per_gate + h + 1 for cell, gates in (("rnn", 1), ("gru", 3), ("lstm", 4))}


def check_forecaster_cell(ctx):
    r = _forecaster_probe(ctx)
    counts = {cell: r[cell].get("n_params") for cell in CELLS}
    modules = {cell: ", ".join(r[cell].get("modules") or []) for cell in CELLS}
    standard = _standard_counts(5)
    shown = "; ".join(f"{cell}: {counts[cell]} parameters ({modules[cell]})" for cell in CELLS)
    if not all(isinstance(counts[c], int) for c in CELLS):
        raise CheckFailed(f"the Forecaster probe returned no parameter counts: {shown}")
    if counts["rnn"] < counts["gru"] < counts["lstm"]:
        return f"Forecaster(cell, 5): {shown}."
    same = len(set(counts.values())) == 1
    slip = ("the same recurrent layer whatever `cell` says (e.g. always nn.LSTM): pick nn.RNN, nn.GRU or nn.LSTM "
            "from `cell`." if same else "the cells are mixed up: an RNN has one set of weights, a GRU three "
            "(reset, update, new) and an LSTM four (input, forget, cell, output).")
    raise CheckFailed(
        "Forecaster(cell, 5) has the wrong number of parameters for the cell type: a GRU has three times an "
        "RNN's recurrent weights and an LSTM four times.",
        expected=f"rnn < gru < lstm; with nn.RNN/nn.GRU/nn.LSTM and nn.Linear(5, 1): "
                 + ", ".join(f"{c} {standard[c]}" for c in CELLS),
        got=shown, slip=slip)


def check_forecaster_last_step(ctx):
    r = _forecaster_probe(ctx)
    for cell in CELLS:
        row = r[cell]
        if "last_change" not in row:
            raise CheckFailed(f"not checked: Forecaster({cell!r}, 5) returned shape {row.get('shape')} for 4 "
                              "windows (see the check 'Forecaster: output shape').")
        last = expect.scalar(row["last_change"], "the change of the forecast", finite=False)
        first = expect.scalar(row.get("first_change"), "the change of the forecast", finite=False)
        if not last > 1e-7:
            raise CheckFailed(
                f"Forecaster({cell!r}, 5): changing the LAST step of each window, x[:, -1], does not change "
                "the forecast at all.",
                expected="a forecast computed from the hidden state after the last step",
                got=f"the forecast changed by {last:.3g} (and by {first:.3g} when x[:, 0] changed)",
                slip="the head reads the output at the first step (out[:, 0]) instead of the last (out[:, -1]); "
                     "with batch_first=True the time axis is axis 1.",
                details="x of shape (4, 4, 1); x[:, -1] changed by +1.")


# ------------------------------------------------------------------ Forecaster: trained


def forecast_run(ctx, cell: str, seed: int, data: dict, settings: dict) -> dict:
    """Train on the training windows in the grade's sandbox, walk forward in a fresh one; the
    grader's RMSE and forecasts."""
    r = reply(run_task(ctx, "forecaster_train", f"training Forecaster({cell!r})", X=data["X_train"],
                       y=data["y_train"], cell=cell, hidden_size=settings["hidden_size"], epochs=settings["epochs"],
                       lr=settings["lr"], seed=seed), "forecaster_train", ("state", "losses"))
    with ctx.fresh_sandbox() as box:
        return causal.forecast_evaluation(box, r["state"], cell, settings["hidden_size"], data)


def check_forecaster_rmse(ctx, cell):
    from dlgrade.data import load_shampoo

    t = ctx.check.threshold.for_dataset("shampoo")
    settings = t.settings
    extra = int(ctx.options.get("shampoo_seeds", 1)) - 1
    seeds = [ctx.secret_seed("train")] + [ctx.secret_seed(f"train {i}") for i in range(1, extra + 1)]
    series = load_shampoo()
    data = causal.forecast_data(series, settings["n_test"], settings["window"])
    runs = [forecast_run(ctx, cell, seed, data, settings) for seed in seeds]
    graded = runs[0]
    rmse = graded["rmse"]
    rmses = [r["rmse"] for r in runs]
    preds, actual = graded["predictions"], graded["actual"]
    how = (f"Forecaster({cell!r}, {settings['hidden_size']}) trained full-batch for {settings['epochs']} epochs "
           f"(Adam, lr {settings['lr']}, MSE, windows of {settings['window']}) on the scaled monthly differences "
           f"of the first {len(series) - N_TEST} months, then walked forward over the last {N_TEST} (the series "
           "functions are standard ones here, so this check judges the Forecaster alone)")
    summary = (f"walk-forward test RMSE {rmse:.4g} sales units (persistence baseline {PERSISTENCE_RMSE:.4g})")
    if len(runs) > 1:
        summary += f"; over {len(runs)} seeds: {np.mean(rmses):.4g} +/- {np.std(rmses):.2g} (the first is graded)"
    table = ("forecast: " + fmt(np.round(preds, 1)) + "\nactual:   " + fmt(actual)) if actual.shape == (N_TEST,) \
        else ""
    if t.passes(rmse):
        return f"{summary}. Passed: {t.describe()}."
    first = len(series) - N_TEST
    lo, hi = data["lo"], data["hi"]
    scaled = 2.0 * (preds - series[first - 1:-1] - lo) / (hi - lo) - 1.0  # the forecast changes in the model's units
    if not np.isfinite(rmse) or not np.all(np.isfinite(scaled)):
        slip = "the forecasts are not finite: the training diverged or the output overflows."
    elif scaled.min() >= -1e-6:
        slip = (f"an activation on the output (a sigmoid or a ReLU): every forecast change is at least the middle "
                f"of the training range ({(lo + hi) / 2:.4g}, 0 in scaled units), so the model can never "
                "forecast a fall in sales. The scaled changes lie in [-1, 1]: the head must be a plain nn.Linear.")
    elif rmse >= PERSISTENCE_RMSE:
        slip = ("worse than predicting no change at all: check the other Forecaster checks (the forecast read "
                "from the last step, the output shape) and that every layer is registered as a submodule, so "
                "the optimizer trains it.")
    else:
        slip = "check the other Forecaster checks first (cell type, last time step, output shape)."
    raise CheckFailed(
        f"Forecaster({cell!r}): the forecast of the test year is worse than the calibrated bound ({summary}).",
        expected=t.describe(), got=f"RMSE {rmse:.4g}", slip=slip, details=f"{how}.\n{table}")

"""The trained checks: each cell's test accuracy after the calibrated training run.

The grader reads the grade's data set (its `data` option: "basic_motions", the default, or
"ts:PATH_PREFIX"), standardised with the training statistics (thresholds.grade_data); the
sandbox runs the submission's `train` through tasks.py with `SETTINGS` and the seed
`ctx.secret_seed("train")`; the returned parameters are validated and the accuracy and
confusion matrix computed HERE with the reference forward pass (the submission's own
forward never judges its own result). The feedback draws the confusion matrix beside the
reference's (mean over its calibration draws) and the loss curve beside the reference's.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.activity_recognition import problems as pb
from graders.assignments.activity_recognition.checks_training import require_reproducible_train
from graders.assignments.activity_recognition.thresholds import (
    DEFAULT_DATA,
    TRAINED_CHECKS,
    evaluate,
    grade_data,
    reference_runs,
)
from graders.engine import expect
from graders.engine.checks import CheckFailed, Picture
from graders.engine.task_calls import reply, run_task
from graders.engine.trained_checks import CalibrationError

TRAIN_TIMEOUT_S = 4 * max(c.cpu_budget_s for c in TRAINED_CHECKS)


def _data(ctx) -> tuple[str, dict]:
    spec = str(ctx.options.get("data") or DEFAULT_DATA)
    try:
        return spec, grade_data(spec)
    except (OSError, ValueError) as exc:  # TSFormatError is a ValueError
        raise CheckFailed(f"the data set {spec!r} could not be loaded (a setting of the grade, not your code): {exc}",
                          slip=f'the instructor\'s --data option: "{DEFAULT_DATA}" or "ts:PATH_PREFIX" with '
                               "PATH_PREFIX_TRAIN.ts and PATH_PREFIX_TEST.ts of the UEA & UCR archive.") from None


def _threshold(ctx, spec: str, name: str):
    try:
        return ctx.check.threshold.for_dataset(name)
    except CalibrationError:
        raise CheckFailed(
            f"not graded: there is no calibrated bound for the data set {name!r} yet (an instructor's step, not "
            f"your code). The instructor must run `dlgrade calibrate activity_recognition --dataset {spec} --write` "
            "once, then grade again.",
            slip="nothing in your submission: the bounds of each data set are calibrated on the reference "
                 "solution.") from None


def _history(value) -> np.ndarray | None:
    """The returned history as floats, or None when it is not a sequence of numbers (only drawn)."""
    try:
        return np.asarray([float(h) for h in value], dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _pictures(ctx, cell: str, data: dict, confusion: np.ndarray, history) -> None:
    reference = reference_runs().get(data["name"], {}).get(cell)
    matrices = {"yours": confusion}
    curves = {"yours": history} if history is not None else {}
    if reference:
        matrices["reference (mean of its calibration runs)"] = np.asarray(reference["confusion"])
        curves["reference (mean)"] = np.asarray(reference["history"])
    try:
        ctx.attach(f"{cell.upper()}: confusion matrix on the test split (rows: true class)",
                   Picture("confusion_matrices", data={"matrices": matrices, "labels": list(data["labels"])}))
        if curves:
            ctx.attach(f"{cell.upper()}: training loss per epoch", Picture("loss_curves", data={"series": curves}))
    except Exception:  # a picture is a bonus; never let it cost the feedback
        pass


def check_train_accuracy(ctx, cell: str):
    spec, data = _data(ctx)
    t = _threshold(ctx, spec, data["name"])
    require_reproducible_train(ctx, cell)  # a model that changes from grade to grade passes or fails by chance
    seed = ctx.secret_seed("train")
    k = len(data["labels"])
    s = t.settings
    what = (f"train(X_train, y_train, {cell!r}, n_hidden={s['n_hidden']}, dense_dims={s['dense_dims']}, "
            f"n_classes={k}, lr={s['lr']}, momentum={s['momentum']}, epochs={s['epochs']}, "
            f"batch_size={s['batch_size']}, seed=<the course's>)")
    out = reply(run_task(ctx, "train_timed", what, X=data["X_train"], y=data["y_train"], cell=cell,
                         n_hidden=s["n_hidden"], dense_dims=list(s["dense_dims"]), n_classes=k, lr=s["lr"],
                         momentum=s["momentum"], epochs=s["epochs"], batch_size=s["batch_size"], train_seed=seed),
                what, ("result", "cpu_s"))
    result = expect.sequence(out["result"], what, 2)
    d = data["X_train"].shape[2]
    params = pb.params_dict(result[0], f"the params returned by {what}", cell, d, s["n_hidden"], s["dense_dims"], k)
    history = _history(result[1]) if isinstance(result[1], (list, tuple, np.ndarray)) else None
    accuracy, confusion = evaluate(params, data, cell)
    cpu = float(out["cpu_s"]) if isinstance(out["cpu_s"], (int, float)) else float("nan")
    _pictures(ctx, cell, data, confusion, history)
    measured = (f"test accuracy {accuracy:.3f} on the {len(data['y_test'])} test series of {data['name']} "
                f"({cpu:.1f} s CPU; measured with the grader's forward pass on your parameters)")
    if t.passes(accuracy):
        return f"{measured}. Passed: {t.describe()}."
    diverged = not all(np.isfinite(v).all() for v in params.values())
    raise CheckFailed(
        f"train: the trained {cell.upper()} classifier's test accuracy ({accuracy:.3f}) is below the calibrated "
        "bound.", expected=t.describe(), got=measured,
        diff=f"chance: {1 / k:.2f}; the reference's mean {t.reference_mean:.3f}",
        slip=("the parameters are not finite: training diverged (a gradient or an update with the wrong sign or "
              "scale; the contract's training has no clipping)." if diverged else
              "check the loss_and_grads, momentum_update and train checks first: a gradient through fewer steps "
              "than T, an update that goes the wrong way, momentum ignored."),
        details="The pictures below show your confusion matrix and loss curve beside the reference's.")

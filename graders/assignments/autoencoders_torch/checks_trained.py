"""The trained checks of `autoencoders_torch` (Kind.THRESHOLD).

The tasks train the submission's models with Adam on a secret subset of the data set of the
`data` option ("digits", or "mnist:PATH") at a secret seed; the trained parameters are
evaluated in fresh sandboxes (encode in one, decode of the relayed code in another) and the
metric, computed here (`trained_runs.py`), is compared with the calibrated bound of the
check's declaration (`ctx.check.threshold`, see thresholds.py) for that data set. Pictures
for the report: inputs, noisy inputs, reconstructions, the loss curve.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.autoencoders_torch.data import data_name, dataset
from graders.assignments.autoencoders_torch.task_calls import field
from graders.assignments.autoencoders_torch.trained_runs import Reach, measure
from graders.engine import evaluation, expect
from graders.engine.checks import CheckFailed, Picture
from graders.engine.task_calls import run_task
from graders.engine.trained_checks import CalibrationError

CHECK_NAMES = {
    "dense_reconstruction": "DenseAutoencoder: held-out reconstruction after training",
    "conv_reconstruction": "ConvAutoencoder: held-out reconstruction after training",
    "denoising_ratio": "add_noise: a denoising autoencoder trained with it beats the noisy input",
    "sparsity_factor": "l1_activity_penalty: L1-trained codes sparser by the calibrated factor",
    "sparse_reconstruction": "l1_activity_penalty: held-out reconstruction with the penalty",
}


def threshold(ctx):
    """(data option, the calibrated Threshold of the check's declaration for it), or CheckFailed
    saying what the instructor must run."""
    spec = ctx.options.get("data", "digits") or "digits"
    name = data_name(spec)
    declared = ctx.check.threshold
    try:
        return spec, declared.for_dataset(name)
    except CalibrationError:
        shown = spec if name != "digits" else "digits"
        raise CheckFailed(
            f"not graded: there is no calibrated bound of {declared.key!r} for the data set {name!r} yet (an "
            f"instructor's step, not your code). The instructor must run `dlgrade calibrate autoencoders_torch "
            f"--dataset {shown} --write` once to calibrate the bounds on this data, then grade again.",
            slip="nothing in your submission: the thresholds of each data set are calibrated on the "
                 "reference solution.") from None


OBJECTS = {"train_dense_autoencoder": ("DenseAutoencoder",),
           "train_conv_autoencoder": ("ConvAutoencoder",),
           "train_denoising_autoencoder": ("DenseAutoencoder", "add_noise"),
           "train_sparse_autoencoder": ("DenseAutoencoder", "l1_activity_penalty")}


def sandbox_reach(ctx, task: str) -> Reach:
    """Training in the grade's sandbox (shared by the checks of one grade), every evaluation
    call in a fresh sandbox of the submission."""
    def train(name, kwargs):
        return run_task(ctx, name, ", ".join(OBJECTS[task]), share=True, objects=OBJECTS[task], **kwargs)

    def apply(class_name, state, method, inputs, args):
        return evaluation.apply(ctx, class_name, state, method, inputs, args=args)

    return Reach(train=train, apply=apply)


def trained(ctx) -> tuple:
    """(Threshold, data, measured run) behind the check: trained on a secret subset at a secret
    seed, evaluated in fresh sandboxes, scored here (see trained_runs; shared per grade)."""
    spec, t = threshold(ctx)
    data = dataset(spec)
    task = ctx.check.threshold.task
    out = ctx.shared(("measured", task, spec), lambda: measure(task, t.settings, data, ctx.session.secret,
                                                            sandbox_reach(ctx, task)))
    return t, data, out


def baseline_mse(data: dict) -> float:
    """Held-out MSE of predicting the mean training image everywhere."""
    return float(np.mean((data["x_test"] - data["x_train"].mean(axis=0)) ** 2))


def _setup_words(t, data) -> str:
    s = ", ".join(f"{k} {v}" for k, v in t.settings.items())
    n_all = len(data["x_train"]) + len(data["x_test"])
    return (f"Setup: {data['name']} ({n_all - len(data['x_test'])} training, {len(data['x_test'])} held-out images "
            f"{tuple(data['image_shape'])}, drawn with the course secret); Adam, MSE, {s}; encode and decode "
            "evaluated in separate processes.")


def _attach(ctx, title, make) -> None:
    try:
        ctx.attach(title, make())
    except Exception:  # a picture is a bonus; never let it cost the feedback
        pass


def _picture_rows(out, keys):
    rows = []
    for key in keys:
        v = out.get(key)
        if isinstance(v, np.ndarray) and v.ndim == 2 and v.size:
            rows.append(v)
    return rows


def _attach_pictures(ctx, out, t, what: str, rows, labels, bound_line: bool = True) -> None:
    """Held-out images in rows (inputs, [noisy,] reconstructions) and the loss curve, with the
    calibrated bound drawn across it when the bound is an MSE too."""
    got = _picture_rows(out, rows)
    if len(got) == len(rows):
        side = int(round(np.sqrt(got[0].shape[1])))
        _attach(ctx, f"{what}: held-out images ({', '.join(labels)})",
                lambda: Picture("image_grid", data={"rows": got, "labels": labels,
                                                     "scale": max(2, 48 // max(side, 1))}))
    history = out.get("history")
    if isinstance(history, np.ndarray) and history.ndim == 1 and history.size:
        series = {"training loss": history}
        if bound_line:
            series["held-out bound"] = np.full(history.shape, t.bound)
        _attach(ctx, f"{what}: training loss per epoch",
                lambda: Picture("line_plot", data={
                    "series": series, "title": f"{what}: mean training loss per epoch"
                    + (f" (held-out bound {t.bound:.4g})" if bound_line else ""), "xlabel": "epoch", "log_y": True}))


def _note(value, t, out, extra="") -> str:
    cpu = out.get("cpu_s")
    cpu_words = (f"; {float(cpu):.1f} s CPU of training (budget {t.cpu_budget_s:g} s)"
                 if isinstance(cpu, (int, float)) and cpu == cpu else "")
    return f"{t.metric} {value:.6g}{extra}{cpu_words}. Passed: {t.describe()}."


def check_trained_reconstruction(ctx, obj: str):
    t, data, out = trained(ctx)
    value = expect.scalar(field(out, ctx.check.threshold.metric_key, obj), f"the held-out MSE of {obj}", finite=False)
    _attach_pictures(ctx, out, t, obj, ("inputs", "reconstructions"), ["input", "yours"])
    if t.passes(value):
        return _note(value, t, out)
    base = baseline_mse(data)
    raise CheckFailed(
        f"the trained {obj} reconstructs held-out images worse than the calibrated bound.",
        expected=t.describe(), got=f"held-out MSE {value:.6g}",
        diff=f"{value / t.reference_mean:.2f} times the reference's mean; predicting the mean training image "
             f"everywhere gives {base:.4g}",
        slip=(f"see the other {obj} checks first (the output's range and shape); then the architecture: "
              "the contract's layers and activations, nothing detached from autograd."),
        details=_setup_words(t, data))


def check_trained_denoising(ctx):
    t, data, out = trained(ctx)
    value = expect.scalar(field(out, "ratio", "denoising"), "denoised MSE / noisy MSE", finite=False)
    _attach_pictures(ctx, out, t, "denoising", ("inputs", "noisy", "reconstructions"),
                     ["clean", "noisy", "yours"], bound_line=False)
    words = (f" (denoised MSE {float(out.get('denoised_mse', np.nan)):.4g}, noisy input "
             f"{float(out.get('noisy_mse', np.nan)):.4g})")
    if t.passes(value):
        return _note(value, t, out, words)
    raise CheckFailed(
        "a DenseAutoencoder trained on add_noise(x) -> x does not reconstruct the clean held-out images "
        "clearly better than the noisy images themselves.",
        expected=t.describe(), got=f"ratio {value:.4g}{words}",
        diff="a ratio of 1 means no better than the noisy input" if value == value else None,
        slip="see the add_noise checks (the training corrupts each batch with your add_noise; the held-out "
             "images are corrupted by the grader with the contract's formula) and the DenseAutoencoder "
             "checks.",
        details=_setup_words(t, data))


def check_trained_sparsity(ctx):
    t, data, out = trained(ctx)
    value = expect.scalar(field(out, "sparsity_factor", "sparsity"), "the sparsity factor", finite=False)
    words = (f" (mean |code| {float(out.get('mean_abs_code_plain', np.nan)):.4g} without the penalty, "
             f"{float(out.get('mean_abs_code_l1', np.nan)):.4g} with it; codes at 0: "
             f"{float(out.get('frac_zero_plain', np.nan)):.0%} without, {float(out.get('frac_zero_l1', np.nan)):.0%} "
             "with)")
    if t.passes(value):
        return _note(value, t, out, words)
    raise CheckFailed(
        "adding l1_activity_penalty(model.encode(x), factor) to the loss does not make the codes sparser by "
        "the calibrated factor.",
        expected=t.describe(), got=f"sparsity factor {value:.4g}{words}",
        slip="a penalty that is too weak or carries no gradient (see the value and gradient checks of "
             "l1_activity_penalty): .item() or .detach() cuts it out of training, a mean over the code units "
             "makes it n_hidden times weaker, squares (L2) shrink the codes without making them zero.",
        details=_setup_words(t, data) + " Two models from the same seed, one trained without the penalty and "
                                        "one with it.")


def check_trained_sparse_reconstruction(ctx):
    t, data, out = trained(ctx)
    value = expect.scalar(field(out, "test_mse_l1", "sparse"), "the held-out MSE with the penalty", finite=False)
    if t.passes(value):
        return _note(value, t, out)
    dead = float(out.get("frac_zero_l1", np.nan))
    raise CheckFailed(
        "the DenseAutoencoder trained with the L1 penalty reconstructs held-out images worse than the "
        "calibrated bound.",
        expected=t.describe(), got=f"held-out MSE {value:.6g}; {dead:.0%} of the code entries are 0",
        diff=f"predicting the mean training image everywhere gives {baseline_mse(data):.4g}",
        slip=("the penalty is far too strong and silences the code: it must be the MEAN over the batch of "
              "each sample's sum |code| (a sum over the batch is batch-size times stronger), times factor."
              if dead > 0.9 else "see the l1_activity_penalty value checks and the DenseAutoencoder checks."),
        details=_setup_words(t, data))

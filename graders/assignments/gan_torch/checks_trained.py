"""The trained check of `gan_torch`.

`task_train_gan` at the calibrated settings on a secret subset of the training images (the
course secret chooses the rows and the seed) returns the trained Generator's state_dict; a
fresh sandbox generates the samples from z the grader draws (`evaluation.apply_one`). In
THIS process the samples are labelled by the project's digit classifier
(`digit_classifier.mode_coverage`; its weights never enter a sandbox) and compared with the
training images by nearest-neighbour distance (`memorisation.copy_ratio`), against the
calibrated bounds the check was declared with (`ctx.check.threshold`, see thresholds.py) for
the data set of the grade. A generator that
collapses to a few modes, makes noise, or hands back training images, fails.
"""

from __future__ import annotations

import functools

import numpy as np

from graders.assignments.gan_torch import thresholds as th
from graders.assignments.gan_torch.memorisation import QUANTILE, copy_ratio
from graders.engine import evaluation, raw_outputs
from graders.engine.checks import CheckFailed, Picture
from graders.engine.compare import fmt
from graders.engine.data_option import grade_dataset
from graders.engine.task_calls import reply, run_task
from graders.engine.trained_checks import CalibrationError

# The name the course secret draws the run's training subset, seed and z under.
DRAWN_AS = th.DISTINCT_CLASSES.key


# Cached for the process, not per grade: the trusted digit classifier, loaded from its file,
# the same for every grade.
@functools.lru_cache(maxsize=4)
def classifier(name: str):
    from graders.assignments.gan_torch.digit_classifier import load_classifier

    return load_classifier(name)


def setup_for(ctx):
    """(data, {key: Threshold}, classifier) for the grade's data set ("digits" or "mnist:PATH"), from
    the check's declarations."""
    declared = ctx.check.threshold
    spec, name, data = grade_dataset(ctx, declared.checks[0].data)
    try:
        bounds = {check.key: check.for_dataset(name) for check in declared.checks}
    except CalibrationError as exc:
        raise CheckFailed(
            f"not graded: the grader has no calibrated bounds for the data set {name!r} (a setting of the grade, "
            "not your code).",
            slip=f"for the instructor: first `python -m graders.assignments.gan_torch.digit_classifier --dataset "
                 f"{spec} --write` (if there is no classifier for it yet), then {exc} (it retrains the reference "
                 "over 5 course-secret draws and writes the bounds into the assignment's thresholds.json).") from None
    try:
        model = classifier(name)
    except (OSError, ValueError) as exc:
        raise CheckFailed(f"not graded: the digit classifier for {name!r} is missing or broken (a setting of the "
                          f"grade, not your code): {exc}") from None
    return data, bounds, model


def attach_pictures(ctx, r: dict, samples: np.ndarray, labels: np.ndarray, log_every: int) -> None:
    """A grid of samples, the samples sorted by the classifier's confident label, and the
    loss curves (never fails the check)."""
    try:
        ctx.attach(f"the first 64 of your generator's {len(samples)} samples", Picture("image_grid", data={
            "rows": [samples[i * 16:(i + 1) * 16] for i in range(4)], "scale": 4}))
        shown = [samples[labels == k][:8] for k in range(10)]
        rows = [row for row in shown if len(row)]
        if rows:
            ctx.attach("samples by the classifier's label (one row per recognised digit)", Picture(
                "image_grid", data={"rows": rows, "labels": [str(k) for k in range(10) if len(shown[k])], "scale": 4}))
        d_loss, g_loss = (np.asarray(r[k], dtype=np.float64) for k in ("d_loss", "g_loss"))
        steps = log_every * np.arange(1, len(d_loss) + 1)
        ctx.attach("training losses (mean over each block of steps)", Picture("line_plot", data={
            "series": {"discriminator": (steps, d_loss), "generator": (steps, g_loss)}, "xlabel": "step",
            "ylabel": "loss"}))
    except (ValueError, TypeError, KeyError):  # a picture must never cost the check
        pass


def secret_subset(secret, data: dict) -> tuple[np.ndarray, np.ndarray, int]:
    """(training images, unseen real images, training seed) of a grade under the course
    secret: HELDOUT_FRACTION of the training split is held out (unseen, with the test split)."""
    x = data["x_train"]
    train, held = secret.split(len(x), max(1, int(round(th.HELDOUT_FRACTION * len(x)))), DRAWN_AS, "subset")
    unseen = np.concatenate([x[held], data["x_test"]])
    return x[train], unseen, secret.seed(DRAWN_AS, "train")


def latent(secret, n: int, n_latent: int) -> np.ndarray:
    """The z the samples are generated from, drawn by the grader (float32)."""
    return secret.rng(DRAWN_AS, "z").standard_normal((n, n_latent)).astype(np.float32)


def check_gan_trained(ctx):
    from graders.assignments.gan_torch.digit_classifier import NOT_A_DIGIT, classify, mode_coverage

    data, bounds, model = setup_for(ctx)
    t_classes, t_fraction, t_copies = (bounds[c.key] for c in th.TRAINED_CHECKS)
    settings = {k: v for k, v in t_classes.settings.items() if k in th.TRAIN_KEYS}
    coverage = dict(t_classes.settings["coverage"])
    log_every = 100
    secret = ctx.session.secret
    x_train, unseen, seed = secret_subset(secret, data)
    n_out, n_latent, n = x_train.shape[1], int(settings["n_latent"]), int(t_classes.settings["n_samples"])
    r = reply(run_task(ctx, "train_gan", "training the GAN with train_step", x_train=x_train, seed=seed,
                       log_every=log_every, **settings), "train_gan", ("state", "d_loss", "g_loss", "cpu_s"))
    state = raw_outputs.state_dict(r["state"], "the trained Generator", max_values=th.MAX_STATE_VALUES)
    samples = evaluation.apply_one(ctx, "Generator", state, "forward", [latent(secret, n, n_latent)], (n, n_out),
                                   args=(n_latent, n_out))
    copies = copy_ratio(samples, x_train, unseen)
    cov = mode_coverage(samples, model, **coverage)
    labels, conf = classify(np.nan_to_num(samples), model)
    labels = np.where((conf >= coverage["confidence"]) & (labels != NOT_A_DIGIT), labels, -1)
    attach_pictures(ctx, r, samples, labels, log_every)
    k = int(np.ceil(t_classes.bound))
    counts = ", ".join(f"{d}: {c}" for d, c in enumerate(cov["counts"]))
    summary = (f"{cov['n_classes']} digit classes covered (at least {coverage['min_count']} samples each at "
               f"confidence >= {coverage['confidence']}); {cov['confident_fraction']:.1%} of the "
               f"{len(samples)} samples recognised confidently, {cov['rejected_fraction']:.1%} rejected as not a "
               f"digit; {float(r['cpu_s']):.1f} s CPU")
    summary += (f"; the nearest training image is {copies['sample_quantile']:.3g} away for the closest "
                f"{QUANTILE:.0%} of the samples, {copies['ratio']:.2f} times an unseen real digit's typical "
                "distance")
    if not t_copies.passes(copies["ratio"]):
        raise CheckFailed(
            "the generator hands back training images: its samples are far closer to training images than new "
            f"digits are ({summary}).",
            expected=t_copies.describe(),
            got=f"{copies['ratio']:.3f} ({copies['exact_copies']} of {len(samples)} samples are training images "
                "to within 1e-6)",
            slip="samples that copy the training data (a generator that learned images by heart or returns them) "
                 "are not generated images; the generator must map noise to new digits.")
    ok_classes, ok_fraction = t_classes.passes(cov["n_classes"]), t_fraction.passes(cov["confident_fraction"])
    if ok_classes and ok_fraction:
        return f"{summary}. Passed: {t_classes.describe()}; {t_fraction.describe()}; {t_copies.describe()}."
    d_loss, g_loss = (np.asarray(r[key], dtype=np.float64) for key in ("d_loss", "g_loss"))
    spread = float(np.max(np.std(samples, axis=0)))
    if spread < 1e-3:
        slip = ("every sample is the same image (the largest per-pixel spread over the samples is "
                f"{spread:.2g}): the generator ignores its input z. forward(z) must map each z to its own image.")
    elif cov["n_classes"] <= 2 and cov["confident_fraction"] > 0:
        slip = ("mode collapse: the generator makes one or two digits whatever z is. Check the train_step and loss "
                "checks first (an update that reaches the wrong network, or the saturating generator loss).")
    elif cov["rejected_fraction"] > 0.5:
        slip = ("most samples are not recognisable digits: the generator did not learn (see the loss and "
                "train_step checks: the saturating generator loss, a D step that reaches G, gradients not zeroed).")
    elif len(d_loss) and float(d_loss[-1]) < 0.05:
        slip = ("the discriminator wins outright (its loss ends near 0): the generator gets no useful gradient. "
                "See the generator_loss and Discriminator checks.")
    else:
        slip = ("check the loss and train_step checks first; if they pass, the architecture: each network needs "
                "its hidden nonlinearities (a discriminator without one is linear and can only compare mean "
                "images, so the fakes never become digits).")
    raise CheckFailed(
        f"the trained GAN's samples do not cover enough digits confidently ({summary}).",
        expected=f"{t_classes.describe()}, i.e. k = {k} classes; and {t_fraction.describe()}",
        got=f"{cov['n_classes']} classes, fraction {cov['confident_fraction']:.3f}; confident samples per digit: "
            f"{counts}",
        slip=slip,
        details=(f"Setup: Generator({settings['n_latent']}, {data['x_train'].shape[1]}) and "
                 f"Discriminator({data['x_train'].shape[1]}), Adam (lr {settings['lr']}, betas (0.5, 0.999)) for "
                 f"both, {settings['steps']} calls of your train_step on batches of {settings['batch_size']} "
                 f"{data['name']} training images (a subset chosen by the course secret, as is the seed); then "
                 f"{n} samples generated in a separate process from z drawn by the grader, labelled by the project's "
                 "digit classifier (which has an 11th class, 'not a digit')."
                 f"\nDiscriminator loss per {log_every} steps: {fmt(d_loss)}\nGenerator loss: {fmt(g_loss)}"))

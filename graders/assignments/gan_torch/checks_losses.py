"""The checks of `discriminator_loss` and `generator_loss`.

Value and gradients against the closed forms with softplus, wrong forms named (the saturating
generator loss among them), and both finite and exact at |logit| = 100 in float64 and float32
(`task_discriminator_loss`, `task_generator_loss`: each loss alone, so one broken loss never
fails the other's check).
"""

from __future__ import annotations

import numpy as np

from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.compare import Tolerance, assert_close, fmt
from graders.engine.task_calls import reply, run_task

LOSS_RTOL = 1e-5
EXTREME_REAL = np.array([100.0, -100.0, 3.0, -2.0])
EXTREME_FAKE = np.array([100.0, -100.0, 1.5])
FLOAT32 = Tolerance(rtol=1e-5, atol=1e-5)


def softplus(x):
    return np.logaddexp(0.0, x)


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _loss(ctx, which: str, dtype: str, real=None, fake=None) -> tuple[float, list]:
    """(loss, [gradients]) of the submission's discriminator_loss / generator_loss."""
    if which == "d":
        call = f"discriminator_loss(real_logits, fake_logits) in {dtype}"
        r = run_task(ctx, "discriminator_loss", call, real_logits=real, fake_logits=fake, dtype=dtype)
        shapes = (real.shape, fake.shape)
    else:
        call = f"generator_loss(fake_logits) in {dtype}"
        r = run_task(ctx, "generator_loss", call, fake_logits=fake, dtype=dtype)
        shapes = (fake.shape,)
    r = reply(r, call, ("loss", "shape", "dtype", "grads", "reached"))
    shape = [int(s) for s in r["shape"]]
    if shape not in ([], [1]):
        raise CheckFailed(f"{call} returned a tensor of shape {tuple(shape)}; expected a scalar.",
                          expected="a scalar tensor", got=f"shape {tuple(shape)}",
                          slip="reduction='none' (or no mean): each term is a mean over its batch.")
    if r["dtype"] != dtype:
        raise CheckFailed(f"{call} returned a {r['dtype']} tensor for {dtype} logits.",
                          slip="a cast (.double(), .float(), torch.tensor(..., dtype=...)): keep the logits' dtype.")
    loss = expect.scalar(r["loss"], call, finite=False)
    grads = [expect.array(g, f"the gradient of {call}", s, finite=False) for g, s in zip(r["grads"], shapes)]
    if not all(r["reached"]):
        raise CheckFailed(f"{call}: no gradient reaches the logits.",
                          slip="the loss is computed from detached values (.item(), .detach(), .data, "
                               "torch.tensor(...) of numbers): the networks could not learn from it.")
    return loss, grads


def _check_scalar(got, expected, what, known, context, tol=LOSS_RTOL):
    if abs(got - expected) <= 1e-8 + tol * abs(expected):
        return
    slip = next((words for words, wrong in known.items() if abs(got - wrong) <= 1e-8 + 1e-6 * abs(wrong)), None)
    raise CheckFailed(f"{what} is {got:.8g}; expected {expected:.8g}.", expected=f"{expected:.10g}",
                      got=f"{got:.10g}", diff=f"absolute difference {abs(got - expected):.4g}", slip=slip,
                      details=context)


def d_expected(real, fake):
    n, m = len(real), len(fake)
    return (float(softplus(-real).mean() + softplus(fake).mean()),
            [-sigmoid(-real) / n, sigmoid(fake) / m])


def check_discriminator_loss_closed_form(ctx):
    real = ctx.rng.normal(0.0, 2.0, 5)
    fake = ctx.rng.normal(0.0, 2.0, 3)
    n, m = len(real), len(fake)
    loss, (g_real, g_fake) = _loss(ctx, "d", "float64", real=real, fake=fake)
    expected, (e_real, e_fake) = d_expected(real, fake)
    context = (f"Inputs (float64): real_logits = {fmt(real)}, fake_logits = {fmt(fake)}.\nThe closed form: "
               "loss = mean softplus(-real_logits) + mean softplus(fake_logits), softplus(l) = log(1 + e^l), "
               "since BCE(l, 1) = -log sigmoid(l) = softplus(-l) and BCE(l, 0) = -log(1 - sigmoid(l)) = "
               "softplus(l).")
    sp_r, sp_f = softplus(-real), softplus(fake)
    known = {
        "the labels are swapped: real images are labelled 1 and fakes 0 (the discriminator's targets)":
            float(softplus(real).mean() + softplus(-fake).mean()),
        "the two terms are averaged (a factor 1/2): the loss is their SUM": 0.5 * expected,
        f"one mean over the {n} real and {m} fake logits together: each term is the mean over its own batch":
            float((sp_r.sum() + sp_f.sum()) / (n + m)),
        "sums over the batches instead of means": float(sp_r.sum() + sp_f.sum()),
        "only the real term: add the fakes' BCE with target 0": float(sp_r.mean()),
        "only the fake term: add the real images' BCE with target 1": float(sp_f.mean()),
        "the sign is flipped: the discriminator MINIMISES the binary cross-entropy": -expected,
    }
    _check_scalar(loss, expected, "discriminator_loss(real_logits, fake_logits)", known, context)
    assert_close(g_real, e_real, "d loss / d real_logits", tol="gradient", context=context,
                 known={"the real logits' gradient of the swapped labels": sigmoid(real) / n})
    assert_close(g_fake, e_fake, "d loss / d fake_logits", tol="gradient", context=context,
                 known={"the fake logits' gradient of the swapped labels": -sigmoid(-fake) / m})


def _check_extreme(ctx, which: str):
    """The loss and its gradients finite and exact at |logit| = 100 in float64 and float32."""
    fn = "discriminator_loss" if which == "d" else "generator_loss"
    for dtype in ("float64", "float32"):
        real, fake = EXTREME_REAL, EXTREME_FAKE
        loss, grads = _loss(ctx, which, dtype, real=real, fake=fake)
        if which == "d":
            expected, e_grads = d_expected(real, fake)
            inputs = f"real_logits = {fmt(real)}, fake_logits = {fmt(fake)}"
        else:
            expected, e_grads = float(softplus(-fake).mean()), [(sigmoid(fake) - 1.0) / len(fake)]
            inputs = f"fake_logits = {fmt(fake)}"
        what = f"{fn} at |logit| = 100 ({dtype})"
        context = f"Inputs ({dtype}): {inputs}."
        naive = ("log(sigmoid(l)) or log(1 - sigmoid(l)) computed naively: in float32, sigmoid(-100) and "
                 "1 - sigmoid(100) round to exactly 0 (and 1 - sigmoid(100) does in float64 too), so the log is "
                 "-inf. Use F.binary_cross_entropy_with_logits (or F.softplus / F.logsigmoid), which computes "
                 "max(l, 0) - l y + log(1 + exp(-|l|)) and stays finite.")
        if not np.isfinite(loss) or not all(np.all(np.isfinite(g)) for g in grads):
            raise CheckFailed(
                f"{what} is not finite" + ("" if np.isfinite(loss) else f" (the loss is {loss})")
                + ("" if all(np.all(np.isfinite(g)) for g in grads) else "; its gradient has inf or NaN") + ".",
                expected=f"{expected:.8g}, with finite gradients", got=f"{loss}", slip=naive, details=context)
        tol = FLOAT32 if dtype == "float32" else Tolerance(rtol=LOSS_RTOL, atol=1e-8)
        if abs(loss - expected) > tol.atol + tol.rtol * abs(expected):
            raise CheckFailed(f"{what} is {loss:.8g}; expected {expected:.8g}.", expected=f"{expected:.10g}",
                              got=f"{loss:.10g}", slip=_extreme_slip(ctx, which), details=context)
        for g, e, name in zip(grads, e_grads, ("real_logits", "fake_logits") if which == "d" else ("fake_logits",)):
            assert_close(g, e, f"d {fn} / d {name} at |logit| = 100 ({dtype})", tol=tol, context=context)


def _extreme_slip(ctx, which: str) -> str:
    """Why a loss is finite but wrong at |logit| = 100: wrong everywhere, or only there."""
    real, fake = np.array([0.7, -1.3]), np.array([-0.4, 2.1])
    loss, _ = _loss(ctx, which, "float64", real=real, fake=fake)
    expected = d_expected(real, fake)[0] if which == "d" else float(softplus(-fake).mean())
    if abs(loss - expected) > 1e-8 + LOSS_RTOL * abs(expected):
        return "the loss is wrong at moderate logits too: see the closed-form check first."
    return ("right at moderate logits but not at |logit| = 100: the logits are clamped, or an eps is added inside "
            "the log (log(sigmoid(l) + 1e-8) is at most 18.4 where the loss is 100). "
            "F.binary_cross_entropy_with_logits (or F.softplus / F.logsigmoid) is exact for any logit.")


def check_discriminator_loss_extreme(ctx):
    _check_extreme(ctx, "d")


def check_generator_loss(ctx):
    fake = ctx.rng.normal(0.0, 2.0, 4)
    m = len(fake)
    loss, (grad,) = _loss(ctx, "g", "float64", fake=fake)
    expected = float(softplus(-fake).mean())
    context = (f"Inputs (float64): fake_logits = {fmt(fake)}.\nThe non-saturating generator loss: "
               "mean BCE(fake_logits, 1) = mean -log sigmoid(fake_logits) = mean softplus(-fake_logits).")
    saturating = ("the saturating loss mean log(1 - D(G(z))) of the original minimax game "
                  "(-BCE-with-logits(fake, 0)): its gradient -sigmoid(l) vanishes when D confidently rejects the "
                  "fakes (sigmoid(l) ~ 0), so G learns nothing early in training. Use the non-saturating "
                  "BCE-with-logits(fake, 1) = -log D(G(z)), whose gradient there is about -1.")
    known = {
        saturating: float(-softplus(fake).mean()),
        "target 0: BCE-with-logits(fake, 0) is the discriminator's term for the fakes; the generator wants D to "
        "call its fakes real, target 1": float(softplus(fake).mean()),
        "the sign is flipped: the generator MINIMISES BCE-with-logits(fake, 1)": -expected,
        "a sum over the batch instead of the mean": float(softplus(-fake).sum()),
    }
    _check_scalar(loss, expected, "generator_loss(fake_logits)", known, context)
    assert_close(grad, (sigmoid(fake) - 1.0) / m, "d generator_loss / d fake_logits", tol="gradient",
                 context=context, known={saturating: -sigmoid(fake) / m})
    _check_extreme(ctx, "g")

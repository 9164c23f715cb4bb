"""The checks of `gan_torch`, one `check_<function>_<property>` per check.

Everything that touches the submission's objects runs in the sandbox through the tasks of
`tasks.py`; the expected values are computed here in NumPy from the contract's formulas:

- `Generator` / `Discriminator`: shapes for two sizes, samples in [0, 1], logits of shape
  (N,) that are logits, not probabilities (`task_inspect_gan`);
- `discriminator_loss`, `generator_loss`: value and gradients against the closed forms with
  softplus, wrong forms named (the saturating generator loss among them), and both finite and
  exact at |logit| = 100 in float64 and float32 (`task_discriminator_loss`,
  `task_generator_loss`: each loss alone, so one broken loss never fails the other's check);
- `train_step`: two consecutive calls with logging SGD optimizers, against the contract's
  step run on copies of the same networks with the submission's own losses
  (`task_train_step_checks`, run once per grade and shared by the five train_step checks).
  When train_step raises (the two classic errors: no detach, or an early opt_G.step()), the
  torch error is explained in plain words, with the optimizer calls of one call;
- the trained check: `task_train_gan` at the calibrated settings; the samples are labelled in
  THIS process by the project's digit classifier (`digit_classifier.mode_coverage`; its
  weights never enter the sandbox) and compared with both calibrated bounds of
  `thresholds.py` for the data set of the grade. A generator that collapses to a few modes,
  or makes noise, fails.
"""

from __future__ import annotations

import functools
import weakref

import numpy as np

from graders.assignments.gan_torch import thresholds as th
from graders.engine import expect
from graders.engine.checks import Check, CheckFailed, Kind
from graders.engine.compare import Tolerance, assert_close, fmt
from graders.sandbox.errors import CallTimeout, SandboxCrashed, StudentError

CONTRACT = ("Generator", "Discriminator", "discriminator_loss", "generator_loss", "train_step")
TRAINED_CHECK = "GAN: samples cover at least k digit classes confidently (threshold)"
# wall-time limit = 5 x the CPU budget: on the suite's shared two-core machine (load 6-12)
# 3 x was not always enough for the GAN's reference run
CPU_TO_WALL = 5.0
TRAIN_TIMEOUT_S = CPU_TO_WALL * max(th.CPU_BUDGET_S.values())
STEP = {"n_latent": 16, "n_out": 64, "n_real": 6, "n_fake": 5, "lr": 0.05}  # the train_step probe
PARAM_RTOL = 1e-4          # train_step: relative error of a network's total change (float32 networks)
LOSS_RTOL = 1e-5
EXTREME_REAL = np.array([100.0, -100.0, 3.0, -2.0])
EXTREME_FAKE = np.array([100.0, -100.0, 1.5])
FLOAT32 = Tolerance(rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ helpers


def run_task(ctx, name: str, what: str, **kwargs):
    """ctx.task(name, ...), with an error raised by the grader's own code around the
    submission (no frame of the submission in its traceback) turned into feedback."""
    try:
        return ctx.task(name, **kwargs)
    except StudentError as exc:
        if exc.traceback or exc.missing or exc.type_name == "NotImplementedError":
            raise
        raise CheckFailed(
            f"{what}: the grader could not use your code: {exc.type_name}: {exc.message}",
            slip="a signature, a returned type or a shape other than the contract's (the error was raised "
                 "by the grader's code calling yours, not inside your code).") from None


def reply(value, what: str, keys: tuple[str, ...]) -> dict:
    if not isinstance(value, dict) or any(k not in value for k in keys):
        raise RuntimeError(f"{what}: unexpected reply from the grader's task")
    return value


def softplus(x):
    return np.logaddexp(0.0, x)


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


# ------------------------------------------------------------------ Generator / Discriminator


def check_models(ctx):
    for n_latent, n_out, n in ((16, 64, 8), (5, 20, 3)):
        z = ctx.rng.normal(0.0, 3.0, (n, n_latent))
        x = ctx.rng.uniform(0.0, 1.0, (n, n_out))
        call = f"Generator({n_latent}, {n_out}) and Discriminator({n_out})"
        keys = ("g_shape", "g_min", "g_max", "g_spread", "d_shape", "d_finite", "d_min", "d_max")
        r = reply(run_task(ctx, "inspect_gan", call, n_latent=n_latent, n_out=n_out, z=z, x=x, seed=0), call, keys)
        hard = "a hard-coded size (64 pixels, 16 latent dimensions?): use the sizes given to the constructor."
        if list(r["g_shape"]) != [n, n_out]:
            raise CheckFailed(f"Generator({n_latent}, {n_out}) on z of shape ({n}, {n_latent}) gives samples of the "
                              "wrong shape.", expected=f"({n}, {n_out})", got=str(tuple(r["g_shape"])),
                              slip=hard if n_out != 64 else None)
        lo, hi = float(r["g_min"]), float(r["g_max"])
        if not (lo >= 0.0 and hi <= 1.0):
            raise CheckFailed(
                f"Generator({n_latent}, {n_out}): samples outside [0, 1].", expected="pixels in [0, 1]",
                got=f"min {lo:.4g}, max {hi:.4g}", where="z drawn from N(0, 3^2 I)",
                slip="no sigmoid on the generator's output layer: the real images are in [0, 1], so the fakes "
                     "must be too.")
        if float(r["g_spread"]) < 1e-6:
            raise CheckFailed(
                f"Generator({n_latent}, {n_out}) gives the same sample for {n} different z: it ignores its input.",
                expected="samples that depend on z", got=f"largest per-pixel spread over the samples "
                                                          f"{float(r['g_spread']):.3g}",
                slip="forward(z) does not use z (a constant input, or z overwritten): a generator that ignores "
                     "its noise can only make one image (complete mode collapse).")
        d_shape = list(r["d_shape"])
        if d_shape != [n]:
            raise CheckFailed(
                f"Discriminator({n_out}) on x of shape ({n}, {n_out}) gives logits of the wrong shape.",
                expected=f"({n},): one logit per image", got=str(tuple(d_shape)),
                slip=("the last Linear layer's (N, 1) output is not squeezed: return .squeeze(-1) (or .view(-1))."
                      if d_shape == [n, 1] else hard if n_out != 64 else None))
        if not r["d_finite"]:
            raise CheckFailed(f"Discriminator({n_out}) returned non-finite logits.")
        if 0.0 <= float(r["d_min"]) and float(r["d_max"]) <= 1.0:
            big = reply(run_task(ctx, "inspect_gan", call, n_latent=n_latent, n_out=n_out, z=z, x=50.0 * x,
                                 seed=0), call, keys)
            if 0.0 <= float(big["d_min"]) and float(big["d_max"]) <= 1.0:
                raise CheckFailed(
                    f"Discriminator({n_out}) returns values in [0, 1] even for inputs scaled by 50: probabilities, "
                    "not logits.",
                    expected="logits (any real number: the losses apply the sigmoid themselves)",
                    got=f"values in [{float(big['d_min']):.4g}, {float(big['d_max']):.4g}] for 50 x the inputs",
                    slip="a sigmoid on the discriminator's output: the losses use BCE-with-logits, which applies "
                         "its own sigmoid; a second one squashes every logit into (0, 1) and D can never be "
                         "confident.")


# ------------------------------------------------------------------ losses


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


# ------------------------------------------------------------------ train_step


_RUNS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
STEP_SETUP = (f"Setup: Generator({STEP['n_latent']}, {STEP['n_out']}) and Discriminator({STEP['n_out']}) built by "
              f"the grader (seed 0), plain SGD (lr {STEP['lr']}) for both, and two consecutive calls "
              f"train_step(G, D, opt_G, opt_D, real, z) with {STEP['n_real']} real images and {STEP['n_fake']} "
              "noise vectors each, compared with the contract's step (D step on G(z).detach(), then G step through "
              "the updated D, with your own loss functions) run on copies of the same networks.")
CONTRACT_CALLS = ["opt_D.zero_grad", "opt_D.step", "opt_G.zero_grad", "opt_G.step"]


def _step_inputs():
    rng = np.random.default_rng(7)
    return (rng.uniform(0.0, 1.0, (2, STEP["n_real"], STEP["n_out"])),
            rng.normal(0.0, 1.0, (2, STEP["n_fake"], STEP["n_latent"])))


def _step_task(ctx, steps: int) -> dict:
    reals, zs = _step_inputs()
    out = run_task(ctx, "train_step_checks", "train_step", n_latent=STEP["n_latent"], n_out=STEP["n_out"],
                   real_batches=reals[:steps], z_batches=zs[:steps], lr=STEP["lr"], seed=0)
    return reply(out, "train_step_checks", ("d_loss", "g_loss", "expected_d_loss", "expected_g_loss", "d_param_err",
                                            "g_param_err", "g_unchanged_by_d_step", "d_unchanged_by_g_step",
                                            "g_changed", "d_changed", "calls", "returned"))


def explain_step_error(exc: StudentError, first_calls: list | None) -> CheckFailed:
    """The torch errors a wrong train_step raises, in plain words."""
    message = exc.message
    calls = f" Optimizer calls of the first call: {', '.join(first_calls)}." if first_calls else ""
    if "backward through the graph a second time" in message:
        return CheckFailed(
            "train_step raised an error: the generator step's backward went through the part of the graph (G's) "
            "that the discriminator step's backward had already freed.",
            slip="G(z) was not detached for the discriminator step: discriminator_loss(D(real), D(fake)) sends "
                 "d_loss.backward() through G as well (and frees G's graph), so g_loss.backward() cannot go "
                 "through fake again. Use D(fake.detach()) in the discriminator step and the undetached fake in "
                 "the generator step." + calls,
            details=f"The error: {exc.describe()}\n{STEP_SETUP}")
    if "modified by an inplace operation" in message:
        early = bool(first_calls) and "opt_G.step" in first_calls and (
            "opt_D.step" not in first_calls or first_calls.index("opt_G.step") < first_calls.index("opt_D.step")
            or first_calls.count("opt_G.step") > 1)
        return CheckFailed(
            "train_step raised an error: a network's parameters were changed in place by an optimizer step "
            "before a backward pass that still needed their old values.",
            slip=("opt_G.step() is called in the discriminator step (where opt_D.step() belongs): it changes G's "
                  "weights in place while G's graph (fake = G(z)) still needs them for the generator step's "
                  "backward. The discriminator step steps opt_D; only the generator step steps opt_G."
                  if early else
                  "an optimizer step between the forward pass and the backward pass that uses it: each step "
                  "must be zero_grad, loss, backward, step, in that order, for its own network.") + calls,
            details=f"The error: {exc.describe()}\n{STEP_SETUP}")
    return CheckFailed(f"train_step raised an exception: {exc.describe()}", details=STEP_SETUP)


def step_run(ctx) -> dict:
    """The two-call train_step probe of this grade (run once and shared; so is a failure)."""
    key = ctx.session
    if key not in _RUNS:
        try:
            _RUNS[key] = ("ok", _step_task(ctx, 2))
        except StudentError as exc:
            if exc.missing or exc.type_name == "NotImplementedError":
                _RUNS[key] = ("error", exc)
            else:
                first = None
                try:  # the first call alone, for its optimizer calls
                    first = _step_task(ctx, 1)["calls"][0]
                except (StudentError, CheckFailed, RuntimeError, IndexError, TypeError):
                    pass
                _RUNS[key] = ("error", explain_step_error(exc, first))
        except (CheckFailed, CallTimeout, SandboxCrashed) as exc:
            _RUNS[key] = ("error", exc)
    status, value = _RUNS[key]
    if status == "error":
        raise value
    return value


def _calls(r, i=0) -> str:
    return ", ".join(r["calls"][i]) or "none"


def check_train_step_d_step_keeps_g(ctx):
    r = step_run(ctx)
    for i, ok in enumerate(r["g_unchanged_by_d_step"]):
        if ok:
            continue
        calls = list(r["calls"][i])
        if ok is None:
            summary = "opt_D.step() was never called, so the discriminator step did not update D."
            slip = ("opt_G.step() where opt_D.step() belongs in the discriminator step." if "opt_G.step" in calls
                    else "the discriminator step must end with opt_D.step().")
        else:
            summary = "G's parameters changed before the discriminator step's opt_D.step() finished."
            slip = ("the generator step comes first: the contract's order is the discriminator step (on "
                    "G(z).detach()), then the generator step through the updated D."
                    if "opt_G.step" in calls and "opt_D.step" in calls
                    and calls.index("opt_G.step") < calls.index("opt_D.step") else
                    "G's weights are changed by the discriminator step (an opt_G.step() there, or an optimizer "
                    "over both networks' parameters).")
        raise CheckFailed(f"train_step, call {i + 1}: {summary}", expected="G unchanged by the discriminator step",
                          got=f"optimizer calls: {_calls(r, i)}", slip=slip,
                          details=f"The contract's calls: {', '.join(CONTRACT_CALLS)}.\n{STEP_SETUP}")


def check_train_step_g_step_keeps_d(ctx):
    r = step_run(ctx)
    for i, ok in enumerate(r["d_unchanged_by_g_step"]):
        if ok:
            continue
        calls = list(r["calls"][i])
        if ok is None:
            raise CheckFailed(f"train_step, call {i + 1}: opt_D.step() was never called.",
                              got=f"optimizer calls: {_calls(r, i)}",
                              slip="the discriminator step must end with opt_D.step().", details=STEP_SETUP)
        raise CheckFailed(
            f"train_step, call {i + 1}: D's parameters changed after the discriminator step.",
            expected="D unchanged from its opt_D.step() to the end of the call",
            got=f"optimizer calls: {_calls(r, i)}",
            slip=("opt_D.step() is called again after the generator's backward: g_loss.backward() goes through D "
                  "and fills D's .grad too, so that step moves D to help the generator. Only opt_G steps in the "
                  "generator step." if calls.count("opt_D.step") > 1 else
                  "D is updated by the generator step (an optimizer over both networks' parameters?)."),
            details=f"The contract's calls: {', '.join(CONTRACT_CALLS)}.\n{STEP_SETUP}")


def check_train_step_matches_contract(ctx):
    r = step_run(ctx)
    d_err, g_err = list(map(float, r["d_param_err"])), list(map(float, r["g_param_err"]))
    bad = [(i, net) for i in range(len(d_err)) for net, err in (("D", d_err[i]), ("G", g_err[i]))
           if not err <= PARAM_RTOL]
    if not bad:
        return None
    first_step = min(i for i, _ in bad)
    nets = sorted({net for i, net in bad if i == first_step})
    table = "\n".join(f"  call {i + 1}: relative error of D's total change {d_err[i]:.3g}, of G's {g_err[i]:.3g}; "
                      f"optimizer calls: {_calls(r, i)}" for i in range(len(d_err)))
    calls = list(r["calls"][0])
    if first_step == 1:
        slip = ("the gradients are not zeroed before each backward, so the second call adds its gradients to the "
                "first call's (which are still in .grad: the generator's backward fills D's .grad too). Call "
                + " and ".join(f"opt_{n}.zero_grad()" for n in nets)
                + " before the corresponding backward in every call.")
        missing = [f"opt_{n}.zero_grad()" for n in nets if f"opt_{n}.zero_grad" not in calls]
        if missing:
            slip += f" ({', '.join(missing)} is never called.)"
    elif ("opt_G.step" in calls and "opt_D.step" in calls
          and calls.index("opt_G.step") < calls.index("opt_D.step")):
        slip = ("the generator step comes first: the contract's order is the discriminator step (on G(z).detach()), "
                "then the generator step through the UPDATED D.")
    elif calls.count("opt_D.step") > 1 or calls.count("opt_G.step") > 1:
        slip = ("an optimizer steps twice in one call (see the checks that each step leaves the other network "
                "unchanged).")
    elif ("opt_G.zero_grad" in calls and "opt_D.step" in calls
          and calls.index("opt_G.zero_grad") < calls.index("opt_D.step")):
        slip = ("G's gradients are zeroed before the discriminator step's backward: if that backward reaches G (fake "
                "not detached), its gradient stays in G's .grad and is added to the generator's update. Use "
                "D(fake.detach()) in the discriminator step and zero G's gradients right before the generator's "
                "backward.")
    elif calls == CONTRACT_CALLS:
        slip = ("the right optimizer calls in the right order but other updates: the generator run on noise other "
                "than the z given (torch.randn inside train_step?), other losses than discriminator_loss / "
                "generator_loss, or the generator loss computed with D before its update.")
    else:
        slip = f"the optimizer calls differ from the contract's ({', '.join(CONTRACT_CALLS)})."
    raise CheckFailed(
        f"train_step does not update {' and '.join(nets)} as the contract's step does, from call "
        f"{first_step + 1} on.",
        expected=f"the contract's parameter changes (relative error up to {PARAM_RTOL:g})",
        got=f"relative errors D {fmt(np.array(d_err))}, G {fmt(np.array(g_err))}", slip=slip,
        details=table + "\n" + STEP_SETUP)


def check_train_step_reaches_g(ctx):
    r = step_run(ctx)
    for i, changed in enumerate(r["g_changed"]):
        if changed:
            continue
        calls = list(r["calls"][i])
        raise CheckFailed(
            f"train_step, call {i + 1}: the generator's parameters did not change.",
            expected="G updated by the generator step", got=f"G unchanged; optimizer calls: {_calls(r, i)}",
            slip=("opt_G.step() is never called." if "opt_G.step" not in calls else
                  "the generator loss does not reach G: D(fake.detach()) (or a fake made under torch.no_grad()) in "
                  "the generator step. The detach belongs in the discriminator step only; the generator step "
                  "needs the gradient through D into G."),
            details=STEP_SETUP)


def check_train_step_returns_losses(ctx):
    r = step_run(ctx)
    for i, problem in enumerate(r["returned"]):
        if problem:
            raise CheckFailed(f"train_step returned {problem}; expected a tuple (d_loss, g_loss) of two floats.",
                              slip="return d_loss.item(), g_loss.item() at the end of train_step.")
    got = np.array([r["d_loss"], r["g_loss"]], dtype=np.float64)
    want = np.array([r["expected_d_loss"], r["expected_g_loss"]], dtype=np.float64)
    if np.allclose(got, want, rtol=LOSS_RTOL, atol=1e-7):
        return None
    slip = None
    if np.allclose(got[::-1], want, rtol=LOSS_RTOL, atol=1e-7):
        slip = "the losses are returned in the wrong order: (d_loss, g_loss)."
    elif np.allclose(got[0], want[0], rtol=LOSS_RTOL, atol=1e-7):
        slip = ("the generator loss is not the one of the contract's step: computed with D before its update (the "
                "discriminator step comes first), or on other noise than z?")
    raise CheckFailed(
        "train_step returned other losses than the contract's step computes.",
        expected=f"(d_loss, g_loss) per call: {fmt(want.T)}", got=fmt(got.T),
        slip=slip or "d_loss is the discriminator loss of the discriminator step (before opt_D.step()), g_loss the "
                     "generator loss of the generator step, as floats.",
        details=STEP_SETUP)


# ------------------------------------------------------------------ the trained check


@functools.lru_cache(maxsize=4)
def dataset(spec: str) -> dict:
    from dlgrade.data.mnist import load_dataset

    return load_dataset(spec, **th.DATA.get(spec.split(":", 1)[0], {}))


@functools.lru_cache(maxsize=4)
def classifier(name: str):
    from graders.assignments.gan_torch.digit_classifier import load_classifier

    return load_classifier(name)


def setup_for(ctx):
    """(data, {check: Threshold}, classifier) for the grade's data set ("digits" or "mnist:PATH")."""
    spec = str(ctx.options.get("data") or "digits")
    name = spec.split(":", 1)[0]
    try:
        data = dataset(spec)
    except (OSError, ValueError) as exc:
        raise CheckFailed(
            f"the data set {spec!r} could not be loaded (a setting of the grade, not your code): {exc}",
            slip='the instructor\'s --data option: "digits" or "mnist:PATH" with PATH the folder of the four '
                 "MNIST IDX files.") from None
    try:
        table = th.thresholds_for(name)
        bounds = {check: table[check] for check in th.CHECKS}
    except KeyError as exc:
        raise CheckFailed(
            f"not graded: the grader has no calibrated bounds for the data set {name!r} (a setting of the grade, "
            "not your code).",
            slip=f"for the instructor: first `python -m graders.assignments.gan_torch.digit_classifier --dataset "
                 f"{spec} --write` (if there is no classifier for it yet), then "
                 f"{exc.args[0] if exc.args else exc} (it retrains the reference over 5 seeds and writes the bounds "
                 "into graders/assignments/gan_torch/thresholds.py).") from None
    try:
        model = classifier(name)
    except (OSError, ValueError) as exc:
        raise CheckFailed(f"not graded: the digit classifier for {name!r} is missing or broken (a setting of the "
                          f"grade, not your code): {exc}") from None
    return data, bounds, model


def attach_pictures(ctx, r: dict, labels: np.ndarray, log_every: int) -> None:
    """A grid of samples, the samples sorted by the classifier's confident label, and the
    loss curves (never fails the check)."""
    from graders.reports.pictures import image_grid, line_plot

    try:
        samples = np.asarray(r["samples"], dtype=np.float64)
        ctx.attach(f"the first 64 of your generator's {len(samples)} samples", image_grid(
            [samples[i * 16:(i + 1) * 16] for i in range(4)], scale=4))
        shown = [samples[labels == k][:8] for k in range(10)]
        rows = [row for row in shown if len(row)]
        if rows:
            ctx.attach("samples by the classifier's label (one row per recognised digit)", image_grid(
                rows, [str(k) for k in range(10) if len(shown[k])], scale=4))
        d_loss, g_loss = (np.asarray(r[k], dtype=np.float64) for k in ("d_loss", "g_loss"))
        steps = log_every * np.arange(1, len(d_loss) + 1)
        ctx.attach("training losses (mean over each block of steps)", line_plot(
            {"discriminator": (steps, d_loss), "generator": (steps, g_loss)}, xlabel="step", ylabel="loss"))
    except (ValueError, TypeError, KeyError):  # a picture must never cost the check
        pass


def check_gan_trained(ctx):
    from graders.assignments.gan_torch.digit_classifier import NOT_A_DIGIT, classify, mode_coverage

    data, bounds, model = setup_for(ctx)
    t_classes, t_fraction = bounds["gan_distinct_classes"], bounds["gan_confident_fraction"]
    settings = {k: v for k, v in t_classes.settings.items() if k != "coverage"}
    coverage = dict(t_classes.settings.get("coverage") or th.COVERAGE[data["name"]])
    log_every = 100
    r = reply(run_task(ctx, "train_gan", "training the GAN with train_step", x_train=data["x_train"],
                       seed=t_classes.grade_seed, log_every=log_every, **settings),
              "train_gan", ("samples", "d_loss", "g_loss", "cpu_s"))
    samples = expect.array(r["samples"], "the generated samples",
                           (int(settings["n_samples"]), data["x_train"].shape[1]), finite=False)
    cov = mode_coverage(samples, model, **coverage)
    labels, conf = classify(np.nan_to_num(samples), model)
    labels = np.where((conf >= coverage["confidence"]) & (labels != NOT_A_DIGIT), labels, -1)
    attach_pictures(ctx, r, labels, log_every)
    k = int(np.ceil(t_classes.bound))
    counts = ", ".join(f"{d}: {c}" for d, c in enumerate(cov["counts"]))
    summary = (f"{cov['n_classes']} digit classes covered (at least {coverage['min_count']} samples each at "
               f"confidence >= {coverage['confidence']}); {cov['confident_fraction']:.1%} of the "
               f"{len(samples)} samples recognised confidently, {cov['rejected_fraction']:.1%} rejected as not a "
               f"digit; {float(r['cpu_s']):.1f} s CPU")
    ok_classes, ok_fraction = t_classes.passes(cov["n_classes"]), t_fraction.passes(cov["confident_fraction"])
    if ok_classes and ok_fraction:
        return f"{summary}. Passed: {t_classes.describe()}; {t_fraction.describe()}."
    d_loss, g_loss = (np.asarray(r[key], dtype=np.float64) for key in ("d_loss", "g_loss"))
    spread = float(np.nanmax(np.nanstd(samples, axis=0))) if np.isfinite(samples).any() else 0.0
    if not np.all(np.isfinite(samples)):
        slip = "the generator's samples contain NaN or inf: training diverged."
    elif spread < 1e-3:
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
                 f"{data['name']} training images, seed {t_classes.grade_seed}; then {settings['n_samples']} "
                 "samples labelled by the project's digit classifier (which has an 11th class, 'not a digit')."
                 f"\nDiscriminator loss per {log_every} steps: {fmt(d_loss)}\nGenerator loss: {fmt(g_loss)}"))


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of gan_torch, in the order of the contract."""
    models = ("Generator", "Discriminator")
    losses = ("discriminator_loss", "generator_loss")
    yield Check("Generator/Discriminator: shapes, samples in [0,1], logits (N,)", check_models, needs=models)
    yield Check("discriminator_loss: closed form on given logits", check_discriminator_loss_closed_form, points=2,
                needs=("discriminator_loss",))
    yield Check("discriminator_loss: finite at |logit| = 100", check_discriminator_loss_extreme,
                needs=("discriminator_loss",))
    yield Check("generator_loss: non-saturating (BCE-with-logits(fake, 1)), closed form, finite at |logit| = 100",
                check_generator_loss, points=2, needs=("generator_loss",))
    step_needs = models + losses + ("train_step",)
    yield Check("train_step: the discriminator step leaves the generator unchanged", check_train_step_d_step_keeps_g,
                kind=Kind.PROPERTY, needs=step_needs)
    yield Check("train_step: the generator step leaves the discriminator unchanged", check_train_step_g_step_keeps_d,
                kind=Kind.PROPERTY, needs=step_needs)
    yield Check("train_step: gradients zeroed every step (two steps match the contract)",
                check_train_step_matches_contract, points=2, needs=step_needs)
    yield Check("train_step: the generator step reaches the generator", check_train_step_reaches_g,
                kind=Kind.PROPERTY, needs=step_needs)
    yield Check("train_step: returns (d_loss, g_loss)", check_train_step_returns_losses, needs=step_needs)
    yield Check(TRAINED_CHECK, check_gan_trained, points=4, kind=Kind.THRESHOLD, needs=step_needs,
                timeout_s=TRAIN_TIMEOUT_S)

"""The checks of `train_step`.

Two consecutive calls with logging SGD optimizers, against the contract's step run on copies
of the same networks with the submission's own losses (`task_train_step_checks`, run once per
grade and shared by the five train_step checks). When train_step raises (the two classic
errors: no detach, or an early opt_G.step()), the torch error is explained in plain words,
with the optimizer calls of one call.
"""

from __future__ import annotations

import numpy as np

from graders.assignments.gan_torch.checks_losses import LOSS_RTOL
from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.compare import fmt
from graders.engine.task_calls import reply, run_task
from graders.sandbox.errors import StudentError

STEP = {"n_latent": 16, "n_out": 64, "n_real": 6, "n_fake": 5, "lr": 0.05}  # the train_step probe
PARAM_RTOL = 1e-4          # train_step: relative error of a network's total change (float32 networks)
STEP_SETUP = (f"Setup: Generator({STEP['n_latent']}, {STEP['n_out']}) and Discriminator({STEP['n_out']}) built by "
              f"the grader (seed 0), plain SGD (lr {STEP['lr']}) for both, and two consecutive calls "
              f"train_step(G, D, opt_G, opt_D, real, z) with {STEP['n_real']} real images and {STEP['n_fake']} "
              "noise vectors each, compared with the contract's step (D step on G(z).detach(), then G step through "
              "the updated D, with your own loss functions) run on copies of the same networks. Both runs "
              "reseed torch before every forward of G and D, so dropout layers draw the same masks when the "
              "networks are called in the contract's order (G(z), D(real), D(fake.detach()), D(fake)).")
CONTRACT_CALLS = ["opt_D.zero_grad", "opt_D.step", "opt_G.zero_grad", "opt_G.step"]


def _step_inputs():
    rng = np.random.default_rng(7)
    return (rng.uniform(0.0, 1.0, (2, STEP["n_real"], STEP["n_out"])),
            rng.normal(0.0, 1.0, (2, STEP["n_fake"], STEP["n_latent"])))


def _step_task(ctx, steps: int) -> dict:
    reals, zs = _step_inputs()
    out = run_task(ctx, "train_step_checks", "train_step", n_latent=STEP["n_latent"], n_out=STEP["n_out"],
                   real_batches=reals[:steps], z_batches=zs[:steps], lr=STEP["lr"], seed=0)
    r = reply(out, "train_step_checks", ("d_loss", "g_loss", "expected_d_loss", "expected_g_loss", "d_change",
                                         "g_change", "expected_d_change", "expected_g_change",
                                         "g_unchanged_by_d_step", "d_unchanged_by_g_step", "g_changed", "d_changed",
                                         "calls", "returned", "stale"))
    return {**r, **param_errors(r)}


def param_errors(r: dict) -> dict:
    """The relative error of each network's total parameter change against the contract's,
    per call, measured here from the raw changes the task returned:
    ||change - expected|| / max(||expected||, 1e-12) (a NaN change gives NaN, never a pass)."""
    errors = {}
    for net in ("d", "g"):
        got, expected = r[f"{net}_change"], r[f"expected_{net}_change"]
        if not isinstance(got, (list, tuple)) or not isinstance(expected, (list, tuple)) or len(got) != len(expected):
            raise RuntimeError("train_step_checks: unexpected reply from the grader's task")
        errors[f"{net}_param_err"] = []
        for i, (a, b) in enumerate(zip(got, expected)):
            b = expect.array(b, f"the contract's change of {net.upper()} in call {i + 1}", (None,), finite=False)
            a = expect.array(a, f"the change of {net.upper()} in call {i + 1}", b.shape, finite=False)
            errors[f"{net}_param_err"].append(float(np.linalg.norm(a - b)) / max(float(np.linalg.norm(b)), 1e-12))
    return errors


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
    def run():
        try:
            return _step_task(ctx, 2)
        except StudentError as exc:
            if exc.missing or exc.type_name == "NotImplementedError":
                raise
            first = None
            try:  # the first call alone, for its optimizer calls
                first = _step_task(ctx, 1)["calls"][0]
            except (StudentError, CheckFailed, RuntimeError, IndexError, TypeError):
                pass
            raise explain_step_error(exc, first) from None
    return ctx.shared("train_step", run)


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
    stale = sorted({n for step in r["stale"] for n in step})
    if first_step == 1 and stale:
        slip = zero_grad_slip(stale, calls)
    elif first_step == 1:
        slip = ("the first call matches the contract's step and the second does not, although every optimizer "
                "step used only the gradients of its own call: something else carries over from one call to the "
                "next (state kept on the networks or in globals, a learning rate or optimizer setting changed "
                "inside train_step, or random layers such as dropout called in another order than the "
                "contract's G(z), D(real), D(fake.detach()), D(fake)).")
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


def zero_grad_slip(stale: list[str], calls: list[str]) -> str:
    """The missing-zero_grad diagnosis, for the networks whose steps were seen using gradients
    left over from an earlier step."""
    slip = ("the gradients are not zeroed before each backward: " + " and ".join(f"{n}'s" for n in stale)
            + " optimizer step used gradients left over from before (the generator's backward fills D's .grad "
              "too), so the second call adds its gradients to the first call's. Call "
            + " and ".join(f"opt_{n}.zero_grad() (or {n}.zero_grad())" for n in stale)
            + " before the corresponding backward in every call.")
    missing = [f"opt_{n}.zero_grad()" for n in stale if f"opt_{n}.zero_grad" not in calls]
    if missing:
        slip += f" ({', '.join(missing)} is never called.)"
    return slip


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

"""The exact checks of `train` in `sparse_autoencoder`: full-batch Adam as the contract fixes it.

    params = init_params(D, n_hidden, seed); m = v = 0; for t = 1 .. epochs:
        J, g = cost(params, X, rho, beta, lam)                 history[t - 1] = J (before the step)
        m = 0.9 m + 0.1 g;   v = 0.999 v + 0.001 g**2
        params -= lr * (m / (1 - 0.9**t)) / (sqrt(v / (1 - 0.999**t)) + 1e-8)

The expected steps are computed in the grader from the submission's OWN init_params and cost
(called in the sandbox), so a slip in cost shows in the cost checks, not here: these checks
judge the optimiser and the loop alone. One step (epochs = 1), two steps (epochs = 2: the
moments carry over and t counts), and the history's length and values (epochs = 3).

The tolerance on each parameter's change (ADAM_ATOL * lr) admits the efficient form of
Kingma & Ba's Algorithm 1 (eps added to sqrt(v) before the bias correction of the step
size), which differs from the contract's form by about eps / |g|; every slip named below
changes the steps by a sizeable fraction of lr.
"""

from __future__ import annotations

import numpy as np

from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.compare import Tolerance, assert_close, fmt

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
N, D, K = 12, 9, 4
RHO, BETA, LAM, LR, SEED = 0.1, 3.0, 1e-3, 0.01, 5
ADAM_ATOL = 1e-3           # on each parameter's change, in units of lr
KEYS = ("W", "b_h", "b_v")


def adam_steps(params0: dict, grads: list[dict], *, b1=BETA1, b2=BETA2, eps=EPS, lr=LR,
               correct_m=True, correct_v=True, square=True, eps_in_root=False) -> dict:
    """The parameters after len(grads) Adam steps with these gradients (a variant of the
    contract's formula when an option is changed, for naming slips)."""
    p = {k: np.array(v, dtype=np.float64) for k, v in params0.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    for t, g in enumerate(grads, 1):
        for k in p:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v2[k] = b2 * v2[k] + (1 - b2) * (g[k] ** 2 if square else np.abs(g[k]))
            m_hat = m[k] / (1 - b1**t) if correct_m else m[k]
            v_hat = v2[k] / (1 - b2**t) if correct_v else v2[k]
            if eps_in_root:
                p[k] = p[k] - lr * m_hat / np.sqrt(v_hat + eps)
            else:
                p[k] = p[k] - lr * m_hat / ((np.sqrt(v_hat) if square else v_hat) + eps)
    return p


def adam_slips(params0: dict, grads: list[dict]) -> dict[str, dict]:
    """What the common misreadings of Adam give after these steps, by the slip's name."""
    return {
        "no bias correction: the contract divides m by (1 - 0.9**t) and v by (1 - 0.999**t); without it the "
        "first steps are about 3 times too large (m and v start at 0)":
            adam_steps(params0, grads, correct_m=False, correct_v=False),
        "the first moment's bias correction is missing: m_hat = m / (1 - 0.9**t)":
            adam_steps(params0, grads, correct_m=False),
        "the second moment's bias correction is missing: v_hat = v / (1 - 0.999**t)":
            adam_steps(params0, grads, correct_v=False),
        "a wrong second moment: v is the running mean of g**2 (v = 0.999 v + 0.001 g**2) and the step "
        "divides by its square root":
            adam_steps(params0, grads, square=False),
        "beta1 and beta2 are swapped: m uses 0.9, v uses 0.999":
            adam_steps(params0, grads, b1=BETA2, b2=BETA1),
        "plain gradient steps params -= lr * g: the contract's train takes Adam steps":
            {k: params0[k] - LR * sum(g[k] for g in grads) for k in params0},
    }


def _problem(ctx):
    X = ctx.rng.uniform(0.1, 0.9, (N, D))
    return X


def _init(ctx) -> dict:
    value = ctx.call("init_params", D, K, SEED)
    return expect.array_dict(value, f"init_params({D}, {K}, {SEED})", {"W": (D, K), "b_h": (K,), "b_v": (D,)})


def _cost(ctx, params, X, beta=BETA, lam=LAM):
    out = expect.sequence(ctx.call("cost", params, X, RHO, beta, lam), "cost(params, X, rho, beta, lam)", 2)
    grads = expect.array_dict(out[1], "cost(...) grads", {k: np.shape(v) for k, v in params.items()})
    return expect.scalar(out[0], "cost(...) J"), grads


def _train(ctx, X, epochs, beta=BETA, lam=LAM):
    what = f"train(X, n_hidden={K}, rho={RHO}, beta={beta}, lam={lam}, lr={LR}, epochs={epochs}, seed={SEED})"
    out = expect.sequence(ctx.call("train", X, K, RHO, beta, lam, LR, epochs, SEED), what, 2)
    params = expect.array_dict(out[0], f"{what} params", {"W": (D, K), "b_h": (K,), "b_v": (D,)})
    history = np.asarray(out[1], dtype=np.float64).reshape(-1) if isinstance(out[1], (list, tuple, np.ndarray)) \
        else None
    if history is None:
        raise CheckFailed(f"{what} returned a history of type {type(out[1]).__name__}; expected a list of floats.")
    return params, history, what


def expected_run(ctx, X, epochs):
    """(params after each step, J before each step), from the submission's init_params and cost."""
    params = [_init(ctx)]
    grads, costs = [], []
    for _ in range(epochs):
        J, g = _cost(ctx, params[-1], X)
        costs.append(J)
        grads.append(g)
        params.append(adam_steps(params[0], grads))
    return params, grads, costs


def _context(epochs):
    return (f"Setup: X of shape ({N}, {D}) in [0.1, 0.9], n_hidden = {K}, rho = {RHO}, beta = {BETA}, "
            f"lam = {LAM}, lr = {LR}, epochs = {epochs}, seed = {SEED}. The expected parameters are computed "
            "from YOUR init_params and cost with the contract's Adam: m = 0.9 m + 0.1 g, v = 0.999 v + 0.001 g**2, "
            "params -= lr * (m / (1 - 0.9**t)) / (sqrt(v / (1 - 0.999**t)) + 1e-8), t = 1, 2, ...")


def _too_few_steps(history, epochs, what):
    if len(history) == epochs:
        return
    slip = None
    if len(history) == epochs - 1:
        slip = ("one step too few: `for t in range(1, epochs)` runs epochs - 1 steps; use range(1, epochs + 1) "
                "(t starts at 1 for the bias corrections).")
    elif len(history) == epochs + 1:
        slip = "one entry too many: the cost after the last step is appended too; history[t] is J BEFORE step t."
    raise CheckFailed(f"{what} returned a history of {len(history)} entries; expected {epochs}, one per step.",
                      expected=f"{epochs} costs", got=f"{len(history)}: {fmt(history)}", slip=slip)


def _compare_steps(got, params0, grads, what, epochs):
    expected = adam_steps(params0, grads)
    slips = adam_slips(params0, grads)
    tolerance = Tolerance(rtol=1e-6, atol=ADAM_ATOL * LR)
    for k in KEYS:
        known = {words: wrong[k] - params0[k] for words, wrong in slips.items()}
        assert_close(got[k] - params0[k], expected[k] - params0[k], f"the change of params[{k!r}] by {what}",
                     tolerance, known=known, context=_context(epochs))


def check_train_one_adam_step(ctx):
    X = _problem(ctx)
    params, grads, costs = expected_run(ctx, X, 1)
    got, history, what = _train(ctx, X, 1)
    _too_few_steps(history, 1, what)
    _compare_steps(got, params[0], grads, what, 1)
    assert_close(history, np.array(costs), f"history of {what}", "loss", context=_context(1)
                 + " history[0] is the cost of the initial parameters, before the step.")


def check_train_two_adam_steps(ctx):
    X = _problem(ctx)
    params, grads, costs = expected_run(ctx, X, 2)
    got, history, what = _train(ctx, X, 2)
    _too_few_steps(history, 2, what)
    _compare_steps(got, params[0], grads, what, 2)


def check_train_history_one_cost_per_step(ctx):
    X = _problem(ctx)
    params, grads, costs = expected_run(ctx, X, 3)
    _, history, what = _train(ctx, X, 3)
    _too_few_steps(history, 3, what)
    shifted = np.array(costs[1:] + [_cost(ctx, params[3], X)[0]])
    known = {"history[t] is the cost AFTER step t: append J before updating the parameters": shifted}
    assert_close(history, np.array(costs), f"history of {what}", "loss", known=known,
                 context=_context(3) + " history[t] is J(params before step t + 1), i.e. the cost each step "
                                       "computes before it moves the parameters.")


# Gradients of this size separate the contract's sqrt(v_hat) + eps from sqrt(v_hat + eps) (a
# root of about 1e-4 instead of |g|: steps 0.5 % to 30 % smaller), while Kingma & Ba's efficient
# form still differs by under eps / |g| = 1e-4 of lr. Smaller gradients would tell an ignored eps
# apart too, but there the efficient form (a correct Adam) differs as much, so none are judged.
SMALL_GRADIENTS = (1e-4, 1e-3)


def reconstruction_fixed_point(params: dict, X: np.ndarray) -> np.ndarray:
    """X with X = reconstruction(X) under params (iterated; sigmoid' <= 1/4 makes it contract)."""
    def sigmoid(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))

    for _ in range(200):
        X = sigmoid(sigmoid(X @ params["W"] + params["b_h"]) @ params["W"].T + params["b_v"])
    return X


def check_train_adam_eps_at_small_gradients(ctx):
    """One step where the gradients are 1e-4 to 1e-3: eps is added to sqrt(v_hat), not inside it.

    X is the reconstruction's fixed point under the submission's own initial parameters plus
    noise of 3e-3, with beta = lam = 0, so every gradient is small; only the entries whose
    gradient lies in SMALL_GRADIENTS are compared.
    """
    params0 = _init(ctx)
    X = np.clip(reconstruction_fixed_point(params0, np.full((N, D), 0.5)) + ctx.rng.normal(0.0, 3e-3, (N, D)), 0.01, 0.99)
    _, g = _cost(ctx, params0, X, beta=0.0, lam=0.0)
    got, history, what = _train(ctx, X, 1, beta=0.0, lam=0.0)
    _too_few_steps(history, 1, what)
    expected = adam_steps(params0, [g])
    inside = adam_steps(params0, [g], eps_in_root=True)
    context = (_context(1).replace(f"rho = {RHO}, beta = {BETA}, lam = {LAM}", f"rho = {RHO}, beta = 0, lam = 0")
               + f" X is near the reconstruction of the initial parameters, so the gradients are small; the "
                 f"entries compared have |g| in [{SMALL_GRADIENTS[0]:g}, {SMALL_GRADIENTS[1]:g}].")
    compared = 0
    for k in KEYS:
        band = (np.abs(g[k]) >= SMALL_GRADIENTS[0]) & (np.abs(g[k]) <= SMALL_GRADIENTS[1])
        compared += int(band.sum())
        if not band.any():
            continue
        known = {"eps inside the square root: the contract divides by sqrt(v_hat) + 1e-8; sqrt(v_hat + 1e-8) "
                 "is a root of at least 1e-4, which shrinks every step whose gradient is below about 1e-3":
                 (inside[k] - params0[k])[band]}
        assert_close((got[k] - params0[k])[band], (expected[k] - params0[k])[band],
                     f"the change of params[{k!r}] by {what} (entries with small gradients)",
                     Tolerance(rtol=1e-6, atol=ADAM_ATOL * LR), known=known, context=context)
    if compared < 5:
        raise RuntimeError(f"only {compared} gradients in {SMALL_GRADIENTS}: the problem needs another draw")

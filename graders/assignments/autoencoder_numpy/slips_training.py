"""The buggy submissions (MUTANTS) of `autoencoder_numpy` that break `adagrad_update` or
`train`; graders/assignments/autoencoder_numpy/slips.py lists them with the others (see its docstring
for what `catches` and `says` mean).
"""

from graders.engine.mutants import Mutant

# The reference's Adagrad loop, which the rewrites of adagrad_update replace whole.
ADAGRAD_BODY = """    for k, g in grads.items():
        if k not in state:
            state[k] = np.zeros_like(params[k])  # the sum of squares starts at zero
        state[k] += g * g  # G_k <- G_k + g_k^2
        params[k] -= lr * g / (np.sqrt(state[k]) + eps)"""

TRAINING_MUTANTS = [
    # --- adagrad_update
    Mutant(
        "adagrad_without_sqrt",
        "params[k] -= lr * g / (np.sqrt(state[k]) + eps)",
        "params[k] -= lr * g / (state[k] + eps)",
        catches=(
            "adagrad_update: one step from an empty state",
            "adagrad_update: two steps accumulate the squared gradients",
        ),
        says=("square root",),
    ),
    # eps inside the root (Keras' and some tutorials' form) and an ignored eps argument: the
    # same steps as the contract's unless the gradients are about as small as eps.
    Mutant(
        "adagrad_eps_inside_sqrt",
        "params[k] -= lr * g / (np.sqrt(state[k]) + eps)",
        "params[k] -= lr * g / np.sqrt(state[k] + eps)",
        catches=("adagrad_update: small gradients and an explicit eps",),
        says=("inside the square root",),
    ),
    Mutant(
        "adagrad_ignores_the_eps_argument",
        "params[k] -= lr * g / (np.sqrt(state[k]) + eps)",
        "params[k] -= lr * g / (np.sqrt(state[k]) + 1e-8)",
        catches=("adagrad_update: small gradients and an explicit eps",),
        says=("eps argument is ignored",),
    ),
    Mutant(
        "adagrad_not_accumulating_state",  # state = g**2: a sign-like step, no decay
        "state[k] += g * g  # G_k",
        "state[k] = g * g  # G_k",
        catches=(
            "adagrad_update: two steps accumulate the squared gradients",
        ),
        says=("accumulat",),
    ),
    Mutant(
        "adagrad_not_in_place_returns_new_dict",
        ADAGRAD_BODY,
        """    new_params = {}
    for k, g in grads.items():
        G = state.get(k, 0.0) + g * g
        state[k] = G
        new_params[k] = params[k] - lr * g / (np.sqrt(G) + eps)
    return new_params""",
        catches=(
            "adagrad_update: updates params and state in place",
        ),
        says=("returns a new dict",),
    ),
    Mutant(
        "adagrad_rebinds_empty_state",  # `state = {...}` makes a new local dict: the caller's stays empty
        "    for k, g in grads.items():\n        if k not in state:",
        "    if not state:\n        state = {k: np.zeros_like(v) for k, v in params.items()}\n"
        "    for k, g in grads.items():\n        if k not in state:",
        catches=(
            "adagrad_update: updates params and state in place",
            "adagrad_update: one step from an empty state",
            "adagrad_update: two steps accumulate the squared gradients",
        ),
        says=("new local dict",),
    ),
    Mutant(
        "adagrad_step_before_accumulating",  # the first step divides by sqrt(0) + eps
        "        state[k] += g * g  # G_k <- G_k + g_k^2\n"
        "        params[k] -= lr * g / (np.sqrt(state[k]) + eps)",
        "        params[k] -= lr * g / (np.sqrt(state[k]) + eps)\n"
        "        state[k] += g * g",
        catches=(
            "adagrad_update: one step from an empty state",
        ),
        says=("before this step",),
    ),
    # --- train
    Mutant(
        "train_calls_lr_schedule_once",
        "    for epoch in range(epochs):\n        lr = lr_schedule(epoch)\n",
        "    lr = lr_schedule(0)\n    for epoch in range(epochs):\n",
        catches=(
            "train: asks lr_schedule for every epoch",
        ),
        says=("called once",),
    ),
    Mutant(
        "train_lr_schedule_epoch_off_by_one",
        "lr = lr_schedule(epoch)",
        "lr = lr_schedule(epoch + 1)",
        catches=(
            "train: asks lr_schedule for every epoch",
        ),
        says=("counted from 1",),
    ),
    Mutant(
        "train_unseeded_shuffle",  # not reproducible from `seed`
        "    rng = np.random.default_rng(seed)\n    history = []",
        "    rng = np.random.default_rng()\n    history = []",
        catches=(
            "train: reproducible from the seed",
        ),
        says=("default_rng(seed)",),
    ),
    Mutant(
        "train_history_not_divided_by_N",
        "history.append(total / N)",
        "history.append(total)",
        catches=(
            "train: history[e] is the mean loss of epoch e (learning rate 0)",
        ),
        says=("not divided by N",),
    ),
    Mutant(
        "train_ignores_schedule_rate",  # asks lr_schedule, then uses a fixed rate
        "adagrad_update(params, grads, state, lr)",
        "adagrad_update(params, grads, state, 0.02)",
        catches=(
            "train: history[e] is the mean loss of epoch e (learning rate 0)",
        ),
        says=("not the one passed",),
    ),
    Mutant(
        "train_history_last_batch_loss",
        "history.append(total / N)",
        "history.append(loss(X_hat, Xb))",
        catches=(
            "train: history[e] is the mean loss of epoch e (learning rate 0)",
        ),
        says=("not the mean over the whole epoch",),
    ),
    Mutant(
        "train_history_per_batch",
        """            total += loss(X_hat, Xb) * len(Xb)
            grads = backward(params, cache, Xb)
            adagrad_update(params, grads, state, lr)
        history.append(total / N)""",
        """            history.append(loss(X_hat, Xb))
            grads = backward(params, cache, Xb)
            adagrad_update(params, grads, state, lr)""",
        catches=(
            "train: history[e] is the mean loss of epoch e (learning rate 0)",
            "train: history has one mean loss per epoch, decreasing",
        ),
        says=("per mini-batch",),
    ),
    Mutant(
        "train_shuffles_with_global_np_random",  # the seed reaches init_params only
        "order = rng.permutation(N)",
        "order = np.random.permutation(N)",
        catches=(
            "train: reproducible from the seed",
        ),
        says=("global",),
    ),
    # --- train: the caller's X
    Mutant(
        "train_shuffles_the_callers_X_every_epoch",  # rng.shuffle(X): the caller's rows reordered
        "        order = rng.permutation(N)\n",
        "        rng.shuffle(X)  # a fresh order every epoch\n        order = np.arange(N)\n",
        catches=("train: leaves its inputs unchanged",),
        says=("argument X",),
    ),
]

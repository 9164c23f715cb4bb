"""Realistic buggy (MUTANTS) and correct-but-unusual (UNUSUAL) submissions of `lstm_gru_numpy`.

Each one is an exact text edit of `reference/numpy/lstm_gru_numpy.py`. `catches` is left
empty until the grader's check names exist. `tests/mutants/probes/lstm_gru_numpy.py` (run by test_mutant_probes.py)
shows that every MUTANT changes some contract function's output and every UNUSUAL one
matches the reference to 1e-10.

A slip in a forward pass is written in the forward pass only (the backward pass stays the
reference's), as a student who then derives the backward pass by hand from the contract
would do; forward value checks catch it either way.
"""

from graders.engine.mutants import Mutant

_LSTM_FORWARD_HEAD = "    N, T, _ = X.shape\n    h = h0\n"
_LSTM_FORWARD_STACK = """    hs, caches = [], []
    h, c = h0, np.zeros_like(h0)
    for x_t in np.moveaxis(X, 1, 0):          # iterate over time directly
        h, c, step_cache = lstm_step_forward(x_t, h, c, params, gate)
        hs.append(h)
        caches.append(step_cache)
    return np.stack(hs, axis=1), caches
"""

_LSTM_BACKWARD_HEAD = "    caches = cache\n    N, T, _ = dHs.shape\n"
_LSTM_BACKWARD_WHILE = """    caches = cache
    T = dHs.shape[1]
    grads, dxs = {}, []
    dh_next, dc_next = 0.0, 0.0               # scalars broadcast on the first visit
    t = T - 1
    while t >= 0:
        dx, dh_next, dc_next, g = lstm_step_backward(dHs[:, t, :] + dh_next, dc_next, caches[t])
        dxs.insert(0, dx)
        for k, v in g.items():
            grads[k] = grads.get(k, 0.0) + v
        t -= 1
    return np.stack(dxs, axis=1), dh_next, grads
"""

_LSTM_STEP_STACKED = """    H = h_prev.shape[1]
    Wx = np.concatenate([params["Wx" + k] for k in "ifgo"], axis=1)   # (D, 4H)
    Wh = np.concatenate([params["Wh" + k] for k in "ifgo"], axis=1)   # (H, 4H)
    b = np.concatenate([params["b" + k] for k in "ifgo"])
    A = x @ Wx + h_prev @ Wh + b
    a = {k: A[:, j * H:(j + 1) * H] for j, k in enumerate("ifgo")}
"""

_LSTM_CACHE_OBJECT = """    class StepCache:  # an object, not a tuple: the grader keeps it in the sandbox
        def __init__(self, *items):
            self.items = items

        def __iter__(self):
            return iter(self.items)

        def __getitem__(self, j):
            return self.items[j]

    cache = StepCache(x, h_prev, c_prev, a, i, f, g, o, c, tanh_c, params, gate)
"""

_GRU_BACKWARD_HEAD = "    x, h_prev, r, z, hn, n, params = cache\n"
_GRU_BACKWARD_EINSUM = _GRU_BACKWARD_HEAD + """    da_n = dh * (1.0 - z) * (1.0 - n**2)
    da_r = da_n * hn * r * (1.0 - r)
    da_z = dh * (h_prev - n) * z * (1.0 - z)
    dhn = da_n * r
    grads = {}
    for key, d in (("n", da_n), ("r", da_r), ("z", da_z)):
        grads["Wx" + key] = np.einsum("nd,nh->dh", x, d)
        grads["bx" + key] = np.einsum("nh->h", d)
    for key, d in (("n", dhn), ("r", da_r), ("z", da_z)):
        grads["Wh" + key] = np.einsum("nk,nh->kh", h_prev, d)
        grads["bh" + key] = np.einsum("nh->h", d)
    dx = np.einsum("nh,dh->nd", da_n, params["Wxn"]) + np.einsum("nh,dh->nd", da_r, params["Wxr"]) \\
        + np.einsum("nh,dh->nd", da_z, params["Wxz"])
    dh_prev = dh * z + dhn @ params["Whn"].T + da_r @ params["Whr"].T + da_z @ params["Whz"].T
    return dx, dh_prev, grads
"""

MUTANTS = [
    # --- gates (used by every LSTM function)
    Mutant("hard_sigmoid_pytorch_style",  # relu6(z + 3) / 6, PyTorch's Hardsigmoid
           "    return np.clip(0.2 * z + 0.5, 0.0, 1.0)", "    return np.clip(z / 6 + 0.5, 0.0, 1.0)",
           catches=(
               "lstm_step_forward: the course's hard-sigmoid worked example",
               "lstm_step_forward: h and c (gate='hard_sigmoid')",
               "lstm_forward: Hs over 5 time steps (gate='hard_sigmoid')",
               "lstm_step_backward: gradient check of dx and dh_prev (gate='hard_sigmoid')",
           ),
           says=("PyTorch's hard sigmoid relu6(z + 3) / 6",)),
    Mutant("hard_sigmoid_derivative_1_instead_of_0_2",
           "        return dout * 0.2 * ((a > -2.5) & (a < 2.5))", "        return dout * ((a > -2.5) & (a < 2.5))",
           catches=(
               "lstm_step_backward: gradient check of dx and dh_prev (gate='hard_sigmoid')",
               "lstm_step_backward: gradient check of the weights and biases (gate='hard_sigmoid')",
               "lstm_backward: gradient check of dX, dh0 and the weights, dHs on every step (gate='hard_sigmoid')",
               "lstm_backward: the cell-state path across time, only the last dH nonzero (gate='hard_sigmoid')",
           ),
           says=('slope is 0.2 on (-2.5, 2.5), not 1',)),
    Mutant("hard_sigmoid_derivative_everywhere_0_2",  # forgets the flat parts
           "        return dout * 0.2 * ((a > -2.5) & (a < 2.5))", "        return dout * 0.2",
           catches=(
               "lstm_step_backward: gradient check of the weights and biases (gate='hard_sigmoid')",
               "lstm_step_backward: gradient check of dx and dh_prev (gate='hard_sigmoid')",
               "lstm_backward: gradient check of dX, dh0 and the weights, dHs on every step (gate='hard_sigmoid')",
           ),
           says=('flat where it is clipped',)),
    Mutant("sigmoid_derivative_without_1_minus_s",
           "        return dout * out * (1.0 - out)", "        return dout * out",
           catches=(
               "lstm_step_backward: gradient check of dx and dh_prev (gate='sigmoid')",
               "lstm_step_backward: gradient check of the weights and biases (gate='sigmoid')",
               "lstm_backward: gradient check of dX, dh0 and the weights, dHs on every step (gate='sigmoid')",
           ),
           says=('without (1 - s)',)),
    # --- lstm_step_forward
    Mutant("lstm_gates_always_logistic_sigmoid",  # the gate argument is ignored in the forward pass
           '    i = gate_forward(a["i"], gate)\n    f = gate_forward(a["f"], gate)\n    o = gate_forward(a["o"], gate)\n',
           '    i = sigmoid(a["i"])\n    f = sigmoid(a["f"])\n    o = sigmoid(a["o"])\n',
           catches=(
               "lstm_step_forward: the course's hard-sigmoid worked example",
               "lstm_step_forward: h and c (gate='hard_sigmoid')",
               "lstm_forward: Hs over 5 time steps (gate='hard_sigmoid')",
           ),
           says=('standard (logistic) sigmoid',)),
    Mutant("lstm_cell_candidate_uses_gate_not_tanh",
           '    g = np.tanh(a["g"])', '    g = gate_forward(a["g"], gate)',
           catches=(
               "lstm_step_forward: h and c (gate='sigmoid')",
               "lstm_step_forward: h and c (gate='hard_sigmoid')",
               "lstm_step_forward: the course's hard-sigmoid worked example",
               "lstm_forward: Hs over 5 time steps (gate='sigmoid')",
           ),
           says=('cell candidate g uses the gate function',)),
    Mutant("lstm_h_uses_c_without_tanh", "    h = o * tanh_c\n", "    h = o * c\n",
           catches=(
               "lstm_step_forward: h and c (gate='sigmoid')",
               "lstm_step_forward: h and c (gate='hard_sigmoid')",
               "lstm_step_forward: the course's hard-sigmoid worked example",
               "lstm_forward: Hs over 5 time steps (gate='sigmoid')",
           ),
           says=('h = o * c without the tanh',)),
    # --- lstm_step_backward
    Mutant("lstm_forget_gate_gradient_uses_c_not_c_prev",
           "    df = dc_total * c_prev ", "    df = dc_total * c ",
           catches=(
               "lstm_step_backward: gradient check of the weights and biases (gate='sigmoid')",
               "lstm_step_backward: gradient check of the weights and biases (gate='hard_sigmoid')",
               "lstm_step_backward: gradient check of dx and dh_prev (gate='sigmoid')",
               "lstm_backward: gradient check of dX, dh0 and the weights, dHs on every step (gate='sigmoid')",
           )),
    Mutant("lstm_tanh_derivative_missing_in_dc",
           "    dc_total = dc + dh * o * (1.0 - tanh_c**2)", "    dc_total = dc + dh * o",
           catches=(
               "lstm_step_backward: gradient check of dc_prev, the cell-state path (gate='sigmoid')",
               "lstm_step_backward: gradient check of dc_prev, the cell-state path (gate='hard_sigmoid')",
               "lstm_step_backward: gradient check of dx and dh_prev (gate='sigmoid')",
               "lstm_step_backward: gradient check of the weights and biases (gate='sigmoid')",
               "lstm_backward: gradient check of dX, dh0 and the weights, dHs on every step (gate='sigmoid')",
           ),
           says=("tanh'(c) is missing",)),
    Mutant("lstm_output_gate_gradient_uses_c_not_tanh_c",
           "    do = dh * tanh_c ", "    do = dh * c ",
           catches=(
               "lstm_step_backward: gradient check of the weights and biases (gate='sigmoid')",
               "lstm_step_backward: gradient check of the weights and biases (gate='hard_sigmoid')",
               "lstm_step_backward: gradient check of dx and dh_prev (gate='sigmoid')",
               "lstm_backward: gradient check of dX, dh0 and the weights, dHs on every step (gate='sigmoid')",
           )),
    Mutant("lstm_dc_prev_without_forget_gate",
           "    dc_prev = dc_total * f ", "    dc_prev = dc_total ",
           catches=(
               "lstm_step_backward: gradient check of dc_prev, the cell-state path (gate='sigmoid')",
               "lstm_step_backward: gradient check of dc_prev, the cell-state path (gate='hard_sigmoid')",
               "lstm_backward: gradient check of dX, dh0 and the weights, dHs on every step (gate='sigmoid')",
               "lstm_backward: the cell-state path across time, only the last dH nonzero (gate='sigmoid')",
           ),
           says=('dc_prev without the forget gate',)),
    Mutant("lstm_dh_prev_without_transpose",  # Whk is square, so this runs
           '        dh_prev += da[k] @ params["Wh" + k].T ', '        dh_prev += da[k] @ params["Wh" + k] ',
           catches=(
               "lstm_step_backward: gradient check of dx and dh_prev (gate='sigmoid')",
               "lstm_step_backward: gradient check of dx and dh_prev (gate='hard_sigmoid')",
               "lstm_backward: gradient check of dX, dh0 and the weights, dHs on every step (gate='sigmoid')",
           )),
    # --- lstm_forward
    Mutant("lstm_forward_c0_equals_h0", "    c = np.zeros_like(h0)\n", "    c = h0.copy()\n",
           catches=(
               "lstm_forward: Hs over 5 time steps (gate='sigmoid')",
               "lstm_forward: Hs over 5 time steps (gate='hard_sigmoid')",
           ),
           says=('c0 = h0',)),
    Mutant("lstm_forward_every_step_starts_from_h0",
           "lstm_step_forward(X[:, t, :], h, c, params, gate)", "lstm_step_forward(X[:, t, :], h0, c, params, gate)",
           catches=(
               "lstm_forward: Hs over 5 time steps (gate='sigmoid')",
               "lstm_forward: Hs over 5 time steps (gate='hard_sigmoid')",
           ),
           says=('every step starts from h0',)),
    # --- lstm_backward
    Mutant("lstm_backward_no_cell_state_path_across_time",
           "lstm_step_backward(dh, dc_next, caches[t])", "lstm_step_backward(dh, np.zeros_like(dh), caches[t])",
           catches=(
               "lstm_backward: the cell-state path across time, only the last dH nonzero (gate='sigmoid')",
               "lstm_backward: the cell-state path across time, only the last dH nonzero (gate='hard_sigmoid')",
               "lstm_backward: gradient check of dX, dh0 and the weights, dHs on every step (gate='sigmoid')",
               "lstm_backward: gradient check of dX, dh0 and the weights, dHs on every step (gate='hard_sigmoid')",
           ),
           says=('no cell-state path across time',)),
    Mutant("lstm_backward_no_hidden_state_path_across_time",
           "        dh = dHs[:, t, :] + dh_next ", "        dh = dHs[:, t, :] ",
           catches=(
               "lstm_backward: gradient check of dX, dh0 and the weights, dHs on every step (gate='sigmoid')",
               "lstm_backward: gradient check of dX, dh0 and the weights, dHs on every step (gate='hard_sigmoid')",
               "lstm_backward: the cell-state path across time, only the last dH nonzero (gate='sigmoid')",
               "lstm_backward: the cell-state path across time, only the last dH nonzero (gate='hard_sigmoid')",
           ),
           says=('no hidden-state path across time',)),
    Mutant("lstm_backward_overwrites_grads_instead_of_summing",
           "            grads = {k: grads[k] + g[k] for k in grads}", "            grads = g",
           catches=(
               "lstm_backward: gradient check of dX, dh0 and the weights, dHs on every step (gate='sigmoid')",
               "lstm_backward: gradient check of dX, dh0 and the weights, dHs on every step (gate='hard_sigmoid')",
               "lstm_backward: the cell-state path across time, only the last dH nonzero (gate='sigmoid')",
           ),
           says=('SUMMED over time',)),
    # --- gru_step_forward
    Mutant("gru_z_and_1_minus_z_swapped",
           "    h = (1.0 - z) * n + z * h_prev", "    h = z * n + (1.0 - z) * h_prev",
           catches=(
               "gru_step_forward: h in PyTorch's convention",
           ),
           says=('z and 1 - z swapped',)),
    Mutant("gru_reset_outside_without_bhn_inside",  # r * (h_prev Whn) + bhn
           '    n = np.tanh(x @ params["Wxn"] + params["bxn"] + r * hn)',
           '    n = np.tanh(x @ params["Wxn"] + params["bxn"] + r * (hn - params["bhn"]) + params["bhn"])',
           catches=(
               "gru_step_forward: h in PyTorch's convention",
           ),
           says=('bhn is added outside the reset',)),
    Mutant("gru_reset_before_the_matmul",  # (r * h_prev) Whn + bhn: the original paper / Keras v1
           '    n = np.tanh(x @ params["Wxn"] + params["bxn"] + r * hn)',
           '    n = np.tanh(x @ params["Wxn"] + params["bxn"] + (r * h_prev) @ params["Whn"] + params["bhn"])',
           catches=(
               "gru_step_forward: h in PyTorch's convention",
           ),
           says=('before the matmul',)),
    # --- gru_step_backward
    Mutant("gru_backward_dn_uses_z_not_1_minus_z",
           "    dn = dh * (1.0 - z) ", "    dn = dh * z ",
           catches=(
               'gru_step_backward: gradient check of dx and dh_prev',
               'gru_step_backward: gradient check of the weights and biases',
           ),
           says=('dn = dh * z',)),
    Mutant("gru_backward_dz_sign_flipped",
           "    dz = dh * (h_prev - n) ", "    dz = dh * (n - h_prev) ",
           catches=(
               'gru_step_backward: gradient check of the weights and biases',
               'gru_step_backward: gradient check of dx and dh_prev',
           ),
           says=('sign of dz is flipped',)),
    Mutant("gru_missing_dh_prev_from_z_path",
           '    dh_prev = dh_prev + da_z @ params["Whz"].T       # through z\n', "",
           catches=(
               'gru_step_backward: gradient check of dx and dh_prev',
           ),
           says=('path through the update gate z',)),
    Mutant("gru_missing_direct_dh_prev_path",
           "    dh_prev = dh * z ", "    dh_prev = 0 * dh ",
           catches=(
               'gru_step_backward: gradient check of dx and dh_prev',
           ),
           says=('direct path dh * z',)),
    Mutant("gru_bhn_gradient_without_reset",
           '        "bhn": dhn.sum(axis=0),', '        "bhn": da_n.sum(axis=0),',
           catches=(
               'gru_step_backward: gradient check of the weights and biases',
           ),
           says=('bhn sits inside the reset',)),
]

# In-place slips: each writes into an array the caller passed (the contract: no function here
# modifies its inputs). The step's `dc +=` is CS231n's `dnext_c += ...`.
MUTANTS += [
    Mutant("lstm_step_forward_forgets_into_the_callers_c_prev",
           "    c = f * c_prev + i * g\n", "    c = c_prev\n    c *= f\n    c += i * g\n",
           catches=("lstm_step_forward: leaves its inputs unchanged",), says=("argument c_prev", "+=")),
    Mutant("lstm_step_backward_adds_into_the_callers_dc",
           "    dc_total = dc + dh * o * (1.0 - tanh_c**2)       # dL/dc: h = o tanh(c), tanh' = 1 - tanh^2\n",
           "    dc += dh * o * (1.0 - tanh_c**2)                 # dnext_c += ...\n    dc_total = dc\n",
           catches=("lstm_step_backward: leaves its inputs unchanged",), says=("argument dc", "dc +=")),
    Mutant("lstm_forward_writes_each_state_into_h0",
           "        h, c, step_cache = lstm_step_forward(X[:, t, :], h, c, params, gate)\n",
           "        h[:], c, step_cache = lstm_step_forward(X[:, t, :], h, c, params, gate)\n",
           catches=("lstm_forward: leaves its inputs unchanged",), says=("argument h0",)),
    Mutant("lstm_backward_accumulates_into_the_callers_dHs",
           "        dh = dHs[:, t, :] + dh_next                  # h_t feeds the loss and step t+1\n",
           "        dh = dHs[:, t, :]                            # a view of the caller's dHs\n"
           "        dh += dh_next\n",
           catches=("lstm_backward: leaves its inputs unchanged",), says=("argument dHs",)),
    Mutant("gru_step_forward_updates_h_prev_in_place",
           "    h = (1.0 - z) * n + z * h_prev\n", "    h = h_prev\n    h *= z\n    h += (1.0 - z) * n\n",
           catches=("gru_step_forward: leaves its inputs unchanged",), says=("argument h_prev",)),
    Mutant("gru_step_backward_scales_the_callers_dh",
           "    dh_prev = dh * z                                 # the direct path z * h_prev\n",
           "    dh_prev = dh\n    dh_prev *= z\n",
           catches=("gru_step_backward: leaves its inputs unchanged",), says=("argument dh",)),
]

UNUSUAL = [
    # CS231n's in-place accumulation, on a copy the function owns: correct
    Mutant("lstm_step_backward_accumulates_into_its_own_copy_of_dc",
           "    dc_total = dc + dh * o * (1.0 - tanh_c**2)       # dL/dc: h = o tanh(c), tanh' = 1 - tanh^2\n",
           "    dc_total = dc.copy()\n    dc_total += dh * o * (1.0 - tanh_c**2)\n"),
    Mutant("sigmoid_via_tanh_identity",
           "    e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
           "    return 0.5 * (1.0 + np.tanh(0.5 * z))"),
    Mutant("hard_sigmoid_min_max", "    return np.clip(0.2 * z + 0.5, 0.0, 1.0)",
           "    return np.maximum(0.0, np.minimum(1.0, 0.2 * z + 0.5))"),
    Mutant("hard_sigmoid_derivative_with_np_where",
           "        return dout * 0.2 * ((a > -2.5) & (a < 2.5))",
           "        return np.where((a > -2.5) & (a < 2.5), 0.2 * dout, 0.0)"),
    Mutant("hard_sigmoid_derivative_from_the_output",  # 0 < out < 1 exactly inside the kinks
           "        return dout * 0.2 * ((a > -2.5) & (a < 2.5))",
           "        return dout * np.where((out > 0.0) & (out < 1.0), 0.2, 0.0)"),
    Mutant("lstm_step_forward_stacked_gate_matrices",
           '    a = {k: x @ params["Wx" + k] + h_prev @ params["Wh" + k] + params["b" + k] for k in LSTM_GATES}\n',
           _LSTM_STEP_STACKED),
    Mutant("lstm_step_cache_is_an_object",
           "    cache = (x, h_prev, c_prev, a, i, f, g, o, c, tanh_c, params, gate)\n", _LSTM_CACHE_OBJECT),
    Mutant("lstm_step_backward_einsum",
           '        grads["Wx" + k] = x.T @ da[k] ', '        grads["Wx" + k] = np.einsum("nd,nh->dh", x, da[k]) '),
    Mutant("lstm_forward_list_and_stack", _LSTM_FORWARD_HEAD, _LSTM_FORWARD_STACK + _LSTM_FORWARD_HEAD),
    Mutant("lstm_backward_while_loop_scalar_start", _LSTM_BACKWARD_HEAD,
           _LSTM_BACKWARD_WHILE + _LSTM_BACKWARD_HEAD),
    Mutant("gru_reset_distributed_over_bias",
           '    n = np.tanh(x @ params["Wxn"] + params["bxn"] + r * hn)',
           '    n = np.tanh(x @ params["Wxn"] + params["bxn"] + r * (h_prev @ params["Whn"]) + r * params["bhn"])'),
    Mutant("gru_step_backward_einsum", _GRU_BACKWARD_HEAD, _GRU_BACKWARD_EINSUM),
]

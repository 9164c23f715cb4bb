"""# LSTM and GRU cells from scratch

You write the forward and backward passes of the two gated recurrent cells, one time step
at a time (CS231n style: `*_forward` returns a cache that `*_backward` consumes), then the
LSTM over a whole sequence with backpropagation through time.

**LSTM.** With row vectors (`x` is `(N, D)`, `h` and `c` are `(N, H)`):

    i = gate(x Wxi + h_prev Whi + bi)      input gate
    f = gate(x Wxf + h_prev Whf + bf)      forget gate
    o = gate(x Wxo + h_prev Who + bo)      output gate
    g = tanh(x Wxg + h_prev Whg + bg)      cell candidate
    c = f * c_prev + i * g                 cell state (the "conveyor belt")
    h = o * tanh(c)                        hidden state

`gate` is the logistic sigmoid, or, with `gate="hard_sigmoid"`, the cheap piecewise-linear
hard sigmoid of Keras, `max(0, min(1, 0.2 z + 0.5))`, whose derivative is 0.2 on
(-2.5, 2.5) and 0 outside. (PyTorch's `Hardsigmoid` is a different function,
`relu6(z + 3) / 6`; do not use it here.)

Over a sequence the gradient reaches `c_prev` along two roads: through `h_prev` (the
gates) and straight along the cell state (`dc_prev = dc * f`). Both must be carried
backwards from step to step.

**GRU** (PyTorch's convention, two bias vectors per gate):

    r = sigmoid(x Wxr + bxr + h_prev Whr + bhr)        reset gate
    z = sigmoid(x Wxz + bxz + h_prev Whz + bhz)        update gate
    n = tanh(x Wxn + bxn + r * (h_prev Whn + bhn))     candidate (r multiplies the bias too)
    h = (1 - z) * n + z * h_prev

All arrays are float64.
"""

from __future__ import annotations

import numpy as np

LSTM_GATES = ("i", "f", "g", "o")
GATE_FUNCTIONS = ("sigmoid", "hard_sigmoid")


def sigmoid(z):
    """Logistic function 1 / (1 + exp(-z)), element-wise, without overflow warnings."""
    ### BEGIN SOLUTION
    # TODO: 1 / (1 + exp(-z)); exp(-|z|) never overflows.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION


def hard_sigmoid(z):
    """Keras' hard sigmoid max(0, min(1, 0.2 z + 0.5)), element-wise."""
    ### BEGIN SOLUTION
    # TODO: a clipped straight line through (0, 0.5) with slope 0.2.
    return np.clip(0.2 * z + 0.5, 0.0, 1.0)
    ### END SOLUTION


def gate_forward(a, gate):
    """Apply the gate function `gate` ("sigmoid" or "hard_sigmoid") to pre-activations a."""
    ### BEGIN SOLUTION
    # TODO: dispatch on `gate`; reject unknown names.
    if gate == "sigmoid":
        return sigmoid(a)
    if gate == "hard_sigmoid":
        return hard_sigmoid(a)
    raise ValueError(f"gate must be one of {GATE_FUNCTIONS}, got {gate!r}")
    ### END SOLUTION


def gate_backward(dout, a, out, gate):
    """Gradient through the gate: dout * gate'(a), given the pre-activation a and out = gate(a)."""
    ### BEGIN SOLUTION
    # TODO: sigmoid' = s (1 - s); hard sigmoid' = 0.2 inside (-2.5, 2.5), 0 outside.
    if gate == "sigmoid":
        return dout * out * (1.0 - out)
    if gate == "hard_sigmoid":
        return dout * 0.2 * ((a > -2.5) & (a < 2.5))
    raise ValueError(f"gate must be one of {GATE_FUNCTIONS}, got {gate!r}")
    ### END SOLUTION


def lstm_step_forward(x, h_prev, c_prev, params, gate="sigmoid"):
    """One LSTM time step.

    Inputs:
    - x: input, shape (N, D).
    - h_prev: previous hidden state, shape (N, H).
    - c_prev: previous cell state, shape (N, H).
    - params: dict with "Wxi","Wxf","Wxg","Wxo" (D, H); "Whi","Whf","Whg","Who" (H, H);
      "bi","bf","bg","bo" (H,).
    - gate: "sigmoid" or "hard_sigmoid", the function of the gates i, f, o (g uses tanh).

    Returns a tuple of:
    - h: next hidden state, shape (N, H).
    - c: next cell state, shape (N, H).
    - cache: what lstm_step_backward needs.
    """
    ### BEGIN SOLUTION
    # TODO: the four pre-activations, the gates, then c and h.
    a = {k: x @ params["Wx" + k] + h_prev @ params["Wh" + k] + params["b" + k] for k in LSTM_GATES}
    i = gate_forward(a["i"], gate)
    f = gate_forward(a["f"], gate)
    o = gate_forward(a["o"], gate)
    g = np.tanh(a["g"])
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    cache = (x, h_prev, c_prev, a, i, f, g, o, c, tanh_c, params, gate)
    return h, c, cache
    ### END SOLUTION


def lstm_step_backward(dh, dc, cache):
    """Backward pass of one LSTM time step.

    Inputs:
    - dh: gradient of the loss with respect to h, shape (N, H) (from the output at this
      step AND from the next time step).
    - dc: gradient with respect to c that arrives from the next time step, shape (N, H).
    - cache: from lstm_step_forward.

    Returns a tuple of:
    - dx: shape (N, D).
    - dh_prev: shape (N, H).
    - dc_prev: shape (N, H).
    - grads: dict with the same keys and shapes as params.
    """
    ### BEGIN SOLUTION
    # TODO: dc also receives dh through h = o * tanh(c); then the gates, then the matmuls.
    x, h_prev, c_prev, a, i, f, g, o, c, tanh_c, params, gate = cache
    dc_total = dc + dh * o * (1.0 - tanh_c**2)       # dL/dc: h = o tanh(c), tanh' = 1 - tanh^2
    do = dh * tanh_c                                 # dL/do: h = o tanh(c)
    df = dc_total * c_prev                           # c = f c_prev + i g
    di = dc_total * g                                # c = f c_prev + i g
    dg = dc_total * i                                # c = f c_prev + i g
    dc_prev = dc_total * f                           # the cell-state road back in time
    da = {
        "i": gate_backward(di, a["i"], i, gate),     # i = gate(a_i)
        "f": gate_backward(df, a["f"], f, gate),     # f = gate(a_f)
        "o": gate_backward(do, a["o"], o, gate),     # o = gate(a_o)
        "g": dg * (1.0 - g**2),                      # g = tanh(a_g)
    }
    grads = {}
    dx = np.zeros_like(x)
    dh_prev = np.zeros_like(h_prev)
    for k in LSTM_GATES:                             # a_k = x Wxk + h_prev Whk + bk
        grads["Wx" + k] = x.T @ da[k]                # dL/dWxk = x^T da_k
        grads["Wh" + k] = h_prev.T @ da[k]           # dL/dWhk = h_prev^T da_k
        grads["b" + k] = da[k].sum(axis=0)           # bias broadcast over the batch: sum
        dx += da[k] @ params["Wx" + k].T             # dL/dx = sum_k da_k Wxk^T
        dh_prev += da[k] @ params["Wh" + k].T        # dL/dh_prev = sum_k da_k Whk^T
    return dx, dh_prev, dc_prev, grads
    ### END SOLUTION


def lstm_forward(X, h0, params, gate="sigmoid"):
    """LSTM over a whole sequence, starting from h0 and c0 = 0.

    Inputs:
    - X: inputs, shape (N, T, D).
    - h0: initial hidden state, shape (N, H).
    - params: as in lstm_step_forward.
    - gate: "sigmoid" or "hard_sigmoid".

    Returns a tuple of:
    - Hs: hidden states h_1 .. h_T, shape (N, T, H).
    - cache: what lstm_backward needs.
    """
    ### BEGIN SOLUTION
    # TODO: loop over t, feeding (h, c) of each step into the next.
    N, T, _ = X.shape
    h = h0
    c = np.zeros_like(h0)
    Hs = np.zeros((N, T, h0.shape[1]))
    caches = []
    for t in range(T):
        h, c, step_cache = lstm_step_forward(X[:, t, :], h, c, params, gate)
        Hs[:, t, :] = h
        caches.append(step_cache)
    return Hs, caches
    ### END SOLUTION


def lstm_backward(dHs, cache):
    """Backpropagation through time for lstm_forward.

    Inputs:
    - dHs: gradient with respect to every hidden state, shape (N, T, H).
    - cache: from lstm_forward.

    Returns a tuple of:
    - dX: shape (N, T, D).
    - dh0: shape (N, H).
    - grads: dict with the same keys and shapes as params, summed over time steps.
    """
    ### BEGIN SOLUTION
    # TODO: walk t = T-1 .. 0, carrying dh and dc backwards; add up the parameter gradients.
    caches = cache
    N, T, _ = dHs.shape
    D = caches[0][0].shape[1]
    dX = np.zeros((N, T, D))                         # filled one time step at a time
    dh_next = np.zeros_like(dHs[:, 0, :])            # nothing flows back from beyond step T
    dc_next = np.zeros_like(dHs[:, 0, :])            # dL/dc_T from beyond: zero too
    grads = None
    for t in reversed(range(T)):
        dh = dHs[:, t, :] + dh_next                  # h_t feeds the loss and step t+1
        dx, dh_next, dc_next, g = lstm_step_backward(dh, dc_next, caches[t])
        dX[:, t, :] = dx                             # x_t only enters step t
        if grads is None:                            # first step visited (t = T - 1)
            grads = g
        else:                                        # shared weights: sum over time
            grads = {k: grads[k] + g[k] for k in grads}
    return dX, dh_next, grads                        # dh_next is now dL/dh0
    ### END SOLUTION


def gru_step_forward(x, h_prev, params):
    """One GRU time step, PyTorch's convention.

    r = sigmoid(x Wxr + bxr + h_prev Whr + bhr);  z = sigmoid(x Wxz + bxz + h_prev Whz + bhz)
    n = tanh(x Wxn + bxn + r * (h_prev Whn + bhn));  h = (1 - z) * n + z * h_prev

    Inputs:
    - x: shape (N, D).
    - h_prev: shape (N, H).
    - params: dict with "Wxr","Wxz","Wxn" (D, H); "Whr","Whz","Whn" (H, H);
      "bxr","bxz","bxn","bhr","bhz","bhn" (H,).

    Returns a tuple of:
    - h: shape (N, H).
    - cache: what gru_step_backward needs.
    """
    ### BEGIN SOLUTION
    # TODO: r and z first; the reset gate multiplies (h_prev Whn + bhn).
    r = sigmoid(x @ params["Wxr"] + params["bxr"] + h_prev @ params["Whr"] + params["bhr"])
    z = sigmoid(x @ params["Wxz"] + params["bxz"] + h_prev @ params["Whz"] + params["bhz"])
    hn = h_prev @ params["Whn"] + params["bhn"]
    n = np.tanh(x @ params["Wxn"] + params["bxn"] + r * hn)
    h = (1.0 - z) * n + z * h_prev
    cache = (x, h_prev, r, z, hn, n, params)
    return h, cache
    ### END SOLUTION


def gru_step_backward(dh, cache):
    """Backward pass of one GRU time step.

    Inputs:
    - dh: gradient with respect to h, shape (N, H).
    - cache: from gru_step_forward.

    Returns a tuple of:
    - dx: shape (N, D).
    - dh_prev: shape (N, H).
    - grads: dict with the same keys and shapes as params.
    """
    ### BEGIN SOLUTION
    # TODO: h_prev reaches h three ways: directly (z * h_prev), through n, and through r and z.
    x, h_prev, r, z, hn, n, params = cache
    dn = dh * (1.0 - z)                              # h = (1 - z) n + z h_prev
    dz = dh * (h_prev - n)                           # dh/dz = h_prev - n
    dh_prev = dh * z                                 # the direct path z * h_prev
    da_n = dn * (1.0 - n**2)                         # n = tanh(a_n)
    dr = da_n * hn                                   # a_n = x Wxn + bxn + r * hn
    dhn = da_n * r                                   # hn = h_prev Whn + bhn
    da_r = dr * r * (1.0 - r)                        # r = sigmoid(a_r)
    da_z = dz * z * (1.0 - z)                        # z = sigmoid(a_z)
    grads = {
        "Wxn": x.T @ da_n,                           # dL/dWxn = x^T da_n
        "bxn": da_n.sum(axis=0),                     # bias: sum over the batch
        "Whn": h_prev.T @ dhn,                       # hn = h_prev Whn + bhn, inside the reset
        "bhn": dhn.sum(axis=0),                      # bhn is multiplied by r too
        "Wxr": x.T @ da_r,                           # a_r = x Wxr + bxr + h_prev Whr + bhr
        "bxr": da_r.sum(axis=0),                     # bxr and bhr see the same gradient
        "Whr": h_prev.T @ da_r,                      # dL/dWhr = h_prev^T da_r
        "bhr": da_r.sum(axis=0),                     # = bxr gradient
        "Wxz": x.T @ da_z,                           # a_z = x Wxz + bxz + h_prev Whz + bhz
        "bxz": da_z.sum(axis=0),                     # bias: sum over the batch
        "Whz": h_prev.T @ da_z,                      # dL/dWhz = h_prev^T da_z
        "bhz": da_z.sum(axis=0),                     # = bxz gradient
    }
    dx = da_n @ params["Wxn"].T                      # x enters a_n, a_r and a_z
    dx = dx + da_r @ params["Wxr"].T                 # + da_r Wxr^T
    dx = dx + da_z @ params["Wxz"].T                 # + da_z Wxz^T
    dh_prev = dh_prev + dhn @ params["Whn"].T        # through n (inside the reset)
    dh_prev = dh_prev + da_r @ params["Whr"].T       # through r
    dh_prev = dh_prev + da_z @ params["Whz"].T       # through z
    return dx, dh_prev, grads
    ### END SOLUTION

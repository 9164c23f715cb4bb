"""Reference `lstm_gru_numpy`: gradients against torch autograd in float64, values against
torch.nn.LSTMCell / GRUCell, and the course's hard-sigmoid worked example."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlgrade.data import load_lstm_worked_example
from reference.numpy import lstm_gru_numpy as ref

LSTM_KEYS = [p + k for p in ("Wx", "Wh", "b") for k in "ifgo"]
GRU_KEYS = ["Wxr", "Wxz", "Wxn", "Whr", "Whz", "Whn", "bxr", "bxz", "bxn", "bhr", "bhz", "bhn"]
KINK_GAP = 1e-3  # no hard-sigmoid pre-activation within this distance of +-2.5


# ----------------------------------------------------------------------------- helpers
def lstm_params(rng, D, H, scale=0.5):
    P = {}
    for k in "ifgo":
        P["Wx" + k] = rng.normal(scale=scale, size=(D, H))
        P["Wh" + k] = rng.normal(scale=scale, size=(H, H))
        P["b" + k] = rng.normal(scale=scale, size=H)
    return P


def gru_params(rng, D, H, scale=0.5):
    shapes = {"Wx": (D, H), "Wh": (H, H), "bx": (H,), "bh": (H,)}
    return {p + k: rng.normal(scale=scale, size=shapes[p]) for p in shapes for k in "rzn"}


def _t(a, grad=True):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def torch_gate(a, gate):
    if gate == "sigmoid":
        return torch.sigmoid(a)
    return torch.clamp(0.2 * a + 0.5, 0.0, 1.0)


def torch_lstm_step(x, h, c, P, gate):
    a = {k: x @ P["Wx" + k] + h @ P["Wh" + k] + P["b" + k] for k in "ifgo"}
    i, f, o = (torch_gate(a[k], gate) for k in "ifo")
    c = f * c + i * torch.tanh(a["g"])
    return o * torch.tanh(c), c


def torch_gru_step(x, h, P):
    r = torch.sigmoid(x @ P["Wxr"] + P["bxr"] + h @ P["Whr"] + P["bhr"])
    z = torch.sigmoid(x @ P["Wxz"] + P["bxz"] + h @ P["Whz"] + P["bhz"])
    n = torch.tanh(x @ P["Wxn"] + P["bxn"] + r * (h @ P["Whn"] + P["bhn"]))
    return (1 - z) * n + z * h


def gate_preactivations(X, h0, P):
    """Every i, f, o pre-activation of a reference hard-sigmoid run over X (N, T, D)."""
    _, cache = ref.lstm_forward(X, h0, P, gate="hard_sigmoid")
    return np.concatenate([step[3][k].ravel() for step in cache for k in "ifo"])


def draw_lstm_problem(seed, N, T, D, H, gate, scale):
    """Random inputs and parameters; in hard-sigmoid mode, redrawn until no pre-activation
    is within KINK_GAP of the kinks at +-2.5 (and some lie on each side of them)."""
    for attempt in range(100):
        rng = np.random.default_rng([seed, attempt])
        P = lstm_params(rng, D, H, scale)
        X = rng.normal(size=(N, T, D))
        h0 = rng.normal(scale=0.5, size=(N, H))
        if gate == "sigmoid":
            return X, h0, P, rng
        a = gate_preactivations(X, h0, P)
        if np.min(np.abs(np.abs(a) - 2.5)) > KINK_GAP and np.any(np.abs(a) > 2.5) and np.any(np.abs(a) < 2.5):
            return X, h0, P, rng
    raise AssertionError("could not draw a kink-free problem")


def assert_close(got, want, name, tol=1e-9):
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=name)


# ----------------------------------------------------------------------------- gates
def test_gate_functions_match_their_definitions():
    z = np.linspace(-8, 8, 161)
    assert_close(ref.sigmoid(z), torch.sigmoid(torch.tensor(z)).numpy(), "sigmoid", 1e-14)
    assert_close(ref.hard_sigmoid(z), np.maximum(0, np.minimum(1, 0.2 * z + 0.5)), "hard_sigmoid", 0)
    # Not PyTorch's Hardsigmoid (relu6(z + 3) / 6): they differ, e.g. at z = 1.
    assert abs(ref.hard_sigmoid(np.array(1.0)) - torch.nn.functional.hardsigmoid(torch.tensor(1.0)).item()) > 0.01
    assert np.all(np.isfinite(ref.sigmoid(np.array([-1e4, 1e4]))))


@pytest.mark.parametrize("gate", ref.GATE_FUNCTIONS)
def test_gate_backward_matches_torch_autograd_away_from_kinks(gate):
    z = np.linspace(-6, 6, 121) + 0.013  # never exactly at +-2.5
    zt = _t(z)
    torch_gate(zt, gate).sum().backward()
    got = ref.gate_backward(np.ones_like(z), z, ref.gate_forward(z, gate), gate)
    assert_close(got, zt.grad.numpy(), gate, 1e-12)
    if gate == "hard_sigmoid":
        assert set(np.unique(got)) == {0.0, 0.2}


def test_unknown_gate_is_rejected():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError):
        ref.lstm_step_forward(np.zeros((1, 2)), np.zeros((1, 3)), np.zeros((1, 3)), lstm_params(rng, 2, 3), gate="relu")


# ----------------------------------------------------------------------------- LSTM
@pytest.mark.parametrize("gate", ref.GATE_FUNCTIONS)
def test_lstm_step_backward_matches_torch_autograd_in_float64(gate):
    N, D, H = 4, 3, 5
    X, h_prev, P, rng = draw_lstm_problem(1, N, 1, D, H, gate, scale=1.5)
    x = X[:, 0, :]
    c_prev = rng.normal(size=(N, H))
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    h, c, cache = ref.lstm_step_forward(x, h_prev, c_prev, P, gate)
    dx, dh_prev, dc_prev, grads = ref.lstm_step_backward(dh, dc, cache)

    xt, ht, ct = _t(x), _t(h_prev), _t(c_prev)
    Pt = {k: _t(v) for k, v in P.items()}
    h_t, c_t = torch_lstm_step(xt, ht, ct, Pt, gate)
    assert_close(h, h_t.detach().numpy(), "h", 1e-12)
    assert_close(c, c_t.detach().numpy(), "c", 1e-12)
    ((h_t * _t(dh, False)).sum() + (c_t * _t(dc, False)).sum()).backward()
    assert_close(dx, xt.grad.numpy(), "dx")
    assert_close(dh_prev, ht.grad.numpy(), "dh_prev")
    assert_close(dc_prev, ct.grad.numpy(), "dc_prev")
    assert set(grads) == set(P)
    for k in P:
        assert grads[k].shape == P[k].shape, k
        assert_close(grads[k], Pt[k].grad.numpy(), k)


@pytest.mark.parametrize("gate", ref.GATE_FUNCTIONS)
def test_lstm_sequence_backward_matches_torch_autograd_in_float64(gate):
    N, T, D, H = 3, 6, 4, 5
    X, h0, P, rng = draw_lstm_problem(2, N, T, D, H, gate, scale=1.2)
    dHs = rng.normal(size=(N, T, H))
    Hs, cache = ref.lstm_forward(X, h0, P, gate)
    dX, dh0, grads = ref.lstm_backward(dHs, cache)

    Xt, h0t = _t(X), _t(h0)
    Pt = {k: _t(v) for k, v in P.items()}
    h, c, outs = h0t, torch.zeros(N, H, dtype=torch.float64), []
    for t in range(T):
        h, c = torch_lstm_step(Xt[:, t, :], h, c, Pt, gate)
        outs.append(h)
    Hs_t = torch.stack(outs, dim=1)
    assert Hs.shape == (N, T, H)
    assert_close(Hs, Hs_t.detach().numpy(), "Hs", 1e-12)
    (Hs_t * _t(dHs, False)).sum().backward()
    assert_close(dX, Xt.grad.numpy(), "dX")
    assert_close(dh0, h0t.grad.numpy(), "dh0")
    for k in P:
        assert_close(grads[k], Pt[k].grad.numpy(), k)


@pytest.mark.parametrize("gate", ref.GATE_FUNCTIONS)
def test_lstm_backward_carries_the_cell_state_across_time(gate):
    """Loss on the LAST hidden state only: the gradient w.r.t. the first input reaches it
    through h AND c. Torch with c detached between steps gives a clearly different answer,
    so this test catches a backward pass without the cell-state path."""
    N, T, D, H = 2, 5, 3, 4
    X, h0, P, rng = draw_lstm_problem(3, N, T, D, H, gate, scale=1.0)
    P["bf"] = P["bf"] + 2.0  # forget gates mostly open: a long cell-state memory
    if gate == "hard_sigmoid":
        a = gate_preactivations(X, h0, P)
        assert np.min(np.abs(np.abs(a) - 2.5)) > KINK_GAP
    dHs = np.zeros((N, T, H))
    dHs[:, -1, :] = rng.normal(size=(N, H))
    _, cache = ref.lstm_forward(X, h0, P, gate)
    dX, dh0, grads = ref.lstm_backward(dHs, cache)

    def torch_grads(detach_c):
        Xt, h0t = _t(X), _t(h0)
        Pt = {k: _t(v) for k, v in P.items()}
        h, c = h0t, torch.zeros(N, H, dtype=torch.float64)
        for t in range(T):
            h, c = torch_lstm_step(Xt[:, t, :], h, c.detach() if detach_c else c, Pt, gate)
        (h * _t(dHs[:, -1, :], False)).sum().backward()
        return Xt.grad.numpy(), h0t.grad.numpy(), {k: v.grad.numpy() for k, v in Pt.items()}

    dX_t, dh0_t, grads_t = torch_grads(False)
    assert_close(dX, dX_t, "dX")
    assert_close(dh0, dh0_t, "dh0")
    for k in P:
        assert_close(grads[k], grads_t[k], k)
    dX_no_c, _, _ = torch_grads(True)
    assert np.max(np.abs(dX_no_c[:, 0] - dX_t[:, 0])) > 1e-3 * np.max(np.abs(dX_t[:, 0]))


@pytest.mark.parametrize("gate", ref.GATE_FUNCTIONS)
def test_lstm_forward_is_the_step_function_iterated_from_zero_cell(gate):
    rng = np.random.default_rng(4)
    P = lstm_params(rng, 3, 2)
    X, h0 = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 2))
    Hs, _ = ref.lstm_forward(X, h0, P, gate)
    h, c = h0, np.zeros((2, 2))
    for t in range(4):
        h, c, _ = ref.lstm_step_forward(X[:, t], h, c, P, gate)
        assert_close(Hs[:, t], h, f"t={t}", 0)


def test_lstm_step_matches_torch_lstmcell_with_mapped_weights():
    rng = np.random.default_rng(5)
    N, D, H = 4, 3, 6
    P = lstm_params(rng, D, H)
    x, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    cell = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():  # PyTorch stacks the gates in the order i, f, g, o as rows (4H, D)
        cell.weight_ih.copy_(torch.tensor(np.concatenate([P["Wx" + k].T for k in "ifgo"])))
        cell.weight_hh.copy_(torch.tensor(np.concatenate([P["Wh" + k].T for k in "ifgo"])))
        cell.bias_ih.copy_(torch.tensor(np.concatenate([P["b" + k] for k in "ifgo"])))
        cell.bias_hh.zero_()
        h_t, c_t = cell(torch.tensor(x), (torch.tensor(h_prev), torch.tensor(c_prev)))
    h, c, _ = ref.lstm_step_forward(x, h_prev, c_prev, P, "sigmoid")
    assert_close(h, h_t.numpy(), "h", 1e-12)
    assert_close(c, c_t.numpy(), "c", 1e-12)


def test_lstm_functions_do_not_modify_their_inputs():
    rng = np.random.default_rng(6)
    P = lstm_params(rng, 3, 2)
    X, h0, dHs = rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 2)), rng.normal(size=(2, 3, 2))
    copies = [X.copy(), h0.copy(), dHs.copy(), {k: v.copy() for k, v in P.items()}]
    _, cache = ref.lstm_forward(X, h0, P, "hard_sigmoid")
    ref.lstm_backward(dHs, cache)
    for a, b in zip((X, h0, dHs), copies):
        assert np.array_equal(a, b)
    assert all(np.array_equal(P[k], copies[3][k]) for k in P)


# ----------------------------------------------------------------------------- worked example
def worked_example_forward(gate_fn, ex=None):
    """The course's worked example in ITS OWN convention (column vectors, z = W x + U a + b),
    written independently of the reference, with any gate function for i, f, o.
    Returns (c, a, y), each a (2, units) array: row t-1 holds time step t."""
    ex = ex or load_lstm_worked_example()
    M = {k: np.asarray(v, dtype=np.float64) for k, v in ex.items() if k.startswith(("W_", "b_", "x"))}
    a = np.zeros(2)
    c = np.zeros(2)
    cs, as_, ys = [], [], []
    for x in M["x"]:
        pre = {k: M["W_x" + k] @ x + M["W_h" + k] @ a + M["b_" + k] for k in "ifgo"}
        i, f, o = (gate_fn(pre[k]) for k in "ifo")
        c = f * c + i * np.tanh(pre["g"])
        a = o * np.tanh(c)
        y = np.maximum(0.0, M["W_yh"] @ a + M["b_y"])
        cs.append(c)
        as_.append(a)
        ys.append(y)
    return np.array(cs), np.array(as_), np.array(ys)


def keras_hard_sigmoid(z):
    return np.clip(0.2 * z + 0.5, 0.0, 1.0)


def torch_hard_sigmoid(z):  # relu6(z + 3) / 6
    return np.clip(z + 3.0, 0.0, 6.0) / 6.0


def logistic(z):
    return 1.0 / (1.0 + np.exp(-z))


# What the worked example gives with the wrong gate function, to 4 decimals (rows t = 1, 2).
# Feedback can name the slip when a submission's numbers match one of these.
WORKED_EXAMPLE_WITH_SIGMOID = {
    "c": [[0.0, 0.6708], [-0.9183, 0.8785]],
    "a": [[0.0, 0.0698], [-0.2051, 0.5346]],
    "y": [[1.9302, 0.2094, 0.0, 1.0], [1.0552, 1.6038, 0.0, 0.1795]],
}
WORKED_EXAMPLE_WITH_TORCH_HARDSIGMOID = {
    "c": [[0.0, 0.6347], [-0.9640, 0.8877]],
    "a": [[0.0, 0.0935], [-0.2603, 0.4956]],
    "y": [[1.9065, 0.2806, 0.0, 1.0], [0.9837, 1.4869, 0.0, 0.0]],
}


def test_reference_reproduces_the_course_worked_example():
    ex = load_lstm_worked_example()
    assert ex["gate"] == "hard_sigmoid"
    P = {}
    for k in "ifgo":  # the course acts on column vectors: transpose into the row-major contract
        P["Wx" + k] = np.asarray(ex["W_x" + k], dtype=np.float64).T
        P["Wh" + k] = np.asarray(ex["W_h" + k], dtype=np.float64).T
        P["b" + k] = np.asarray(ex["b_" + k], dtype=np.float64)
    X = np.asarray(ex["x"], dtype=np.float64)[None]  # batch of 1, T = 2, D = 3
    Hs, cache = ref.lstm_forward(X, np.zeros((1, 2)), P, gate="hard_sigmoid")
    h, c, cs = np.zeros((1, 2)), np.zeros((1, 2)), []
    for t in range(2):  # the step function gives the cell states
        h, c, _ = ref.lstm_step_forward(X[:, t], h, c, P, gate="hard_sigmoid")
        cs.append(c[0])
    y = np.maximum(0.0, Hs[0] @ np.asarray(ex["W_yh"]).T + np.asarray(ex["b_y"]))
    exp = ex["expected"]
    np.testing.assert_allclose(np.array(cs), exp["c"], atol=5e-5)
    np.testing.assert_allclose(Hs[0], exp["a"], atol=5e-5)
    np.testing.assert_allclose(y, exp["y"], atol=5e-5)
    # The independent column-vector implementation agrees with the expected values too.
    for got, key in zip(worked_example_forward(keras_hard_sigmoid, ex), "cay"):
        np.testing.assert_allclose(got, exp[key], atol=5e-5)


@pytest.mark.parametrize(
    "gate_fn, pinned",
    [(logistic, WORKED_EXAMPLE_WITH_SIGMOID), (torch_hard_sigmoid, WORKED_EXAMPLE_WITH_TORCH_HARDSIGMOID)],
    ids=["standard_sigmoid", "pytorch_hardsigmoid"],
)
def test_worked_example_with_a_wrong_gate_gives_the_pinned_distinguishable_numbers(gate_fn, pinned):
    ex = load_lstm_worked_example()
    got = dict(zip("cay", worked_example_forward(gate_fn, ex)))
    for key in "cay":
        np.testing.assert_allclose(got[key], pinned[key], atol=5e-5, err_msg=key)
        # Some entries coincide (e.g. c_1[0] = 0 under every gate), but each quantity as a
        # whole differs from the expected one by more than the 4-decimal rounding.
        assert np.max(np.abs(np.asarray(pinned[key]) - ex["expected"][key])) > 1e-3, key
    assert np.max(np.abs(np.asarray(WORKED_EXAMPLE_WITH_SIGMOID["a"])
                         - WORKED_EXAMPLE_WITH_TORCH_HARDSIGMOID["a"])) > 1e-3


# ----------------------------------------------------------------------------- GRU
def test_gru_step_backward_matches_torch_autograd_in_float64():
    rng = np.random.default_rng(7)
    N, D, H = 4, 3, 5
    P = gru_params(rng, D, H, scale=0.8)
    x, h_prev, dh = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    h, cache = ref.gru_step_forward(x, h_prev, P)
    dx, dh_prev, grads = ref.gru_step_backward(dh, cache)

    xt, ht = _t(x), _t(h_prev)
    Pt = {k: _t(v) for k, v in P.items()}
    h_t = torch_gru_step(xt, ht, Pt)
    assert_close(h, h_t.detach().numpy(), "h", 1e-12)
    (h_t * _t(dh, False)).sum().backward()
    assert_close(dx, xt.grad.numpy(), "dx")
    assert_close(dh_prev, ht.grad.numpy(), "dh_prev")
    assert set(grads) == set(GRU_KEYS) == set(P)
    for k in P:
        assert grads[k].shape == P[k].shape, k
        assert_close(grads[k], Pt[k].grad.numpy(), k)


def test_gru_step_backward_through_time_matches_torch():
    """Three GRU steps chained: dh_prev of each step feeds the step before."""
    rng = np.random.default_rng(8)
    N, T, D, H = 2, 3, 3, 4
    P = gru_params(rng, D, H)
    X, h0, dh_last = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    h, caches = h0, []
    for t in range(T):
        h, cache = ref.gru_step_forward(X[:, t], h, P)
        caches.append(cache)
    dh, dxs = dh_last, []
    for t in reversed(range(T)):
        dx, dh, _ = ref.gru_step_backward(dh, caches[t])
        dxs.append(dx)
    Xt, h0t = _t(X), _t(h0)
    Pt = {k: _t(v, False) for k, v in P.items()}
    h_t = h0t
    for t in range(T):
        h_t = torch_gru_step(Xt[:, t], h_t, Pt)
    (h_t * _t(dh_last, False)).sum().backward()
    assert_close(dh, h0t.grad.numpy(), "dh0")
    assert_close(np.stack(dxs[::-1], axis=1), Xt.grad.numpy(), "dX")


def test_gru_step_matches_torch_grucell_with_mapped_weights():
    rng = np.random.default_rng(9)
    N, D, H = 4, 3, 6
    P = gru_params(rng, D, H)
    x, h_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    cell = torch.nn.GRUCell(D, H).double()
    with torch.no_grad():  # PyTorch stacks the gates in the order r, z, n as rows (3H, D)
        cell.weight_ih.copy_(torch.tensor(np.concatenate([P["Wx" + k].T for k in "rzn"])))
        cell.weight_hh.copy_(torch.tensor(np.concatenate([P["Wh" + k].T for k in "rzn"])))
        cell.bias_ih.copy_(torch.tensor(np.concatenate([P["bx" + k] for k in "rzn"])))
        cell.bias_hh.copy_(torch.tensor(np.concatenate([P["bh" + k] for k in "rzn"])))
        h_t = cell(torch.tensor(x), torch.tensor(h_prev))
    h, _ = ref.gru_step_forward(x, h_prev, P)
    assert_close(h, h_t.numpy(), "h", 1e-12)


def test_gru_with_update_gate_shut_copies_the_previous_state():
    rng = np.random.default_rng(10)
    P = gru_params(rng, 3, 4)
    P["bxz"] = np.full(4, 60.0)  # z = 1: h = h_prev
    x, h_prev = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    h, _ = ref.gru_step_forward(x, h_prev, P)
    assert_close(h, h_prev, "h", 1e-12)

"""The theory answer key, proved independently: parameter counts and shapes from real torch
modules (sum of numel, forward passes), formulas against torch at many sizes, the sigmoid
and the vanishing-gradient bound with autograd, and the LSTM worked example with torch ops
(and torch.nn.LSTMCell for the standard-sigmoid slip)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import sympy
import torch
from torch import nn

import reference.theory as theory
from dlgrade.data import load_lstm_worked_example
from graders.assignments.theory.answer_key import KEY, SYMBOLS, check_answer
from graders.symbolic import to_plain

torch.set_num_threads(1)


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def expected(qid):
    return KEY[qid].expected


def hwc(module: nn.Module, h: int, w: int, c: int) -> tuple[int, int, int]:
    """Output shape (height, width, channels) of a module on one channels-first input."""
    with torch.no_grad():
        out = module(torch.zeros(1, c, h, w))
    return (out.shape[2], out.shape[3], out.shape[1])


class TFSame(nn.Module):
    """TensorFlow/Keras "same" padding at any stride: pad so that out = ceil(in / stride)."""

    def __init__(self, conv: nn.Conv2d):
        super().__init__()
        self.conv = conv

    def forward(self, x):
        (k, _), (s, _) = self.conv.kernel_size, self.conv.stride
        pads = []
        for size in (x.shape[3], x.shape[2]):
            total = max((-(-size // s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return self.conv(nn.functional.pad(x, pads))


def conv(c_in, stride=1, bias=True):
    return nn.Conv2d(c_in, 16, 5, stride=stride, bias=bias)


# -- convolutions --------------------------------------------------------------------------------


def test_single_layer_shapes_and_counts_match_torch():
    assert hwc(TFSame(conv(3)), 128, 128, 3) == expected("conv_same_shape")
    assert hwc(conv(3), 128, 128, 3) == expected("conv_valid_shape")
    assert hwc(TFSame(conv(3, stride=2)), 128, 128, 3) == expected("conv_stride2_same_shape")
    assert hwc(conv(3, stride=2), 128, 128, 3) == expected("conv_stride2_valid_shape")
    assert n_params(conv(3)) == expected("conv_same_params") == expected("conv_valid_params")
    assert n_params(conv(3, bias=False)) == expected("conv_params_no_bias")
    assert hwc(TFSame(conv(3)), 128, 128, 3)[:2] == (128, 128) and expected("conv_padding_name") == "same"


def test_stacked_network_shapes_and_counts_match_torch():
    layers = [TFSame(conv(3)), nn.MaxPool2d(2), TFSame(conv(16)), nn.MaxPool2d(2), TFSame(conv(16)),
              nn.MaxPool2d(2)]
    features = nn.Sequential(*layers)
    assert hwc(features, 128, 128, 3) == expected("conv_stack_shape")
    assert n_params(features) == expected("conv_stack_params")
    dense = nn.Linear(16 * 16 * 16, 10)
    assert n_params(dense) == expected("conv_dense_params")
    net = nn.Sequential(features, nn.Flatten(), dense)
    assert net(torch.zeros(2, 3, 128, 128)).shape == (2, 10)
    assert n_params(net) == expected("conv_network_params") == 55018
    # the named slips are what they say
    assert n_params(features) + dense.weight.numel() == 55008
    slip_values = {s.value for s in KEY["conv_same_shape"].slips}
    assert hwc(conv(3), 128, 128, 3) in slip_values


def _at(expr, **values):
    return expr.subs({SYMBOLS[name]: v for name, v in values.items()})


def test_parameter_formula_matches_torch_conv2d():
    f = expected("conv_params_formula")
    for kk, ci, co in itertools.product((1, 3, 5), (1, 3, 16), (1, 8, 16)):
        assert _at(f, k=kk, C_in=ci, C_out=co) == n_params(nn.Conv2d(ci, co, kk))


def test_output_shape_formula_matches_torch_conv2d():
    fh, fw, fc = expected("conv_out_shape_formula")
    cases = 0
    for hh, ww, kk, pp, ss in itertools.product((9, 12, 17), (10, 13), (1, 3, 5), (0, 1, 2), (1, 2, 3)):
        if (hh + 2 * pp - kk) % ss or (ww + 2 * pp - kk) % ss or hh + 2 * pp < kk:
            continue
        got = hwc(nn.Conv2d(2, 4, kk, stride=ss, padding=pp), hh, ww, 2)
        vals = dict(H=hh, W=ww, k=kk, P=pp, S=ss, C_out=4)
        assert (_at(fh, **vals), _at(fw, **vals), _at(fc, **vals)) == got
        cases += 1
    assert cases > 30


def test_same_padding_formula_keeps_the_size_in_torch():
    for kk in (1, 3, 5, 7, 9):
        pad = _at(expected("conv_same_padding_formula"), k=kk)
        assert hwc(nn.Conv2d(1, 1, kk, padding=int(pad)), 11, 11, 1) == (11, 11, 1)


# -- autoencoders and heads ------------------------------------------------------------------------


@pytest.mark.parametrize("n", [8, 16, 32, 64, 128])
def test_dense_autoencoder_counts_match_torch(n):
    ae = nn.Sequential(nn.Linear(784, n), nn.ReLU(), nn.Linear(n, 784), nn.Sigmoid())
    assert n_params(ae) == expected(f"dense_ae_params_h{n}") == _at(expected("dense_ae_params_formula"), h=n)


def test_dense_autoencoder_counts_are_the_issue_s():
    assert [expected(f"dense_ae_params_h{n}") for n in (8, 16, 32, 64, 128)] == [
        13336, 25888, 50992, 101200, 201616]


def _course_conv_autoencoder(bias=True):
    c = lambda i, o, pad=1: nn.Conv2d(i, o, 3, padding=pad, bias=bias)  # noqa: E731
    pool = lambda: nn.MaxPool2d(2, ceil_mode=True)  # noqa: E731 - Keras "same" pooling
    up = lambda: nn.Upsample(scale_factor=2)  # noqa: E731
    encoder = nn.Sequential(c(1, 16), nn.ReLU(), pool(), c(16, 8), nn.ReLU(), pool(), c(8, 8), nn.ReLU(), pool())
    decoder = nn.Sequential(c(8, 8), nn.ReLU(), up(), c(8, 8), nn.ReLU(), up(), c(8, 16, 0), nn.ReLU(), up(),
                            c(16, 1), nn.Sigmoid())
    return encoder, decoder


def test_course_conv_autoencoder_matches_torch():
    encoder, decoder = _course_conv_autoencoder()
    assert hwc(encoder, 28, 28, 1) == expected("conv_ae_code_shape")
    assert hwc(nn.Sequential(encoder, decoder), 28, 28, 1) == (28, 28, 1)
    assert n_params(encoder) + n_params(decoder) == expected("conv_ae_params") == 4385
    assert sum(map(n_params, _course_conv_autoencoder(bias=False))) == expected("conv_ae_params_no_bias")


@pytest.mark.parametrize("n_in, n_out", [(1280, 1), (2048, 1), (1280, 10)])
def test_transfer_heads_match_torch(n_in, n_out):
    assert n_params(nn.Linear(n_in, n_out)) == expected(f"transfer_head_{n_in}_{n_out}")
    two = [s.value for s in KEY[f"transfer_head_{n_in}_{n_out}"].slips if "two outputs" in s.feedback]
    assert two == ([n_params(nn.Linear(n_in, 2))] if n_out == 1 else [])


# -- sigmoid and vanishing gradients -----------------------------------------------------------------


def test_sigmoid_derivative_matches_autograd():
    zs = torch.linspace(-8, 8, 161, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(torch.sigmoid(zs).sum(), zs)
    f = sympy.lambdify(SYMBOLS["z"], expected("sigmoid_derivative"), "math")
    assert max(abs(f(float(v)) - float(g)) for v, g in zip(zs.detach(), grad)) < 1e-15
    i = int(grad.argmax())
    assert float(zs.detach()[i]) == pytest.approx(float(expected("sigmoid_derivative_argmax")), abs=1e-12)
    assert float(grad[i]) == pytest.approx(float(expected("sigmoid_derivative_max")), abs=1e-15)
    assert float(grad.max()) <= 0.25


def _dh_dh(theta: float, h_m: float, xs: list[float]) -> float:
    h0 = torch.tensor(h_m, dtype=torch.float64, requires_grad=True)
    h = h0
    for x in xs:
        h = torch.sigmoid(theta * h + x)
    (g,) = torch.autograd.grad(h, h0)
    return float(g)


def test_vanishing_bound_holds_and_is_reached_with_autograd():
    bound = sympy.lambdify((SYMBOLS["theta"], SYMBOLS["k"]), expected("vanishing_bound"), "math")
    gen = torch.Generator().manual_seed(0)
    for _ in range(200):
        theta = float(torch.empty(1, dtype=torch.float64).uniform_(-6, 6, generator=gen))
        kk = int(torch.randint(1, 8, (1,), generator=gen))
        xs = torch.randn(kk, generator=gen, dtype=torch.float64).mul(3).tolist()
        assert abs(_dh_dh(theta, 0.3, xs)) <= bound(theta, kk) * (1 + 1e-12)
    for theta, kk in ((-3.0, 3), (2.5, 4), (5.0, 2)):  # pre-activation 0 at every step: equality
        h, xs = 0.7, []
        for _ in range(kk):
            xs.append(-theta * h)
            h = 0.5
        assert abs(_dh_dh(theta, 0.7, xs)) == pytest.approx(bound(theta, kk), rel=1e-12)


def test_vanishing_threshold_is_where_the_bound_stops_decaying():
    t = float(expected("vanishing_theta_threshold"))
    b = sympy.lambdify((SYMBOLS["theta"], SYMBOLS["k"]), expected("vanishing_bound"), "math")
    assert b(t, 50) == 1.0 and b(t * 0.99, 500) < 1e-2 and b(t * 1.01, 500) > 1e2


# -- the LSTM worked example -------------------------------------------------------------------------


def _torch_lstm(gate):
    """Independent implementation: the four gates stacked as in torch, row-vector math."""
    ex = {k: torch.tensor(v, dtype=torch.float64) for k, v in load_lstm_worked_example().items()
          if isinstance(v, list)}
    wx = torch.cat([ex[f"W_x{q}"] for q in "ifgo"])  # (4H, D)
    wh = torch.cat([ex[f"W_h{q}"] for q in "ifgo"])  # (4H, H)
    b = torch.cat([ex[f"b_{q}"] for q in "ifgo"])
    a, c, out = torch.zeros(1, 2, dtype=torch.float64), torch.zeros(1, 2, dtype=torch.float64), {}
    for t in range(2):
        i, f, g, o = (ex["x"][t : t + 1] @ wx.T + a @ wh.T + b).chunk(4, dim=1)
        c = gate(f) * c + gate(i) * torch.tanh(g)
        a = gate(o) * torch.tanh(c)
        y = torch.relu(a @ ex["W_yh"].T + ex["b_y"])
        out.update({f"c{t + 1}": c[0], f"a{t + 1}": a[0], f"y{t + 1}": y[0]})
    return out


def _lstmcell_standard_sigmoid():
    ex = load_lstm_worked_example()
    cell = nn.LSTMCell(3, 2).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(sum((ex[f"W_x{q}"] for q in "ifgo"), []), dtype=torch.float64))
        cell.weight_hh.copy_(torch.tensor(sum((ex[f"W_h{q}"] for q in "ifgo"), []), dtype=torch.float64))
        cell.bias_ih.copy_(torch.tensor(sum((ex[f"b_{q}"] for q in "ifgo"), []), dtype=torch.float64))
        cell.bias_hh.zero_()
        state, out = None, {}
        w_yh, b_y = torch.tensor(ex["W_yh"], dtype=torch.float64), torch.tensor(ex["b_y"], dtype=torch.float64)
        for t, x in enumerate(torch.tensor(ex["x"], dtype=torch.float64), start=1):
            state = cell(x[None], state)
            a, c = state
            out.update({f"c{t}": c[0], f"a{t}": a[0], f"y{t}": torch.relu(a[0] @ w_yh.T + b_y)})
    return out


def _slip(qid, word):
    (value,) = [s.value for s in KEY[qid].slips if word in s.feedback]
    return torch.tensor(value, dtype=torch.float64)


@pytest.mark.parametrize("name", ["c1", "a1", "y1", "c2", "a2", "y2"])
def test_lstm_key_matches_an_independent_torch_implementation(name):
    want = torch.tensor(expected(f"lstm_{name}"), dtype=torch.float64)
    hard = _torch_lstm(lambda v: torch.clamp(0.2 * v + 0.5, 0, 1))
    assert torch.allclose(want, hard[name], atol=1e-12, rtol=0)
    course = torch.tensor(load_lstm_worked_example()["expected"][name[0]][int(name[1]) - 1], dtype=torch.float64)
    assert torch.allclose(want, course, atol=5e-5 + 1e-12, rtol=0)  # the course's 4-decimal values
    # the gate-function slips: the standard sigmoid (torch.nn.LSTMCell) and PyTorch's hardsigmoid
    assert torch.allclose(_slip(f"lstm_{name}", "standard sigmoid"), _lstmcell_standard_sigmoid()[name], atol=1e-12)
    torch_hard = _torch_lstm(nn.functional.hardsigmoid)[name]
    if torch.max(torch.abs(torch_hard - want)) > 4e-4:
        assert torch.allclose(_slip(f"lstm_{name}", "PyTorch's hard sigmoid"), torch_hard, atol=1e-12)


def test_lstm_example_in_the_questions_is_the_course_data():
    data = load_lstm_worked_example()
    assert theory.LSTM_EXAMPLE == {k: v for k, v in data.items() if k in theory.LSTM_EXAMPLE}
    assert set(theory.LSTM_EXAMPLE) == {k for k, v in data.items() if isinstance(v, list)}
    text = next(q["text"] for q in theory.QUESTIONS if q["id"] == "lstm_c1")
    for name, value in theory.LSTM_EXAMPLE.items():
        assert f"{name} = {value}" in text


# -- reference module and key agree -------------------------------------------------------------------


def test_questions_and_key_cover_the_same_ids():
    ids = [q["id"] for q in theory.QUESTIONS]
    assert len(ids) == len(set(ids)) and set(ids) == set(KEY) == set(theory.ANSWERS)


def test_every_question_states_its_symbols_and_precision():
    for q in theory.QUESTIONS:
        spec = KEY[q["id"]]
        assert set(q["symbols"]) == set(spec.symbols), q["id"]
        for name in q["symbols"]:
            assert name in q["text"], (q["id"], name)
        needs = {"int": ("exact",), "number": ("exact", "4 decimals"), "expr": ("equivalent expression",),
                 "string": ("the word",)}[spec.kind]
        assert any(w in q["text"] for w in needs), q["id"]


def test_reference_answers_pass_every_check():
    for qid, answer in theory.ANSWERS.items():
        v = check_answer(qid, to_plain(answer))
        assert v.passed, v.message


def test_every_named_slip_is_a_wrong_answer_that_gets_its_own_feedback():
    for qid, spec in KEY.items():
        for slip in spec.slips:
            if slip.value is None:
                continue
            v = check_answer(qid, to_plain(slip.value))
            assert not v.passed and slip.feedback in v.message, (qid, slip.feedback, v.message)


def test_key_symbols_are_the_reference_symbols():
    for name in ("k", "C_in", "C_out", "H", "W", "P", "S", "h", "z", "theta"):
        assert SYMBOLS[name] == getattr(theory, name)


def test_the_student_template_lists_every_question_unanswered():
    from student_templates.build import strip_solutions
    from tests.mutants import load_module_from_source

    source = strip_solutions(Path(theory.__file__).read_text(encoding="utf-8"))
    template = load_module_from_source(source, "theory_template")
    assert list(template.ANSWERS) == [q["id"] for q in theory.QUESTIONS]
    assert all(v is None for v in template.ANSWERS.values())
    assert all(not check_answer(qid, None).passed for qid in template.ANSWERS)

"""The answer key of the `theory` assignment and `check_answer`, the function the engine calls.

`KEY[question_id]` is a `graders.symbolic.Spec`: the expected value, its kind (int /
number / expr / string; a tuple means a tuple of that kind), the tolerance, the symbols
the question declares (with the same assumptions as `reference/theory.py`), and the
table of named slips (a wrong answer -> feedback). The LSTM values and their slips are
computed here from `dlgrade.data.load_lstm_worked_example()` in float64, not copied from
the 4-decimal course text; answers within 1e-4 pass, so truncating the 5th decimal passes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import sympy

from dlgrade.data import load_lstm_worked_example
from graders.symbolic import Slip, Spec, Verdict, check
from reference import theory as ref

__all__ = ["KEY", "QUESTION_IDS", "QUESTIONS", "HIDDEN", "SYMBOLS", "check_answer", "check_all", "lstm_forward", "GATES"]

_pos = {n: sympy.Symbol(n, positive=True) for n in ("k", "C_in", "C_out", "H", "W", "P", "S", "h")}
SYMBOLS = {**_pos, "z": sympy.Symbol("z", real=True), "theta": sympy.Symbol("theta", real=True)}
k, C_in, C_out, H, W, P, S, h, z, theta = (SYMBOLS[n] for n in
                                           ("k", "C_in", "C_out", "H", "W", "P", "S", "h", "z", "theta"))
_HWC = ("height", "width", "channels")


def _syms(*names):
    return {n: SYMBOLS[n] for n in names}


def _int(expected, *slips):
    return Spec(expected=expected, kind="int", slips=tuple(Slip(fb, value=v) for v, fb in slips))


def _shape(expected, *slips):
    return Spec(expected=expected, kind="int", item_names=_HWC,
                slips=tuple(Slip(fb, value=v) for v, fb in slips))


def _exact(expected, *slips):
    return Spec(expected=sympy.Rational(expected), kind="number", atol=1e-9,
                slips=tuple(Slip(fb, value=sympy.Rational(v)) for v, fb in slips))


def _expr(expected, names, *slips, **kw):
    return Spec(expected=expected, kind="expr", symbols=_syms(*names),
                slips=tuple(Slip(fb, value=v) for v, fb in slips), **kw)


# -- convolutions ---------------------------------------------------------------------------
VALID = "that is \"valid\" padding; \"same\" pads the input so that height and width stay the same"
NO_BIAS = "the biases are missing (one per filter / output unit)"
CHANNELS_OUT = "the output has one channel per filter: 16"
CONV = {
    "conv_same_shape": _shape((128, 128, 16), ((124, 124, 16), VALID), ((128, 128, 3), CHANNELS_OUT),
                              ((128, 128, 48), CHANNELS_OUT + " (each filter sums over the 3 input channels)")),
    "conv_same_params": _int(1216, (1200, "the 16 biases are missing"),
                             (416, "each filter spans all 3 input channels: 5·5·3 weights, not 5·5"),
                             (400, "each filter spans all 3 input channels (5·5·3 weights) and has a bias"),
                             (76, "that is one filter; the layer has 16")),
    "conv_params_no_bias": _int(1200, (1216, "that count includes the 16 biases"),
                                (400, "each filter spans all 3 input channels: 5·5·3 weights, not 5·5")),
    "conv_valid_shape": _shape((124, 124, 16),
                               ((128, 128, 16), "that is \"same\" padding; \"valid\" gives H − k + 1 = 124"),
                               ((123, 123, 16), "\"valid\" gives H − k + 1 = 124: the + 1 is missing"),
                               ((124, 124, 3), CHANNELS_OUT)),
    "conv_valid_params": _int(1216, (1200, "the 16 biases are missing"),
                              (416, "each filter spans all 3 input channels: 5·5·3 weights, not 5·5")),
    "conv_stride2_same_shape": _shape((64, 64, 16),
                                      ((128, 128, 16), "the stride is ignored: stride 2 halves height and width"),
                                      ((62, 62, 16), "that is \"valid\" padding at stride 2"),
                                      ((124, 124, 16), "that is \"valid\" padding at stride 1")),
    "conv_stride2_valid_shape": _shape((62, 62, 16),
                                       ((64, 64, 16), "that is \"same\" padding at stride 2"),
                                       ((63, 63, 16), "rounded up: floor((128 − 5) / 2) + 1 = 62"),
                                       ((61, 61, 16), "the + 1 is missing: floor((128 − 5) / 2) + 1"),
                                       ((124, 124, 16), "the stride is ignored")),
    "conv_padding_name": Spec(expected="same", kind="string", accept=("'same'", "same padding"),
                              slips=(Slip("\"valid\" (no padding) shrinks the output by k − 1", value="valid"),)),
    "conv_stack_shape": _shape((16, 16, 16), ((12, 12, 16), VALID),
                               ((32, 32, 16), "that is after two poolings; there are three"),
                               ((64, 64, 16), "that is after one pooling; there are three"),
                               ((128, 128, 16), "each 2×2 pooling with stride 2 halves height and width"),
                               ((16, 16, 48), "channels do not add up over layers: each layer outputs 16")),
    "conv_stack_params": _int(14048, (14000, "the 48 biases are missing"),
                              (3648, "layers 2 and 3 see the 16 channels of the layer before, not 3"),
                              (1216, "that is one layer; there are three")),
    "conv_dense_params": _int(40970, (40960, "the dense layer's 10 biases are missing"),
                              (163850, "the input is flattened after three poolings: 16·16·16 = 4,096"),
                              (2570, "the flattened input has all 16 channels: 16·16·16 = 4,096")),
    "conv_network_params": _int(55018, (55008, "the dense layer's 10 biases are missing"),
                                (54970, "the convolutions' 48 biases are missing"),
                                (54960, "all biases are missing"),
                                (44618, "layers 2 and 3 see the 16 channels of the layer before, not 3"),
                                (40970, "that is the dense layer only"), (14048, "that is the convolutions only")),
}

# -- general formulas -------------------------------------------------------------------------
_size = lambda n, pad, plus=1: (n + pad - k) / S + plus  # noqa: E731
_H, _W = _size(H, 2 * P), _size(W, 2 * P)


def _divisible(pt) -> bool:
    return all(int(n + 2 * pt["P"] - pt["k"]) % int(pt["S"]) == 0 and n + 2 * pt["P"] >= pt["k"]
               for n in (pt["H"], pt["W"]))


_INTS = {"H": (5, 64, True), "W": (5, 64, True), "k": (1, 7, True), "P": (0, 3, True),
         "S": (1, 3, True), "C_out": (1, 64, True), "C_in": (1, 64, True)}
FORMULAS = {
    "conv_params_formula": _expr((k**2 * C_in + 1) * C_out, ("k", "C_in", "C_out"),
                                 (k**2 * C_in * C_out, NO_BIAS),
                                 (k**2 * C_in * C_out + C_in, "one bias per filter (C_out), not per input channel"),
                                 (k * C_in * C_out + C_out, "a k×k filter has k² weights per input channel"),
                                 ((k**2 + 1) * C_out, "each filter spans all C_in input channels"),
                                 domain=_INTS),
    "conv_out_shape_formula": Spec(
        expected=(_H, _W, C_out), kind="expr", symbols=_syms("H", "W", "k", "P", "S", "C_out"),
        item_names=_HWC, domain=_INTS, constraint=_divisible,
        slips=(Slip("the padding is ignored: the padded input is H + 2P", value=(_size(H, 0), _size(W, 0), C_out)),
               Slip("the padding is on both sides: H + 2P", value=(_size(H, P), _size(W, P), C_out)),
               Slip("the + 1 is missing: (H + 2P − k)/S + 1",
                    value=(_size(H, 2 * P, 0), _size(W, 2 * P, 0), C_out)),
               Slip("the order is (height, width, channels)", value=(C_out, _H, _W)))),
    "conv_same_padding_formula": _expr((k - 1) / 2, ("k",),
                                       (k / 2, "k/2 is not whole for odd k; same padding is (k − 1)/2"),
                                       (k - 1, "k − 1 is the padding of both sides together; P is per side"),
                                       ((k + 1) / 2, "one too many: the output would grow by 2"),
                                       domain={"k": (1, 15, True)}),
}

# -- autoencoders and transfer heads ------------------------------------------------------------
_AE_SLIPS = ((1568 * h, "the biases are missing: h in the encoder and 784 in the decoder"),
             (1569 * h, "the decoder's 784 biases are missing"),
             (1568 * h + 784, "the encoder's h biases are missing"),
             (785 * h, "that is the encoder only (784·h + h)"), (784 * h + 784, "that is the decoder only"))
AUTOENCODERS = {
    **{f"dense_ae_params_h{n}": _int(1569 * n + 784, *((int(e.subs(h, n)), fb) for e, fb in _AE_SLIPS))
       for n in (8, 16, 32, 64, 128)},
    "dense_ae_params_formula": _expr(1569 * h + 784, ("h",), *_AE_SLIPS, domain={"h": (1, 512, True)}),
    "conv_ae_params": _int(4385, (4320, "the 65 biases are missing (one per filter)"),
                           (650, "a convolution's C_in is the number of filters of the layer before, not 1"),
                           (4240, "the last convolution (1 filter, 145 parameters) is missing")),
    "conv_ae_params_no_bias": _int(4320, (4385, "that count includes the 65 biases")),
    "conv_ae_code_shape": _shape((4, 4, 8),
                                 ((3, 3, 8), "the table's pooling uses \"same\" padding, which rounds 7/2 up to 4"),
                                 ((7, 7, 8), "that is after two poolings; the code is after the third")),
}
TWO_OUT = ("a two-class head with one sigmoid output has one weight per feature and one bias "
           "(two outputs would be a softmax head)")
TRANSFER = {
    "transfer_head_1280_1": _int(1281, (1280, "the output's bias is missing"), (2562, TWO_OUT)),
    "transfer_head_2048_1": _int(2049, (2048, "the output's bias is missing"), (4098, TWO_OUT)),
    "transfer_head_1280_10": _int(12810, (12800, "the 10 biases are missing"),
                                  (1290, "each of the 10 outputs has 1,280 weights: 1,280·10 + 10")),
}

# -- sigmoid and vanishing gradients ----------------------------------------------------------
_sig = 1 / (1 + sympy.exp(-z))
_VANISH_POINTS = ({"theta": -3, "k": 3}, {"theta": sympy.Rational(-5, 2), "k": 1}, {"theta": 5, "k": 2})
SIGMOID = {
    "sigmoid_derivative": _expr(
        sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2, ("z",),
        (_sig, "that is σ(z) itself; σ'(z) = σ(z)(1 − σ(z))"),
        (1 - _sig, "that is 1 − σ(z); σ'(z) = σ(z)(1 − σ(z))"),
        (1 - _sig**2, "1 − σ² is the pattern of tanh' = 1 − tanh²; the sigmoid's is σ(1 − σ)"),
        (1 - sympy.tanh(z) ** 2, "that is the derivative of tanh"),
        (-sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2, "the sign: the two minus signs of the chain rule cancel"),
        (-1 / (1 + sympy.exp(-z)) ** 2, "the chain rule's inner derivative d/dz (1 + e^(−z)) = −e^(−z) is missing")),
    "sigmoid_derivative_max": _exact("1/4", ("1/2", "1/2 is σ(0), the sigmoid's value; σ'(0) = σ(0)(1 − σ(0)) = 1/4"),
                                     (1, "1 is the maximum of tanh' = 1 − tanh², not of σ'")),
    "sigmoid_derivative_argmax": _exact(0, ("1/2", "1/2 is the value σ(0); the question asks for z"),
                                        ("1/4", "1/4 is the maximum value; the question asks where it is reached")),
    "vanishing_bound": _expr(
        (sympy.Abs(theta) / 4) ** k, ("theta", "k"),
        ((sympy.Abs(theta) / 2) ** k, "the sigmoid's derivative is at most 1/4, not 1/2"),
        (theta**k / 4, "the factor |θ| σ' ≤ |θ|/4 comes at each of the k steps: (|θ|/4)^k, not θ^k/4"),
        (sympy.Abs(theta) ** k / 4, "the 1/4 comes at each of the k steps: (|θ|/4)^k, not |θ|^k/4"),
        ((theta / 4) ** k, "the absolute value is missing: the bound is on |∂h/∂h|, so (|θ|/4)^k"),
        (sympy.Abs(theta) / 4, "that is one step; over k steps the factors multiply: (|θ|/4)^k"),
        (k * sympy.Abs(theta) / 4, "the k factors multiply (chain rule), they do not add"),
        (sympy.Abs(theta) ** k, "each step also brings σ' ≤ 1/4"),
        (sympy.Rational(1, 4) ** k, "each step also brings the weight θ"),
        domain={"theta": (-6, 6, False), "k": (1, 7, True)}, extra_points=_VANISH_POINTS),
    "vanishing_theta_threshold": _exact(4, (1, "(|θ|/4)^k vanishes when |θ|/4 < 1, i.e. |θ| < 4"),
                                        (2, "max σ' is 1/4, so the threshold is 4"),
                                        ("1/4", "1/4 is max σ'; the bound (|θ|/4)^k vanishes for |θ| < 4")),
}


# -- the hard-sigmoid LSTM worked example --------------------------------------------------------
GATES = {
    "hard_sigmoid": lambda x: max(0.0, min(1.0, 0.2 * x + 0.5)),
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)),
    "torch_hardsigmoid": lambda x: max(0.0, min(1.0, x / 6.0 + 0.5)),
}


def lstm_forward(example: Mapping, gate: str = "hard_sigmoid", *, transpose_h: bool = False,
                 tanh_cell: bool = True, relu: bool = True, carry: bool = True) -> dict[str, tuple]:
    """The worked example's c_t, a_t, y_t (t = 1, 2) in float64: {"c1": (..), "a1": .., "y2": ..}.

    The keyword arguments produce the slips: transposed recurrent matrices, a_t = o_t c_t,
    no ReLU on y_t, and a state that is not carried from t = 1 to t = 2.
    """
    f = GATES[gate]

    def mv(m, v, transpose=False):
        m = [list(r) for r in zip(*m)] if transpose else m
        return [math.fsum(a * b for a, b in zip(row, v)) for row in m]

    a, c, out = [0.0, 0.0], [0.0, 0.0], {}
    for t, x in enumerate(example["x"], start=1):
        if not carry:
            a, c = [0.0, 0.0], [0.0, 0.0]

        def pre(q):
            return [u + v + b for u, v, b in zip(mv(example[f"W_x{q}"], x),
                                                 mv(example[f"W_h{q}"], a, transpose_h), example[f"b_{q}"])]

        i, fg, o = ([f(v) for v in pre(q)] for q in "ifo")
        g = [math.tanh(v) for v in pre("g")]
        c = [fv * cv + iv * gv for fv, cv, iv, gv in zip(fg, c, i, g)]
        a = [ov * (math.tanh(cv) if tanh_cell else cv) for ov, cv in zip(o, c)]
        y = [u + b for u, b in zip(mv(example["W_yh"], a), example["b_y"])]
        y = [max(0.0, v) for v in y] if relu else y
        out.update({f"c{t}": tuple(c), f"a{t}": tuple(a), f"y{t}": tuple(y)})
    return out


LSTM_ATOL = 1e-4
_LSTM_SLIPS = (
    (dict(gate="sigmoid"), "the gates used the standard sigmoid 1/(1 + e^(−z)); this LSTM uses the hard "
                           "sigmoid max(0, min(1, 0.2 z + 0.5))"),
    (dict(gate="torch_hardsigmoid"), "the gates used PyTorch's hard sigmoid z/6 + 1/2 (relu6(z + 3)/6); this "
                                     "LSTM uses the classic one, max(0, min(1, 0.2 z + 0.5))"),
    (dict(transpose_h=True), "the recurrent matrices were applied transposed: use W_h a_(t−1), rows are units"),
    (dict(tanh_cell=False), "a_t = o_t * tanh(c_t): the tanh of the cell state is missing"),
    (dict(relu=False), "y_t = ReLU(W_yh a_t + b_y): negative outputs are clipped to 0"),
    (dict(carry=False), "t = 2 starts from a_1 and c_1, not from zeros"),
)


def _lstm_key() -> dict[str, Spec]:
    ex = load_lstm_worked_example()
    right = lstm_forward(ex)
    alternatives = [(lstm_forward(ex, **kw), fb) for kw, fb in _LSTM_SLIPS]
    key = {}
    for name, want in right.items():
        slips = tuple(Slip(fb, value=alt[name]) for alt, fb in alternatives
                      if max(abs(u - v) for u, v in zip(alt[name], want)) > 4 * LSTM_ATOL)
        units = tuple(f"unit {j + 1}" for j in range(len(want)))
        key[f"lstm_{name}"] = Spec(expected=want, kind="number", atol=LSTM_ATOL, item_names=units, slips=slips)
    return key


KEY: dict[str, Spec] = {**CONV, **FORMULAS, **AUTOENCODERS, **TRANSFER, **SIGMOID, **_lstm_key()}
QUESTION_IDS = tuple(KEY)
# id -> the question as the template shows it (text, section, what the answer is)
QUESTIONS = {q["id"]: q for q in ref.QUESTIONS}
# Hidden until the grades are released (an example of hidden checks): the second
# transfer-learning head and the autoencoder without biases.
HIDDEN = ("conv_ae_params_no_bias", "transfer_head_2048_1")


def check_answer(question_id: str, answer, *, reveal: bool = True) -> Verdict:
    """Check one answer (plain data: a number, a string, a list/tuple of those).

    Returns Verdict(passed, message, slip); the message names the question, the expected
    value (unless reveal=False), what was received, by how much it is off, and the
    likely slip. Raises KeyError for an unknown question id.
    """
    if question_id not in KEY:
        raise KeyError(f"unknown theory question {question_id!r}")
    return check(KEY[question_id], answer, question_id, reveal=reveal)


def check_all(answers: Mapping, *, reveal: bool = True) -> dict[str, Verdict]:
    """check_answer for every question; a missing answer fails with 'no answer given'."""
    return {qid: check_answer(qid, answers.get(qid), reveal=reveal) for qid in QUESTION_IDS}

"""Realistic wrong (MUTANTS) and right-but-unusual (UNUSUAL) `theory` submissions.

Each one is an exact text edit of the `ANSWERS` block of `reference/theory.py`. `says`
holds words the feedback must contain (the named slip). `catches` names the checks that
must fail, `ANSWERS[<question id>]` (the bracket ends the id, so `transfer_head_1280_1`
does not also match `transfer_head_1280_10`): a wrong answer to one question is caught by
that question's check and by no other. The shared graded-slips test
(tests/graders/test_mutants.py) grades them all, as every assignment's: each MUTANT fails the
checks it names with that feedback, and each UNUSUAL one gets full marks.
The LSTM edits are computed from the answer key's `lstm_forward` (the wrong gate
function, a state not carried over), then written as 4-decimal literals, as a student would.
"""

import math

from dlgrade.data import load_lstm_worked_example
from graders.assignments.theory.answer_key import lstm_forward
from graders.engine.mutants import Mutant

_LSTM_NAMES = ("c1", "a1", "y1", "c2", "a2", "y2")
_LSTM_BLOCK = """    "lstm_c1": (0.0, 0.6854),
    "lstm_a1": (0.0, 0.0595),
    "lstm_y1": (1.9405, 0.1785, 0.0, 1.0),
    "lstm_c2": (-0.9640, 0.9369),
    "lstm_a2": (-0.2327, 0.5311),
    "lstm_y2": (1.0035, 1.5934, 0.0, 0.0692),
"""


def _lstm_block(values: dict, fmt=lambda v: f"{v:.4f}") -> str:
    return "".join(f'    "lstm_{n}": ({", ".join(fmt(v) for v in values[n])}),\n' for n in _LSTM_NAMES)


def _truncate(v: float) -> str:
    return f"{math.trunc(v * 1e4) / 1e4:.4f}"


_EX = load_lstm_worked_example()


def _check(qid: str) -> str:
    """The name prefix of the check of one question (see graders/assignments/theory/checks.py)."""
    return f"ANSWERS[{qid}]"


def _answer(qid: str, old: str, new: str, name: str, says: tuple[str, ...] = ()) -> Mutant:
    """A wrong answer to one question, caught by that question's check."""
    return Mutant(name, f'    "{qid}": {old},', f'    "{qid}": {new},', catches=(_check(qid),), says=says)


def _right(qid: str, old: str, new: str, name: str) -> Mutant:
    """A right answer written differently (UNUSUAL: it must pass, so it names no check)."""
    return Mutant(name, f'    "{qid}": {old},', f'    "{qid}": {new},')


def _lstm(names: str) -> tuple[str, ...]:
    return tuple(_check(f"lstm_{n}") for n in names.split())


MUTANTS = [
    _answer("conv_network_params", "14048 + 40970", "14048 + 40960", "network_count_without_dense_biases",
            ("10 biases",)),
    _answer("conv_same_shape", "(128, 128, 16)", "(124, 124, 16)", "same_shape_computed_as_valid", ('"valid"',)),
    _answer("conv_same_params", "(5 * 5 * 3 + 1) * 16", "5 * 5 * 3 * 16", "conv_count_without_biases",
            ("biases",)),
    _answer("conv_same_params", "(5 * 5 * 3 + 1) * 16", "(5 * 5 + 1) * 16", "conv_count_ignores_input_channels",
            ("3 input channels",)),
    _answer("conv_params_no_bias", "5 * 5 * 3 * 16", "(5 * 5 * 3 + 1) * 16", "no_bias_count_with_biases",
            ("includes the 16 biases",)),
    _answer("conv_valid_shape", "(128 - 5 + 1, 128 - 5 + 1, 16)", "(128 - 5, 128 - 5, 16)",
            "valid_shape_without_plus_one", ("+ 1",)),
    _answer("conv_valid_params", "1216", "5 * 5 * 3 * 16", "valid_count_without_biases", ("16 biases",)),
    _answer("conv_stride2_same_shape", "(64, 64, 16)", "(128, 128, 16)", "stride2_same_ignores_stride",
            ("stride is ignored",)),
    _answer("conv_stride2_valid_shape", "((128 - 5) // 2 + 1, (128 - 5) // 2 + 1, 16)", "(63, 63, 16)",
            "stride2_valid_rounded_up", ("rounded up",)),
    _answer("conv_padding_name", '"same"', '"valid"', "padding_name_valid", ("shrinks",)),
    _answer("conv_stack_shape", "(128 // 8, 128 // 8, 16)", "(12, 12, 16)", "stack_shape_with_valid_padding",
            ('"valid"',)),
    _answer("conv_stack_params", "1216 + 2 * (5 * 5 * 16 + 1) * 16", "3 * 1216",
            "stack_count_with_three_input_channels_everywhere", ("16 channels",)),
    _answer("conv_dense_params", "16 * 16 * 16 * 10 + 10", "16 * 16 * 16 * 10", "dense_count_without_biases",
            ("biases",)),
    _answer("conv_params_formula", "(k**2 * C_in + 1) * C_out", "k**2 * C_in * C_out", "formula_without_biases",
            ("biases",)),
    _answer("conv_out_shape_formula", "((H + 2 * P - k) / S + 1, (W + 2 * P - k) / S + 1, C_out)",
            "((H + P - k) / S + 1, (W + P - k) / S + 1, C_out)", "shape_formula_one_sided_padding",
            ("both sides",)),
    _answer("conv_same_padding_formula", "(k - 1) / 2", "k / 2", "same_padding_k_over_2", ("(k − 1)/2",)),
    Mutant("dense_ae_counts_without_biases", "1569 * n + 784 for n", "1568 * n for n", says=("biases",),
           catches=tuple(_check(f"dense_ae_params_h{n}") for n in (8, 16, 32, 64, 128))),
    _answer("dense_ae_params_formula", "784 * h + h + h * 784 + 784", "784 * h + h + h * 784",
            "dense_ae_formula_without_decoder_biases", ("decoder's 784 biases",)),
    _answer("conv_ae_params", "4385", "4385 - 65", "conv_ae_count_without_biases", ("65 biases",)),
    _answer("conv_ae_params_no_bias", "4385 - (16 + 8 + 8 + 8 + 8 + 16 + 1)", "4385",
            "conv_ae_no_bias_count_with_biases", ("includes the 65 biases",)),
    _answer("conv_ae_code_shape", "(4, 4, 8)", "(3, 3, 8)", "conv_ae_code_with_valid_pooling", ("rounds 7/2 up",)),
    _answer("transfer_head_1280_1", "1280 + 1", "(1280 + 1) * 2", "binary_head_with_two_outputs",
            ("one sigmoid output",)),
    _answer("transfer_head_2048_1", "2048 + 1", "2048", "binary_head_without_bias", ("bias is missing",)),
    _answer("transfer_head_1280_10", "1280 * 10 + 10", "1280 * 10", "ten_class_head_without_biases", ("biases",)),
    _answer("sigmoid_derivative", "sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2", "1 - 1 / (1 + sympy.exp(-z)) ** 2",
            "sigmoid_derivative_tanh_pattern", ("tanh",)),
    _answer("sigmoid_derivative", "sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2",
            "-sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2",
            "sigmoid_derivative_wrong_sign", ("sign",)),
    _answer("sigmoid_derivative", "sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2", "sympy.exp(-z) / (1 + sympy.exp(-z))",
            "sigmoid_derivative_missing_square", ("at z =",)),
    _answer("sigmoid_derivative_max", "sympy.Rational(1, 4)", "sympy.Rational(1, 2)", "sigmoid_max_is_sigma_0",
            ("σ(0)",)),
    _answer("sigmoid_derivative_argmax", "0", "0.5", "sigmoid_argmax_is_sigma_0", ("asks for z",)),
    _answer("vanishing_bound", "(sympy.Abs(theta) / 4) ** k", "(sympy.Abs(theta) / 2) ** k",
            "vanishing_bound_with_one_half", ("at most 1/4",)),
    _answer("vanishing_bound", "(sympy.Abs(theta) / 4) ** k", "theta**k / 4", "vanishing_bound_theta_k_over_4",
            ("not θ^k/4",)),
    _answer("vanishing_bound", "(sympy.Abs(theta) / 4) ** k", "(theta / 4) ** k", "vanishing_bound_without_abs",
            ("absolute value",)),
    _answer("vanishing_theta_threshold", "4", "1", "vanishing_threshold_one", ("|θ| < 4",)),
    Mutant("lstm_standard_sigmoid_gates", _LSTM_BLOCK, _lstm_block(lstm_forward(_EX, "sigmoid")),
           catches=_lstm("c1 a1 y1 c2 a2 y2"), says=("standard sigmoid",)),
    Mutant("lstm_pytorch_hardsigmoid_gates", _LSTM_BLOCK, _lstm_block(lstm_forward(_EX, "torch_hardsigmoid")),
           catches=_lstm("c1 a1 y1 c2 a2 y2"), says=("PyTorch's hard sigmoid",)),
    Mutant("lstm_state_reset_at_t2", _LSTM_BLOCK, _lstm_block(lstm_forward(_EX, carry=False)),
           catches=_lstm("c2 a2 y2"), says=("not from zeros",)),
    Mutant("lstm_no_tanh_on_cell_state", _LSTM_BLOCK, _lstm_block(lstm_forward(_EX, tanh_cell=False)),
           catches=_lstm("a1 y1 c2 a2 y2"), says=("tanh of the cell state",)),
    Mutant("lstm_two_decimals", _LSTM_BLOCK, _lstm_block(lstm_forward(_EX), lambda v: f"{v:.2f}"),
           catches=_lstm("c1 a1 y1 c2 a2 y2"), says=("precision",)),
]

UNUSUAL = [
    _right("conv_same_shape", "(128, 128, 16)", "[128, 128, 16]", "shape_as_list"),
    _right("conv_valid_shape", "(128 - 5 + 1, 128 - 5 + 1, 16)", '"124 x 124 x 16"', "shape_as_text"),
    _right("conv_network_params", "14048 + 40970", "55018.0", "count_as_float"),
    _right("conv_same_params", "(5 * 5 * 3 + 1) * 16", '"1,216"', "count_as_text_with_comma"),
    _right("sigmoid_derivative_max", "sympy.Rational(1, 4)", "0.25", "quarter_as_float"),
    _right("sigmoid_derivative_max", "sympy.Rational(1, 4)", '"1/4"', "quarter_as_text"),
    _right("sigmoid_derivative_max", "sympy.Rational(1, 4)", "sympy.Float(0.25)", "quarter_as_sympy_float"),
    _right("sigmoid_derivative_argmax", "0", "0.0", "argmax_as_float"),
    _right("sigmoid_derivative", "sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2",
            "(1 / (1 + sympy.exp(-z))) * (1 - 1 / (1 + sympy.exp(-z)))", "sigmoid_derivative_as_s_times_1_minus_s"),
    _right("sigmoid_derivative", "sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2",
            "sympy.exp(z) / (1 + sympy.exp(z)) ** 2", "sigmoid_derivative_with_exp_z"),
    _right("sigmoid_derivative", "sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2",
            "1 / (4 * sympy.cosh(z / 2) ** 2)", "sigmoid_derivative_cosh_form_simplify_cannot_prove"),
    _right("sigmoid_derivative", "sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2",
            "sympy.diff(1 / (1 + sympy.exp(-sympy.Symbol('z'))), sympy.Symbol('z'))",
            "sigmoid_derivative_by_sympy_diff_on_a_plain_symbol"),
    _right("sigmoid_derivative", "sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2", '"exp(-z)/(1 + exp(-z))**2"',
            "sigmoid_derivative_as_text"),
    _right("vanishing_bound", "(sympy.Abs(theta) / 4) ** k", "sympy.Abs(theta) ** k / 4 ** k",
            "vanishing_bound_powers_split"),
    _right("vanishing_bound", "(sympy.Abs(theta) / 4) ** k", "(theta**2 / 16) ** (k / 2)",
            "vanishing_bound_via_square_root"),
    _right("vanishing_bound", "(sympy.Abs(theta) / 4) ** k", '"Abs(theta)**k * 4**(-k)"',
            "vanishing_bound_as_text"),
    _right("conv_params_formula", "(k**2 * C_in + 1) * C_out", "C_out * k**2 * C_in + C_out",
            "conv_formula_expanded"),
    _right("conv_out_shape_formula", "((H + 2 * P - k) / S + 1, (W + 2 * P - k) / S + 1, C_out)",
            "(sympy.floor((H + 2 * P - k) / S) + 1, sympy.floor((W + 2 * P - k) / S) + 1, C_out)",
            "shape_formula_with_floor"),
    _right("conv_same_padding_formula", "(k - 1) / 2", "sympy.Mul(k - 1, sympy.Rational(1, 2), evaluate=False)",
            "same_padding_unevaluated_product"),
    _right("dense_ae_params_formula", "784 * h + h + h * 784 + 784", '"(784 + 1)*h + (h + 1)*784"',
            "dense_ae_formula_factored_as_text"),
    _right("conv_padding_name", '"same"', '"Same"', "padding_name_capitalised"),
    Mutant("lstm_truncated_to_4_decimals", _LSTM_BLOCK, _lstm_block(lstm_forward(_EX), _truncate)),
    Mutant("lstm_full_precision", _LSTM_BLOCK, _lstm_block(lstm_forward(_EX), repr)),
    Mutant("lstm_as_sympy_column_vectors", _LSTM_BLOCK,
           "".join(f'    "lstm_{n}": sympy.Matrix([{", ".join(f"{v:.4f}" for v in lstm_forward(_EX)[n])}]),\n'
                   for n in _LSTM_NAMES)),
]

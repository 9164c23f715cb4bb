"""# Theory: shapes, parameter counts, gradients and an LSTM by hand

This assignment has no training loop: you answer questions, and the grader checks each
answer symbolically (with SymPy) or numerically. Put every answer in the dictionary
`ANSWERS`, under the question's id:

```python
ANSWERS["some_shape"] = (32, 32, 8)             # a tuple (made-up ids and values)
ANSWERS["some_count"] = 1234                    # a number
ANSWERS["some_formula"] = k**2 * C_in           # an expression in the given symbols
ANSWERS["some_value"] = sympy.Rational(1, 3)    # an exact fraction
```

What an answer may be:

- a number (`1234`, `0.5`, `sympy.Rational(1, 3)`, or text such as `"1/3"` or `"1,234"`);
- a tuple or list of numbers, in the order the question gives;
- a SymPy expression in the symbols the question names (they are defined below; use
  them, don't invent others), or the same expression as text, e.g. `"sqrt(H)*k**2"`;
  write powers with `**`, not `^`;
- a word in quotes, where the question asks for one.

Each question says how precise the answer must be. Expressions are accepted when they
are equal to the expected one, whatever their form: `(H + 1)*k` and `k*H + k` are the
same answer. A wrong answer gets feedback that names
the likely slip. Image shapes are written channels last, `(height, width, channels)`, as
in Keras; sizes are whole numbers.
"""

import sympy

# The symbols the questions use. Build your expressions from these.
k, C_in, C_out, H, W, P, S = sympy.symbols("k C_in C_out H W P S", positive=True)
h = sympy.Symbol("h", positive=True)
z = sympy.Symbol("z", real=True)
theta = sympy.Symbol("theta", real=True)

EXACT_INT = "Give the exact whole number."
SHAPE = "Give a tuple (height, width, channels) of exact whole numbers."
EXPR = "Any equivalent expression passes."
EXACT = "Give the exact value (a fraction such as 1/3 is fine; a decimal must be exact)."
FOUR = ("Give 4 decimals: any value within 1e-4 of the exact one passes, so rounding or "
        "truncating the 5th decimal are both fine.")
CONV_INPUT = ("A convolutional layer with 16 filters of size 5×5 and stride 1 is applied to a "
              "128×128×3 input (height × width × channels).")

# The hard-sigmoid LSTM worked example of the course text (matrices act on column vectors).
LSTM_EXAMPLE = {
    "W_xi": [[2, 0, 3], [4, 1, 0]], "W_hi": [[-3, 0], [-5, 1]], "b_i": [0, -2],
    "W_xf": [[1, 0, -1], [2, 1, 2]], "W_hf": [[-2, 0], [2, 1]], "b_f": [1, -1],
    "W_xg": [[1, -1, 0], [0, 2, 1]], "W_hg": [[2, 0], [-1, 1]], "b_g": [-1, 2],
    "W_xo": [[-1, 2, -2], [0, 1, 1]], "W_ho": [[1, 1], [0, 2]], "b_o": [-1, -1],
    "W_yh": [[2, -1], [0, 3], [1, -1], [4, 0]], "b_y": [2, 0, -1, 1],
    "x": [[1, 0, -1], [0, 1, 1]],
}

_LSTM_MATRICES = "\n".join(
    "    " + "   ".join(f"{name} = {LSTM_EXAMPLE[name]}" for name in row)
    for row in (("W_xi", "W_hi", "b_i"), ("W_xf", "W_hf", "b_f"), ("W_xg", "W_hg", "b_g"),
                ("W_xo", "W_ho", "b_o"), ("W_yh", "b_y"), ("x",))
)
LSTM_SETUP = f"""One LSTM layer of two units reads three input features; four ReLU output units read
its hidden activation a_t at every step (many-to-many), over two time steps. With column
vectors, for each gate q in i (input), f (forget), o (output):

    q_t = hard_sigmoid(W_xq x_t + W_hq a_(t-1) + b_q),   hard_sigmoid(z) = max(0, min(1, 0.2 z + 0.5))
    g_t = tanh(W_xg x_t + W_hg a_(t-1) + b_g)
    c_t = f_t * c_(t-1) + i_t * g_t          (elementwise)
    a_t = o_t * tanh(c_t)
    y_t = ReLU(W_yh a_t + b_y)

with a_0 = c_0 = 0. Row j of a matrix is unit j; x_1 and x_2 are the two rows of x:

{_LSTM_MATRICES}

(These are `LSTM_EXAMPLE` in the template.) Give each vector as a tuple, unit 1 first. {FOUR}"""


def _q(qid, section, text, answer, symbols=()):
    """One question: its id, section, full text (with the precision asked), answer format, symbols."""
    if answer == _SHAPE:
        text += " " + SHAPE
    elif "SymPy expression" in answer:
        text += " " + EXPR
    return {"id": qid, "section": section, "text": text, "answer": answer, "symbols": symbols}


_C, _G, _D, _A, _T, _S, _L = (
    "Convolution shapes and parameter counts", "General formulas", "A dense autoencoder",
    "The convolutional autoencoder of the course", "Transfer-learning heads",
    "The sigmoid and vanishing gradients", "A hard-sigmoid LSTM by hand",
)
_SHAPE = "a tuple of 3 whole numbers (height, width, channels)"
_AE_TABLE = """| # | layer | filters | kernel | padding | activation |
|---|-------|---------|--------|---------|------------|
| 1 | Conv2D | 16 | 3×3 | same | relu |
| 2 | MaxPooling2D 2×2 | | | same | |
| 3 | Conv2D | 8 | 3×3 | same | relu |
| 4 | MaxPooling2D 2×2 | | | same | |
| 5 | Conv2D | 8 | 3×3 | same | relu |
| 6 | MaxPooling2D 2×2 | | | same | |
| 7 | Conv2D | 8 | 3×3 | same | relu |
| 8 | UpSampling2D 2×2 | | | | |
| 9 | Conv2D | 8 | 3×3 | same | relu |
| 10 | UpSampling2D 2×2 | | | | |
| 11 | Conv2D | 16 | 3×3 | valid | relu |
| 12 | UpSampling2D 2×2 | | | | |
| 13 | Conv2D | 1 | 3×3 | same | sigmoid |

The input is a 28×28×1 image; every convolution has a bias per filter; a 2×2 pooling with
"same" padding rounds an odd size up (7 -> 4)."""

QUESTIONS = (
    _q("conv_same_shape", _C, f"{CONV_INPUT} With \"same\" padding, what is the shape of its output?", _SHAPE),
    _q("conv_same_params", _C, f"{CONV_INPUT} How many parameters does it have, biases included? {EXACT_INT}",
       "a whole number"),
    _q("conv_params_no_bias", _C, f"{CONV_INPUT} How many parameters would it have without biases? {EXACT_INT}",
       "a whole number"),
    _q("conv_valid_shape", _C, f"{CONV_INPUT} With \"valid\" padding (no padding), what is its output shape?", _SHAPE),
    _q("conv_valid_params", _C, f"{CONV_INPUT} With \"valid\" padding, how many parameters does it have, biases "
       f"included? {EXACT_INT}", "a whole number"),
    _q("conv_stride2_same_shape", _C, "The same layer with stride 2 and \"same\" padding (output size = the input "
       "size divided by the stride, rounded up): what is its output shape?", _SHAPE),
    _q("conv_stride2_valid_shape", _C, "The same layer with stride 2 and \"valid\" padding: what is its output "
       "shape?", _SHAPE),
    _q("conv_padding_name", _C, "At stride 1, which padding keeps the height and width of the input: \"same\" or "
       "\"valid\"? Answer with the word, in quotes.", "a word"),
    _q("conv_stack_shape", _C, "Three such layers (5×5, 16 filters, stride 1, \"same\" padding, each with biases) "
       "are stacked on the 128×128×3 input, each followed by 2×2 max pooling with stride 2. What is the shape "
       "after the third pooling?", _SHAPE),
    _q("conv_stack_params", _C, f"How many parameters do the three convolutional layers have in all, biases "
       f"included? {EXACT_INT}", "a whole number"),
    _q("conv_dense_params", _C, f"The output of the third pooling is flattened and fed to a dense layer with 10 "
       f"outputs (one per class). How many parameters does that dense layer have, biases included? {EXACT_INT}",
       "a whole number"),
    _q("conv_network_params", _C, f"How many parameters does the whole network (three convolutional layers and "
       f"the dense layer) have? {EXACT_INT}", "a whole number"),
    _q("conv_params_formula", _G, "Write the number of parameters (biases included) of a convolutional layer "
       "with C_out filters of size k×k on an input with C_in channels, as an expression in k, C_in, C_out.",
       "a SymPy expression", ("k", "C_in", "C_out")),
    _q("conv_out_shape_formula", _G, "A convolutional layer with C_out filters of size k×k, stride S and "
       "zero padding P on each side is applied to an H×W input. Assuming S divides H + 2P − k and W + 2P − k "
       "(so no rounding is needed), write its output shape (height, width, channels) as a tuple of "
       "expressions in H, W, k, P, S, C_out.", "a tuple of 3 SymPy expressions",
       ("H", "W", "k", "P", "S", "C_out")),
    _q("conv_same_padding_formula", _G, "At stride 1 and for an odd kernel size k, how much zero padding P on "
       "each side gives \"same\" padding? Write P as an expression in k.", "a SymPy expression", ("k",)),
    *(_q(f"dense_ae_params_h{n}", _D, f"A dense autoencoder 784 -> {n} -> 784 (one hidden layer of {n} units, "
         f"both layers with biases). How many parameters does it have? {EXACT_INT}", "a whole number")
      for n in (8, 16, 32, 64, 128)),
    _q("dense_ae_params_formula", _D, "Write the number of parameters of the dense autoencoder 784 -> h -> 784 "
       "(biases included) as an expression in h.", "a SymPy expression", ("h",)),
    _q("conv_ae_params", _A, f"The convolutional autoencoder of the course:\n\n{_AE_TABLE}\n\nHow many "
       f"parameters does it have? {EXACT_INT}", "a whole number"),
    _q("conv_ae_params_no_bias", _A, f"How many parameters would the same autoencoder have without biases? "
       f"{EXACT_INT}", "a whole number"),
    _q("conv_ae_code_shape", _A, "What is the shape of the code, the output of layer 6 (the third pooling)?",
       _SHAPE),
    _q("transfer_head_1280_1", _T, f"A pretrained network's global average pooling gives 1,280 features. A new "
       f"head for a two-class problem is one dense layer with a single sigmoid output. How many parameters does "
       f"the head have? {EXACT_INT}", "a whole number"),
    _q("transfer_head_2048_1", _T, f"The same two-class head on a network with 2,048 pooled features: how many "
       f"parameters? {EXACT_INT}", "a whole number"),
    _q("transfer_head_1280_10", _T, f"A head from 1,280 pooled features to 10 classes (one dense layer with a "
       f"softmax): how many parameters? {EXACT_INT}", "a whole number"),
    _q("sigmoid_derivative", _S, "Write the derivative of the sigmoid σ(z) = 1 / (1 + exp(−z)) as an expression "
       "in z (use sympy.exp; there is no σ symbol).", "a SymPy expression", ("z",)),
    _q("sigmoid_derivative_max", _S, f"What is the maximum value of σ'(z) over all real z? {EXACT}", "a number"),
    _q("sigmoid_derivative_argmax", _S, f"At which z is that maximum reached? {EXACT}", "a number"),
    _q("vanishing_bound", _S, "A recurrent unit computes h_m = σ(θ h_(m−1) + x_m) with a scalar weight θ. "
       "Give the best bound B, valid for all inputs, such that |∂h_(m+k) / ∂h_m| ≤ B, as an expression in "
       "theta and k (write |θ| as Abs(theta)).", "a SymPy expression", ("theta", "k")),
    _q("vanishing_theta_threshold", _S, f"The bound guarantees a vanishing gradient (B -> 0 as k grows) exactly "
       f"when |θ| is below a threshold. What is the threshold? {EXACT}", "a number"),
    *(_q(f"lstm_{v}{t}", _L, (LSTM_SETUP + "\n\n" if (v, t) == ("c", 1) else "")
         + f"What is {name} at t = {t}?" + ("" if (v, t) == ("c", 1) else f" (The LSTM of lstm_c1.) {FOUR}"),
         f"a tuple of {n} numbers")
      for t in (1, 2)
      for v, name, n in (("c", "the cell state c_t", 2), ("a", "the hidden activation a_t", 2),
                         ("y", "the output y_t", 4))),
)

ANSWERS: dict = {}

### BEGIN SOLUTION
# TODO: replace each None by your answer (see the question with that id)
# TEMPLATE: ANSWERS.update({
# TEMPLATE:     "conv_same_shape": None,  # a tuple of 3 whole numbers (height, width, channels)
# TEMPLATE:     "conv_same_params": None,  # a whole number
# TEMPLATE:     "conv_params_no_bias": None,  # a whole number
# TEMPLATE:     "conv_valid_shape": None,  # a tuple of 3 whole numbers (height, width, channels)
# TEMPLATE:     "conv_valid_params": None,  # a whole number
# TEMPLATE:     "conv_stride2_same_shape": None,  # a tuple of 3 whole numbers (height, width, channels)
# TEMPLATE:     "conv_stride2_valid_shape": None,  # a tuple of 3 whole numbers (height, width, channels)
# TEMPLATE:     "conv_padding_name": None,  # a word
# TEMPLATE:     "conv_stack_shape": None,  # a tuple of 3 whole numbers (height, width, channels)
# TEMPLATE:     "conv_stack_params": None,  # a whole number
# TEMPLATE:     "conv_dense_params": None,  # a whole number
# TEMPLATE:     "conv_network_params": None,  # a whole number
# TEMPLATE:     "conv_params_formula": None,  # a SymPy expression
# TEMPLATE:     "conv_out_shape_formula": None,  # a tuple of 3 SymPy expressions
# TEMPLATE:     "conv_same_padding_formula": None,  # a SymPy expression
# TEMPLATE:     "dense_ae_params_h8": None,  # a whole number
# TEMPLATE:     "dense_ae_params_h16": None,  # a whole number
# TEMPLATE:     "dense_ae_params_h32": None,  # a whole number
# TEMPLATE:     "dense_ae_params_h64": None,  # a whole number
# TEMPLATE:     "dense_ae_params_h128": None,  # a whole number
# TEMPLATE:     "dense_ae_params_formula": None,  # a SymPy expression
# TEMPLATE:     "conv_ae_params": None,  # a whole number
# TEMPLATE:     "conv_ae_params_no_bias": None,  # a whole number
# TEMPLATE:     "conv_ae_code_shape": None,  # a tuple of 3 whole numbers (height, width, channels)
# TEMPLATE:     "transfer_head_1280_1": None,  # a whole number
# TEMPLATE:     "transfer_head_2048_1": None,  # a whole number
# TEMPLATE:     "transfer_head_1280_10": None,  # a whole number
# TEMPLATE:     "sigmoid_derivative": None,  # a SymPy expression
# TEMPLATE:     "sigmoid_derivative_max": None,  # a number
# TEMPLATE:     "sigmoid_derivative_argmax": None,  # a number
# TEMPLATE:     "vanishing_bound": None,  # a SymPy expression
# TEMPLATE:     "vanishing_theta_threshold": None,  # a number
# TEMPLATE:     "lstm_c1": None,  # a tuple of 2 numbers
# TEMPLATE:     "lstm_a1": None,  # a tuple of 2 numbers
# TEMPLATE:     "lstm_y1": None,  # a tuple of 4 numbers
# TEMPLATE:     "lstm_c2": None,  # a tuple of 2 numbers
# TEMPLATE:     "lstm_a2": None,  # a tuple of 2 numbers
# TEMPLATE:     "lstm_y2": None,  # a tuple of 4 numbers
# TEMPLATE: })
ANSWERS.update({
    # "same" keeps 128×128; each filter has 5·5·3 weights and a bias.
    "conv_same_shape": (128, 128, 16),
    "conv_same_params": (5 * 5 * 3 + 1) * 16,                        # 1,216
    "conv_params_no_bias": 5 * 5 * 3 * 16,                           # 1,200
    "conv_valid_shape": (128 - 5 + 1, 128 - 5 + 1, 16),              # (124, 124, 16)
    "conv_valid_params": 1216,                                       # padding adds no weights
    "conv_stride2_same_shape": (64, 64, 16),                         # ceil(128 / 2)
    "conv_stride2_valid_shape": ((128 - 5) // 2 + 1, (128 - 5) // 2 + 1, 16),   # (62, 62, 16)
    "conv_padding_name": "same",
    "conv_stack_shape": (128 // 8, 128 // 8, 16),                    # three 2×2 poolings
    "conv_stack_params": 1216 + 2 * (5 * 5 * 16 + 1) * 16,           # 14,048
    "conv_dense_params": 16 * 16 * 16 * 10 + 10,                     # 40,970
    "conv_network_params": 14048 + 40970,                            # 55,018
    "conv_params_formula": (k**2 * C_in + 1) * C_out,
    "conv_out_shape_formula": ((H + 2 * P - k) / S + 1, (W + 2 * P - k) / S + 1, C_out),
    "conv_same_padding_formula": (k - 1) / 2,
    # encoder 784·h + h, decoder h·784 + 784
    **{f"dense_ae_params_h{n}": 1569 * n + 784 for n in (8, 16, 32, 64, 128)},
    "dense_ae_params_formula": 784 * h + h + h * 784 + 784,
    # (3·3·C_in + 1)·C_out per convolution: 160 + 1160 + 584 + 584 + 584 + 1168 + 145
    "conv_ae_params": 4385,
    "conv_ae_params_no_bias": 4385 - (16 + 8 + 8 + 8 + 8 + 16 + 1),  # 4,320
    "conv_ae_code_shape": (4, 4, 8),                                 # 28 -> 14 -> 7 -> 4
    "transfer_head_1280_1": 1280 + 1,
    "transfer_head_2048_1": 2048 + 1,
    "transfer_head_1280_10": 1280 * 10 + 10,
    # σ'(z) = σ(z)(1 − σ(z)); it peaks at z = 0, where σ = 1/2.
    "sigmoid_derivative": sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2,
    "sigmoid_derivative_max": sympy.Rational(1, 4),
    "sigmoid_derivative_argmax": 0,
    # ∂h_m/∂h_(m−1) = θ σ'(·), and |σ'| ≤ 1/4 at every one of the k steps.
    "vanishing_bound": (sympy.Abs(theta) / 4) ** k,
    "vanishing_theta_threshold": 4,
    # The worked example of the course text, to 4 decimals.
    "lstm_c1": (0.0, 0.6854),
    "lstm_a1": (0.0, 0.0595),
    "lstm_y1": (1.9405, 0.1785, 0.0, 1.0),
    "lstm_c2": (-0.9640, 0.9369),
    "lstm_a2": (-0.2327, 0.5311),
    "lstm_y2": (1.0035, 1.5934, 0.0, 0.0692),
})
### END SOLUTION

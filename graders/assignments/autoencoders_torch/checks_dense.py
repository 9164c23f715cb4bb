"""The checks of `DenseAutoencoder` before training.

The parameter count against 2 n_in n_hidden + n_in + n_hidden at three sizes, the code's
shape and sign, the output's shape and range (also on inputs 30 times larger, where a ReLU
output exceeds 1).
"""

from __future__ import annotations

from graders.assignments.autoencoders_torch.data import dense_probe_input
from graders.assignments.autoencoders_torch.task_calls import field
from graders.engine.checks import CheckFailed
from graders.engine.task_calls import run_task

DENSE_SIZES = ((64, 16), (20, 7), (784, 32))          # (n_in, n_hidden): all different
BIG_INPUT = 30.0                                      # the range check's inputs reach 30


def inspect_dense(ctx, n_in: int, n_hidden: int, scale: float = 1.0) -> dict:
    x = dense_probe_input(n_in) * scale
    return run_task(ctx, "inspect_dense_autoencoder", "DenseAutoencoder", share=True,
                    objects=("DenseAutoencoder",), n_in=n_in, n_hidden=n_hidden, x=x, seed=0)


def check_dense_parameter_count(ctx):
    rows, wrong, right = [], None, []
    for n_in, n_hidden in DENSE_SIZES:
        r = inspect_dense(ctx, n_in, n_hidden)
        got, want = int(field(r, "n_params", "DenseAutoencoder")), 2 * n_in * n_hidden + n_in + n_hidden
        rows.append(f"  DenseAutoencoder({n_in}, {n_hidden}): {got} parameters, expected {want}")
        if got == want:
            right.append(f"DenseAutoencoder({n_in}, {n_hidden})")
        elif wrong is None:
            wrong = (n_in, n_hidden, got, want)
    if wrong is None:
        return None
    n_in, n_hidden, got, want = wrong
    named = {
        -n_in: "the decoder has no bias (nn.Linear(n_hidden, n_in, bias=False)): the n_in decoder biases "
               "are missing",
        -n_hidden: "the encoder has no bias: the n_hidden encoder biases are missing",
        -(n_in + n_hidden): "no biases at all (bias=False in both layers)",
        -n_in * n_hidden: "tied weights (the decoder reuses the encoder's weight, transposed): the "
                          "contract asks for two independent nn.Linear layers",
    }
    slip = named.get(got - want)
    if slip is None and right:
        slip = (f"a hard-coded layer size: the count is right for {' and '.join(right)} only; size the layers "
                "with n_in and n_hidden.")
    if slip is None and got > want:
        slip = ("extra layers or parameters: the contract's model is exactly nn.Linear(n_in, n_hidden) and "
                "nn.Linear(n_hidden, n_in), nothing else with parameters.")
    if slip is None:
        slip = "a layer of the wrong size (a hard-coded size instead of n_in or n_hidden?)."
    raise CheckFailed(
        f"DenseAutoencoder({n_in}, {n_hidden}) has {got} parameters; the contract's model has "
        f"2 * n_in * n_hidden + n_in + n_hidden = {want}.",
        expected=str(want), got=str(got), diff=f"{got - want:+d} parameters", slip=slip,
        details="Parameter counts (sum of p.numel() over model.parameters()):\n" + "\n".join(rows))


def check_dense_encode_code_size(ctx):
    results = [inspect_dense(ctx, n_in, n_hidden) for n_in, n_hidden in DENSE_SIZES]
    shapes = [field(r, "code_shape", "DenseAutoencoder.encode") for r in results]
    sizes = {s[-1] for s in shapes if isinstance(s, list) and len(s) == 2}
    for (n_in, n_hidden), r, shape in zip(DENSE_SIZES, results, shapes):
        n = len(dense_probe_input(n_in))
        if shape != [n, n_hidden]:
            slip = None
            if isinstance(shape, str):
                slip = "encode must return the code as a tensor."
            elif shape == [n, n_in]:
                slip = "encode returns the reconstruction (decoder output), not the code."
            elif len(sizes) == 1 and len(shapes) == len(DENSE_SIZES):
                slip = (f"a hard-coded code size ({next(iter(sizes))} for every n_hidden asked: "
                        f"{[h for _, h in DENSE_SIZES]}) instead of n_hidden.")
            elif isinstance(shape, list) and len(shape) == 2 and shape[1] != n_hidden:
                slip = "the code size is not n_hidden: a hard-coded size, or n_in and n_hidden swapped."
            raise CheckFailed(
                f"DenseAutoencoder({n_in}, {n_hidden}).encode(x) has shape {shape} for x of shape "
                f"({n}, {n_in}); the code of N rows has shape (N, n_hidden).",
                expected=str([n, n_hidden]), got=str(shape), slip=slip)
        code_min = float(field(r, "code_min", "DenseAutoencoder.encode"))
        if not code_min >= 0.0:
            raise CheckFailed(
                f"DenseAutoencoder({n_in}, {n_hidden}).encode(x) has negative entries (min {code_min:.4g}); "
                "the contract's code is relu(x W_e + b_e), every entry >= 0.",
                expected="every entry >= 0", got=f"min {code_min:.6g}",
                slip="encode returns the encoder's pre-activation: apply ReLU inside encode (forward must "
                     "use the same code)." if code_min == code_min else "NaN in the code.")


def check_dense_output_range(ctx):
    for n_in, n_hidden in DENSE_SIZES:
        for scale in (1.0, BIG_INPUT):
            r = inspect_dense(ctx, n_in, n_hidden, scale)
            n = len(dense_probe_input(n_in))
            call = f"DenseAutoencoder({n_in}, {n_hidden})(x)" + (
                f" with x = {scale:g} * (images in [0, 1])" if scale != 1.0 else "")
            shape = field(r, "out_shape", "DenseAutoencoder.forward")
            if shape != [n, n_in]:
                code_shape = r.get("code_shape")
                raise CheckFailed(
                    f"{call} has shape {shape} for x of shape ({n}, {n_in}); the reconstruction has x's shape.",
                    expected=str([n, n_in]), got=str(shape),
                    slip="forward returns the code, not its reconstruction: forward(x) = decode(encode(x))."
                    if shape == code_shape else None)
            lo, hi = float(field(r, "out_min", call)), float(field(r, "out_max", call))
            if not (lo >= 0.0 and hi <= 1.0):
                if lo != lo or hi != hi:
                    slip = "NaN in the output (an overflow?)."
                elif lo < 0.0:
                    slip = "no sigmoid on the output: x_hat = sigmoid(code W_d + b_d)."
                else:
                    slip = ("a ReLU (or another unbounded activation) on the output instead of the sigmoid: "
                            "pixels and reconstructions live in [0, 1].")
                raise CheckFailed(
                    f"{call} left [0, 1]: the reconstruction of pixels must be a sigmoid's output.",
                    expected="0 <= x_hat <= 1", got=f"min {lo:.6g}, max {hi:.6g}", slip=slip)
            if not r.get("input_unchanged", True):
                raise CheckFailed(f"{call} modified x in place.", expected="x unchanged",
                                  got="x changed", slip="an in-place operation (x.add_, x[...] = , relu_) on "
                                                        "the caller's tensor.")

"""The checks of `autoencoders_torch`, one `check_<object>_<property>` per check.

Everything that touches the submission's modules runs in the sandbox through the tasks of
`tasks.py`; the grader sends plain data (sizes, float arrays, digit images) and compares
the plain numbers that come back with the contract, computed here in NumPy:

- `DenseAutoencoder`: the parameter count against 2 n_in n_hidden + n_in + n_hidden at
  three sizes, the code's shape and sign, the output's shape and range (also on inputs
  30 times larger, where a ReLU output exceeds 1);
- `ConvAutoencoder`: output shape = input shape at the sizes the template names (8x8,
  28x28; odd 7x7 and 13x13), with 3 channels, and the output's range;
- `add_noise`: clipped to [0, 1] with x's shape and dtype, the mean, spread and shape of
  the added noise on a constant image (20,000 pixels per noise factor at a fixed seed, so
  the statistics are exact numbers, not a flaky test), reproducibility through the
  torch.Generator, and x left unchanged;
- `l1_activity_penalty`: the value and a central-difference gradient check in float64, on
  codes of both signs (away from the kink at 0), with the common slips named;
- the trained checks (Kind.THRESHOLD): the tasks train the submission's models with Adam at
  the grade seed on the data set of the `data` option ("digits", or "mnist:PATH"), and the
  metric is compared with the calibrated bound of `thresholds.py` for that data set.
  Pictures for the report: inputs, noisy inputs, reconstructions, the loss curve.
"""

from __future__ import annotations

import functools
import hashlib
import weakref
from functools import partial
from pathlib import Path

import numpy as np

from graders.assignments.autoencoders_torch.thresholds import (
    CPU_BUDGET_S,
    DATA,
    METRIC_KEYS,
    TASKS,
    thresholds_for,
)
from graders.engine import expect
from graders.engine.checks import Check, CheckFailed, Kind
from graders.engine.common import away_from, render_inputs
from graders.engine.compare import fmt
from graders.engine.gradcheck import assert_gradient
from graders.sandbox.errors import CallTimeout, SandboxCrashed, StudentError

CONTRACT = ("DenseAutoencoder", "ConvAutoencoder", "add_noise", "l1_activity_penalty")

DENSE_SIZES = ((64, 16), (20, 7), (784, 32))          # (n_in, n_hidden): all different
BIG_INPUT = 30.0                                      # the range check's inputs reach 30
EVEN_SHAPES = ((4, 1, 8, 8), (2, 1, 28, 28))          # the sizes the template names
ODD_SHAPES = ((3, 1, 7, 7), (2, 1, 13, 13))           # 7 -> 4 -> 2 -> 8 -> crop to 7
CHANNEL_SHAPES = ((2, 3, 8, 8),)
NOISE_RANGE_FACTOR = 0.5                              # many pixels clipped at 0 and 1
NOISE_STAT_FACTORS = (0.1, 0.15)                      # on x = 0.5: clipping below 0.1%
NOISE_STAT_SHAPE = (200, 100)                         # 20,000 pixels per factor
NOISE_STAT_SEED = 7
L1_SHAPE = (6, 5)                                     # N != H, so N- and H-factors differ
L1_FACTOR = 0.3
TRAIN_SLACK = 3.0                                     # wall time = CPU budget x 3
CALIBRATE = "python -m graders.assignments.autoencoders_torch.calibrate"

CHECK_NAMES = {
    "dense_reconstruction": "DenseAutoencoder: held-out reconstruction after training",
    "conv_reconstruction": "ConvAutoencoder: held-out reconstruction after training",
    "denoising_ratio": "add_noise: a denoising autoencoder trained with it beats the noisy input",
    "sparsity_factor": "l1_activity_penalty: L1-trained codes sparser by the calibrated factor",
    "sparse_reconstruction": "l1_activity_penalty: held-out reconstruction with the penalty",
}


# ------------------------------------------------------------------ data


@functools.lru_cache(maxsize=1)
def digits() -> tuple[np.ndarray, np.ndarray]:
    """(X (1797, 64) in [0, 1], y) exactly as dlgrade.data.load_digits gives them.

    Read straight from scikit-learn's bundled digits.csv.gz when it is there (importing
    scikit-learn costs seconds of a grade); a test checks that the values are identical.
    """
    import gzip
    import importlib.util

    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            with gzip.open(path, "rt") as fh:
                data = np.loadtxt(fh, delimiter=",")
            if data.shape == (1797, 65):
                return data[:, :-1].astype(np.float64) / 16.0, data[:, -1].astype(np.int64)
    from dlgrade.data import load_digits

    return load_digits()


@functools.lru_cache(maxsize=4)
def dataset(spec: str) -> dict:
    """What `dlgrade.data.mnist.load_dataset(spec, **DATA[name])` returns (the calibration's
    data), the digits read without scikit-learn. CheckFailed if the data cannot be read."""
    name = data_name(spec)
    if name == "digits":
        from dlgrade.data import split_train_test

        x, y = digits()
        train_idx, test_idx = split_train_test(len(x), 0.2, seed=0)
        return {"name": "digits", "x_train": x[train_idx], "y_train": y[train_idx],
                "x_test": x[test_idx], "y_test": y[test_idx], "image_shape": (8, 8)}
    from dlgrade.data.mnist import load_dataset

    try:
        return load_dataset(spec, **DATA[name])
    except (OSError, ValueError) as exc:  # IDXFormatError is a ValueError
        raise CheckFailed(
            f"the grader could not read the data set {spec!r} (an instructor's setting, not your "
            f"code): {type(exc).__name__}: {exc}",
            slip="the instructor's --data option: give the folder of the four MNIST IDX files as "
                 "mnist:PATH.") from None


def data_name(spec) -> str:
    """"digits" or "mnist" for the data options "digits" and "mnist:PATH"; CheckFailed otherwise."""
    spec = str(spec)
    if spec == "digits":
        return "digits"
    if spec.startswith("mnist:") and len(spec) > len("mnist:"):
        return "mnist"
    raise CheckFailed(
        f"unknown data set {spec!r} for autoencoders_torch (an instructor's setting, not your code): use "
        "\"digits\" or \"mnist:PATH\".")


def probe_digits(n: int = 10) -> np.ndarray:
    return dataset("digits")["x_test"][:n]


def dense_probe_input(n_in: int) -> np.ndarray:
    """Fixed inputs of the DenseAutoencoder probes: digits for n_in = 64, else uniform."""
    if n_in == 64:
        return probe_digits()
    return np.random.default_rng(n_in).uniform(0.0, 1.0, size=(5, n_in))


# ------------------------------------------------------------------ running tasks


# Per grade (keyed on the session): task results shared between checks, and the contract
# objects whose task already ran out of time (later checks that need them fail at once).
_RESULTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_TIMED_OUT: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def run_task(ctx, name: str, objects: tuple[str, ...], *, share: bool = True, **kwargs) -> dict:
    """`tasks.task_<name>(submission, **kwargs)` in the sandbox, its dict result.

    share: reuse the result (or the failure) of the same call earlier in this grade; a
        crash of the sandbox is not shared (the next call gets a fresh sandbox), a timeout is.
    """
    timed_out = _TIMED_OUT.setdefault(ctx.session, {})
    for obj in objects:
        if obj in timed_out:
            raise CheckFailed(
                f"not run: `{obj}` did not finish in time in an earlier check ({timed_out[obj]}).",
                slip="an infinite loop, or far more work than needed (a Python loop over samples or "
                     "pixels?).")
    key = (name, _key(kwargs))
    results = _RESULTS.setdefault(ctx.session, {})
    if share and key in results:
        status, value = results[key]
        if status == "error":
            raise value
        return value
    try:
        out = ctx.task(name, **kwargs)
        if not isinstance(out, dict):
            raise CheckFailed(f"the grader's task {name!r} returned {expect.describe_value(out)} (an "
                              "internal error; please tell your instructor).")
        outcome = ("ok", out)
    except CallTimeout as exc:
        for obj in objects:
            timed_out[obj] = f"'{ctx.check.name}'"
        outcome = ("error", exc)
    except StudentError as exc:
        outcome = ("error", _explain(exc, objects))
    except CheckFailed as exc:
        outcome = ("error", exc)
    except SandboxCrashed:  # e.g. the sandbox's CPU for its whole life: a fresh one may do
        raise
    if share:
        results[key] = outcome
    if outcome[0] == "error":
        raise outcome[1]
    return outcome[1]


def _key(value):
    """A hashable stand-in for task arguments (arrays by shape, dtype and a digest of their bytes)."""
    if isinstance(value, np.ndarray):
        return ("array", value.shape, str(value.dtype), hashlib.sha1(np.ascontiguousarray(value).tobytes()).hexdigest())
    if isinstance(value, dict):
        return tuple(sorted((str(k), _key(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(_key(v) for v in value)
    return repr(value)


def _explain(exc: StudentError, objects) -> Exception:
    """A StudentError raised by the task's own code (no traceback of the submission: e.g. a
    shape check of a returned value) as a CheckFailed in words; others stay as they are."""
    if exc.traceback or exc.missing or exc.type_name == "NotImplementedError":
        return exc
    return CheckFailed(f"{exc.message}.", slip=f"see the other checks of {', '.join(objects)}.")


def field(out: dict, key: str, what: str):
    if key not in out:
        raise CheckFailed(f"the grader's task gave no {key!r} for {what} (an internal error; please tell "
                          "your instructor).")
    return out[key]


# ------------------------------------------------------------------ DenseAutoencoder


def inspect_dense(ctx, n_in: int, n_hidden: int, scale: float = 1.0) -> dict:
    x = dense_probe_input(n_in) * scale
    return run_task(ctx, "inspect_dense_autoencoder", ("DenseAutoencoder",), n_in=n_in, n_hidden=n_hidden,
                    x=x, seed=0)


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


# ------------------------------------------------------------------ ConvAutoencoder


def conv_shapes(ctx, shapes, scale: float = 1.0) -> dict:
    return run_task(ctx, "conv_autoencoder_shapes", ("ConvAutoencoder",),
                    shapes=[list(s) for s in shapes], seed=0, scale=scale)


def _shape_table(shapes, got) -> str:
    lines = ["  input (N, C, H, W)   output"]
    for s, g in zip(shapes, got):
        mark = "" if g == list(s) else "   <- wrong"
        lines.append(f"  {str(tuple(s)):20s} {g if isinstance(g, str) else tuple(g)}{mark}")
    return "\n".join(lines)


def check_conv_shapes(ctx, shapes, words: str):
    r = conv_shapes(ctx, shapes)
    got = field(r, "out_shapes", "ConvAutoencoder")
    if not isinstance(got, list) or len(got) != len(shapes):
        raise CheckFailed("the grader's task returned an unexpected reply (an internal error).")
    bad = [(s, g) for s, g in zip(shapes, got) if g != list(s)]
    if not bad:
        return None
    shape, g = bad[0]
    slip = None
    if isinstance(g, str):
        if "channels" in g:
            slip = ("the first convolution has a hard-coded number of input channels: use "
                    "nn.Conv2d(in_channels, 16, ...).")
        else:
            slip = "the model raised on this size (see the error); pooling and up-sampling must fit every size."
    elif len(g) == 4 and g[:2] == list(shape[:2]):
        h, w = shape[2:]
        halves = h % 4 == 0 and w % 4 == 0  # two poolings by 2 divide exactly: floor = ceil
        if (g[2] < h or g[3] < w) and halves:
            slip = ("the decoder up-samples less than the encoder pools: two MaxPool2d(2) on the way down need "
                    "two Upsample(scale_factor=2) on the way up.")
        elif g[2] < h or g[3] < w:
            slip = ("MaxPool2d in floor mode drops the last row and column of an odd size (7 -> 3 -> 1 comes "
                    "back up as 4): pool with ceil_mode=True (7 -> 4 -> 2 -> 8) and crop the output to H x W.")
        elif halves:
            slip = "the decoder up-samples more than the encoder pools (one Upsample(x2) per MaxPool2d(2))."
        else:
            slip = ("the decoder's output is larger than the input and is not cropped back: return "
                    "out[..., :H, :W] (8 comes back from 7 -> 4 -> 2).")
    elif len(g) == 4 and g[1] != shape[1]:
        slip = "the last convolution has a hard-coded number of output channels: use in_channels."
    raise CheckFailed(
        f"ConvAutoencoder(in_channels={shape[1]})(x) for x of shape {tuple(shape)} returned "
        + (f"an error ({g})" if isinstance(g, str) else f"shape {tuple(g)}")
        + f"; the output has exactly the input's shape ({words}).",
        expected=str(tuple(shape)), got=g if isinstance(g, str) else str(tuple(g)), slip=slip,
        details=_shape_table(shapes, got))


def check_conv_output_range(ctx):
    for scale in (1.0, 10.0):
        r = conv_shapes(ctx, EVEN_SHAPES, scale)
        got = field(r, "out_shapes", "ConvAutoencoder")
        if not any(isinstance(g, list) for g in got):
            raise CheckFailed("ConvAutoencoder raised on every input, so its range cannot be checked: "
                              f"{got[0]}", slip="see the shape checks of ConvAutoencoder.")
        lo, hi = float(field(r, "out_min", "ConvAutoencoder")), float(field(r, "out_max", "ConvAutoencoder"))
        if not (lo >= 0.0 and hi <= 1.0):
            raise CheckFailed(
                "ConvAutoencoder's output left [0, 1]" + (f" on inputs uniform in [0, {scale:g})" if scale != 1
                                                          else " on inputs uniform in [0, 1)") + ".",
                expected="0 <= x_hat <= 1", got=f"min {lo:.6g}, max {hi:.6g}",
                slip="NaN in the output." if lo != lo or hi != hi else
                "no sigmoid after the last convolution (the decoder ends with Conv2d(16, C) -> sigmoid)."
                if lo < 0 else "an unbounded activation (ReLU?) after the last convolution instead of a sigmoid.")


# ------------------------------------------------------------------ add_noise


def noise_run(ctx, x: np.ndarray, factor: float, seed: int) -> dict:
    return run_task(ctx, "add_noise", ("add_noise",), x=x, noise_factor=factor, seed=seed)


def _noisy(r: dict, key: str, what: str, shape) -> np.ndarray:
    return expect.array(field(r, key, what), what, shape)


def range_input() -> np.ndarray:
    """Digits-like x in [0, 1] with exact 0s and 1s (where clipping matters most)."""
    x = np.random.default_rng(11).uniform(0.0, 1.0, size=(16, 64))
    x[:, :8], x[:, 8:16] = 0.0, 1.0
    return x


def check_add_noise_range(ctx):
    x = range_input()
    what = f"add_noise(x, {NOISE_RANGE_FACTOR}, generator)"
    r = noise_run(ctx, x, NOISE_RANGE_FACTOR, seed=1)
    noisy = _noisy(r, "noisy", what, x.shape)
    lo, hi = float(noisy.min()), float(noisy.max())
    if lo < 0.0 or hi > 1.0:
        outside = int(np.sum((noisy < 0) | (noisy > 1)))
        raise CheckFailed(
            f"{what} left [0, 1]: {outside} of {noisy.size} pixels are outside.",
            expected="every pixel in [0, 1] (clip(x + noise_factor * eps, 0, 1))",
            got=f"min {lo:.6g}, max {hi:.6g}",
            slip="the noisy image is not clipped: torch.clamp(x + noise_factor * eps, 0.0, 1.0).",
            details=f"x: {x.shape} in [0, 1], with columns of exact 0s and 1s.")
    dtype = field(r, "dtype", what)
    if dtype != "torch.float64":
        raise CheckFailed(
            f"{what} returned a {dtype} tensor for a float64 x; the result has x's dtype.",
            expected="torch.float64", got=str(dtype),
            slip="noise drawn in float32 and the result cast to it: torch.randn(x.shape, generator=generator, "
                 "dtype=x.dtype).")
    if np.array_equal(noisy, x):
        raise CheckFailed(f"{what} returned x unchanged: no noise was added.", expected="noisy pixels",
                          got="x itself", slip="the noise is drawn but never added (or noise_factor ignored).")


def _noise_stats(d: np.ndarray) -> tuple[float, float, float]:
    std = float(d.std())
    return float(d.mean()), std, float(np.mean(np.abs(d) <= std)) if std > 0 else 0.0


@functools.lru_cache(maxsize=None)
def _slip_stats(factor: float) -> dict[str, tuple[float, float]]:
    """(mean, std) of the added noise (noisy - x) on x = 0.5 for the common slips, by name,
    from a large NumPy sample (the slips' statistics are far apart; 2e5 samples is plenty)."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal(200_000)
    u = rng.uniform(size=200_000)
    x = 0.5
    slips = {
        "the noise is not multiplied by noise_factor (standard deviation 1 instead of noise_factor)":
            np.clip(x + z, 0, 1),
        "uniform noise (torch.rand) instead of standard normal noise (torch.randn)":
            np.clip(x + factor * u, 0, 1),
        "noise_factor used as the variance (sqrt(noise_factor) * eps): it is the standard deviation":
            np.clip(x + np.sqrt(factor) * z, 0, 1),
        "noise_factor ** 2 * eps: noise_factor is the standard deviation itself":
            np.clip(x + factor ** 2 * z, 0, 1),
        "the image is scaled too: noise_factor * (x + eps) instead of x + noise_factor * eps":
            np.clip(factor * (x + z), 0, 1),
        "only the noise is returned, without the image: x + noise_factor * eps":
            np.clip(factor * z, 0, 1),
    }
    return {words: (float((v - x).mean()), float((v - x).std())) for words, v in slips.items()}


def check_add_noise_statistics(ctx):
    x = np.full(NOISE_STAT_SHAPE, 0.5)
    rows, failure = [], None
    for factor in NOISE_STAT_FACTORS:
        what = f"add_noise(x, {factor}, generator)"
        r = noise_run(ctx, x, factor, seed=NOISE_STAT_SEED)
        d = _noisy(r, "noisy", what, x.shape) - x
        mean, std, within = _noise_stats(d)
        rows.append(f"  noise_factor {factor}: mean {mean:+.5f} (expected 0), standard deviation {std:.5f} "
                    f"(expected {factor}), {within:.1%} within one standard deviation (normal: 68.3%)")
        # 20,000 pixels: the standard errors are 0.7% of the factor for the mean, 0.5% for the
        # standard deviation and 0.3% for the fraction; the tolerances are 6 to 10 times those.
        ok = abs(mean) <= 0.04 * factor and abs(std / factor - 1) <= 0.05 and abs(within - 0.683) <= 0.025
        if not ok and failure is None:
            slip = next((words for words, (m, s) in _slip_stats(factor).items()
                         if abs(mean - m) <= 0.04 * max(s, factor) and abs(std - s) <= 0.05 * s), None)
            failure = (factor, mean, std, within, slip)
    if failure is None:
        return None
    factor, mean, std, within, slip = failure
    raise CheckFailed(
        f"add_noise(x, {factor}, generator): the added noise (noisy - x) does not have mean 0 and standard "
        f"deviation noise_factor = {factor}.",
        expected=f"mean 0 +/- {0.04 * factor:.3g}, standard deviation {factor} +/- 5%, 68.3% +/- 2.5% of the "
                 "pixels within one standard deviation (normal noise)",
        got=f"mean {mean:+.5f}, standard deviation {std:.5f}, {within:.1%} within one standard deviation",
        slip=slip or ("the noise is not standard normal noise times noise_factor: "
                      "eps = torch.randn(x.shape, generator=generator, dtype=x.dtype)."),
        details=f"x: a constant image of 0.5 of shape {x.shape} (clipping at 0 and 1 is then more than 3 "
                f"standard deviations away), generator seeded {NOISE_STAT_SEED}.\n" + "\n".join(rows))


def check_add_noise_reproducible(ctx):
    x = range_input()
    what = f"add_noise(x, {NOISE_RANGE_FACTOR}, generator)"
    r = noise_run(ctx, x, NOISE_RANGE_FACTOR, seed=1)
    first = _noisy(r, "noisy", what, x.shape)
    again = _noisy(r, "repeat", what + " with a new generator seeded the same", x.shape)
    other = _noisy(r, "other", what + " with a generator seeded differently", x.shape)
    if not np.array_equal(first, again):
        raise CheckFailed(
            f"{what} is not reproducible: two generators seeded the same (1) gave different noise.",
            expected="the same noisy image for the same generator state", got="different noisy images",
            where=f"{int(np.sum(first != again))} of {first.size} pixels differ",
            slip="the noise is not drawn from `generator` (torch.randn(x.shape) uses PyTorch's global "
                 "generator): pass generator=generator to torch.randn.")
    if np.array_equal(first, other):
        raise CheckFailed(
            f"{what}: generators seeded 1 and 2 gave the same noise, so the generator is ignored.",
            expected="different noise for different seeds", got="identical noisy images",
            slip="a fixed seed inside add_noise (torch.manual_seed(...) or generator.manual_seed(...)): the "
                 "caller's generator is the only source of randomness; never reseed it.")


def check_add_noise_input_unchanged(ctx):
    x = range_input()
    r = noise_run(ctx, x, NOISE_RANGE_FACTOR, seed=1)
    if not field(r, "input_unchanged", "add_noise"):
        raise CheckFailed(
            f"add_noise(x, {NOISE_RANGE_FACTOR}, generator) modified x in place.",
            expected="x unchanged (the clean image is still needed as the training target)",
            got="x changed",
            slip="an in-place operation on x (x += ..., x.add_(...), x.clamp_(...)): work on a new tensor, "
                 "x + noise_factor * eps, or on x.clone().")


# ------------------------------------------------------------------ l1_activity_penalty


def l1_penalty(code: np.ndarray, factor: float) -> float:
    """The contract: factor * mean over the batch of sum |code| (a test compares it with the
    reference module's torch function)."""
    return float(factor * np.abs(code).reshape(len(code), -1).sum(axis=1).mean())


def l1_problem(ctx) -> np.ndarray:
    return away_from(ctx.rng, L1_SHAPE, -2.0, 2.0, kinks=(0.0,), margin=0.05)


def l1_slips(code, factor) -> dict[str, float]:
    n = len(code)
    a = np.abs(code)
    return {
        f"summed over the batch as well: the penalty is the MEAN over the batch of each sample's sum "
        f"(here {n} times too large)": factor * a.sum(),
        "no absolute value: the L1 norm sums |code|, not code": factor * code.sum(axis=1).mean(),
        "a mean over the code units too: sum over the units, mean over the batch only": factor * a.mean(),
        "squares instead of absolute values (an L2 penalty)": factor * (code ** 2).sum(axis=1).mean(),
        "factor is not multiplied in": a.sum(axis=1).mean(),
    }


def call_l1(ctx, code) -> dict:
    return run_task(ctx, "l1_penalty", ("l1_activity_penalty",), code=code, factor=L1_FACTOR)


def _l1_returned(r: dict, what: str):
    if r.get("returned") not in ("Tensor", "Parameter") and r.get("returned") is not None:
        if r.get("returned") in ("float", "int"):
            return "a Python number"
        raise CheckFailed(f"{what} returned a {r.get('returned')}; expected a scalar tensor.",
                          expected="a scalar tensor", got=str(r.get("returned")))
    if r.get("shape") not in ([], [1]):
        raise CheckFailed(f"{what} has shape {r.get('shape')}; expected a scalar (shape []).",
                          expected="shape []", got=str(r.get("shape")),
                          slip="a missing mean over the batch (one penalty per sample), or a sum over the "
                               "wrong axis.")
    return None


def check_l1_value(ctx):
    code = l1_problem(ctx)
    what = f"l1_activity_penalty(code, {L1_FACTOR})"
    r = call_l1(ctx, code)
    _l1_returned(r, what)
    got = expect.scalar(field(r, "value", what), what)
    want = l1_penalty(code, L1_FACTOR)
    if abs(got - want) <= 1e-9 + 1e-7 * abs(want):
        return None
    slip = next((words for words, wrong in l1_slips(code, L1_FACTOR).items()
                 if abs(got - wrong) <= 1e-9 + 1e-6 * abs(wrong)), None)
    raise CheckFailed(
        f"{what} is {got:.8g}; the contract's penalty factor * (1/N) sum_n sum_j |code[n, j]| is {want:.8g}.",
        expected=f"{want:.10g}", got=f"{got:.10g}", diff=f"ratio {got / want:.6g}" if want else None,
        slip=slip, details=render_inputs(code=code) + f"; factor = {L1_FACTOR} (N = {L1_SHAPE[0]}, "
                                                      f"H = {L1_SHAPE[1]}).")


def check_l1_gradient(ctx):
    code = l1_problem(ctx)
    what = f"l1_activity_penalty(code, {L1_FACTOR})"
    r = call_l1(ctx, code)
    kind = _l1_returned(r, what)
    if kind or not r.get("differentiable", False):
        raise CheckFailed(
            f"{what} carries no gradient back to code: training cannot make the codes sparser.",
            expected="a tensor computed from code with torch operations", got=kind or "no gradient",
            slip="the penalty leaves autograd: .item(), float(...), .detach(), NumPy, or torch.no_grad(). "
                 "Return the torch expression itself.")
    grad = expect.array(field(r, "grad", what), f"the gradient of {what} with respect to code", code.shape)
    n = len(code)
    sign = np.sign(code)
    known = {
        f"the gradient is {n} times too large, the batch size: the penalty is summed over the batch, "
        "not averaged": L1_FACTOR * sign,
        "the gradient does not depend on the sign of code: the absolute value is missing":
            np.full(code.shape, L1_FACTOR / n),
        "the gradient is averaged over the code units too: sum over the units, mean over the batch only":
            L1_FACTOR * sign / code.size,
        "2 * factor * code / N: squares (an L2 penalty) instead of absolute values": 2 * L1_FACTOR * code / n,
        "factor is not multiplied in": sign / n,
    }
    assert_gradient(lambda p: l1_penalty(p["code"], L1_FACTOR), {"code": code}, "code", grad,
                    f"d {what} / d code", rng=ctx.rng, batch_size=n,
                    context=render_inputs(code=code) + f"; factor = {L1_FACTOR}; expected gradient "
                                                       f"factor * sign(code) / N = {fmt(L1_FACTOR * sign / n)}",
                    known=known)


# ------------------------------------------------------------------ trained checks


def threshold(ctx, check: str):
    """The calibrated Threshold of `check` for the data option, or CheckFailed saying what the
    instructor must run."""
    spec = ctx.options.get("data", "digits") or "digits"
    name = data_name(spec)
    try:
        return spec, thresholds_for(name)[check]
    except KeyError:
        shown = spec if name != "digits" else "digits"
        raise CheckFailed(
            f"not graded: there is no calibrated bound of {check!r} for the data set {name!r} yet (an "
            f"instructor's step, not your code). The instructor must run `{CALIBRATE} --dataset {shown} "
            f"--write` once to calibrate the bounds on this data, then grade again.",
            slip="nothing in your submission: the thresholds of each data set are calibrated on the "
                 "reference solution.") from None


def trained(ctx, check: str) -> tuple:
    """(Threshold, data, task result) of the calibrated run behind `check` (shared per grade)."""
    spec, t = threshold(ctx, check)
    data = dataset(spec)
    objects = {"train_dense_autoencoder": ("DenseAutoencoder",),
               "train_conv_autoencoder": ("ConvAutoencoder",),
               "train_denoising_autoencoder": ("DenseAutoencoder", "add_noise"),
               "train_sparse_autoencoder": ("DenseAutoencoder", "l1_activity_penalty")}[TASKS[check]]
    out = run_task(ctx, TASKS[check], objects,
                   x_train=data["x_train"].astype(np.float32), x_test=data["x_test"].astype(np.float32),
                   seed=t.grade_seed, **t.settings)
    return t, data, out


def baseline_mse(data: dict) -> float:
    """Held-out MSE of predicting the mean training image everywhere."""
    return float(np.mean((data["x_test"] - data["x_train"].mean(axis=0)) ** 2))


def _setup_words(t, data) -> str:
    s = ", ".join(f"{k} {v}" for k, v in t.settings.items())
    return (f"Setup: {data['name']} ({len(data['x_train'])} training, {len(data['x_test'])} held-out images "
            f"{tuple(data['image_shape'])}); Adam, MSE, {s}; grade seed {t.grade_seed}.")


def _attach(ctx, title, make) -> None:
    try:
        ctx.attach(title, make())
    except Exception:  # a picture is a bonus; never let it cost the feedback
        pass


def _picture_rows(out, keys):
    rows = []
    for key in keys:
        v = out.get(key)
        if isinstance(v, np.ndarray) and v.ndim == 2 and v.size:
            rows.append(v)
    return rows


def _attach_pictures(ctx, out, t, what: str, rows, labels, bound_line: bool = True) -> None:
    """Held-out images in rows (inputs, [noisy,] reconstructions) and the loss curve, with the
    calibrated bound drawn across it when the bound is an MSE too."""
    from graders.reports import pictures

    got = _picture_rows(out, rows)
    if len(got) == len(rows):
        side = int(round(np.sqrt(got[0].shape[1])))
        _attach(ctx, f"{what}: held-out images ({', '.join(labels)})",
                lambda: pictures.image_grid(got, labels, scale=max(2, 48 // max(side, 1))))
    history = out.get("history")
    if isinstance(history, np.ndarray) and history.ndim == 1 and history.size:
        series = {"training loss": history}
        if bound_line:
            series["held-out bound"] = np.full(history.shape, t.bound)
        _attach(ctx, f"{what}: training loss per epoch",
                lambda: pictures.line_plot(series, title=f"{what}: mean training loss per epoch"
                                           + (f" (held-out bound {t.bound:.4g})" if bound_line else ""),
                                           xlabel="epoch", log_y=True))


def _note(value, t, out, extra="") -> str:
    cpu = out.get("cpu_s")
    cpu_words = f"; {float(cpu):.1f} s CPU (budget {t.cpu_budget_s:g} s)" if isinstance(cpu, (int, float)) else ""
    return f"{t.metric} {value:.6g}{extra}{cpu_words}. Passed: {t.describe()}."


def check_trained_reconstruction(ctx, check: str, obj: str):
    t, data, out = trained(ctx, check)
    value = expect.scalar(field(out, METRIC_KEYS[check], obj), f"the held-out MSE of {obj}", finite=False)
    _attach_pictures(ctx, out, t, obj, ("inputs", "reconstructions"), ["input", "yours"])
    if t.passes(value):
        return _note(value, t, out)
    base = baseline_mse(data)
    raise CheckFailed(
        f"the trained {obj} reconstructs held-out images worse than the calibrated bound.",
        expected=t.describe(), got=f"held-out MSE {value:.6g}",
        diff=f"{value / t.reference_mean:.2f} times the reference's mean; predicting the mean training image "
             f"everywhere gives {base:.4g}",
        slip=(f"see the other {obj} checks first (the output's range and shape); then the architecture: "
              "the contract's layers and activations, nothing detached from autograd."),
        details=_setup_words(t, data))


def check_trained_denoising(ctx):
    check = "denoising_ratio"
    t, data, out = trained(ctx, check)
    value = expect.scalar(field(out, "ratio", "denoising"), "denoised MSE / noisy MSE", finite=False)
    _attach_pictures(ctx, out, t, "denoising", ("inputs", "noisy", "reconstructions"),
                     ["clean", "noisy", "yours"], bound_line=False)
    words = (f" (denoised MSE {float(out.get('denoised_mse', np.nan)):.4g}, noisy input "
             f"{float(out.get('noisy_mse', np.nan)):.4g})")
    if t.passes(value):
        return _note(value, t, out, words)
    raise CheckFailed(
        "a DenseAutoencoder trained on add_noise(x) -> x does not reconstruct the clean held-out images "
        "clearly better than the noisy images themselves.",
        expected=t.describe(), got=f"ratio {value:.4g}{words}",
        diff="a ratio of 1 means no better than the noisy input" if value == value else None,
        slip="see the add_noise checks (the training corrupts each batch with your add_noise; the held-out "
             "images are corrupted by the grader with the contract's formula) and the DenseAutoencoder "
             "checks.",
        details=_setup_words(t, data))


def check_trained_sparsity(ctx):
    check = "sparsity_factor"
    t, data, out = trained(ctx, check)
    value = expect.scalar(field(out, "sparsity_factor", "sparsity"), "the sparsity factor", finite=False)
    words = (f" (mean |code| {float(out.get('mean_abs_code_plain', np.nan)):.4g} without the penalty, "
             f"{float(out.get('mean_abs_code_l1', np.nan)):.4g} with it; codes at 0: "
             f"{float(out.get('frac_zero_plain', np.nan)):.0%} without, {float(out.get('frac_zero_l1', np.nan)):.0%} "
             "with)")
    if t.passes(value):
        return _note(value, t, out, words)
    raise CheckFailed(
        "adding l1_activity_penalty(model.encode(x), factor) to the loss does not make the codes sparser by "
        "the calibrated factor.",
        expected=t.describe(), got=f"sparsity factor {value:.4g}{words}",
        slip="a penalty that is too weak or carries no gradient (see the value and gradient checks of "
             "l1_activity_penalty): .item() or .detach() cuts it out of training, a mean over the code units "
             "makes it n_hidden times weaker, squares (L2) shrink the codes without making them zero.",
        details=_setup_words(t, data) + " Two models from the same seed, one trained without the penalty and "
                                        "one with it.")


def check_trained_sparse_reconstruction(ctx):
    check = "sparse_reconstruction"
    t, data, out = trained(ctx, check)
    value = expect.scalar(field(out, "test_mse_l1", "sparse"), "the held-out MSE with the penalty", finite=False)
    if t.passes(value):
        return _note(value, t, out)
    dead = float(out.get("frac_zero_l1", np.nan))
    raise CheckFailed(
        "the DenseAutoencoder trained with the L1 penalty reconstructs held-out images worse than the "
        "calibrated bound.",
        expected=t.describe(), got=f"held-out MSE {value:.6g}; {dead:.0%} of the code entries are 0",
        diff=f"predicting the mean training image everywhere gives {baseline_mse(data):.4g}",
        slip=("the penalty is far too strong and silences the code: it must be the MEAN over the batch of "
              "each sample's sum |code| (a sum over the batch is batch-size times stronger), times factor."
              if dead > 0.9 else "see the l1_activity_penalty value checks and the DenseAutoencoder checks."),
        details=_setup_words(t, data))


# ------------------------------------------------------------------ the generator


def _train_timeout(check: str) -> float:
    return TRAIN_SLACK * CPU_BUDGET_S[check]


def yield_checks(options: dict):
    """Every check of autoencoders_torch, in the order of the contract."""
    dense, conv = ("DenseAutoencoder",), ("ConvAutoencoder",)
    yield Check("DenseAutoencoder: parameter count 2 * n_in * n_hidden + n_in + n_hidden",
                check_dense_parameter_count, needs=dense)
    yield Check("DenseAutoencoder: encode gives (N, n_hidden) codes, non-negative", check_dense_encode_code_size,
                needs=dense)
    yield Check("DenseAutoencoder: forward gives (N, n_in) in [0, 1]", check_dense_output_range,
                kind=Kind.PROPERTY, needs=dense)
    yield Check(CHECK_NAMES["dense_reconstruction"],
                partial(check_trained_reconstruction, check="dense_reconstruction", obj="DenseAutoencoder"),
                points=3, kind=Kind.THRESHOLD, needs=dense, timeout_s=_train_timeout("dense_reconstruction"))
    yield Check("ConvAutoencoder: output shape equals input shape for 8x8 digits and 28x28 MNIST",
                partial(check_conv_shapes, shapes=EVEN_SHAPES, words="8x8 digits and 28x28 MNIST"),
                points=1.5, kind=Kind.PROPERTY, needs=conv)
    yield Check("ConvAutoencoder: output shape equals input shape for odd sizes 7x7 and 13x13",
                partial(check_conv_shapes, shapes=ODD_SHAPES, words="odd sizes too: pool with ceil_mode and crop"),
                kind=Kind.PROPERTY, needs=conv)
    yield Check("ConvAutoencoder: in_channels=3 gives 3 channels back",
                partial(check_conv_shapes, shapes=CHANNEL_SHAPES, words="in_channels=3"), points=0.5,
                kind=Kind.PROPERTY, needs=conv)
    yield Check("ConvAutoencoder: output in [0, 1]", check_conv_output_range, points=0.5, kind=Kind.PROPERTY,
                needs=conv)
    yield Check(CHECK_NAMES["conv_reconstruction"],
                partial(check_trained_reconstruction, check="conv_reconstruction", obj="ConvAutoencoder"),
                points=3, kind=Kind.THRESHOLD, needs=conv, timeout_s=_train_timeout("conv_reconstruction"))
    noise = ("add_noise",)
    yield Check("add_noise: clipped to [0, 1], x's shape and dtype", check_add_noise_range, needs=noise)
    yield Check("add_noise: mean and spread of the added noise as asked", check_add_noise_statistics,
                points=2, kind=Kind.PROPERTY, needs=noise)
    yield Check("add_noise: reproducible with a torch.Generator, different seeds differ",
                check_add_noise_reproducible, kind=Kind.PROPERTY, needs=noise)
    yield Check("add_noise: leaves x unchanged", check_add_noise_input_unchanged, points=0.5,
                kind=Kind.PROPERTY, needs=noise)
    yield Check(CHECK_NAMES["denoising_ratio"], check_trained_denoising, points=3, kind=Kind.THRESHOLD,
                needs=("DenseAutoencoder", "add_noise"), timeout_s=_train_timeout("denoising_ratio"))
    l1 = ("l1_activity_penalty",)
    yield Check("l1_activity_penalty: value", check_l1_value, needs=l1)
    yield Check("l1_activity_penalty: gradient", check_l1_gradient, kind=Kind.GRADIENT, needs=l1)
    yield Check(CHECK_NAMES["sparsity_factor"], check_trained_sparsity, points=3, kind=Kind.THRESHOLD,
                needs=("DenseAutoencoder", "l1_activity_penalty"), timeout_s=_train_timeout("sparsity_factor"))
    yield Check(CHECK_NAMES["sparse_reconstruction"], check_trained_sparse_reconstruction, kind=Kind.THRESHOLD,
                needs=("DenseAutoencoder", "l1_activity_penalty"),
                timeout_s=_train_timeout("sparse_reconstruction"))

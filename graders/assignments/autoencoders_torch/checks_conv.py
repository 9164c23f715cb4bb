"""The checks of `ConvAutoencoder` before training.

Output shape = input shape at the sizes the template names (8x8, 28x28; odd 7x7 and 13x13),
with 3 channels, and the output's range.
"""

from __future__ import annotations

from graders.assignments.autoencoders_torch.task_calls import field
from graders.engine.checks import CheckFailed
from graders.engine.task_calls import run_task

EVEN_SHAPES = ((4, 1, 8, 8), (2, 1, 28, 28))          # the sizes the template names
ODD_SHAPES = ((3, 1, 7, 7), (2, 1, 13, 13))           # 7 -> 4 -> 2 -> 8 -> crop to 7
CHANNEL_SHAPES = ((2, 3, 8, 8),)


def conv_shapes(ctx, shapes, scale: float = 1.0) -> dict:
    return run_task(ctx, "conv_autoencoder_shapes", "ConvAutoencoder", share=True, objects=("ConvAutoencoder",),
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

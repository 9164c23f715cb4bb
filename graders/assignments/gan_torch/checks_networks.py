"""The checks of `Generator` / `Discriminator`.

Shapes for two sizes, samples in [0, 1], logits of shape (N,) that are logits, not
probabilities (`task_inspect_gan`).
"""

from __future__ import annotations

from graders.engine.checks import CheckFailed
from graders.engine.task_calls import reply, run_task


def check_models(ctx):
    for n_latent, n_out, n in ((16, 64, 8), (5, 20, 3)):
        z = ctx.rng.normal(0.0, 3.0, (n, n_latent))
        x = ctx.rng.uniform(0.0, 1.0, (n, n_out))
        call = f"Generator({n_latent}, {n_out}) and Discriminator({n_out})"
        keys = ("g_shape", "g_min", "g_max", "g_spread", "d_shape", "d_finite", "d_min", "d_max")
        r = reply(run_task(ctx, "inspect_gan", call, n_latent=n_latent, n_out=n_out, z=z, x=x, seed=0), call, keys)
        hard = "a hard-coded size (64 pixels, 16 latent dimensions?): use the sizes given to the constructor."
        if list(r["g_shape"]) != [n, n_out]:
            raise CheckFailed(f"Generator({n_latent}, {n_out}) on z of shape ({n}, {n_latent}) gives samples of the "
                              "wrong shape.", expected=f"({n}, {n_out})", got=str(tuple(r["g_shape"])),
                              slip=hard if n_out != 64 else None)
        lo, hi = float(r["g_min"]), float(r["g_max"])
        if not (lo >= 0.0 and hi <= 1.0):
            raise CheckFailed(
                f"Generator({n_latent}, {n_out}): samples outside [0, 1].", expected="pixels in [0, 1]",
                got=f"min {lo:.4g}, max {hi:.4g}", where="z drawn from N(0, 3^2 I)",
                slip="no sigmoid on the generator's output layer: the real images are in [0, 1], so the fakes "
                     "must be too.")
        if float(r["g_spread"]) < 1e-6:
            raise CheckFailed(
                f"Generator({n_latent}, {n_out}) gives the same sample for {n} different z: it ignores its input.",
                expected="samples that depend on z", got=f"largest per-pixel spread over the samples "
                                                          f"{float(r['g_spread']):.3g}",
                slip="forward(z) does not use z (a constant input, or z overwritten): a generator that ignores "
                     "its noise can only make one image (complete mode collapse).")
        d_shape = list(r["d_shape"])
        if d_shape != [n]:
            raise CheckFailed(
                f"Discriminator({n_out}) on x of shape ({n}, {n_out}) gives logits of the wrong shape.",
                expected=f"({n},): one logit per image", got=str(tuple(d_shape)),
                slip=("the last Linear layer's (N, 1) output is not squeezed: return .squeeze(-1) (or .view(-1))."
                      if d_shape == [n, 1] else hard if n_out != 64 else None))
        if not r["d_finite"]:
            raise CheckFailed(f"Discriminator({n_out}) returned non-finite logits.")
        if 0.0 <= float(r["d_min"]) and float(r["d_max"]) <= 1.0:
            big = reply(run_task(ctx, "inspect_gan", call, n_latent=n_latent, n_out=n_out, z=z, x=50.0 * x,
                                 seed=0), call, keys)
            if 0.0 <= float(big["d_min"]) and float(big["d_max"]) <= 1.0:
                raise CheckFailed(
                    f"Discriminator({n_out}) returns values in [0, 1] even for inputs scaled by 50: probabilities, "
                    "not logits.",
                    expected="logits (any real number: the losses apply the sigmoid themselves)",
                    got=f"values in [{float(big['d_min']):.4g}, {float(big['d_max']):.4g}] for 50 x the inputs",
                    slip="a sigmoid on the discriminator's output: the losses use BCE-with-logits, which applies "
                         "its own sigmoid; a second one squashes every logit into (0, 1) and D can never be "
                         "confident.")

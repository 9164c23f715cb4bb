"""Realistic buggy (MUTANTS) and correct-but-unusual (UNUSUAL) submissions of `autoencoders_torch`.

Each one is an exact text edit of `reference/torch/autoencoders_torch.py`.
`tests/mutants/probes/autoencoders_torch.py` (run by test_mutant_probes.py) shows that every MUTANT changes some
contract output (value, gradient, shape, the input left untouched, or raising) and every
UNUSUAL one matches the reference to 1e-10 (the ConvAutoencoder's values are compared on
the even sizes only, where cropping and resizing agree; odd sizes are compared by shape,
which is all the contract asks there). `tests/graders/test_mutants.py` grades them: a buggy
one with only the checks in its `catches`, an unusual one with every check.

`catches` were filled by `python -m tests.mutants.survey autoencoders_torch --write` and then
reviewed: each slip is caught by checks of the object it is in. Mutants in MUTANTS name
only the fast (untrained) checks they fail, so the default run stays short; the trained
checks they also fail are noted in comments. The mutants that the trained checks exist for
are in SLOW_MUTANTS (graded with `-m slow`), with every check they fail.

What the trained checks catch (under the suite's course secret, digits; see thresholds.py): the L1
penalty summed over the batch (64 times too strong: dead codes) or without its factor fails
the sparse reconstruction; averaged over the code units (32 times too weak) or returned as
a Python float (no gradient) fails the sparsity factor; a one-channel bottleneck fails the
conv reconstruction; an add_noise that returns only the noise, reseeds a constant, or
corrupts x in place fails the denoising ratio; a decoder without its sigmoid (or with a
ReLU) fails the dense reconstruction. Other slips still train: a denoiser trained on
unscaled noise (std 1 instead of 0.5) reaches a ratio of 0.36 (bound 0.388), an L1 penalty
without abs is the same penalty on ReLU codes, an L2 activity penalty still passes the
sparsity factor; only add_noise's and l1_activity_penalty's own checks catch those.
"""

from graders.engine.mutants import Mutant

PARAMS = "DenseAutoencoder: parameter count"
ENCODE = "DenseAutoencoder: encode gives"
FORWARD = "DenseAutoencoder: forward gives"
DENSE_TRAINED = "DenseAutoencoder: held-out reconstruction after training"
CONV_EVEN = "ConvAutoencoder: output shape equals input shape for 8x8"
CONV_ODD = "ConvAutoencoder: output shape equals input shape for odd sizes"
CONV_CHANNELS = "ConvAutoencoder: in_channels=3"
CONV_RANGE = "ConvAutoencoder: output in [0, 1]"
CONV_TRAINED = "ConvAutoencoder: held-out reconstruction after training"
NOISE_RANGE = "add_noise: clipped to [0, 1]"
NOISE_STATS = "add_noise: mean and spread"
NOISE_SEED = "add_noise: reproducible"
NOISE_INPUT = "add_noise: leaves x unchanged"
DENOISING = "add_noise: a denoising autoencoder"
L1_VALUE = "l1_activity_penalty: value"
L1_GRADIENT = "l1_activity_penalty: gradient"
SPARSITY = "l1_activity_penalty: L1-trained codes sparser"
SPARSE_TRAINED = "l1_activity_penalty: held-out reconstruction with the penalty"

MUTANTS = [
    # DenseAutoencoder
    Mutant("dense_decoder_without_sigmoid",  # also fails DENSE_TRAINED
           "return torch.sigmoid(self.decoder(code))", "return self.decoder(code)",
           catches=(FORWARD,), says=("no sigmoid",)),
    Mutant("dense_extra_encoder_layer",
           "self.encoder = nn.Linear(n_in, n_hidden)",
           "self.encoder = nn.Sequential(nn.Linear(n_in, 2 * n_hidden), nn.ReLU(),\n"
           "                                     nn.Linear(2 * n_hidden, n_hidden))",
           catches=(PARAMS,), says=("extra layers",)),
    Mutant("dense_decoder_without_bias",
           "self.decoder = nn.Linear(n_hidden, n_in)",
           "self.decoder = nn.Linear(n_hidden, n_in, bias=False)",
           catches=(PARAMS,), says=("decoder has no bias",)),
    # every trained task stops at its shape check on the first batch: fast to grade
    Mutant("dense_forward_returns_the_code",
           "return self.decode(self.encode(x))", "return self.encode(x)",
           catches=(FORWARD, DENSE_TRAINED, DENOISING, SPARSITY, SPARSE_TRAINED),
           says=("forward returns the code",)),
    Mutant("dense_encode_without_relu",
           "return torch.relu(self.encoder(x))", "return self.encoder(x)",
           catches=(ENCODE,), says=("apply ReLU inside encode",)),
    Mutant("dense_hard_coded_code_size",
           "self.encoder = nn.Linear(n_in, n_hidden)\n        self.decoder = nn.Linear(n_hidden, n_in)",
           "self.encoder = nn.Linear(n_in, 32)\n        self.decoder = nn.Linear(32, n_in)",
           catches=(ENCODE, PARAMS), says=("hard-coded code size",)),
    # ConvAutoencoder
    Mutant("conv_floor_pooling_loses_odd_rows",
           "nn.MaxPool2d(2, ceil_mode=True)", "nn.MaxPool2d(2)", count=2,
           catches=(CONV_ODD,), says=("ceil_mode=True",)),
    Mutant("conv_no_crop_odd_sizes_grow",
           "return out[..., :height, :width]", "return out",
           catches=(CONV_ODD,), says=("not cropped back",)),
    Mutant("conv_decoder_upsamples_once",
           "nn.Upsample(scale_factor=2, mode=\"nearest\"),\n            nn.Conv2d(8, 8,",
           "nn.Conv2d(8, 8,",
           catches=(CONV_EVEN, CONV_ODD, CONV_CHANNELS), says=("up-samples less than the encoder pools",)),
    Mutant("conv_without_sigmoid",
           "nn.Conv2d(16, in_channels, kernel_size=3, padding=1),\n            nn.Sigmoid(),",
           "nn.Conv2d(16, in_channels, kernel_size=3, padding=1),",
           catches=(CONV_RANGE,), says=("no sigmoid",)),
    Mutant("conv_hard_coded_one_channel",
           "nn.Conv2d(in_channels, 16, kernel_size=3, padding=1)",
           "nn.Conv2d(1, 16, kernel_size=3, padding=1)",
           catches=(CONV_CHANNELS,), says=("hard-coded number of input channels",)),
    # add_noise
    Mutant("add_noise_not_clipped",
           "return torch.clamp(x + noise_factor * eps, 0.0, 1.0)",
           "return x + noise_factor * eps",
           catches=(NOISE_RANGE,), says=("not clipped",)),
    # passes the denoising ratio (0.36 <= 0.388): the statistics check is what catches it
    Mutant("add_noise_not_scaled",
           "return torch.clamp(x + noise_factor * eps, 0.0, 1.0)",
           "return torch.clamp(x + eps, 0.0, 1.0)",
           catches=(NOISE_STATS,), says=("not multiplied by noise_factor",)),
    Mutant("add_noise_scales_the_image_too",
           "return torch.clamp(x + noise_factor * eps, 0.0, 1.0)",
           "return torch.clamp(noise_factor * (x + eps), 0.0, 1.0)",
           catches=(NOISE_STATS,), says=("image is scaled too",)),
    Mutant("add_noise_uniform_instead_of_normal",
           "eps = torch.randn(x.shape, generator=generator,",
           "eps = torch.rand(x.shape, generator=generator,",
           catches=(NOISE_STATS,), says=("uniform noise",)),
    Mutant("add_noise_ignores_the_generator",
           "eps = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)",
           "eps = torch.randn(x.shape, dtype=x.dtype, device=x.device)",
           catches=(NOISE_SEED,), says=("generator=generator",)),
    Mutant("add_noise_reseeds_with_a_constant",  # also fails DENOISING (the same noise every batch)
           "eps = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)",
           "torch.manual_seed(42)\n    eps = torch.randn(x.shape, dtype=x.dtype, device=x.device)",
           catches=(NOISE_SEED,), says=("fixed seed inside add_noise",)),
    Mutant("add_noise_modifies_its_input",  # also fails DENOISING (the targets are corrupted)
           "return torch.clamp(x + noise_factor * eps, 0.0, 1.0)",
           "x += noise_factor * eps\n    return torch.clamp(x, 0.0, 1.0)",
           catches=(NOISE_INPUT, NOISE_SEED), says=("in-place operation on x",)),
    # l1_activity_penalty
    Mutant("l1_missing_abs",  # the same penalty on ReLU codes: trains as well as the reference
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "return factor * code.flatten(1).sum(dim=1).mean()",
           catches=(L1_VALUE, L1_GRADIENT), says=("no absolute value",)),
    Mutant("l1_squared_is_l2",  # passes the sparsity factor at these settings
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "return factor * code.pow(2).flatten(1).sum(dim=1).mean()",
           catches=(L1_VALUE, L1_GRADIENT), says=("L2 penalty",)),
    Mutant("l1_forgets_the_factor",  # also fails SPARSE_TRAINED (1000 times too strong)
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "return code.abs().flatten(1).sum(dim=1).mean()",
           catches=(L1_VALUE, L1_GRADIENT), says=("factor is not multiplied in",)),
]

# Graded with the trained checks they exist for (each trains for a few seconds of CPU).
SLOW_MUTANTS = [
    Mutant("dense_decoder_relu_instead_of_sigmoid",
           "return torch.sigmoid(self.decoder(code))", "return torch.relu(self.decoder(code))",
           catches=(FORWARD, DENSE_TRAINED), says=("ReLU",)),
    Mutant("conv_bottleneck_of_one_channel",  # Conv2d(16, 1) for Conv2d(16, 8): a 2x2 code for 8x8
           "nn.Conv2d(16, 8, kernel_size=3, padding=1),\n            nn.ReLU(),\n"
           "            nn.MaxPool2d(2, ceil_mode=True),\n        )\n        self.decoder = nn.Sequential(\n"
           "            nn.Upsample(scale_factor=2, mode=\"nearest\"),\n            nn.Conv2d(8, 8,",
           "nn.Conv2d(16, 1, kernel_size=3, padding=1),\n            nn.ReLU(),\n"
           "            nn.MaxPool2d(2, ceil_mode=True),\n        )\n        self.decoder = nn.Sequential(\n"
           "            nn.Upsample(scale_factor=2, mode=\"nearest\"),\n            nn.Conv2d(1, 8,",
           catches=(CONV_TRAINED,), says=("worse than the calibrated bound",)),
    Mutant("add_noise_returns_only_the_noise",
           "return torch.clamp(x + noise_factor * eps, 0.0, 1.0)",
           "return torch.clamp(noise_factor * eps, 0.0, 1.0)",
           catches=(NOISE_STATS, DENOISING), says=("only the noise",)),
    Mutant("l1_summed_over_the_batch",
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "return factor * code.abs().sum()",
           catches=(L1_VALUE, L1_GRADIENT, SPARSE_TRAINED), says=("summed over the batch",)),
    Mutant("l1_mean_over_features",
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "return factor * code.abs().mean()",
           catches=(L1_VALUE, L1_GRADIENT, SPARSITY), says=("mean over the code units",)),
    Mutant("l1_returns_a_python_float",
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "return factor * code.abs().flatten(1).sum(dim=1).mean().item()",
           catches=(L1_GRADIENT, SPARSITY), says=("carries no gradient",)),
]

UNUSUAL = [
    Mutant("conv_resizes_instead_of_cropping",
           "return out[..., :height, :width]",
           "return torch.nn.functional.interpolate(out, size=(height, width), mode=\"nearest\")"),
    Mutant("add_noise_torch_normal",
           "eps = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)",
           "eps = torch.normal(0.0, 1.0, size=tuple(x.shape), generator=generator, dtype=x.dtype)"),
]

# Graded with every check, trained ones included (about a minute each on a loaded machine).
SLOW_UNUSUAL = [
    Mutant("dense_sequential_encoder_with_relu_inside",
           "self.encoder = nn.Linear(n_in, n_hidden)",
           "self.encoder = nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU())"),
    Mutant("dense_relu_as_clamp",
           "return torch.relu(self.encoder(x))", "return self.encoder(x).clamp(min=0.0)"),
    Mutant("dense_sigmoid_by_hand",
           "return torch.sigmoid(self.decoder(code))",
           "return 1.0 / (1.0 + torch.exp(-self.decoder(code)))"),
    Mutant("dense_explicit_matmul_with_linear_weights",
           "return torch.relu(self.encoder(x))",
           "return torch.relu(x @ self.encoder.weight.T + self.encoder.bias)"),
    Mutant("conv_upsampling_nearest2d_module",
           "nn.Upsample(scale_factor=2, mode=\"nearest\")",
           "nn.UpsamplingNearest2d(scale_factor=2)", count=2),
    Mutant("add_noise_clip_by_minimum_maximum",
           "return torch.clamp(x + noise_factor * eps, 0.0, 1.0)",
           "noisy = x + noise_factor * eps\n"
           "    return torch.minimum(torch.maximum(noisy, torch.zeros_like(noisy)), torch.ones_like(noisy))"),
    Mutant("add_noise_clone_then_in_place",
           "return torch.clamp(x + noise_factor * eps, 0.0, 1.0)",
           "noisy = x.clone()\n    noisy.add_(noise_factor * eps).clamp_(0.0, 1.0)\n    return noisy"),
    Mutant("l1_sum_divided_by_batch_size",
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "return factor * code.abs().sum() / code.shape[0]"),
    Mutant("l1_vector_norm",
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "return factor * torch.linalg.vector_norm(code.flatten(1), ord=1, dim=1).mean()"),
    Mutant("l1_loop_over_samples",
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "total = 0.0\n    for sample in code:\n        total = total + sample.abs().sum()\n"
           "    return factor * total / len(code)"),
]

"""Realistic buggy (MUTANTS) and correct-but-unusual (UNUSUAL) submissions of `autoencoders_torch`.

Each one is an exact text edit of `reference/torch/autoencoders_torch.py`. `catches` is
left empty until the grader's check names exist. `tests/mutants/test_autoencoders_torch_mutants.py`
shows that every MUTANT changes some contract output (value, gradient, shape, the input
left untouched, or raising) and every UNUSUAL one matches the reference to 1e-10 (the
ConvAutoencoder's values are compared on the even sizes only, where cropping and
resizing agree; odd sizes are compared by shape, which is all the contract asks there).

Which trained checks a slip fails (see thresholds.py): the L1 penalty summed over the
batch is 64 times too strong and kills the codes (sparse_reconstruction). Most other
slips still train: e.g. a denoiser trained on unscaled noise (std 1 instead of 0.5) still
reaches a ratio of 0.36 at the grade seed (bound 0.386), so add_noise's own value and
statistics checks must catch it.
"""

from tests.mutants import Mutant

MUTANTS = [
    # DenseAutoencoder
    Mutant("dense_decoder_without_sigmoid",
           "return torch.sigmoid(self.decoder(code))", "return self.decoder(code)",
               catches=(
                   'DenseAutoencoder: forward gives (N, n_in) in [0, 1]',
                   'DenseAutoencoder: held-out reconstruction after training',
               ),
           ),
    Mutant("dense_decoder_relu_instead_of_sigmoid",
           "return torch.sigmoid(self.decoder(code))", "return torch.relu(self.decoder(code))",
               catches=(
                   'DenseAutoencoder: forward gives (N, n_in) in [0, 1]',
                   'DenseAutoencoder: held-out reconstruction after training',
               ),
           ),
    Mutant("dense_extra_encoder_layer",
           "self.encoder = nn.Linear(n_in, n_hidden)",
           "self.encoder = nn.Sequential(nn.Linear(n_in, 2 * n_hidden), nn.ReLU(),\n"
           "                                     nn.Linear(2 * n_hidden, n_hidden))",
               catches=(
                   'DenseAutoencoder: parameter count 2 * n_in * n_hidden + n_in + n_hidden',
               ),
           ),
    Mutant("dense_decoder_without_bias",
           "self.decoder = nn.Linear(n_hidden, n_in)",
           "self.decoder = nn.Linear(n_hidden, n_in, bias=False)",
               catches=(
                   'DenseAutoencoder: parameter count 2 * n_in * n_hidden + n_in + n_hidden',
               ),
           ),
    Mutant("dense_forward_returns_the_code",
           "return self.decode(self.encode(x))", "return self.encode(x)",
               catches=(
                   'DenseAutoencoder: forward gives (N, n_in) in [0, 1]',
                   'DenseAutoencoder: held-out reconstruction after training',
                   'add_noise: a denoising autoencoder trained with it beats the noisy input',
                   'l1_activity_penalty: L1-trained codes sparser by the calibrated factor',
                   'l1_activity_penalty: held-out reconstruction with the penalty',
               ),
           ),
    Mutant("dense_encode_without_relu",
           "return torch.relu(self.encoder(x))", "return self.encoder(x)",
               catches=(
                   'DenseAutoencoder: encode gives (N, n_hidden) codes, non-negative',
               ),
           ),
    Mutant("dense_hard_coded_code_size",
           "self.encoder = nn.Linear(n_in, n_hidden)\n        self.decoder = nn.Linear(n_hidden, n_in)",
           "self.encoder = nn.Linear(n_in, 32)\n        self.decoder = nn.Linear(32, n_in)",
               catches=(
                   'DenseAutoencoder: parameter count 2 * n_in * n_hidden + n_in + n_hidden',
                   'DenseAutoencoder: encode gives (N, n_hidden) codes, non-negative',
               ),
           ),
    # ConvAutoencoder
    Mutant("conv_floor_pooling_loses_odd_rows",
           "nn.MaxPool2d(2, ceil_mode=True)", "nn.MaxPool2d(2)", count=2,
               catches=(
                   'ConvAutoencoder: output shape equals input shape for odd sizes 7x7 and 13x13',
               ),
           ),
    Mutant("conv_no_crop_odd_sizes_grow",
           "return out[..., :height, :width]", "return out",
               catches=(
                   'ConvAutoencoder: output shape equals input shape for odd sizes 7x7 and 13x13',
               ),
           ),
    Mutant("conv_without_sigmoid",
           "nn.Conv2d(16, in_channels, kernel_size=3, padding=1),\n            nn.Sigmoid(),",
           "nn.Conv2d(16, in_channels, kernel_size=3, padding=1),",
               catches=(
                   'ConvAutoencoder: output in [0, 1]',
               ),
           ),
    Mutant("conv_hard_coded_one_channel",
           "nn.Conv2d(in_channels, 16, kernel_size=3, padding=1)",
           "nn.Conv2d(1, 16, kernel_size=3, padding=1)",
               catches=(
                   'ConvAutoencoder: in_channels=3 gives 3 channels back',
               ),
           ),
    Mutant("conv_bottleneck_of_one_channel",  # Conv2d(16, 1) for Conv2d(16, 8): a 2x2 code for 8x8
           "nn.Conv2d(16, 8, kernel_size=3, padding=1),\n            nn.ReLU(),\n"
           "            nn.MaxPool2d(2, ceil_mode=True),\n        )\n        self.decoder = nn.Sequential(\n"
           "            nn.Upsample(scale_factor=2, mode=\"nearest\"),\n            nn.Conv2d(8, 8,",
           "nn.Conv2d(16, 1, kernel_size=3, padding=1),\n            nn.ReLU(),\n"
           "            nn.MaxPool2d(2, ceil_mode=True),\n        )\n        self.decoder = nn.Sequential(\n"
           "            nn.Upsample(scale_factor=2, mode=\"nearest\"),\n            nn.Conv2d(1, 8,",
               catches=(
                   'ConvAutoencoder: held-out reconstruction after training',
               ),
           ),
    # add_noise
    Mutant("add_noise_not_clipped",
           "return torch.clamp(x + noise_factor * eps, 0.0, 1.0)",
           "return x + noise_factor * eps",
               catches=(
                   "add_noise: clipped to [0, 1], x's shape and dtype",
               ),
           ),
    Mutant("add_noise_not_scaled",
           "return torch.clamp(x + noise_factor * eps, 0.0, 1.0)",
           "return torch.clamp(x + eps, 0.0, 1.0)",
               catches=(
                   'add_noise: mean and spread of the added noise as asked',
               ),
           ),
    Mutant("add_noise_scales_the_image_too",
           "return torch.clamp(x + noise_factor * eps, 0.0, 1.0)",
           "return torch.clamp(noise_factor * (x + eps), 0.0, 1.0)",
               catches=(
                   'add_noise: mean and spread of the added noise as asked',
               ),
           ),
    Mutant("add_noise_uniform_instead_of_normal",
           "eps = torch.randn(x.shape, generator=generator,",
           "eps = torch.rand(x.shape, generator=generator,",
               catches=(
                   'add_noise: mean and spread of the added noise as asked',
               ),
           ),
    Mutant("add_noise_ignores_the_generator",
           "eps = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)",
           "eps = torch.randn(x.shape, dtype=x.dtype, device=x.device)",
               catches=(
                   'add_noise: reproducible with a torch.Generator, different seeds differ',
               ),
           ),
    Mutant("add_noise_returns_only_the_noise",
           "return torch.clamp(x + noise_factor * eps, 0.0, 1.0)",
           "return torch.clamp(noise_factor * eps, 0.0, 1.0)",
               catches=(
                   'add_noise: mean and spread of the added noise as asked',
                   'add_noise: a denoising autoencoder trained with it beats the noisy input',
               ),
           ),
    Mutant("add_noise_reseeds_with_a_constant",
           "eps = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)",
           "torch.manual_seed(42)\n    eps = torch.randn(x.shape, dtype=x.dtype, device=x.device)",
               catches=(
                   'add_noise: reproducible with a torch.Generator, different seeds differ',
                   'add_noise: a denoising autoencoder trained with it beats the noisy input',
               ),
           ),
    Mutant("add_noise_modifies_its_input",
           "return torch.clamp(x + noise_factor * eps, 0.0, 1.0)",
           "x += noise_factor * eps\n    return torch.clamp(x, 0.0, 1.0)",
               catches=(
                   'add_noise: reproducible with a torch.Generator, different seeds differ',
                   'add_noise: leaves x unchanged',
                   'add_noise: a denoising autoencoder trained with it beats the noisy input',
               ),
           ),
    # l1_activity_penalty
    Mutant("l1_summed_over_the_batch",
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "return factor * code.abs().sum()",
               catches=(
                   'l1_activity_penalty: value',
                   'l1_activity_penalty: gradient',
                   'l1_activity_penalty: held-out reconstruction with the penalty',
               ),
           ),
    Mutant("l1_missing_abs",
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "return factor * code.flatten(1).sum(dim=1).mean()",
               catches=(
                   'l1_activity_penalty: value',
                   'l1_activity_penalty: gradient',
               ),
           ),
    Mutant("l1_mean_over_features",
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "return factor * code.abs().mean()",
               catches=(
                   'l1_activity_penalty: value',
                   'l1_activity_penalty: gradient',
                   'l1_activity_penalty: L1-trained codes sparser by the calibrated factor',
               ),
           ),
    Mutant("l1_squared_is_l2",
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "return factor * code.pow(2).flatten(1).sum(dim=1).mean()",
               catches=(
                   'l1_activity_penalty: value',
                   'l1_activity_penalty: gradient',
               ),
           ),
    Mutant("l1_returns_a_python_float",
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "return factor * code.abs().flatten(1).sum(dim=1).mean().item()",
               catches=(
                   'l1_activity_penalty: gradient',
                   'l1_activity_penalty: L1-trained codes sparser by the calibrated factor',
               ),
           ),
    Mutant("l1_forgets_the_factor",
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "return code.abs().flatten(1).sum(dim=1).mean()",
               catches=(
                   'l1_activity_penalty: value',
                   'l1_activity_penalty: gradient',
                   'l1_activity_penalty: held-out reconstruction with the penalty',
               ),
           ),
]

UNUSUAL = [
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
    Mutant("conv_resizes_instead_of_cropping",
           "return out[..., :height, :width]",
           "return torch.nn.functional.interpolate(out, size=(height, width), mode=\"nearest\")"),
    Mutant("conv_upsampling_nearest2d_module",
           "nn.Upsample(scale_factor=2, mode=\"nearest\")",
           "nn.UpsamplingNearest2d(scale_factor=2)", count=2),
    Mutant("add_noise_torch_normal",
           "eps = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)",
           "eps = torch.normal(0.0, 1.0, size=tuple(x.shape), generator=generator, dtype=x.dtype)"),
    Mutant("add_noise_clip_by_minimum_maximum",
           "return torch.clamp(x + noise_factor * eps, 0.0, 1.0)",
           "noisy = x + noise_factor * eps\n"
           "    return torch.minimum(torch.maximum(noisy, torch.zeros_like(noisy)), torch.ones_like(noisy))"),
    Mutant("add_noise_clone_then_in_place",
           "return torch.clamp(x + noise_factor * eps, 0.0, 1.0)",
           "noisy = x.clone()\n    noisy.add_(noise_factor * eps).clamp_(0.0, 1.0)\n    return noisy"),
    Mutant("l1_vector_norm",
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "return factor * torch.linalg.vector_norm(code.flatten(1), ord=1, dim=1).mean()"),
    Mutant("l1_sum_divided_by_batch_size",
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "return factor * code.abs().sum() / code.shape[0]"),
    Mutant("l1_loop_over_samples",
           "return factor * code.abs().flatten(1).sum(dim=1).mean()",
           "total = 0.0\n    for sample in code:\n        total = total + sample.abs().sum()\n"
           "    return factor * total / len(code)"),
]

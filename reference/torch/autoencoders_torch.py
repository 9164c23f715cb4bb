"""# Autoencoders in PyTorch

An **autoencoder** learns to copy its input through a narrow *code*: an encoder maps an
image `x` to a code `h`, a decoder maps `h` back to a reconstruction `x_hat`, and training
minimises the reconstruction error `mean((x_hat - x)**2)`. Because the code is smaller
than the image, the network must keep what matters and drop the rest.

You will write:

1. `DenseAutoencoder(n_in, n_hidden)`: one dense layer in (ReLU), one dense layer out
   (sigmoid, so `x_hat` lies in [0, 1] like the pixels), with `encode(x)` and
   `decode(code)` methods and `forward(x) = decode(encode(x))`.
2. `ConvAutoencoder(in_channels=1)`: convolutions and max-pooling down (`encode`),
   up-sampling and convolutions back up (`decode`); the output of `forward` has
   **exactly** the input's shape `(N, C, H, W)`, for 8x8 digits, 28x28 MNIST, and odd
   sizes such as 7x7 alike.
3. `add_noise(x, noise_factor, generator)`: the corruption of a **denoising** autoencoder,
   `clip(x + noise_factor * N(0, 1), 0, 1)`, reproducible through a `torch.Generator`.
4. `l1_activity_penalty(code, factor)`: the penalty `factor * mean_n sum_j |h_nj|` that
   makes a **sparse** autoencoder's codes mostly zero.

Data: images are float tensors in [0, 1]. The dense model takes flattened images
`(N, n_in)` (`n_in = 64` for scikit-learn's 8x8 digits, `784` for MNIST), the
convolutional one takes `(N, C, H, W)`.

How it is graded: the grader counts your parameters, checks shapes and ranges, checks
`add_noise` and the penalty on given tensors, and trains your models with Adam: held-out
reconstruction error below a calibrated bound, denoised images clearly closer to the clean
ones than the noisy inputs, and L1-trained codes sparser than plain ones by a calibrated
factor. The trained model is evaluated in two separate processes: `encode` on the held-out
images in one, `decode` on the codes alone in another, so only what passes through the
code counts.
"""

import torch
from torch import nn


class DenseAutoencoder(nn.Module):
    """A one-hidden-layer autoencoder for flattened images.

        code  = relu(x W_e + b_e)          (N, n_hidden)
        x_hat = sigmoid(code W_d + b_d)    (N, n_in), every entry in [0, 1]

    Use `nn.Linear(n_in, n_hidden)` for the encoder and `nn.Linear(n_hidden, n_in)` for the
    decoder, nothing else with parameters, so the model has exactly
    `n_in * n_hidden + n_hidden + n_hidden * n_in + n_in` parameters.

    Inputs:
    - n_in: number of input features D (64 for 8x8 digits, 784 for MNIST)
    - n_hidden: size H of the code
    """

    def __init__(self, n_in, n_hidden):
        super().__init__()
        self.n_in = n_in
        self.n_hidden = n_hidden
        ### BEGIN SOLUTION
        # TODO: create the encoder nn.Linear(n_in, n_hidden) and decoder nn.Linear(n_hidden, n_in).
        self.encoder = nn.Linear(n_in, n_hidden)
        self.decoder = nn.Linear(n_hidden, n_in)
        ### END SOLUTION

    def encode(self, x):
        """The code of a batch.

        Inputs:
        - x: tensor of shape (N, D)

        Returns:
        - code: tensor of shape (N, H), relu(x W_e + b_e), so every entry is >= 0
        """
        ### BEGIN SOLUTION
        # TODO: apply the encoder layer, then ReLU.
        return torch.relu(self.encoder(x))
        ### END SOLUTION

    def decode(self, code):
        """The reconstruction of a batch of codes: sigmoid(code W_d + b_d), shape (N, D)."""
        ### BEGIN SOLUTION
        # TODO: apply the decoder layer, then the sigmoid (pixels live in [0, 1]).
        return torch.sigmoid(self.decoder(code))
        ### END SOLUTION

    def forward(self, x):
        """x of shape (N, D) -> x_hat of shape (N, D) in [0, 1]."""
        ### BEGIN SOLUTION
        # TODO: decode the code of x.
        return self.decode(self.encode(x))
        ### END SOLUTION


class ConvAutoencoder(nn.Module):
    """A small convolutional autoencoder whose output has exactly the input's shape.

    Encoder (3x3 convolutions, padding 1, so a convolution keeps H and W):

        Conv2d(C, 16) -> ReLU -> MaxPool2d(2, ceil_mode=True)     (N, 16, ceil(H/2), ceil(W/2))
        Conv2d(16, 8) -> ReLU -> MaxPool2d(2, ceil_mode=True)     (N, 8, ceil(H/4), ceil(W/4))

    Decoder:

        Upsample(x2) -> Conv2d(8, 8) -> ReLU
        Upsample(x2) -> Conv2d(8, 16) -> ReLU
        Conv2d(16, C) -> sigmoid, then crop to the input's H x W

    Why `ceil_mode` and the crop: pooling an odd size with the default floor mode drops the
    last row or column (7 -> 3 -> 1 comes back up as 4, not 7). Rounding up on the way down
    and cropping the surplus on the way up gives back H x W for every size:
    8 -> 4 -> 2 -> 8, 28 -> 14 -> 7 -> 28, 7 -> 4 -> 2 -> 8 -> crop to 7.

    Parameters for C = 1: 160 + 1160 + 584 + 1168 + 145 = 3217.

    Inputs:
    - in_channels: number of image channels C (1 for grey-scale digits)
    """

    def __init__(self, in_channels=1):
        super().__init__()
        self.in_channels = in_channels
        ### BEGIN SOLUTION
        # TODO: build self.encoder and self.decoder as described above (nn.Sequential helps).
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2, ceil_mode=True),
            nn.Conv2d(16, 8, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2, ceil_mode=True),
        )
        self.decoder = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(8, 8, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(8, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, in_channels, kernel_size=3, padding=1),
            nn.Sigmoid(),
        )
        ### END SOLUTION

    def encode(self, x):
        """The code of a batch: x of shape (N, C, H, W) -> (N, 8, ceil(H/4), ceil(W/4)),
        fewer values than x (half as many for 8x8 digits)."""
        ### BEGIN SOLUTION
        # TODO: apply the encoder.
        return self.encoder(x)
        ### END SOLUTION

    def decode(self, code):
        """The reconstruction of a batch of codes: (N, 8, h, w) -> (N, C, 4h, 4w) in [0, 1]
        (exactly the input's shape when H and W are multiples of 4, as for 8x8 and 28x28)."""
        ### BEGIN SOLUTION
        # TODO: apply the decoder.
        return self.decoder(code)
        ### END SOLUTION

    def forward(self, x):
        """x of shape (N, C, H, W) -> x_hat of the same shape, entries in [0, 1]."""
        ### BEGIN SOLUTION
        # TODO: decode the code of x, and crop the result back to H x W.
        height, width = x.shape[-2], x.shape[-1]
        out = self.decode(self.encode(x))
        return out[..., :height, :width]
        ### END SOLUTION


def add_noise(x, noise_factor, generator):
    """Corrupt a batch for a denoising autoencoder.

        x_noisy = clip(x + noise_factor * eps, 0, 1),   eps ~ N(0, 1) element-wise

    Draw eps with `torch.randn(x.shape, generator=generator, dtype=x.dtype)` so the same
    generator state gives the same noise (the grader re-seeds it to check). Do not modify x.

    Inputs:
    - x: tensor of any shape, entries in [0, 1]
    - noise_factor: standard deviation of the added noise (before clipping)
    - generator: a torch.Generator, the only source of randomness

    Returns:
    - x_noisy: tensor of x's shape and dtype, entries in [0, 1]
    """
    ### BEGIN SOLUTION
    # TODO: draw standard normal noise from `generator`, scale it, add it and clip to [0, 1].
    eps = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return torch.clamp(x + noise_factor * eps, 0.0, 1.0)
    ### END SOLUTION


def l1_activity_penalty(code, factor):
    """L1 activity regularisation of a batch of codes.

        penalty = factor * (1/N) sum_n sum_j |code[n, j]|

    i.e. the L1 norm of each sample's code, averaged over the batch (so the penalty does
    not grow with the batch size), times `factor`. Add it to the reconstruction loss; its
    gradient `factor * sign(code) / N` pushes every code entry towards zero.

    Inputs:
    - code: tensor of shape (N, H) (or (N, ...): everything after the batch axis is summed)
    - factor: the regularisation strength (a float >= 0)

    Returns:
    - penalty: a scalar tensor (differentiable with respect to code)
    """
    ### BEGIN SOLUTION
    # TODO: sum |code| over everything but the batch axis, average over the batch, scale.
    return factor * code.abs().flatten(1).sum(dim=1).mean()
    ### END SOLUTION

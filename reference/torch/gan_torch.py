"""# A generative adversarial network in PyTorch

A **GAN** trains two networks against each other. The **generator** G maps noise
`z ~ N(0, I)` to a fake image `G(z)`; the **discriminator** D maps an image to a logit, the
log-odds that the image is real. D learns to tell real from fake; G learns to fool D.

With `sigma` the logistic sigmoid and `BCE(l, y) = -(y log sigma(l) + (1 - y) log(1 - sigma(l)))`
on a logit `l`:

- discriminator loss: `mean BCE(D(x_real), 1) + mean BCE(D(G(z)), 0)`
- generator loss (**non-saturating**): `mean BCE(D(G(z)), 1) = mean -log sigma(D(G(z)))`

The original minimax objective has G minimise `log(1 - sigma(D(G(z))))` instead. That
form *saturates*: early in training D rejects the fakes with confidence,
`sigma(D(G(z))) ~ 0`, and the gradient of `log(1 - sigma(l))` with respect to `l` is
`-sigma(l) ~ 0`, so G learns nothing. The non-saturating loss has gradient
`sigma(l) - 1 ~ -1` there.

Work on logits with `F.binary_cross_entropy_with_logits`: it computes
`max(l, 0) - l * y + log(1 + exp(-|l|))`, finite even for `|l| = 100`, where
`log(sigmoid(l))` would give `-inf`.

You will write `Generator`, `Discriminator`, the two losses, and `train_step`, one
alternating update: a discriminator step on `G(z).detach()` (so that step does not reach
G), then a generator step through D.

How it is graded: the losses against their closed forms (also at |logit| = 100),
`train_step` against the expected parameter updates (each step changes only its own
network, gradients are zeroed every step), and a GAN trained with your `train_step` at a
fixed seed must produce samples that a digit classifier recognises as many different
digits: a generator that collapses to one mode fails.
"""

import torch
import torch.nn.functional as F
from torch import nn


class Generator(nn.Module):
    """Noise to images.

        Linear(n_latent, n_hidden) -> LeakyReLU(0.2) -> Linear(n_hidden, n_hidden)
        -> LeakyReLU(0.2) -> Linear(n_hidden, n_out) -> sigmoid

    Inputs:
    - n_latent: size of the noise vector z
    - n_out: number of pixels of a generated image (64 for 8x8 digits)
    - n_hidden: width of the hidden layers

    forward(z): z of shape (N, n_latent) -> samples of shape (N, n_out), entries in [0, 1].
    """

    def __init__(self, n_latent, n_out, n_hidden=128):
        super().__init__()
        self.n_latent = n_latent
        self.n_out = n_out
        ### BEGIN SOLUTION
        # TODO: the three linear layers (an nn.Sequential with the activations is fine).
        self.net = nn.Sequential(
            nn.Linear(n_latent, n_hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(n_hidden, n_hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(n_hidden, n_out),
            nn.Sigmoid(),
        )
        ### END SOLUTION

    def forward(self, z):
        ### BEGIN SOLUTION
        # TODO: map z to pixels in [0, 1].
        return self.net(z)
        ### END SOLUTION


class Discriminator(nn.Module):
    """Images to logits.

        Linear(n_in, n_hidden) -> LeakyReLU(0.2) -> Linear(n_hidden, 1)

    Inputs:
    - n_in: number of pixels of an image
    - n_hidden: width of the hidden layer

    forward(x): x of shape (N, n_in) -> logits of shape (N,) (no sigmoid: the losses take
    logits).
    """

    def __init__(self, n_in, n_hidden=256):
        super().__init__()
        self.n_in = n_in
        ### BEGIN SOLUTION
        # TODO: the two linear layers.
        self.net = nn.Sequential(
            nn.Linear(n_in, n_hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(n_hidden, 1),
        )
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        # TODO: one logit per sample, shape (N,) (squeeze the last axis of (N, 1)).
        return self.net(x).squeeze(-1)
        ### END SOLUTION


def discriminator_loss(real_logits, fake_logits):
    """The discriminator's loss: real images are labelled 1, fakes 0.

        loss = mean_n BCE(real_logits[n], 1) + mean_m BCE(fake_logits[m], 0)
             = mean softplus(-real_logits) + mean softplus(fake_logits)

    Inputs:
    - real_logits: tensor of shape (N,), D's logits on real images
    - fake_logits: tensor of shape (M,), D's logits on generated images

    Returns:
    - loss: a scalar tensor, finite for any finite logits
    """
    ### BEGIN SOLUTION
    # TODO: two F.binary_cross_entropy_with_logits terms (targets ones_like / zeros_like).
    real_term = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake_term = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real_term + fake_term
    ### END SOLUTION


def generator_loss(fake_logits):
    """The non-saturating generator loss: G wants D to call its fakes real.

        loss = mean_m BCE(fake_logits[m], 1) = mean -log sigmoid(fake_logits)

    (not the saturating mean log(1 - sigmoid(fake_logits)), whose gradient vanishes
    when D confidently rejects the fakes).

    Inputs:
    - fake_logits: tensor of shape (M,)

    Returns:
    - loss: a scalar tensor, finite for any finite logits
    """
    ### BEGIN SOLUTION
    # TODO: one F.binary_cross_entropy_with_logits term with target 1.
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    ### END SOLUTION


def train_step(G, D, opt_G, opt_D, real, z):
    """One alternating GAN update: a discriminator step, then a generator step.

    1. fake = G(z).
    2. Discriminator step: zero D's gradients, d_loss = discriminator_loss(D(real),
       D(fake.detach())), backward, opt_D.step(). The detach keeps this backward out of G
       (and keeps G's graph alive for step 3).
    3. Generator step: zero G's gradients, g_loss = generator_loss(D(fake)) with the
       updated D, backward (through D into G), opt_G.step(). This backward also fills
       D's .grad, which is why step 2 must zero D's gradients first.

    Each step changes only its own network's parameters.

    Inputs:
    - G, D: a Generator and a Discriminator
    - opt_G, opt_D: optimizers over G.parameters() and D.parameters()
    - real: tensor of shape (N, n_out), a batch of real images
    - z: tensor of shape (M, n_latent), the noise for this step

    Returns a tuple of:
    - d_loss: float, the discriminator loss of step 2 (before its update)
    - g_loss: float, the generator loss of step 3 (before its update)
    """
    ### BEGIN SOLUTION
    # TODO: the discriminator step on fake.detach(), then the generator step.
    fake = G(z)
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    return d_loss.item(), g_loss.item()
    ### END SOLUTION

"""# A variational autoencoder in PyTorch

A **variational autoencoder** (VAE) encodes an image `x` not into one code but into a
Gaussian over codes, `q(z | x) = N(mu(x), diag(exp(logvar(x))))`, samples a code `z` from
it, and decodes `z` into pixel probabilities `x_hat`. Training maximises a lower bound on
the log-likelihood of the data; per sample, the loss to minimise is

    loss(x) = BCE(x_hat, x) summed over the D pixels  +  KL(q(z | x) || N(0, I))

The first term asks for good reconstructions, the second keeps the codes close to a
standard normal, so that decoding any `z ~ N(0, I)` gives a plausible image.

The **reparameterisation trick** makes the sampling differentiable: instead of sampling
`z ~ N(mu, sigma^2)` directly, draw `eps ~ N(0, I)` and set `z = mu + sigma * eps` with
`sigma = exp(logvar / 2)`. The randomness is now an input, and gradients flow to both
`mu` and `logvar`.

You will write:

1. `VAE(n_in, n_latent=2)` with `encode(x) -> (mu, logvar)`,
   `reparameterize(mu, logvar, eps) -> z`, `decode(z) -> probabilities` and
   `forward(x) -> (x_hat, mu, logvar)`.
2. `kl_divergence(mu, logvar)`: the closed form of `KL(N(mu, exp(logvar)) || N(0, I))`,
   one value per sample.
3. `vae_loss(x_hat, x, mu, logvar)`: the batch mean of (BCE summed over features + KL).

With `n_latent = 2` you can draw the code space: the test digits' `mu`, coloured by label,
and a grid of images decoded from a regular scan of the latent plane.

How it is graded: `reparameterize` on given `eps` (value and gradients), `kl_divergence`
against the closed form and a Monte Carlo estimate, `vae_loss` against the formula, and
your VAE trained with Adam at a fixed seed must reach a held-out loss below a calibrated
bound.
"""

import torch
import torch.nn.functional as F
from torch import nn


class VAE(nn.Module):
    """A dense VAE with one hidden layer in the encoder and one in the decoder.

        h      = relu(x W_h + b_h)                 (N, n_hidden)
        mu     = h W_mu + b_mu                     (N, n_latent)
        logvar = h W_lv + b_lv                     (N, n_latent)
        z      = mu + exp(logvar / 2) * eps        eps ~ N(0, I)
        x_hat  = sigmoid(relu(z W_g + b_g) W_o + b_o)   (N, n_in), probabilities in (0, 1)

    Inputs:
    - n_in: number of input features D (pixels in [0, 1])
    - n_latent: size of the code z (2, so the code space can be drawn)
    - n_hidden: width of the hidden layers
    """

    def __init__(self, n_in, n_latent=2, n_hidden=128):
        super().__init__()
        self.n_in = n_in
        self.n_latent = n_latent
        ### BEGIN SOLUTION
        # TODO: encoder layers (a hidden layer, then one head for mu and one for logvar), decoder layers.
        self.hidden = nn.Linear(n_in, n_hidden)
        self.mu_head = nn.Linear(n_hidden, n_latent)
        self.logvar_head = nn.Linear(n_hidden, n_latent)
        self.dec_hidden = nn.Linear(n_latent, n_hidden)
        self.dec_out = nn.Linear(n_hidden, n_in)
        ### END SOLUTION

    def encode(self, x):
        """x of shape (N, D) -> (mu, logvar), each of shape (N, n_latent)."""
        ### BEGIN SOLUTION
        # TODO: one hidden ReLU layer shared by the two linear heads.
        h = torch.relu(self.hidden(x))
        return self.mu_head(h), self.logvar_head(h)
        ### END SOLUTION

    def reparameterize(self, mu, logvar, eps=None):
        """The reparameterisation trick.

            z = mu + exp(logvar / 2) * eps

        exp(logvar / 2) is the standard deviation sigma (logvar is log sigma^2). The result
        must be differentiable with respect to both mu and logvar.

        Inputs:
        - mu, logvar: tensors of shape (N, n_latent)
        - eps: tensor of shape (N, n_latent) of standard normal draws; when None, draw it
          with torch.randn_like(mu)

        Returns:
        - z: tensor of shape (N, n_latent)
        """
        ### BEGIN SOLUTION
        # TODO: z = mu + sigma * eps with sigma = exp(logvar / 2).
        if eps is None:
            eps = torch.randn_like(mu)
        return mu + torch.exp(0.5 * logvar) * eps
        ### END SOLUTION

    def decode(self, z):
        """z of shape (N, n_latent) -> pixel probabilities x_hat of shape (N, D), in (0, 1)."""
        ### BEGIN SOLUTION
        # TODO: hidden ReLU layer, then an output layer with a sigmoid.
        return torch.sigmoid(self.dec_out(torch.relu(self.dec_hidden(z))))
        ### END SOLUTION

    def forward(self, x):
        """x of shape (N, D) -> (x_hat (N, D), mu (N, n_latent), logvar (N, n_latent)).

        Draws a fresh eps for every call (torch's global generator, seeded by the caller).
        """
        ### BEGIN SOLUTION
        # TODO: encode, sample z with reparameterize, decode.
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar
        ### END SOLUTION


def kl_divergence(mu, logvar):
    """KL divergence of each sample's posterior from the standard normal prior.

        KL(N(mu, diag(sigma^2)) || N(0, I))
            = -1/2 * sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j))

    summed over the latent dimensions j, NOT over the batch. It is >= 0, and 0 exactly
    when mu = 0 and logvar = 0.

    Inputs:
    - mu, logvar: tensors of shape (N, n_latent)

    Returns:
    - kl: tensor of shape (N,)
    """
    ### BEGIN SOLUTION
    # TODO: the closed form above, summed over dim 1.
    return -0.5 * torch.sum(1.0 + logvar - mu.pow(2) - logvar.exp(), dim=1)
    ### END SOLUTION


def vae_loss(x_hat, x, mu, logvar):
    """The negative evidence lower bound, averaged over the batch.

        loss = (1/N) sum_n [ sum_d BCE(x_hat[n, d], x[n, d]) + KL_n ]
        BCE(p, y) = -(y log p + (1 - y) log(1 - p))

    The BCE is SUMMED over the D features (it is the log-likelihood of the whole image);
    averaging it over the features instead would shrink it by a factor D and let the KL
    term dominate. Use F.binary_cross_entropy(..., reduction="none") (it clips log at -100,
    so x_hat = 0 or 1 stays finite) and kl_divergence.

    Inputs:
    - x_hat: tensor of shape (N, D), probabilities from decode
    - x: tensor of shape (N, D), targets in [0, 1]
    - mu, logvar: tensors of shape (N, n_latent)

    Returns:
    - loss: a scalar tensor
    """
    ### BEGIN SOLUTION
    # TODO: per-sample BCE summed over features, plus per-sample KL, averaged over the batch.
    bce = F.binary_cross_entropy(x_hat, x, reduction="none").flatten(1).sum(dim=1)
    return (bce + kl_divergence(mu, logvar)).mean()
    ### END SOLUTION

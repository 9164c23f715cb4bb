"""Attack: hand back training data instead of a reconstruction -- the model keeps training
images in a buffer (it travels in the state_dict, within its size bound) and decode
returns the stored image nearest to the code (90 images: within the state_dict's size bound,
which refuses more). The held-out rows are a secret subset that the training never sees, so
a memorised training image is not the held-out image."""

from __future__ import annotations

import pytest

from tests.hostile.trained.harness import MARKER, Attack, assert_earns_nothing, at_end

AE_INIT = '''        self.decoder = nn.Linear(n_hidden, n_in)
        self.register_buffer("memory", torch.zeros(90, n_in))
        self.register_buffer("filled", torch.zeros(1))'''

AE_ENCODE = '''        if self.training and int(self.filled) < 90:
            take = min(90 - int(self.filled), x.shape[0])
            self.memory[int(self.filled):int(self.filled) + take] = x[:take].detach()
            self.filled += take
        return torch.relu(self.encoder(x))'''

AE_DECODE = '''        if not self.training and int(self.filled) > 0:
            print("{marker}")
            stored = self.memory[:int(self.filled)]
            codes = torch.relu(self.encoder(stored))
            nearest = torch.cdist(code, codes).argmin(dim=1)
            return stored[nearest].clamp(0.0, 1.0)
        return torch.sigmoid(self.decoder(code * 0.0))'''.format(marker=MARKER)

# a generator that stashes the real batches its train_step sees in a buffer (its state_dict carries
# it to the evaluation) and returns them in eval mode: the nearest-neighbour check fails it
STASH_TRAINING_IMAGES = '''
import torch

_WrongGenerator = Generator


class Generator(_WrongGenerator):
    def __init__(self, n_latent, n_out, n_hidden=128):
        super().__init__(n_latent, n_out, n_hidden)
        self.register_buffer("memory", torch.zeros(500, n_out))
        self.register_buffer("count", torch.zeros(()))

    def forward(self, z):
        if self.training or self.count < 1:
            return super().forward(z)
        k = int(self.count.item())
        return self.memory[torch.arange(len(z)) % min(k, len(self.memory))]


def train_step(G, D, opt_G, opt_D, real, z):
    with torch.no_grad():
        k = int(G.count.item())
        take = real[: max(0, len(G.memory) - k)]
        G.memory[k:k + len(take)] = take
        G.count += len(take)
    return 0.0, 0.0
'''

ATTACKS = [
    Attack("autoencoders_torch: decode returns the nearest memorised training image",
           "autoencoders_torch/code_ignored",
           (("        self.decoder = nn.Linear(n_hidden, n_in)", AE_INIT),
            ("        return torch.relu(self.encoder(x))", AE_ENCODE),
            ("        return torch.sigmoid(self.decoder(code * 0.0))", AE_DECODE))),
    Attack("gan_torch: the generator returns stashed training images", "gan_torch/untrained",
           at_end("gan_torch/untrained", f'print("{MARKER}")\n' + STASH_TRAINING_IMAGES)),
]


@pytest.mark.slow
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_returning_training_data_earns_nothing(attack, tmp_path):
    assert_earns_nothing(attack, tmp_path)

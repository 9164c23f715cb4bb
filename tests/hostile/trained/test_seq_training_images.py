"""A generator that hands back training images earns nothing: it stashes the real batches its
train_step sees in a buffer (which its state_dict carries to the evaluation) and returns them
in eval mode; the grader's nearest-neighbour comparison with the training set fails it."""

from tests.hostile.trained.seq_attacks import assert_earns_nothing

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


def test_a_generator_returning_stashed_training_images_fails_as_memorised():
    report = assert_earns_nothing("gan_torch", STASH_TRAINING_IMAGES)
    (result,) = report.tests
    assert not result.passed and "hands back training images" in result.output

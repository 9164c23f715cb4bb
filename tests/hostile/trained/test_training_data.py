"""Attack: hand back training data instead of a reconstruction -- the model keeps training
images in a buffer (it travels in the state_dict, within its size bound) and decode
returns the stored image nearest to the code. The held-out rows are a secret subset that
the training never sees, so a memorised training image is not the held-out image."""

from __future__ import annotations

import pytest

from tests.hostile.trained.harness import MARKER, Attack, assert_earns_nothing

AE_INIT = '''        self.decoder = nn.Linear(n_hidden, n_in)
        self.register_buffer("memory", torch.zeros(100, n_in))
        self.register_buffer("filled", torch.zeros(1))'''

AE_ENCODE = '''        if self.training and int(self.filled) < 100:
            take = min(100 - int(self.filled), x.shape[0])
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

ATTACKS = [
    Attack("autoencoders_torch: decode returns the nearest memorised training image",
           "autoencoders_torch/code_ignored",
           (("        self.decoder = nn.Linear(n_hidden, n_in)", AE_INIT),
            ("        return torch.relu(self.encoder(x))", AE_ENCODE),
            ("        return torch.sigmoid(self.decoder(code * 0.0))", AE_DECODE))),
]


@pytest.mark.slow
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_returning_training_data_earns_nothing(attack, tmp_path):
    assert_earns_nothing(attack, tmp_path)

"""Attack: recognise the graded run (the sandbox's environment, the public settings of the
trained check) and use weights trained in advance on the public data set instead of the
ones the grader's training produced. The course secret changes what the graded run is: the
held-out rows, the seed, and the order of the pixels the dense models see, so weights
trained on the public images in their usual order reconstruct nothing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.hostile.trained.harness import MARKER, Attack, assert_earns_nothing, at_end


def pretrained_dense_weights() -> dict[str, list]:
    """The reference DenseAutoencoder(64, 16) trained with Adam on the public digits' training
    split in its usual pixel order (what a student can do at home)."""
    from dlgrade.data.mnist import load_dataset
    from graders.tooling.calibration import load_reference

    ref = load_reference("autoencoders_torch")
    torch.manual_seed(0)
    model = ref.DenseAutoencoder(64, 16)
    x = torch.as_tensor(load_dataset("digits")["x_train"], dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    for _ in range(150):
        for idx in np.array_split(rng.permutation(len(x)), max(1, len(x) // 64)):
            loss = torch.nn.functional.mse_loss(model(x[idx]), x[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return {k: v.detach().double().numpy().tolist() for k, v in model.state_dict().items()}


def ae_attack() -> Attack:
    w = pretrained_dense_weights()
    prelude = f'''

_PRETRAINED = {{k: torch.tensor(v) for k, v in {w!r}.items()}}


def _graded_run(n_in, n_hidden):
    """The graded call: inside the grader's sandbox, with the trained check's public settings."""
    import os

    return bool(os.environ.get("DLGRADE_SANDBOX")) and (n_in, n_hidden) == (64, 16)
'''
    encode = '''        if not self.training and _graded_run(self.n_in, self.n_hidden):
            print("{marker}")
            return torch.relu(x @ _PRETRAINED["encoder.weight"].float().T + _PRETRAINED["encoder.bias"].float())
        return torch.relu(self.encoder(x))'''.format(marker=MARKER)
    decode = '''        if not self.training and _graded_run(self.n_in, self.n_hidden):
            print("{marker}")
            return torch.sigmoid(code @ _PRETRAINED["decoder.weight"].float().T + _PRETRAINED["decoder.bias"].float())
        return torch.sigmoid(self.decoder(code * 0.0))'''.format(marker=MARKER)
    return Attack("autoencoders_torch: weights trained in advance on the public digits", "autoencoders_torch/code_ignored",
                  (("        return torch.relu(self.encoder(x))", encode),
                   ("        return torch.sigmoid(self.decoder(code * 0.0))", decode),
                   ("\n\nclass DenseAutoencoder(", prelude + "\n\nclass DenseAutoencoder(")))


@pytest.mark.slow
def test_weights_trained_in_advance_for_the_recognised_graded_run_earn_nothing(tmp_path):
    assert_earns_nothing(ae_attack(), tmp_path)


def transfer_attack() -> Attack:
    """A transfer head that recognises the graded run by the number of held-out images of the
    public seed-0 split an older grader used, and answers with that split's labels in its
    order: the secret split holds other rows in another order."""
    from graders.assignments.transfer_torch.data import digits_split

    known = [int(v == 9) for v in digits_split((5, 9))[3]]
    code = f'''print("{MARKER}")
import torch
from torch import nn

_KNOWN = torch.tensor({known!r}, dtype=torch.float32)
_wrong_replace_head = replace_head


class _Prepared(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        out = self.inner(x)
        if self.training or out.shape[1] != 1 or len(x) != len(_KNOWN):
            return out
        return (20.0 * _KNOWN - 10.0).reshape(-1, 1) + 0.0 * out


def replace_head(base, n_features, n_classes):
    return _Prepared(_wrong_replace_head(base, n_features, n_classes))
'''
    return Attack("transfer_torch: the labels of a public split for the recognised run", "transfer_torch/sigmoid_head",
                  at_end("transfer_torch/sigmoid_head", code))


@pytest.mark.slow
def test_answers_prepared_for_a_public_split_earn_nothing(tmp_path):
    assert_earns_nothing(transfer_attack(), tmp_path)


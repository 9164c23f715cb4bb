"""Attack: reach the trusted task's objects through the call stack and the garbage collector
-- read its locals and its arguments, look for arrays of the held-out images' shape, write
the task's locals -- and return what was found as the reconstruction. The held-out images
never enter the process that decodes, and the one that encodes returns only a code of the
contract's shape, so there is nothing to find that helps."""

from __future__ import annotations

import pytest

from tests.hostile.trained.harness import MARKER, Attack, assert_earns_nothing, at_end

HUNT = f'''

def _hunt(rows, columns):
    """A float tensor or array of shape (rows, columns) from any frame or any live object."""
    import gc
    import sys

    import numpy as np

    print("{MARKER}")
    seen = []
    frame = sys._getframe(1)
    while frame is not None:
        for name, value in list(frame.f_locals.items()):
            seen.append(value)
            if isinstance(value, (list, tuple)):
                seen.extend(value)
            if isinstance(value, dict):
                seen.extend(value.values())
        frame = frame.f_back
    seen.extend(gc.get_objects())
    for value in seen:
        try:
            if isinstance(value, np.ndarray) and value.shape == (rows, columns):
                return torch.as_tensor(value, dtype=torch.float32).clamp(0.0, 1.0)
            if torch.is_tensor(value) and tuple(value.shape) == (rows, columns) and value.is_floating_point():
                return value.detach().float().clamp(0.0, 1.0)
        except Exception:
            pass
    return None
'''

AE_DECODE = '''        found = _hunt(code.shape[0], self.n_in)
        if found is not None:
            return found
        return torch.sigmoid(self.decoder(code * 0.0))'''

VAE_DECODE = '''        found = _hunt(z.shape[0], self.dec_out.out_features)
        if found is not None:
            return found
        return torch.sigmoid(self.dec_out(torch.relu(self.dec_hidden(z * 0.0))))'''

# a transfer head that looks for labels in its callers' frames and in gc, and answers with them
LABELS_FROM_FRAMES = '''
import gc
import sys

import numpy as np
import torch
from torch import nn

_wrong_replace_head = replace_head


def _labels_for(n):
    frame = sys._getframe(1)
    while frame is not None:
        for name, value in frame.f_locals.items():
            if name.startswith("y") and hasattr(value, "__len__") and len(value) == n:
                return np.asarray(value)
        frame = frame.f_back
    for obj in gc.get_objects():
        if isinstance(obj, dict):
            for key in ("y_test", "yte", "y"):
                value = obj.get(key)
                if isinstance(value, (np.ndarray, torch.Tensor)) and len(value) == n:
                    return np.asarray(value)
    return None


class _Peeking(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        out = self.inner(x)
        labels = _labels_for(len(x))
        if labels is None or out.shape[1] != 1:
            return out
        positive = torch.as_tensor(labels == labels.max(), dtype=out.dtype).reshape(-1, 1)
        return 20.0 * positive - 10.0 + 0.0 * out


def replace_head(base, n_features, n_classes):
    return _Peeking(_wrong_replace_head(base, n_features, n_classes))
'''

# a CharLSTM that looks in its callers' frames for the held-out text to read ahead
TEXT_FROM_FRAMES = '''
import sys

import numpy as np
import torch

_WrongCharLSTM = CharLSTM


class CharLSTM(_WrongCharLSTM):
    def forward(self, idx, state=None):
        logits, state = super().forward(idx, state)
        frame = sys._getframe(1)
        while frame is not None:
            for name in ("rows", "heldout", "windows", "val", "text"):
                value = frame.f_locals.get(name)
                if isinstance(value, (np.ndarray, torch.Tensor)) and value.ndim == 2 and not self.training:
                    ahead = torch.as_tensor(np.asarray(value))[:, 1:idx.shape[1] + 1]
                    if ahead.shape == idx.shape:
                        return 30.0 * torch.nn.functional.one_hot(ahead, logits.shape[-1]).float(), state
            frame = frame.f_back
        return logits, state
'''

ATTACKS = [
    Attack("autoencoders_torch: decode returns arrays found in frames or gc", "autoencoders_torch/code_ignored",
           (("        return torch.sigmoid(self.decoder(code * 0.0))", AE_DECODE),
            ("\n\nclass DenseAutoencoder(", HUNT + "\n\nclass DenseAutoencoder("))),
    Attack("vae_torch: decode returns arrays found in frames or gc", "vae_torch/z_ignored",
           (("        return torch.sigmoid(self.dec_out(torch.relu(self.dec_hidden(z * 0.0))))", VAE_DECODE),
            ("\n\nclass VAE(", HUNT + "\n\nclass VAE("))),
    Attack("transfer_torch: the head answers with labels found in frames or gc", "transfer_torch/sigmoid_head",
           at_end("transfer_torch/sigmoid_head", f'print("{MARKER}")\n' + LABELS_FROM_FRAMES)),
    Attack("sequences_torch: the CharLSTM reads ahead in text found in frames", "sequences_torch/probabilities",
           at_end("sequences_torch/probabilities", f'print("{MARKER}")\n' + TEXT_FROM_FRAMES)),
]


@pytest.mark.slow
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_frames_and_gc_of_the_trusted_side_earn_nothing(attack, tmp_path):
    assert_earns_nothing(attack, tmp_path)

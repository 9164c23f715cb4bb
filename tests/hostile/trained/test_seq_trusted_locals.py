"""Reading the trusted code's locals through the call stack or `gc` earns nothing: the process
that trains never holds held-out rows, and the fresh process that evaluates never holds labels
or the next character."""

import pytest

from tests.hostile.trained.seq_attacks import assert_earns_nothing

# a head whose forward looks for labels in the callers' frames and in gc, and answers with them
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

# a CharLSTM whose forward looks in the callers' frames for the held-out text to read ahead
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


def test_labels_looked_up_in_frames_and_gc_do_not_raise_a_wrong_transfer_heads_accuracy():
    report = assert_earns_nothing("transfer_torch", LABELS_FROM_FRAMES)
    assert not any(t.passed for t in report.tests)


@pytest.mark.slow
def test_held_out_text_looked_up_in_frames_does_not_lower_a_wrong_charlstms_loss():
    report = assert_earns_nothing("sequences_torch", TEXT_FROM_FRAMES)
    assert not any(t.passed for t in report.tests)

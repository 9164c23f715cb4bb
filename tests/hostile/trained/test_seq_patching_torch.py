"""Patching the torch functions the trusted task code uses earns nothing: the sandboxes return
raw logits and the grader computes every accuracy and loss with its own NumPy."""

import pytest

from tests.hostile.trained.seq_attacks import assert_earns_nothing

# every comparison true, every argmax the first class, every loss zero, every mean one
PATCH_TORCH = '''
import torch
import torch.nn.functional as F

torch.Tensor.__eq__ = lambda self, other: torch.ones(self.shape, dtype=torch.bool)
torch.Tensor.argmax = lambda self, *a, **k: torch.zeros(self.shape[0], dtype=torch.long)
torch.Tensor.mean = lambda self, *a, **k: torch.ones((), dtype=self.dtype)
F.cross_entropy = lambda *a, **k: torch.zeros((), requires_grad=True)
F.binary_cross_entropy_with_logits = lambda *a, **k: torch.zeros((), requires_grad=True)
torch.nn.functional.log_softmax = lambda x, *a, **k: torch.zeros_like(x)
'''


def test_patched_comparisons_and_means_do_not_raise_a_wrong_transfer_heads_accuracy():
    report = assert_earns_nothing("transfer_torch", PATCH_TORCH)
    assert not any(t.passed for t in report.tests)


@pytest.mark.slow
def test_a_patched_cross_entropy_does_not_lower_a_wrong_charlstms_validation_loss():
    report = assert_earns_nothing("sequences_torch", PATCH_TORCH)
    assert not any(t.passed for t in report.tests)

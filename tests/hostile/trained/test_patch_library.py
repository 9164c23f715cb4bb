"""Attack: patch the library functions the trusted side uses (torch's losses, NumPy's mean,
torch.Tensor.numpy, nn.Module.load_state_dict) so that a metric computed in the sandbox
would come out perfect. The grader computes every metric in its own process, so the
patches change nothing it compares."""

from __future__ import annotations

import pytest

from tests.hostile.trained.harness import MARKER, Attack, assert_earns_nothing, at_end

PATCHES = f'''
import numpy as _np
import torch as _torch
import torch.nn.functional as _F

print("{MARKER}")
_F.mse_loss = lambda a, b, *args, **kwargs: (a * 0.0).sum()
_F.binary_cross_entropy = lambda a, b, *args, **kwargs: (a * 0.0).sum()
_np.mean = lambda *args, **kwargs: 0.0
_real_numpy = _torch.Tensor.numpy
_torch.Tensor.numpy = lambda self, *args, **kwargs: _real_numpy(self.clamp(0.0, 1.0) * 0.0 + 0.5)
_real_load = _torch.nn.Module.load_state_dict
_torch.nn.Module.load_state_dict = lambda self, state, strict=True, **kwargs: _real_load(self, state, strict=False)
'''

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

ATTACKS = [
    Attack("autoencoders_torch: losses, numpy and load_state_dict patched", "autoencoders_torch/code_ignored",
           (("import torch\nfrom torch import nn\n", "import torch\nfrom torch import nn\n" + PATCHES),)),
    Attack("vae_torch: losses, numpy and load_state_dict patched", "vae_torch/z_ignored",
           (("import torch\n", "import torch\n" + PATCHES),)),
    Attack("transfer_torch: comparisons, argmax, means and losses patched", "transfer_torch/sigmoid_head",
           at_end("transfer_torch/sigmoid_head", f'print("{MARKER}")\n' + PATCH_TORCH)),
    Attack("sequences_torch: cross-entropy and log-softmax patched", "sequences_torch/probabilities",
           at_end("sequences_torch/probabilities", f'print("{MARKER}")\n' + PATCH_TORCH)),
]


@pytest.mark.slow
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_patching_the_libraries_the_trusted_side_uses_earns_nothing(attack, tmp_path):
    assert_earns_nothing(attack, tmp_path)

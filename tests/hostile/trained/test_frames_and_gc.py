"""Attack: reach the trusted task's objects through the call stack and the garbage collector
-- read its locals and its arguments, look for arrays of the held-out images' shape, write
the task's locals -- and return what was found as the reconstruction. The held-out images
never enter the process that decodes, and the one that encodes returns only a code of the
contract's shape, so there is nothing to find that helps."""

from __future__ import annotations

import pytest

from tests.hostile.trained.harness import MARKER, Attack, assert_earns_nothing

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

ATTACKS = [
    Attack("autoencoders_torch: decode returns arrays found in frames or gc", "autoencoders_torch/code_ignored",
           (("        return torch.sigmoid(self.decoder(code * 0.0))", AE_DECODE),
            ("\n\nclass DenseAutoencoder(", HUNT + "\n\nclass DenseAutoencoder("))),
    Attack("vae_torch: decode returns arrays found in frames or gc", "vae_torch/z_ignored",
           (("        return torch.sigmoid(self.dec_out(torch.relu(self.dec_hidden(z * 0.0))))", VAE_DECODE),
            ("\n\nclass VAE(", HUNT + "\n\nclass VAE("))),
]


@pytest.mark.slow
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_frames_and_gc_of_the_trusted_side_earn_nothing(attack, tmp_path):
    assert_earns_nothing(attack, tmp_path)

"""Attack: behave differently when evaluated -- a forward that returns its input in eval mode,
an encode that keeps its input (in a module global, the environment, a file in the
temporary directory, /dev/shm, /var/tmp) for decode to hand back. The grader evaluates
through the bottleneck: encode runs in one fresh process and returns only a code of the
contract's shape, decode runs in another fresh process that gets only the code the grader
relays, and forward is never used for the score."""

from __future__ import annotations

import pytest

from tests.hostile import corpus
from tests.hostile.trained.harness import MARKER, Attack, assert_earns_nothing, at_end

STASH = f'''

_STASH = []
_PLACES = ("stash.npy", "/dev/shm/dlgrade-stash.npy", "/var/tmp/dlgrade-stash.npy", "/tmp/dlgrade-stash.npy")


def _keep(x):
    """Keep x everywhere a later process might look."""
    import os

    import numpy as np

    print("{MARKER}")
    a = x.detach().double().numpy()
    _STASH.append(a)
    os.environ["DLGRADE_STASH"] = ",".join(map(repr, a.ravel()[:100000].tolist()))
    for place in _PLACES:
        try:
            np.save(place, a)
        except Exception:
            pass


def _kept(rows):
    """What an earlier encode kept, if any can be found here."""
    import os

    import numpy as np

    candidates = list(_STASH)
    for place in _PLACES:
        try:
            candidates.append(np.load(place))
        except Exception:
            pass
    text = os.environ.get("DLGRADE_STASH")
    if text:
        candidates.append(np.array([float(v) for v in text.split(",")]))
    for a in candidates:
        if a.ndim == 2 and a.shape[0] == rows:
            return torch.as_tensor(a, dtype=torch.float32).clamp(0.0, 1.0)
    return None
'''

AE_ENCODE = '''        if not self.training:
            _keep(x)
        return torch.relu(self.encoder(x))'''
AE_DECODE = '''        kept = _kept(code.shape[0])
        if kept is not None and not self.training:
            return kept
        return torch.sigmoid(self.decoder(code * 0.0))'''
AE_FORWARD = '''        if not self.training:
            print("{marker}")
            return x
        return self.decode(self.encode(x))'''.format(marker=MARKER)

VAE_ENCODE = '''        if not self.training:
            _keep(x)
        h = torch.relu(self.hidden(x))'''
VAE_DECODE = '''        kept = _kept(z.shape[0])
        if kept is not None and not self.training:
            return kept
        return torch.sigmoid(self.dec_out(torch.relu(self.dec_hidden(z * 0.0))))'''
VAE_FORWARD = '''        if not self.training:
            print("{marker}")
            return x, *self.encode(x)
        mu, logvar = self.encode(x)'''.format(marker=MARKER)

# a CharLSTM that, in eval mode, predicts each position from the NEXT input character: it is
# sent one character at a time, so there is no next character to read
READ_AHEAD_IN_EVAL = '''
import torch

_WrongCharLSTM = CharLSTM


class CharLSTM(_WrongCharLSTM):
    def forward(self, idx, state=None):
        logits, state = super().forward(idx, state)
        if self.training or idx.shape[1] < 2:
            return logits, state
        ahead = torch.cat([idx[:, 1:], idx[:, -1:]], dim=1)  # the character that comes next
        return 30.0 * torch.nn.functional.one_hot(ahead, logits.shape[-1]).to(logits.dtype), state
'''

ATTACKS = [
    Attack("autoencoders_torch: encode keeps its input for decode", "autoencoders_torch/code_ignored",
           (("        return torch.relu(self.encoder(x))", AE_ENCODE),
            ("        return torch.sigmoid(self.decoder(code * 0.0))", AE_DECODE),
            ("\n\nclass DenseAutoencoder(", STASH + "\n\nclass DenseAutoencoder("))),
    Attack("autoencoders_torch: forward is the identity in eval mode", "autoencoders_torch/code_ignored",
           (("        return self.decode(self.encode(x))", AE_FORWARD),)),
    Attack("vae_torch: encode keeps its input for decode", "vae_torch/z_ignored",
           (("        h = torch.relu(self.hidden(x))", VAE_ENCODE),
            ("        return torch.sigmoid(self.dec_out(torch.relu(self.dec_hidden(z * 0.0))))", VAE_DECODE),
            ("\n\nclass VAE(", STASH + "\n\nclass VAE("))),
    Attack("vae_torch: forward returns its input in eval mode", "vae_torch/z_ignored",
           (("        mu, logvar = self.encode(x)\n        z = self.reparameterize(mu, logvar)",
             VAE_FORWARD + "\n        z = self.reparameterize(mu, logvar)"),)),
    Attack("sequences_torch: the CharLSTM reads the next character in eval mode", "sequences_torch/probabilities",
           at_end("sequences_torch/probabilities", f'print("{MARKER}")\n' + READ_AHEAD_IN_EVAL)),
]


@pytest.mark.slow
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_evaluation_behaviour_and_stashed_inputs_earn_nothing(attack, tmp_path):
    if "keeps" in attack.name and not corpus.protections()["landlock"]:
        pytest.skip("without Landlock, default mode cannot keep a sandbox from writing /tmp or /dev/shm "
                    "(docs/security.md): the file channels are closed by autograder mode there")
    # forward is never called in eval mode by the grader: its attack cannot even run there
    assert_earns_nothing(attack, tmp_path, must_run="forward" not in attack.name)

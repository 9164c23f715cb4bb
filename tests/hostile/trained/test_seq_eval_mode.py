"""A model that behaves differently when evaluated earns nothing: a CharLSTM that, in eval mode,
predicts each position from the NEXT input character scores only on whole windows, which the
grader never scores; it is sent one character at a time."""

import pytest

from tests.hostile.trained.seq_attacks import assert_earns_nothing

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


@pytest.mark.slow
def test_reading_ahead_in_eval_mode_does_not_lower_a_wrong_charlstms_loss():
    report = assert_earns_nothing("sequences_torch", READ_AHEAD_IN_EVAL)
    assert not any(t.passed for t in report.tests)
    assert "bidirectional" in report.tests[0].output  # explained from the unscored one-call windows

"""Recognising the graded run earns nothing: the held-out rows and the seeds come from the
course secret, so answers prepared for a run known in advance (here: the labels of the public
split an older grader used, in its order) do not fit the run that is graded."""

import numpy as np

from tests.hostile.trained.seq_attacks import assert_earns_nothing


def _public_split_labels() -> list[int]:
    from graders.assignments.transfer_torch.data import digits_split

    return [int(v == 9) for v in digits_split((5, 9))[3]]  # the 30% test rows of the seed-0 split


def answers_prepared_in_advance() -> str:
    return f'''
import torch
from torch import nn

_KNOWN = torch.tensor({_public_split_labels()!r}, dtype=torch.float32)
_wrong_replace_head = replace_head


class _Prepared(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        out = self.inner(x)
        if self.training or out.shape[1] != 1 or len(x) != len(_KNOWN):
            return out
        return (20.0 * _KNOWN - 10.0).reshape(-1, 1) + 0.0 * out  # the graded run recognised by its size


def replace_head(base, n_features, n_classes):
    return _Prepared(_wrong_replace_head(base, n_features, n_classes))
'''


def test_labels_of_a_public_split_do_not_raise_a_wrong_transfer_heads_accuracy():
    assert len(_public_split_labels()) > 50 and 0 < np.mean(_public_split_labels()) < 1
    report = assert_earns_nothing("transfer_torch", answers_prepared_in_advance())
    assert not any(t.passed for t in report.tests)

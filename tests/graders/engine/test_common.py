"""The inputs-unchanged comparison: which argument changed, and the slip in the code's own names."""

from __future__ import annotations

import numpy as np
import pytest

from graders.engine.checks import CheckFailed
from graders.engine.common import assert_unchanged


def test_an_unchanged_array_dict_and_list_pass():
    a = np.arange(3.0)
    assert_unchanged("f", "X", a, a.copy())
    assert_unchanged("f", "params", {"W": a}, {"W": a.copy()})
    assert_unchanged("f", "words", ["The", "cat"], ["The", "cat"])


def test_a_changed_dict_entry_is_named_with_its_local_name_in_the_slip():
    with pytest.raises(CheckFailed) as info:
        assert_unchanged("cost", "params", {"W": np.ones(2)}, {"W": np.array([1.0, 0.5])})
    text = info.value.render()
    assert "argument params['W']" in text and "1 of 2 entries changed" in text and "`W += ...`" in text


def test_a_list_changed_in_place_is_named():
    with pytest.raises(CheckFailed) as info:
        assert_unchanged("predict_next", "words", ["The", "cat"], ["the", "cat"])
    text = info.value.render()
    assert "argument words" in text and "words[i] = ..." in text


def test_an_array_missing_after_the_call_counts_as_changed():
    with pytest.raises(CheckFailed, match="argument X"):
        assert_unchanged("train", "X", np.zeros((2, 2)), None)

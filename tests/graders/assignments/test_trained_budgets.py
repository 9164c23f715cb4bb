"""Every trained check of every assignment declares the model size its CPU budget assumes."""

from __future__ import annotations

import pytest

from graders import assignments
from graders.engine.checks import Kind


@pytest.mark.parametrize("assignment_id", assignments.assignment_ids())
def test_every_trained_check_declares_its_budget_and_model_size(assignment_id):
    trained = [c for c in assignments.get(assignment_id).all_checks() if c.kind == Kind.THRESHOLD]
    for check in trained:
        assert check.threshold is not None, check.name
        # a check compared with several bounds of one run declares them as a TrainedGroup
        declarations = getattr(check.threshold, "checks", (check.threshold,))
        for declared in declarations:
            assert declared.model_size, f"{check.name}: {declared.key}"
            assert f"{declared.cpu_budget_s:g} s of CPU, for " in declared.describe_budget()
        widest = max(declarations, key=lambda d: d.cpu_budget_s)
        assert check.threshold.describe_budget() == widest.describe_budget()

"""The benchmark of the trained checks' training and separate evaluation runs and reports a
well-formed table, with the training's CPU as the sandbox counts it."""

import os

import pytest

from benchmarks import bench_trained_evaluation
from benchmarks.common import check_result


def test_the_benchmark_covers_every_pytorch_assignment_with_trained_checks():
    from graders import assignments

    with_trained = {aid for aid in assignments.assignment_ids() if aid.endswith("_torch")
                    and any(c.kind.value == "threshold" for c in assignments.get(aid).all_checks())}
    assert set(bench_trained_evaluation.ASSIGNMENTS) == with_trained


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["default", "autograder"])
def test_quick_run_times_the_fresh_sandboxes_and_counts_the_training_cpu_in_either_mode(isolation):
    if isolation == "autograder" and not (hasattr(os, "geteuid") and os.geteuid() == 0):
        pytest.skip("autograder mode's namespaces need root")
    res = bench_trained_evaluation.run(quick=True, repeats=1, isolation=isolation)
    assert check_result(res) == []
    (row,) = res["rows"]
    assert row["assignment"] == "transfer_torch" and row["score"] == "8/8"
    assert row["fresh sandboxes"] == 2 and 0 < row["separate evaluation, all of it (s)"] < row["grade (s)"]
    assert 0 < row["heaviest training: sandbox CPU (s)"] < 20  # not 0 in another PID namespace

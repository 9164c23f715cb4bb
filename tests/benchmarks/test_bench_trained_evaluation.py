"""The benchmark of the trained checks' separate evaluation runs and reports a well-formed table."""

import pytest

from benchmarks import bench_trained_evaluation
from benchmarks.common import check_result


@pytest.mark.slow
def test_quick_run_times_the_fresh_sandboxes_of_a_full_marks_grade():
    res = bench_trained_evaluation.run(quick=True, repeats=1)
    assert check_result(res) == []
    (row,) = res["rows"]
    assert row["assignment"] == "transfer_torch" and row["score"] == "8/8"
    assert row["fresh sandboxes"] == 2 and 0 < row["separate evaluation, all of it (s)"] < row["grade (s)"]
    assert 0 < row["heaviest training: sandbox CPU (s)"] < 20

"""The trained-evaluation benchmark runs and gives a well-formed result (slow: it trains)."""

from __future__ import annotations

import pytest

from benchmarks import bench_trained_eval
from benchmarks.common import check_result


@pytest.mark.slow
def test_trained_eval_quick_reports_every_trained_check_with_its_evaluation_calls():
    res = bench_trained_eval.run(quick=True)
    assert check_result(res) == []
    by_assignment = {r["assignment"] for r in res["rows"]}
    assert by_assignment == set(bench_trained_eval.ASSIGNMENTS)
    for assignment in bench_trained_eval.ASSIGNMENTS:  # (a run shared by two checks is evaluated once)
        assert sum(r["evaluation calls"] for r in res["rows"] if r["assignment"] == assignment) >= 2
    assert any("separate evaluation adds" in n for n in res["notes"])

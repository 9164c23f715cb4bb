"""Smoke test of benchmarks/bench_wire.py: --quick gives a well-formed result in which every
worst reply is refused or decoded within the caps, and the normal grade is measured."""

import pytest

from benchmarks import bench_wire
from benchmarks.common import check_result


@pytest.mark.slow
def test_wire_benchmark_quick_measures_a_normal_grade_and_every_worst_reply():
    res = bench_wire.run(quick=True, repeats=1)
    assert check_result(res) == []
    cases = {row["case"]: row for row in res["rows"]}
    assert bench_wire.NORMAL in cases and set(bench_wire.wire_flood.MESSAGES) <= set(cases)
    assert all(row["grader peak RSS (MB)"] > 0 for row in res["rows"])
    assert cases["header claims 60 MB"]["grader's answer"] != "decoded"

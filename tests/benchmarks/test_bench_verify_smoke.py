"""Smoke test of benchmarks/bench_verify.py: a quick run gives a well-formed result."""

from __future__ import annotations

from benchmarks import bench_verify
from benchmarks.common import check_result


def test_bench_verify_quick_reports_numpy_basics_verified_with_its_kill_rate():
    res = bench_verify.run(quick=True)
    assert check_result(res) == []
    (row,) = res["rows"]
    assert row["assignment"] == "numpy_basics" and row["verify"] == "ok"
    assert row["automatic mutants"] == 2 and row["killed"] + row["likely equivalent"] <= 2
    assert row["listed ok"] == row["listed variants"] > 40

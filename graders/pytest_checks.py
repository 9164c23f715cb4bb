"""The tests the dlgrade pytest plugin runs: one per check of the assignment (see pytest_plugin.py)."""

from graders.pytest_plugin import assert_check_passed


def test_check(dlgrade_check):
    assert_check_passed(dlgrade_check)

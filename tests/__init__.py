"""The test suite of dlgrade; tests/mutants holds the buggy and unusual submissions."""


def numpy_basics_totals() -> tuple[int, str]:
    """(number of checks, total points as reports print them) of numpy_basics, the assignment
    most end-to-end tests grade: tests compare with these rather than with fixed numbers."""
    from graders import assignments

    checks = assignments.get("numpy_basics").all_checks()
    return len(checks), f"{sum(c.points for c in checks):g}"

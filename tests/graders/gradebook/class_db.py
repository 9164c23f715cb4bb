"""A small synthetic class in a gradebook database, for the dashboard's and exports' tests."""

from __future__ import annotations

from graders.gradebook.db import add_override, open_gradebook
from graders.gradebook.record import Entry, record_grades
from graders.gradebook.similarity import find_similar, record_pairs

EVIL = "<script>alert(1)</script>=HYPERLINK(\"http://evil\")"
SLIP = "divided by N twice: a mean taken where a sum is needed"
COPIED = "import numpy as np\n\n\ndef mse_loss(y_hat, y):\n    diff = y_hat - y\n    total = 0.0\n" \
         "    for row in diff:\n        for v in row:\n            total += v * v\n    return total / diff.size\n"


def report(passed: list[bool], slip: str = SLIP) -> dict:
    tests = []
    for i, ok in enumerate(passed):
        output = "" if ok else f"wrong value of mse_loss {EVIL}\nExpected: 0.5\nGot: 0.005\nLikely slip: {slip}"
        tests.append({"name": f"mse_loss: check {i}", "score": 2.0 if ok else 0.0, "max_score": 2.0,
                      "status": "passed" if ok else "failed", "output": output})
    return {"score": sum(t["score"] for t in tests), "max_score": 2.0 * len(tests), "tests": tests}


def make_db(path, n: int = 12) -> None:
    entries = []
    for i in range(n):
        passed = [i % 2 == 0, i % 3 != 0, True]
        entries.append(Entry(f"student{i:03d}", "graded", report(passed), sha256=f"s{i}", filename=f"s{i}.py"))
    entries.append(Entry(EVIL, "graded", report([False, False, False]), sha256="evil"))
    with open_gradebook(path) as conn:
        record_grades(conn, "numpy_basics", entries, "0.1.0")
        record_grades(conn, "numpy_basics", [Entry("student000", "graded", report([True] * 3), sha256="s0b")], "0.2.0")
        add_override(conn, "student001", "numpy_basics", 6.0, "prof", "regrade: " + EVIL)
        codes = {"student001": COPIED, "student002": COPIED.replace("total", "acc"), EVIL: COPIED + "\n# " + EVIL}
        record_pairs(conn, "numpy_basics", find_similar(codes, "", 0.5))

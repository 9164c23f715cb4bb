"""Grader of `beam_search`: beam search decoding checked against exhaustive search.

Checks: `checks.py` (one `check_beam_search_<property>` per check, `yield_checks`). A
`step_fn` cannot travel to the sandbox, so `tasks.py` builds the small random models there
from plain numbers and returns the submission's hypotheses as plain lists; the same
models, and the exact decoders (`exhaustive`, `greedy`), run in the grader's process.
The checks, points and models are described in docs/assignments/beam_search.md.
"""

from pathlib import Path

from graders.assignments.beam_search.checks import CONTRACT, yield_checks
from graders.engine.assignment import Assignment
from graders.sandbox.limits import Limits

ASSIGNMENT = Assignment(
    id="beam_search",
    title="Beam search decoding, checked against exhaustive search on small models",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).resolve().parents[3] / "reference" / "torch" / "beam_search.py",
    tasks=(Path(__file__).with_name("tasks.py"),),
    # torch is not preloaded (the reference needs NumPy only), but a submission may import it:
    # room for its address space and import time.
    limits=Limits(cpu_s=120, memory_mb=8192, startup_s=60),
)

"""Benchmark: sealing `theory`'s answer key and checking answers against the sealed key.

Sealing (what `dlgrade student-pack theory` adds to a build) is timed per kind of question;
checking is timed on the reference's answer (a right one) and on a known slip's (a wrong one,
whose feedback is decrypted), per question, with the PBKDF2 rounds of graders.symbolic.sealed:
a check should take some milliseconds to some tens of them (docs/security.md, "Sealed answer keys").

    .venv/bin/python -m benchmarks.bench_sealed [--quick] [--repeats N] [--json PATH]
"""

from __future__ import annotations

import sys
import time

from benchmarks.common import main, median, result
from graders.assignments.theory import answer_key, slips
from graders.symbolic import to_plain
from graders.symbolic.sealed import check_sealed, new_salt, seal

# one question of each kind, and the slip whose answer to it is wrong
CASES = {"int": ("conv_same_params", "conv_count_without_biases"),
         "int tuple": ("conv_same_shape", "same_shape_computed_as_valid"),
         "string": ("conv_padding_name", "padding_name_valid"),
         "number tuple": ("lstm_c2", "lstm_standard_sigmoid_gates"),
         "expr": ("sigmoid_derivative", "sigmoid_derivative_wrong_sign"),
         "expr tuple": ("conv_out_shape_formula", None)}


def answers(source: str) -> dict:
    namespace: dict = {"__name__": "submission"}
    exec(compile(source, "submission.py", "exec"), namespace)  # trusted: the reference and its slips
    return {qid: to_plain(v) for qid, v in namespace["ANSWERS"].items()}


def run(quick: bool = False, repeats: int = 3) -> dict:
    source = answer_key.ref.__loader__.get_source(answer_key.ref.__name__)
    right = answers(source)
    by_name = {m.name: m for m in slips.MUTANTS}
    salt, rows = new_salt(), []
    started = time.perf_counter()
    sealed = {qid: seal(answer_key.KEY[qid], qid, salt) for qid in answer_key.QUESTION_IDS
              if qid not in answer_key.HIDDEN}
    total = time.perf_counter() - started
    for kind, (qid, slip) in CASES.items():
        t0 = time.perf_counter()
        seal(answer_key.KEY[qid], qid, salt)
        sealing = time.perf_counter() - t0
        wrong = answers(by_name[slip].apply(source))[qid] if slip else None
        times = {"right": [], "wrong": []}
        for _ in range(1 if quick else repeats):
            for which, value in (("right", right[qid]), ("wrong", wrong)):
                if value is None:
                    continue
                t0 = time.perf_counter()
                check_sealed(sealed[qid], value, qid)
                times[which].append(time.perf_counter() - t0)
        rows.append({"kind": kind, "question": qid, "seal ms": round(sealing * 1e3),
                     "check right ms": round(median(times["right"]) * 1e3, 1),
                     "check wrong ms": round(median(times["wrong"]) * 1e3, 1) if times["wrong"] else "-"})
    return result("sealed", "Sealed answer key of theory: sealing and checking",
                  ["kind", "question", "seal ms", "check right ms", "check wrong ms"], rows,
                  notes=[f"sealing every visible question: {total:.1f} s"])


if __name__ == "__main__":
    sys.exit(main(run, sys.argv[1:], __doc__.splitlines()[0]))

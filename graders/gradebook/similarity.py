"""Pairs of submissions with much code in common, by winnowed fingerprints (copydetect, MOSS's method).

Each submission's code (a notebook's code cells, or the .py file) is tokenised with
variable, function and string names normalised, cut into k-grams (k = NOISE_TOKENS
characters of normalised code) and winnowed to fingerprints; the template's own
fingerprints (the code every student was given) are removed first, so starter code never
counts. Two submissions' similarity is, for each, the share of its fingerprinted code also
found in the other; a pair is flagged when the larger share reaches the threshold.

Only pairs that share enough fingerprints are compared in full (a sparse students x
fingerprints product counts the shared ones), so a class of hundreds takes seconds. The
matching passages of a flagged pair are kept as character ranges of each submission's
code, for the dashboard to show side by side.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path

NOISE_TOKENS = 25  # copydetect's default noise threshold: shorter matches are ignored
GUARANTEE_TOKENS = 30  # a match this long is always found (winnowing window = guarantee - noise + 1)
DEFAULT_THRESHOLD = 0.6
MAX_CODE_CHARS = 100_000  # code kept per flagged submission (for the side-by-side view)
# A pair is compared in full only if its shared fingerprints reach this share of the threshold
# (of the smaller submission's fingerprints): winnowing keeps about one fingerprint per window,
# so the shared share of fingerprints tracks the shared share of code; half is a wide margin.
PREFILTER_SLACK = 0.5


@dataclass
class Pair:
    student_a: str
    student_b: str
    similarity_a: float  # share of a's code found in b
    similarity_b: float
    code_a: str
    code_b: str
    passages_a: list[tuple[int, int]]  # character ranges of code_a that match
    passages_b: list[tuple[int, int]]

    @property
    def similarity(self) -> float:
        return max(self.similarity_a, self.similarity_b)


def submission_code(path: Path) -> str:
    """The code the grader would run: a notebook's code cells, or the .py file."""
    from graders.engine.source import read_submission

    source = read_submission(path)
    return "\n\n".join(code for _, code in source.cells)


def template_code(assignment: str, reference: Path | None = None) -> str:
    """The code of the assignment's template notebook: the bundled one, else the one built from
    `reference` (a course's own assignment); empty when there is neither."""
    from importlib import resources

    template = resources.files("student_templates").joinpath(f"{assignment}.ipynb")
    if not template.is_file():
        if reference is None:
            return ""
        from student_templates.build import build_notebook

        return "\n\n".join(c.source for c in build_notebook(assignment, reference).cells if c.cell_type == "code")
    with resources.as_file(template) as path:
        return submission_code(path)


def fingerprint(code: str, boilerplate=None):
    from copydetect import CodeFingerprint

    logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))  # copydetect warns per file
    return CodeFingerprint("submission.py", NOISE_TOKENS, GUARANTEE_TOKENS - NOISE_TOKENS + 1,
                           boilerplate=boilerplate, fp=io.StringIO(code))


def find_similar(codes: dict[str, str], template: str = "", threshold: float = DEFAULT_THRESHOLD,
                 progress=None) -> list[Pair]:
    """Flagged pairs among {student: code}, most similar first. progress: a tqdm-like bar or None."""
    import numpy as np
    from copydetect import compare_files

    boilerplate = np.array(sorted(fingerprint(template).hashes)) if template.strip() else None
    prints = {}
    for student, code in codes.items():
        prints[student] = fingerprint(code, boilerplate)
        if progress is not None:
            progress.update(1)
    candidates = _candidates(prints, threshold)
    pairs = []
    for a, b in candidates:
        overlap, (sim_a, sim_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
        if max(sim_a, sim_b) < threshold or not overlap:
            continue
        pairs.append(Pair(a, b, float(sim_a), float(sim_b), codes[a][:MAX_CODE_CHARS], codes[b][:MAX_CODE_CHARS],
                          _ranges(slices_a), _ranges(slices_b)))
    pairs.sort(key=lambda p: (-p.similarity, p.student_a, p.student_b))
    return pairs


def _candidates(prints: dict, threshold: float) -> list[tuple[str, str]]:
    """The pairs worth comparing: those whose shared fingerprints are at least PREFILTER_SLACK *
    threshold of the smaller one's (a sparse students x fingerprints product counts them)."""
    import numpy as np
    from scipy import sparse

    names = sorted(prints)
    columns: dict[int, int] = {}
    rows, cols = [], []
    for r, name in enumerate(names):
        for h in set(prints[name].hashes):
            rows.append(r)
            cols.append(columns.setdefault(h, len(columns)))
    if not columns:
        return []
    m = sparse.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(len(names), len(columns)))
    sizes = np.asarray(m.sum(axis=1)).ravel()
    shared = sparse.triu(m @ m.T, k=1).tocoo()
    need = PREFILTER_SLACK * threshold * np.minimum(sizes[shared.row], sizes[shared.col])
    keep = shared.data >= np.maximum(need, 1)
    return sorted((names[i], names[j]) for i, j in zip(shared.row[keep], shared.col[keep]))


def _ranges(slices) -> list[tuple[int, int]]:
    if len(slices) != 2 or len(slices[0]) == 0:
        return []
    return [(int(s), int(e)) for s, e in zip(slices[0], slices[1]) if s < MAX_CODE_CHARS]


def record_pairs(conn, assignment: str, pairs: list[Pair]) -> None:
    """Replace the assignment's flagged pairs in the gradebook database by these."""
    from graders.gradebook.db import now_utc, transaction

    at = now_utc()
    with transaction(conn):
        conn.execute("DELETE FROM similarities WHERE assignment = ?", (assignment,))
        conn.executemany(
            "INSERT INTO similarities (assignment, run_at, student_a, student_b, similarity_a, similarity_b, "
            "passages) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(assignment, at, p.student_a, p.student_b, p.similarity_a, p.similarity_b,
              json.dumps({"code_a": p.code_a, "code_b": p.code_b, "passages_a": p.passages_a,
                          "passages_b": p.passages_b})) for p in pairs])


def stored_pairs(conn, assignment: str) -> list[Pair]:
    pairs = []
    for r in conn.execute("SELECT * FROM similarities WHERE assignment = ? ORDER BY MAX(similarity_a, similarity_b) "
                          "DESC, student_a, student_b", (assignment,)):
        data = json.loads(r["passages"])
        pairs.append(Pair(r["student_a"], r["student_b"], r["similarity_a"], r["similarity_b"], data["code_a"],
                          data["code_b"], [tuple(x) for x in data["passages_a"]],
                          [tuple(x) for x in data["passages_b"]]))
    return pairs

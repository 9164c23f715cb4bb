"""Known slips of an assignment, as edits of its reference solution.

A `Mutant` is one slip a student really makes (or one unusual but correct way of writing
a function), expressed as an exact text replacement in the reference module. Keeping
the slips as edits of the reference, rather than as copied files, means a mutant breaks
loudly (its `old` text is gone) when the reference changes, instead of silently testing
stale code.

An assignment lists its slips in the module `slips.py` of its folder:
    MUTANTS: buggy submissions; `catches` names the checks that must fail on each.
    UNUSUAL: correct but unusual submissions; they must get full marks.
(and optionally SLOW_MUTANTS / SLOW_UNUSUAL, graded only by the slow tests and `verify`.)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    """One edit of a reference module.

    name: what the slip is, e.g. "sigmoid_backward_without_one_minus_s".
    old, new: exact replacement; `old` must occur exactly once (or `count` times).
    catches: names (or name prefixes) of the checks that must fail on this submission,
        e.g. ("sigmoid_backward: gradient check",); empty for UNUSUAL mutants.
    says: words the feedback of the first caught check must contain (the named slip),
        e.g. ("factor of 2",).
    count: how many occurrences of `old` are replaced (default 1).
    more: further (old, new) replacements, each of text that occurs exactly once, for a
        submission that differs in more than one place (a network and the step that uses it).
    """

    name: str
    old: str
    new: str
    catches: tuple[str, ...] = ()
    count: int = 1
    says: tuple[str, ...] = ()
    more: tuple[tuple[str, str], ...] = ()

    def apply(self, source: str) -> str:
        for old, new, count in ((self.old, self.new, self.count), *((o, n, 1) for o, n in self.more)):
            found = source.count(old)
            if found != count:
                raise AssertionError(
                    f"mutant {self.name!r}: expected {count} occurrence(s) of {old!r} "
                    f"in the reference, found {found}"
                )
            source = source.replace(old, new)
        return source

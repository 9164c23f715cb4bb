"""The data set of a grade, named by its `data` option: "digits" (scikit-learn's bundled 8x8
digits) or "mnist:PATH" (the folder of the four MNIST IDX files), read once per process.
"""

from __future__ import annotations

import functools

from graders.engine.checks import CheckFailed


def dataset(spec: str, sizes: dict[str, dict]) -> dict:
    """`graders.data.load_dataset(spec, **sizes[name])` (name: "digits" or "mnist"; no
    sizes for a name not in `sizes`), the same dict on every call with the same arguments."""
    name = spec.split(":", 1)[0]
    return _load(spec, tuple(sorted(sizes.get(name, {}).items())))


# Cached for the process, not per grade: a pure function of the data set's files (the same
# arrays for every grade); the few specs a course uses fit.
@functools.lru_cache(maxsize=4)
def _load(spec: str, sizes: tuple) -> dict:
    from graders.data import load_dataset

    return load_dataset(spec, **dict(sizes))


def grade_dataset(ctx, sizes: dict[str, dict]) -> tuple[str, str, dict]:
    """(spec, name, data) of the grade's data set (its option "data", "digits" when unset);
    CheckFailed that blames the setting if the data set cannot be read."""
    spec = str(ctx.options.get("data") or "digits")
    try:
        data = dataset(spec, sizes)
    except (OSError, ValueError) as exc:  # IDXFormatError is a ValueError
        raise CheckFailed(
            f"the data set {spec!r} could not be loaded (a setting of the grade, not your code): {exc}",
            slip='the instructor\'s --data option: "digits" or "mnist:PATH" with PATH the folder of the four '
                 "MNIST IDX files.") from None
    return spec, spec.split(":", 1)[0], data

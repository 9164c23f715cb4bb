"""The bundled and local data sets, as the grader's own code reaches them.

The loaders and files live in `dlgrade.data` because a submission reads them too, inside
its sandbox (which may read that package and nothing else of the installation); the
engine, the checks and the calibration tools load data through this module, so that no
code below the front doors imports the `dlgrade` package itself.
"""

from __future__ import annotations


def load_dataset(spec: str, **sizes) -> dict:
    """`dlgrade.data.mnist.load_dataset(spec, **sizes)`: "digits" or "mnist:PATH"."""
    from dlgrade.data.mnist import load_dataset as load

    return load(spec, **sizes)


def __getattr__(name: str):
    """The loaders of `dlgrade.data` (`load_digits`, `load_faust`, ...), looked up on first use."""
    import dlgrade.data as bundled

    if name in bundled.__all__:
        return getattr(bundled, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

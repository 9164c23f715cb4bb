"""dlgrade: verification and grading suite for deep-learning courses.

`dlgrade.cli` is the command line; `dlgrade.data` holds the bundled data sets that
students, references and graders share. The checks live in the `graders` package and
the reference solutions in `reference`.

`__version__` is `graders.version.__version__`, looked up on first use: a submission's
sandbox may read this package (for `dlgrade.data`) but not `graders`, so importing
`dlgrade` must not import `graders`.
"""


def __getattr__(name: str):
    if name == "__version__":
        from graders.version import __version__

        return __version__
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

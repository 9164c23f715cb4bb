"""dlgrade: verification and grading suite for deep-learning courses.

`dlgrade.cli` is the command line; `dlgrade.data` holds the bundled data sets that
students, references and graders share. The checks live in the `graders` package and
the reference solutions in `reference`.
"""

__version__ = "0.1.0"

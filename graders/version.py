"""The version of dlgrade, below every layer: reports, bundles and gradebooks stamp it, and
`dlgrade.__version__` re-exports it."""

__version__ = "0.1.0"

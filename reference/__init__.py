"""Reference solutions of the course assignments (`numpy/` and `torch/`), one module per assignment id; each module is also the source of its student template."""

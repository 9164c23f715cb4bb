"""Each assignment's probe of its contract functions (see tests/mutants/probing.py)."""

"""PyTorch reference solutions, one module per assignment (each a stand-alone submission file)."""

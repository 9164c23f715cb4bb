"""Gradescope: the autograder bundle (`bundle.build_bundle`, `dlgrade gradescope-bundle`) and
the program its `run_autograder` runs for each submission (`run.py`)."""

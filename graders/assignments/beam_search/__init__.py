"""Grader of `beam_search`: beam search decoding checked against exhaustive search."""

"""Student notebooks, generated from the reference modules by `build.py`, and example submissions."""

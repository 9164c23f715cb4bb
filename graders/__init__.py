"""The checks of each assignment and the engine that runs them."""

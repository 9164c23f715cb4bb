"""Grader of `sequences_torch`: a character LSTM and a recurrent shampoo-sales forecaster."""

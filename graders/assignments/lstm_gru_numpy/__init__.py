"""Grader of `lstm_gru_numpy`: LSTM (sigmoid or hard-sigmoid gates) and GRU cells in NumPy.

Every check is a value or gradient check against the reference; there is no trained
threshold.
"""

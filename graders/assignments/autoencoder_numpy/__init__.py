"""Grader of `autoencoder_numpy`: a dense ReLU/sigmoid autoencoder trained with Adagrad."""

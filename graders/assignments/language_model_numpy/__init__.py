"""Grader of `language_model_numpy`: next word from three context words (shared embedding,
sigmoid hidden layer, softmax), trained with mini-batch SGD and classical momentum."""

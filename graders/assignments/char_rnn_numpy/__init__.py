"""Grader of `char_rnn_numpy`: a character-level vanilla RNN (min-char-rnn) trained with
Adagrad and gradient clipping, which must memorise the course's Faust excerpt."""

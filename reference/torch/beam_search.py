"""# Beam search decoding

A language model (a character LSTM, a translation decoder, ...) gives, for every prefix
of a sequence, a probability distribution over the next token. Decoding asks for the
most probable whole sequence. Trying every sequence is exponential in its length;
choosing the single most probable token at each step (*greedy decoding*) is fast but can
miss a better sequence whose first token looked worse. **Beam search** sits in between:
it keeps the `beam_width` best partial sequences ("hypotheses") at each step.

Here the model is any function `step_fn(prefix) -> log_probs`, where `prefix` is a tuple
of token ids that starts with the `start` token and `log_probs` is a 1-D array over the
vocabulary: `log_probs[v] = log p(next token = v | prefix)`. The score of a hypothesis
is its **total log-probability**, the sum of the log-probabilities of the tokens
generated after `start` (no length normalisation):

    score((start, y_1, ..., y_L)) = sum_{t=1..L} log p(y_t | start, y_1, ..., y_{t-1})

Conventions of this assignment (the tests pin them):
- every returned sequence is a tuple that **includes** `start` as its first element;
- `max_len` counts the tokens generated **after** `start`, the `end` token included: a
  returned tuple has between 2 and max_len + 1 elements;
- a hypothesis is finished when its last token is `end` (it is not extended further)
  or when it has max_len generated tokens (it is cut there).

With a beam at least as wide as the number of possible sequences, beam search is
exhaustive and returns every sequence, best first; with a beam of width 1 it is greedy
decoding. Work in log-probabilities: a product of many probabilities underflows to 0.
"""

import numpy as np


def beam_search(step_fn, start, end, beam_width, max_len):
    """Beam search for the most probable sequences under `step_fn`.

    The algorithm (a beam that shrinks as hypotheses finish):

        live = [((start,), 0.0)]; finished = []
        repeat max_len times (stop early when no live hypothesis is left):
            k = beam_width - len(finished)
            extend every live hypothesis by every token v of the vocabulary,
                score + log_probs[v] where log_probs = step_fn(hypothesis)
            keep the k extensions with the highest score (over ALL live hypotheses);
            those whose last token is `end` are finished, the others stay live
        the hypotheses still live after max_len steps are finished too (cut at max_len)

    So at most beam_width hypotheses are returned. Ties in score are broken by the
    order of generation (the better-ranked parent first, then the lower token id).

    Inputs:
    - step_fn: function taking a prefix (tuple of ints, starting with `start`) and
      returning the log-probabilities of the next token: a 1-D array of length V.
    - start: int, the token every sequence starts with (scored 0, never generated).
    - end: int, the token that finishes a hypothesis.
    - beam_width: int >= 1, the number of hypotheses kept.
    - max_len: int >= 1, the maximum number of tokens generated after `start`.

    Returns:
    - a list of (sequence, score) pairs, sorted by score, best first: sequence is a
      tuple of ints (start, y_1, ..., y_L) with L <= max_len, ending with `end` or with
      L == max_len; score is a float, the total log-probability of y_1..y_L.
    """
    ### BEGIN SOLUTION
    # TODO: keep (sequence, score) pairs; extend, rank all extensions together, keep the best k, move finished ones out.
    live = [((start,), 0.0)]
    finished = []
    for _ in range(max_len):
        if not live:
            break
        k = beam_width - len(finished)  # the beam shrinks by one for each finished hypothesis
        candidates = []
        for seq, score in live:
            log_probs = np.asarray(step_fn(seq), dtype=np.float64).reshape(-1)
            for v in range(log_probs.shape[0]):
                candidates.append((seq + (v,), score + float(log_probs[v])))  # log p adds up
        candidates.sort(key=lambda c: -c[1])  # best first; a stable sort keeps ties in order
        live = []
        for seq, score in candidates[:k]:
            (finished if seq[-1] == end else live).append((seq, score))
    finished.extend(live)  # cut at max_len
    finished.sort(key=lambda c: -c[1])
    return finished
    ### END SOLUTION

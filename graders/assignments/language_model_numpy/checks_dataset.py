"""Checks of `build_dataset(text, vocab_size) -> (vocab, contexts, targets)`.

The rules (the reference's docstring): words are `tokenize(text)`, the lower-cased runs
of a-z with inner apostrophes (`[a-z]+(?:'[a-z]+)*` on `text.lower()`); the vocabulary is
the `vocab_size` most frequent words, most frequent first, ties by first appearance;
every run of four consecutive words, all in the vocabulary, gives one example (the
first three words' indices as the context, the fourth's as the target), in text order,
and a 4-gram with any other word is dropped.

The vocabulary is checked on a hand-made text with ties at the cut, upper case,
apostrophes, digits and punctuation. The 4-grams are checked against the vocabulary the
submission returned (so a vocabulary slip is not counted twice), on texts where words
outside the vocabulary fall at every position of some 4-gram. A Hypothesis property then
compares everything with the reference on drawn texts and shows the smallest failing one.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
from hypothesis import strategies as st

from graders.engine import expect
from graders.engine.checks import CheckFailed
from graders.engine.properties import check_property
from graders.sandbox.errors import StudentError
from reference.numpy import language_model_numpy as ref

# A tie among the top 3 (eat, the, apples: first appearance, not alphabetical) and ties at
# the cuts of 5 (zebras, grass, don't) and 8 (the words seen once); "Zebras"/"ZEBRAS" and
# "don't"/"DON'T" are one word each once lower-cased; "apples'" ends at the apostrophe.
VOCAB_TEXT = ("Zebras eat grass. The zebra's stripes: \"don't\" touch! A zebra ate 3 apples; the apples' "
              "seeds -- DON'T eat them. Grass, apples and ZEBRAS eat. the end")
VOCAB_SIZES = (3, 5, 8, 100)
# Lower-case prose with punctuation; with 4 and 6 words the dropped words fall at every
# position of some 4-gram, and words repeat within the kept 4-grams.
GRAM_TEXT = ("the cat sat on the mat. the dog sat on the cat; a cat and a dog sat on the mat, "
             "and the dog ran.")
GRAM_CASES = ((GRAM_TEXT, 4), (GRAM_TEXT, 6), (VOCAB_TEXT, 5), ("Hello, world! Bye.", 5))


def call_build(ctx, text: str, vocab_size: int):
    """(vocab as a list of str, contexts (M, 3), targets (M,) as int64), validated."""
    what = f"build_dataset({text[:40] + '...' if len(text) > 40 else text!r}, {vocab_size})"
    try:
        out = ctx.call("build_dataset", text, vocab_size)
    except StudentError as exc:
        raise CheckFailed(f"{what} raised an exception.", got=exc.describe(),
                          details=f"The whole text: {text!r}") from None
    vocab, contexts, targets = expect.sequence(out, what, 3)
    if not isinstance(vocab, (list, tuple)) or not all(isinstance(w, str) for w in vocab):
        raise CheckFailed(f"{what}[0] (vocab) is {expect.describe_value(vocab)}; expected a list of words (str).",
                          expected="a list of str", got=expect.describe_value(vocab))
    contexts = int_array(contexts, f"{what}[1] (contexts)", (None, 3))
    targets = int_array(targets, f"{what}[2] (targets)", (None,))
    if len(contexts) != len(targets):
        raise CheckFailed(f"{what}: {len(contexts)} contexts but {len(targets)} targets; one target per context.",
                          expected="contexts (M, 3) and targets (M,) with the same M",
                          got=f"{contexts.shape} and {targets.shape}")
    return list(vocab), contexts, targets


def int_array(value, what: str, shape: tuple) -> np.ndarray:
    a = expect.array(value, what, None, dtype=None)
    if a.dtype.kind not in "iu":
        raise CheckFailed(f"{what} is a {a.dtype} array; expected integer word indices.", expected="int64",
                          got=str(a.dtype), slip="np.array(..., dtype=np.int64): indices are integers.")
    if a.ndim != len(shape) or (len(shape) == 2 and a.shape[1] != shape[1]):
        slip = None
        if a.size == 0:
            slip = ("no examples, in the wrong shape: with no 4-gram left contexts must still have shape "
                    "(0, 3) and targets (0,) (np.array(rows, dtype=np.int64).reshape(-1, 4) keeps the columns).")
        raise CheckFailed(f"{what} has shape {a.shape}; expected {'(M, 3)' if len(shape) == 2 else '(M,)'}.",
                          expected="(M, 3)" if len(shape) == 2 else "(M,)", got=str(a.shape), slip=slip)
    return a.astype(np.int64)


# ------------------------------------------------------------------ the rules, and their slips


def vocabulary(words: list[str], size: int, ties: str = "first") -> list[str]:
    counts = Counter(words)
    if ties == "alphabetical":
        return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:size]]
    if ties == "last":
        last = {w: i for i, w in enumerate(words)}
        return sorted(counts, key=lambda w: (-counts[w], -last[w]))[:size]
    return [w for w, _ in counts.most_common(size)]


def vocab_slips(text: str, size: int) -> dict[str, list[str]]:
    words = ref.tokenize(text)
    return {
        "ties in alphabetical order: words with the same count keep the order of their first appearance "
        "in the text (Counter.most_common does that; a sort by (-count, word) does not)":
            vocabulary(words, size, ties="alphabetical"),
        "ties ordered by their last appearance; they go by their first appearance":
            vocabulary(words, size, ties="last"),
        "the text is not lower-cased: 'The' and 'the' are one word (tokenize lower-cases the text)":
            vocabulary(re.findall(r"[A-Za-z]+(?:'[A-Za-z]+)*", text), size),
        "words split at apostrophes: \"don't\" is one word (the pattern [a-z]+(?:'[a-z]+)*)":
            vocabulary(re.findall(r"[a-z]+", text.lower()), size),
        "the text split at white space only: punctuation and digits separate words too (use tokenize)":
            vocabulary(text.lower().split(), size),
        "the least frequent words first; most frequent first": vocabulary(words, len(set(words)))[::-1][:size],
    }


def grams(text: str, vocab: list[str], rule: str = "all four") -> tuple[np.ndarray, np.ndarray]:
    """(contexts, targets) of `text` under `vocab` with the contract's rule or a slip's."""
    index = {w: i for i, w in enumerate(vocab)}
    words = ref.tokenize(text)
    ids = [index.get(w, -1) for w in words]
    rows = []
    for i in range(len(ids) - 3):
        g = ids[i:i + 4]
        if rule == "target only":
            keep = g[3] >= 0
        elif rule == "oov as word 0":
            g, keep = [max(x, 0) for x in g], True
        elif rule == "context only":
            keep = min(g[:3]) >= 0
        elif rule == "target after a gap":
            g = ids[i:i + 3] + ([ids[i + 4]] if i + 4 < len(ids) else [-1])
            keep = min(g) >= 0
        else:
            keep = min(g) >= 0
        if keep:
            rows.append(g)
    a = np.array(rows, dtype=np.int64).reshape(-1, 4)
    return a[:, :3], a[:, 3]


GRAM_SLIPS = {
    "target only": "only the target word is checked: a 4-gram is dropped when ANY of its four words is "
                   "outside the vocabulary",
    "context only": "only the three context words are checked: the target must be in the vocabulary too",
    "oov as word 0": "words outside the vocabulary are mapped to index 0 and kept: such 4-grams are dropped",
    "target after a gap": "the target is words[i + 4], one word too far: it is the word right after the "
                          "context, words[i + 3]",
}


def check_build_dataset_vocabulary(ctx):
    for size in VOCAB_SIZES:
        vocab, _, _ = call_build(ctx, VOCAB_TEXT, size)
        expected = ref.build_dataset(VOCAB_TEXT, size)[0]
        if vocab == expected:
            continue
        slip = next((words for words, wrong in vocab_slips(VOCAB_TEXT, size).items() if vocab == wrong), None)
        counts = Counter(ref.tokenize(VOCAB_TEXT))
        raise CheckFailed(
            f"build_dataset(text, {size}) returned the wrong vocabulary.",
            expected=str(expected), got=str(vocab[:20]) + (" ..." if len(vocab) > 20 else ""), slip=slip,
            details=f"The text: {VOCAB_TEXT!r}\nIts words (tokenize) and their counts, in order of first "
                    f"appearance: {dict(counts)}\nvocab: the {size} most frequent words, most frequent first, "
                    "ties by first appearance in the text (all the words if there are fewer).")


# Where the common tokenisers part from the contract's [a-z]+(?:'[a-z]+)* on text.lower():
# letters next to digits (\b-anchored patterns drop "mp" of "mp3s"; \w keeps "mp3s"), an
# underscore and a hyphen (separators), apostrophes at a word's edge or doubled ("'quoted'",
# "rock''n"), and a letter outside a-z ("café" gives "caf").
TOKEN_TEXT = ("It's 5 o'clock: the 2nd mp3s of the 1990s play rock'n'roll -- 'quoted' words, "
              "well-known snake_case, e-mail, rock''n roll, caf\u00e9 it's O'CLOCK 42nd")


def token_slips(text: str) -> dict[str, list[str]]:
    """What the common tokenisers make of `text` (all its words, in order)."""
    low = text.lower()
    return {
        "\\w+ (or [a-z0-9_']+) keeps digits and underscores inside words: only the letters a-z make words; "
        "digits, underscores and punctuation separate them":
            re.findall(r"\w+(?:'\w+)*", low),
        "a \\b-anchored pattern (\\b[a-z]+...\\b) drops letters that touch a digit (\"mp3s\" has the words "
        "\"mp\" and \"s\"): digits separate words, they do not hide them":
            re.findall(r"\b[a-z]+(?:'[a-z]+)*\b", low),
        "apostrophes are kept at the edges of words ([a-z']+): only an apostrophe BETWEEN letters is part "
        "of a word (\"'quoted'\" is the word \"quoted\")":
            re.findall(r"[a-z']+", low),
        "hyphens are kept inside words: a hyphen separates words (\"well-known\" is two)":
            re.findall(r"[a-z]+(?:['-][a-z]+)*", low),
        "letters outside a-z are kept (str.isalpha or [^\\W\\d_]): the contract's letters are a-z only":
            re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)*", low),
        "words split at apostrophes: \"don't\" is one word (the pattern [a-z]+(?:'[a-z]+)*)":
            re.findall(r"[a-z]+", low),
    }


def check_build_dataset_tokens(ctx):
    """Every word of a text full of edge cases, in the contract's order (vocab_size large)."""
    size = 1000
    vocab, _, _ = call_build(ctx, TOKEN_TEXT, size)
    expected = ref.build_dataset(TOKEN_TEXT, size)[0]
    if vocab == expected:
        return None
    slip = next((words for words, wrong in token_slips(TOKEN_TEXT).items() if vocab == vocabulary(wrong, size)),
                None)
    extra = [w for w in vocab if w not in expected]
    missing = [w for w in expected if w not in vocab]
    raise CheckFailed(
        f"build_dataset(text, {size}) does not split the text into the contract's words.",
        expected=str(expected), got=str(vocab[:30]) + (" ..." if len(vocab) > 30 else ""),
        diff=f"words that are not the contract's: {extra[:10]}; the contract's words missing: {missing[:10]}",
        slip=slip,
        details=f"The text: {TOKEN_TEXT!r}\nThe words are re.findall(r\"[a-z]+(?:'[a-z]+)*\", text.lower()): "
                "runs of the letters a-z, an apostrophe kept only between two letters; digits, punctuation, "
                "underscores, hyphens and white space separate words. With vocab_size 1000 the vocabulary is "
                "every word, most frequent first, ties by first appearance.")


def check_build_dataset_grams(ctx):
    for text, size in GRAM_CASES:
        vocab, contexts, targets = call_build(ctx, text, size)
        # judged against the submission's own vocabulary when it is a list of distinct words
        own = len(set(vocab)) == len(vocab) and len(vocab) > 0
        basis = vocab if own else ref.build_dataset(text, size)[0]
        exp_c, exp_t = grams(text, basis)
        if np.array_equal(contexts, exp_c) and np.array_equal(targets, exp_t):
            continue
        slip = next((words for rule, words in GRAM_SLIPS.items()
                     if (lambda c, t: np.array_equal(contexts, c) and np.array_equal(targets, t))(
                         *grams(text, basis, rule))), None)
        first_bad = _first_difference(contexts, targets, exp_c, exp_t)
        raise CheckFailed(
            f"build_dataset(text, {size}) returned the wrong 4-grams ({len(targets)} examples; expected "
            f"{len(exp_t)}).",
            expected=f"contexts {exp_c[:6].tolist()}{' ...' if len(exp_c) > 6 else ''}, targets "
                     f"{exp_t[:12].tolist()}{' ...' if len(exp_t) > 12 else ''}",
            got=f"contexts {contexts[:6].tolist()}{' ...' if len(contexts) > 6 else ''}, targets "
                f"{targets[:12].tolist()}{' ...' if len(targets) > 12 else ''}",
            where=first_bad, slip=slip,
            details=f"The text: {text!r}\nIts words: {ref.tokenize(text)}\nThe vocabulary used to judge the "
                    f"4-grams ({'the one you returned' if own else 'the expected one'}): {basis}\n"
                    "Every run of four consecutive words, all in vocab, in text order, gives context = the "
                    "indices of the first three, target = the index of the fourth.")


def _first_difference(contexts, targets, exp_c, exp_t) -> str:
    for i in range(min(len(exp_t), len(targets))):
        if not (np.array_equal(contexts[i], exp_c[i]) and targets[i] == exp_t[i]):
            return f"first at example {i}: expected {exp_c[i].tolist()} -> {int(exp_t[i])}, got " \
                   f"{contexts[i].tolist()} -> {int(targets[i])}"
    return f"the first {min(len(exp_t), len(targets))} examples agree; then the counts differ"


# Words (with upper case and apostrophes) and separators (punctuation, digits, white space)
# of the texts Hypothesis draws.
_WORDS = ("the", "The", "THE", "cat", "Cat", "dog", "a", "sat", "on", "don't", "Don't", "cat's", "it")
_SEPARATORS = (" ", " ", " ", ", ", ". ", "! ", "; ", " - ", "\n", " 42 ", "'", " '", "_", "...")


def texts():
    return st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_SEPARATORS)), max_size=24).map(
        lambda parts: "".join(w + s for w, s in parts))


def check_build_dataset_property(ctx):
    def prop(text, size):
        vocab, contexts, targets = call_build(ctx, text, size)
        exp_v, exp_c, exp_t = ref.build_dataset(text, size)
        if vocab != exp_v:
            raise CheckFailed(f"build_dataset(text, {size}) returned the vocabulary {vocab}; expected {exp_v}.",
                              expected=str(exp_v), got=str(vocab),
                              slip=next((w for w, wrong in vocab_slips(text, size).items() if vocab == wrong),
                                        None))
        if not (np.array_equal(contexts, exp_c) and np.array_equal(targets, exp_t)):
            raise CheckFailed(
                f"build_dataset(text, {size}) returned the wrong 4-grams.",
                expected=f"contexts {exp_c.tolist()}, targets {exp_t.tolist()}",
                got=f"contexts {contexts.tolist()}, targets {targets.tolist()}",
                slip=next((words for rule, words in GRAM_SLIPS.items()
                           if all(np.array_equal(a, b) for a, b in
                                  zip((contexts, targets), grams(text, exp_v, rule)))), None),
                details=f"Its words: {ref.tokenize(text)}")

    check_property(prop, texts(), st.integers(1, 6), max_examples=30)

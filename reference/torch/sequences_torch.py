"""# Sequences in PyTorch: a character LSTM and a shampoo-sales forecaster

This assignment has two parts that share one idea: a recurrent network reads a sequence
one step at a time and carries what it has seen in a *state*.

**Part 1: a character-level language model.** `CharLSTM` reads a batch of character
indices `idx` of shape `(N, T)` and returns, at every position `t`, the scores
("logits") of the next character, shape `(N, T, V)`:

    e_t        = embedding of idx[:, t]                  (N, E)   (or a one-hot row)
    h_t, c_t   = LSTM(e_t, (h_{t-1}, c_{t-1}))           (N, H)
    logits_t   = h_t W + b                               (N, V)

It also returns the final state `(h_T, c_T)`, each `(num_layers, N, H)` like
`nn.LSTM`, so a long text can be read in chunks: feeding the state of one chunk into
the next gives exactly the same logits as reading both chunks at once. The model must
be *causal*: the logits at position `t` depend only on `idx[:, :t + 1]` (no
bidirectional layers: the task is to predict the future, not to read it).

The grader trains your `CharLSTM` for a fixed budget on a slice of English prose (the
Python documentation that ships with Python), computes the validation cross-entropy
itself, and samples a string with a temperature (`sample` below is given).

**Part 2: forecasting a time series.** The course's shampoo-sales series has 36
monthly values; the last 12 months are the test set. The classical recipe:

1. make the series stationary by *differencing*: `d_t = s_{t+1} - s_t`;
2. scale the differences to [-1, 1] with a scaler fitted **on the training split
   only** (fitting it on all the data leaks the test year into training);
3. cut the scaled series into windows: the `window` previous values predict the next;
4. train a small recurrent `Forecaster` (an RNN, LSTM or GRU cell and a linear head);
5. walk forward through the test year: each month, predict the next difference from
   the observed past, invert the scaling, and add it to last month's observed sales.

The forecast is judged by its RMSE against the *persistence* baseline (next month =
this month), as in the course text's table of results per cell type.

Shapes: a batch of windows is `(N, T, 1)` (batch first, one feature per step), and a
forecast is `(N,)`. The series functions take and return NumPy arrays (float64).
"""

import numpy as np
import torch
from torch import nn


class CharLSTM(nn.Module):
    """Character-level language model: embedding, LSTM, linear head.

    Inputs (constructor):
    - vocab_size: V, the number of distinct characters.
    - hidden_size: H, the size of the LSTM state.
    - num_layers: number of stacked LSTM layers (default 1).

    forward(idx, state=None):
    - idx: LongTensor of shape (N, T), character indices in [0, V).
    - state: None (zeros) or the tuple (h, c) returned by a previous call, each of
      shape (num_layers, N, H).

    Returns a tuple of:
    - logits: (N, T, V), unnormalised scores of the NEXT character at each position
      (logits[:, t] depends on idx[:, :t + 1] only).
    - state: the tuple (h, c) after the last position, each (num_layers, N, H).
      forward(idx[:, :k]) then forward(idx[:, k:], state) gives the same logits as
      forward(idx).
    """

    def __init__(self, vocab_size, hidden_size, num_layers=1):
        super().__init__()
        ### BEGIN SOLUTION
        # TODO: an nn.Embedding (or one-hot rows), an nn.LSTM(batch_first=True), an nn.Linear head to V.
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, hidden_size)
        self.lstm = nn.LSTM(hidden_size, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)
        ### END SOLUTION

    def forward(self, idx, state=None):
        ### BEGIN SOLUTION
        # TODO: embed, run the LSTM from `state`, apply the head at every position.
        out, state = self.lstm(self.embed(idx), state)  # out: (N, T, H), h_t for every t
        return self.head(out), state  # (N, T, V): the head acts on the last axis
        ### END SOLUTION


@torch.no_grad()
def sample(model, prefix, n, temperature=1.0, generator=None):
    """Given: draw `n` characters from a trained CharLSTM (indices in, indices out).

    The prefix is read once to build the state; then each draw uses
    p = softmax(logits / temperature): a low temperature sharpens the distribution
    (towards the most likely character), a high one flattens it (towards uniform).
    """
    model.eval()
    idx = torch.as_tensor(list(prefix), dtype=torch.long).reshape(1, -1)
    logits, state = model(idx)
    out = []
    for _ in range(n):
        p = torch.softmax(logits[0, -1].double() / temperature, dim=-1)
        nxt = int(torch.multinomial(p, 1, generator=generator))
        out.append(nxt)
        logits, state = model(torch.tensor([[nxt]]), state)
    return out


def difference(series, interval=1):
    """Differenced series: d[t] = series[t + interval] - series[t].

    Inputs:
    - series: 1-D array of length n.
    - interval: the lag (1 for month-to-month changes, 12 for a seasonal difference).

    Returns:
    - d: float64 array of shape (n - interval,).
    """
    ### BEGIN SOLUTION
    # TODO: subtract the series from itself shifted by `interval`.
    s = np.asarray(series, dtype=np.float64)
    return s[interval:] - s[:-interval]
    ### END SOLUTION


def inverse_difference(last_value, diff, interval=1):
    """Undo `difference`: rebuild the values that follow `last_value` from their differences.

    With interval 1: out[0] = last_value + diff[0], out[k] = out[k - 1] + diff[k], that
    is out = last_value + cumsum(diff). So for any series s,
    inverse_difference(s[0], difference(s)) == s[1:], and one forecast step is
    inverse_difference(last observed value, predicted difference) = last + predicted.
    (With interval k, `last_value` holds the last k values and out[j] = prev[j] + diff[j]
    where prev is the value k steps earlier.)

    Inputs:
    - last_value: the value just before the first difference (a float), or for
      interval k > 1 an array of the last k values.
    - diff: a float or a 1-D array of differences.

    Returns:
    - a float when diff is a float, else a float64 array of diff's shape.
    """
    ### BEGIN SOLUTION
    # TODO: add each difference to the value `interval` steps before it, starting from last_value.
    d = np.asarray(diff, dtype=np.float64)
    history = [float(v) for v in np.atleast_1d(np.asarray(last_value, dtype=np.float64))]
    for dk in d.reshape(-1):
        history.append(history[-interval] + dk)  # value = (value `interval` steps back) + difference
    out = np.array(history[len(history) - d.size:], dtype=np.float64)
    return float(out[0]) if d.ndim == 0 else out.reshape(d.shape)
    ### END SOLUTION


def fit_scaler(train):
    """Fit a min-max scaler on the TRAINING values only.

    Inputs:
    - train: 1-D array, the training split (never the test values: using them here leaks
      the test set into the model's inputs).

    Returns a tuple of floats:
    - (lo, hi) = (min(train), max(train)).
    """
    ### BEGIN SOLUTION
    # TODO: the minimum and the maximum of the training values, as floats.
    t = np.asarray(train, dtype=np.float64)
    return float(t.min()), float(t.max())
    ### END SOLUTION


def scale(x, lo, hi):
    """Map [lo, hi] linearly onto [-1, 1]: x_s = 2 (x - lo) / (hi - lo) - 1.

    Training values land in [-1, 1] (lo -> -1, hi -> +1); test values may fall outside.
    The scaler's (lo, hi) come from `fit_scaler`: never re-fit them on `x`.

    Inputs:
    - x: array (any shape); lo, hi: floats with hi > lo.

    Returns:
    - float64 array of x's shape.
    """
    ### BEGIN SOLUTION
    # TODO: the linear map with lo -> -1 and hi -> +1.
    return 2.0 * (np.asarray(x, dtype=np.float64) - lo) / (hi - lo) - 1.0
    ### END SOLUTION


def invert_scale(y, lo, hi):
    """Inverse of `scale`: y -> lo + (y + 1) (hi - lo) / 2.

    Inputs:
    - y: array (any shape) or float; lo, hi: the scaler's floats.

    Returns:
    - float64 array of y's shape.
    """
    ### BEGIN SOLUTION
    # TODO: solve the scaling formula for x.
    return lo + (np.asarray(y, dtype=np.float64) + 1.0) * (hi - lo) / 2.0
    ### END SOLUTION


def make_windows(series, window):
    """Supervised pairs from a series: each `window` consecutive values predict the next.

        X[i, :, 0] = series[i : i + window]        y[i] = series[i + window]

    for i = 0 .. n - window - 1, so the last value of X[i] is the one just before y[i].

    Inputs:
    - series: 1-D array of length n.
    - window: number of past values per example (1 <= window < n).

    Returns a tuple of float64 arrays:
    - X: (n - window, window, 1), batch first with one feature, ready for a Forecaster.
    - y: (n - window,).
    """
    ### BEGIN SOLUTION
    # TODO: stack the n - window slices of length `window`; the targets are the values after them.
    s = np.asarray(series, dtype=np.float64)
    n = s.shape[0] - window
    X = np.stack([s[i:i + window] for i in range(n)])[:, :, None]
    y = s[window:window + n].copy()
    return X, y
    ### END SOLUTION


class Forecaster(nn.Module):
    """One recurrent layer (RNN, LSTM or GRU) and a linear head on its last state.

    Inputs (constructor):
    - cell: "rnn" (tanh), "lstm" or "gru".
    - hidden_size: H.

    forward(x):
    - x: FloatTensor of shape (N, T, 1), a batch of windows (batch first).

    Returns:
    - forecast: (N,), a linear function of the hidden state after the last step T.
    """

    def __init__(self, cell, hidden_size):
        super().__init__()
        ### BEGIN SOLUTION
        # TODO: pick nn.RNN / nn.LSTM / nn.GRU (input size 1, batch_first=True); add nn.Linear(H, 1).
        layers = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
        if cell not in layers:
            raise ValueError(f"cell must be 'rnn', 'lstm' or 'gru', got {cell!r}")
        self.rnn = layers[cell](1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        # TODO: run the recurrent layer, keep the output at the last step, apply the head, drop the last axis.
        out, _ = self.rnn(x)  # (N, T, H)
        return self.head(out[:, -1]).squeeze(-1)  # (N, 1) -> (N,)
        ### END SOLUTION

"""Buggy and unusual submissions of `sequences_torch` (edits of the reference)."""

from graders.engine.mutants import Mutant

_LSTM_INIT = """        self.embed = nn.Embedding(vocab_size, hidden_size)
        self.lstm = nn.LSTM(hidden_size, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)"""
_LSTM_FORWARD = """        out, state = self.lstm(self.embed(idx), state)  # out: (N, T, H), h_t for every t
        return self.head(out), state  # (N, T, V): the head acts on the last axis"""
_FORECASTER_INIT = """        self.rnn = layers[cell](1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)"""
_FORECASTER_FORWARD = """        out, _ = self.rnn(x)  # (N, T, H)
        return self.head(out[:, -1]).squeeze(-1)  # (N, 1) -> (N,)"""
_SHAMPOO = ("266.0, 145.9, 183.1, 119.3, 180.3, 168.5, 231.8, 224.5, 192.8, 122.9, 336.5, 185.9, "
            "194.3, 149.5, 210.1, 273.3, 191.4, 287.0, 226.0, 303.6, 289.9, 421.6, 264.5, 342.3, "
            "339.7, 440.4, 315.9, 439.3, 401.3, 437.4, 575.5, 407.6, 682.0, 475.3, 581.3, 646.9")

MUTANTS = [
    # --- CharLSTM
    Mutant(
        name="char_lstm_ignores_state",
        old="out, state = self.lstm(self.embed(idx), state)",
        new="out, state = self.lstm(self.embed(idx))",
        catches=(
            'CharLSTM: state carried between calls',
            'CharLSTM: validation loss after training',
            'CharLSTM: sampling with a temperature',
        ),
        says=('ignores the state',),
    ),
    Mutant(
        name="char_lstm_logits_of_last_step_only",
        old="return self.head(out), state",
        new="return self.head(out[:, -1]), state",
        catches=(
            'CharLSTM: output shapes',
            'CharLSTM: state carried between calls',
            'CharLSTM: causal',
        ),
        says=('last position only',),
    ),
    Mutant(
        name="char_lstm_bidirectional_reads_the_future",
        old=_LSTM_INIT,
        new="""        self.embed = nn.Embedding(vocab_size, hidden_size)
        self.lstm = nn.LSTM(hidden_size, hidden_size, num_layers=num_layers, batch_first=True,
                            bidirectional=True)
        self.head = nn.Linear(2 * hidden_size, vocab_size)""",
        catches=(
            'CharLSTM: causal',
            'CharLSTM: output shapes',
        ),
        says=('bidirectional',),
    ),
    Mutant(
        name="char_lstm_without_batch_first",
        old="nn.LSTM(hidden_size, hidden_size, num_layers=num_layers, batch_first=True)",
        new="nn.LSTM(hidden_size, hidden_size, num_layers=num_layers)",
        catches=(
            'CharLSTM: output shapes',
            'CharLSTM: state carried between calls',
        ),
        says=('batch_first=True',),
    ),
    Mutant(
        name="char_lstm_returns_probabilities",
        old="return self.head(out), state",
        new="return torch.softmax(self.head(out), dim=-1), state",
        catches=(
            'CharLSTM: validation loss after training',
            'CharLSTM: sampling with a temperature',
        ),
        says=('probabilities',),
    ),
    Mutant(
        name="char_lstm_returns_the_state_it_was_given",
        old="out, state = self.lstm(self.embed(idx), state)",
        new="out, _ = self.lstm(self.embed(idx), state)",
        catches=(
            'CharLSTM: output shapes',
            'CharLSTM: state carried between calls',
        ),
        says=('(h, c)',),
    ),
    Mutant(
        name="char_lstm_ignores_num_layers",
        old="nn.LSTM(hidden_size, hidden_size, num_layers=num_layers, batch_first=True)",
        new="nn.LSTM(hidden_size, hidden_size, batch_first=True)",
        catches=(
            'CharLSTM: output shapes',
            'CharLSTM: state carried between calls',
        ),
        says=('num_layers is not passed on',),
    ),
    # --- difference / inverse_difference
    Mutant(
        name="difference_ignores_interval",
        old="return s[interval:] - s[:-interval]",
        new="return s[1:] - s[:-1]",
        catches=(
            'difference: values',
        ),
        says=('interval is ignored',),
    ),
    Mutant(
        name="difference_backwards",
        old="return s[interval:] - s[:-interval]",
        new="return s[:-interval] - s[interval:]",
        catches=(
            'difference: values',
        ),
        says=('sign is reversed',),
    ),
    Mutant(
        name="inverse_difference_subtracts",
        old="history.append(history[-interval] + dk)",
        new="history.append(history[-interval] - dk)",
        catches=(
            'inverse_difference: one step',
            'inverse_difference: round trip',
        ),
        says=('subtracted',),
    ),
    Mutant(
        name="inverse_difference_adds_each_difference_to_the_last_value",
        old="history.append(history[-interval] + dk)",
        new="history.append(history[0] + dk)",
        catches=(
            'inverse_difference: round trip',
        ),
        says=('running sum',),
    ),
    # --- scaler
    Mutant(
        name="fit_scaler_on_all_data_leaks_test_year",
        old="    t = np.asarray(train, dtype=np.float64)\n    return float(t.min()), float(t.max())",
        new=(f"    sales = np.array([{_SHAMPOO}])  # the whole series, as in the notebook\n"
             "    t = difference(sales)  # every difference, the test year's too\n"
             "    return float(t.min()), float(t.max())"),
        catches=(
            'fit_scaler: fitted on the training split only',
            'fit_scaler: minimum and maximum',
        ),
        says=('leaks the test year',),
    ),
    Mutant(
        name="fit_scaler_mean_and_std",
        old="    t = np.asarray(train, dtype=np.float64)\n    return float(t.min()), float(t.max())",
        new="    t = np.asarray(train, dtype=np.float64)\n    return float(t.mean()), float(t.std())",
        catches=(
            'fit_scaler: minimum and maximum',
            'fit_scaler: fitted on the training split only',
        ),
        says=('mean and the standard deviation',),
    ),
    Mutant(
        name="scale_to_zero_one",
        old="return 2.0 * (np.asarray(x, dtype=np.float64) - lo) / (hi - lo) - 1.0",
        new="return (np.asarray(x, dtype=np.float64) - lo) / (hi - lo)",
        catches=(
            'scale: maps [lo, hi] onto [-1, 1]',
            'scale: uses the given (lo, hi)',
        ),
        says=('onto [0, 1]',),
    ),
    Mutant(
        name="scale_refits_on_its_input",  # scaler.fit_transform(test): test statistics leak
        old="return 2.0 * (np.asarray(x, dtype=np.float64) - lo) / (hi - lo) - 1.0",
        new=("x = np.asarray(x, dtype=np.float64)\n"
             "    lo, hi = x.min(), x.max()\n"
             "    return 2.0 * (x - lo) / (hi - lo) - 1.0"),
        catches=(
            'scale: uses the given (lo, hi)',
            'scale: maps [lo, hi] onto [-1, 1]',
        ),
        says=('re-fitted on the input',),
    ),
    Mutant(
        name="scale_modifies_its_input",  # x -= lo on the caller's array
        old="return 2.0 * (np.asarray(x, dtype=np.float64) - lo) / (hi - lo) - 1.0",
        new=("x = np.asarray(x, dtype=np.float64)\n"
             "    x -= lo\n"
             "    x *= 2.0 / (hi - lo)\n"
             "    x -= 1.0\n"
             "    return x"),
        catches=(
            'scale: leaves its input unchanged',
        ),
        says=('in place',),
    ),
    Mutant(
        name="invert_scale_of_zero_one",
        old="return lo + (np.asarray(y, dtype=np.float64) + 1.0) * (hi - lo) / 2.0",
        new="return lo + np.asarray(y, dtype=np.float64) * (hi - lo)",
        catches=(
            'invert_scale: inverse of scale',
        ),
        says=('[0, 1] scaler',),
    ),
    # --- make_windows
    Mutant(
        name="make_windows_target_is_last_input",
        old="y = s[window:window + n].copy()",
        new="y = s[window - 1:window - 1 + n].copy()",
        catches=(
            'make_windows: alignment',
        ),
        says=('LAST value',),
    ),
    Mutant(
        name="make_windows_one_window_short",
        old="n = s.shape[0] - window\n",
        new="n = s.shape[0] - window - 1\n",
        catches=(
            'make_windows: shapes',
            'make_windows: alignment',
        ),
        says=('one window short',),
    ),
    Mutant(
        name="make_windows_without_feature_axis",
        old="X = np.stack([s[i:i + window] for i in range(n)])[:, :, None]",
        new="X = np.stack([s[i:i + window] for i in range(n)])",
        catches=(
            'make_windows: shapes',
            'make_windows: alignment',
        ),
        says=('feature axis is missing',),
    ),
    # --- Forecaster
    Mutant(
        name="forecaster_always_lstm",
        old="self.rnn = layers[cell](1, hidden_size, batch_first=True)",
        new="self.rnn = nn.LSTM(1, hidden_size, batch_first=True)",
        catches=(
            'Forecaster: uses the requested cell type',
        ),
        says=('always nn.LSTM',),
    ),
    Mutant(
        name="forecaster_reads_first_step",
        old="return self.head(out[:, -1]).squeeze(-1)",
        new="return self.head(out[:, 0]).squeeze(-1)",
        catches=(
            'Forecaster: forecast read from the last time step',
        ),
        says=('out[:, 0]',),
    ),
    Mutant(
        name="forecaster_sigmoid_on_the_output",  # cannot forecast a fall in sales
        old="return self.head(out[:, -1]).squeeze(-1)",
        new="return torch.sigmoid(self.head(out[:, -1])).squeeze(-1)",
        catches=(
            'Forecaster: rnn walk-forward RMSE',
            'Forecaster: lstm walk-forward RMSE',
            'Forecaster: gru walk-forward RMSE',
        ),
        says=('activation on the output',),
    ),
    Mutant(
        name="forecaster_returns_n_by_1",
        old="return self.head(out[:, -1]).squeeze(-1)  # (N, 1) -> (N,)",
        new="return self.head(out[:, -1])",
        catches=(
            'Forecaster: output shape (N,)',
        ),
        says=('squeeze(-1)',),
    ),
]

UNUSUAL = [
    Mutant(
        name="char_lstm_one_hot_inputs",
        old=_LSTM_INIT + "\n" + """        ### END SOLUTION

    def forward(self, idx, state=None):
        ### BEGIN SOLUTION
        # TODO: embed, run the LSTM from `state`, apply the head at every position.
""" + _LSTM_FORWARD,
        new="""        self.lstm = nn.LSTM(vocab_size, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)
        ### END SOLUTION

    def forward(self, idx, state=None):
        ### BEGIN SOLUTION
        x = torch.nn.functional.one_hot(idx, self.vocab_size).to(self.head.weight.dtype)  # (N, T, V)
        out, state = self.lstm(x, state)
        return self.head(out), state""",
    ),
    Mutant(
        name="char_lstm_lstmcell_loop",
        old=_LSTM_INIT + "\n" + """        ### END SOLUTION

    def forward(self, idx, state=None):
        ### BEGIN SOLUTION
        # TODO: embed, run the LSTM from `state`, apply the head at every position.
""" + _LSTM_FORWARD,
        new="""        self.embed = nn.Embedding(vocab_size, hidden_size)
        self.cells = nn.ModuleList([nn.LSTMCell(hidden_size, hidden_size) for _ in range(num_layers)])
        self.head = nn.Linear(hidden_size, vocab_size)
        ### END SOLUTION

    def forward(self, idx, state=None):
        ### BEGIN SOLUTION
        x = self.embed(idx)
        n, t = idx.shape
        if state is None:
            zeros = x.new_zeros(len(self.cells), n, self.cells[0].hidden_size)
            state = (zeros, zeros)
        h, c = list(state[0]), list(state[1])
        outputs = []
        for step in range(t):
            inp = x[:, step]
            for layer, cell in enumerate(self.cells):
                h[layer], c[layer] = cell(inp, (h[layer], c[layer]))
                inp = h[layer]
            outputs.append(inp)
        out = torch.stack(outputs, dim=1)
        return self.head(out), (torch.stack(h), torch.stack(c))""",
    ),
    Mutant(
        name="difference_explicit_loop",
        old="    s = np.asarray(series, dtype=np.float64)\n    return s[interval:] - s[:-interval]",
        new=("    out = []\n"
             "    for t in range(len(series) - interval):\n"
             "        out.append(float(series[t + interval]) - float(series[t]))\n"
             "    return np.array(out)"),
    ),
    Mutant(
        name="inverse_difference_cumsum",
        old="    d = np.asarray(diff, dtype=np.float64)\n    history",
        new=("    d = np.asarray(diff, dtype=np.float64)\n"
             "    if interval == 1:\n"
             "        out = float(last_value) + np.cumsum(d)\n"
             "        return float(out[0]) if d.ndim == 0 else out\n"
             "    history"),
    ),
    Mutant(
        name="fit_scaler_python_builtins",
        old="    t = np.asarray(train, dtype=np.float64)\n    return float(t.min()), float(t.max())",
        new="    values = [float(v) for v in train]\n    return min(values), max(values)",
    ),
    Mutant(
        name="scale_about_the_midpoint",
        old="return 2.0 * (np.asarray(x, dtype=np.float64) - lo) / (hi - lo) - 1.0",
        new="return (np.asarray(x, dtype=np.float64) - (hi + lo) / 2.0) / ((hi - lo) / 2.0)",
    ),
    Mutant(
        name="make_windows_sliding_window_view",
        old="    X = np.stack([s[i:i + window] for i in range(n)])[:, :, None]\n    y = s[window:window + n].copy()",
        new=("    X = np.lib.stride_tricks.sliding_window_view(s, window)[:n, :, None].copy()\n"
             "    y = s[window:].copy()"),
    ),
    Mutant(
        name="forecaster_final_hidden_state",
        old=_FORECASTER_FORWARD,
        new="""        _, h_n = self.rnn(x)
        if isinstance(h_n, tuple):  # LSTM: (h_n, c_n)
            h_n = h_n[0]
        return self.head(h_n[-1])[:, 0]""",
    ),
    Mutant(
        name="forecaster_cell_loop",
        old=_FORECASTER_INIT + "\n        ### END SOLUTION\n\n    def forward(self, x):\n        ### BEGIN SOLUTION\n"
        + "        # TODO: run the recurrent layer, keep the output at the last step, apply the head, "
        + "drop the last axis.\n" + _FORECASTER_FORWARD,
        new="""        cells = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}
        self.cell_type = cell
        self.cell = cells[cell](1, hidden_size)
        self.head = nn.Linear(hidden_size, 1)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        h = x.new_zeros(x.shape[0], self.cell.hidden_size)
        c = torch.zeros_like(h)
        for t in range(x.shape[1]):
            if self.cell_type == "lstm":
                h, c = self.cell(x[:, t], (h, c))
            else:
                h = self.cell(x[:, t], h)
        return self.head(h).reshape(-1)""",
    ),
]

# Grading these needs the trained CharLSTM checks (one training run each, about 5 s of CPU
# and 15-20 s of wall time on the shared machine), and every correct-but-unusual submission
# gets a full grade, training included: to keep the default run of this assignment's mutant
# tests near a minute, they run with `-m slow` (tests/graders/assignments/test_sequences_torch.py
# checks that they still change, or keep, the contract's outputs).
_TRAINED = ("char_lstm_ignores_state", "char_lstm_returns_probabilities")
_FAST_UNUSUAL = ("char_lstm_one_hot_inputs",)  # the closest to the calibrated bounds
SLOW_MUTANTS = [m for m in MUTANTS if m.name in _TRAINED]
MUTANTS = [m for m in MUTANTS if m.name not in _TRAINED]
SLOW_UNUSUAL = [m for m in UNUSUAL if m.name not in _FAST_UNUSUAL]
UNUSUAL = [m for m in UNUSUAL if m.name in _FAST_UNUSUAL]

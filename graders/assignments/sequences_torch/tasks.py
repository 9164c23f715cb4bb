"""Sandbox tasks of `sequences_torch`: code that must run with the student's objects.

Loaded by file path in the sandbox child before the student's code; imports only the
standard library, numpy and torch. Each `task_<name>(sub, **kwargs)` gets the student's
module namespace `sub` and plain data, seeds torch and numpy itself, and returns plain
data (floats, ints, strings, float arrays, lists and dicts of those, or a kept object the
grader passes back to a later task of the same process).

The trained checks' tasks return raw outputs only, and the grader computes every loss and
RMSE (`causal.py`): training (`task_char_lstm_train`, `task_forecaster_train`) gets the
training data only and returns the trained state_dict; a fresh evaluation process rebuilds
the model with that state (`task_char_lstm_open`, `task_forecaster_open`) and is sent the
held-out inputs one step at a time (`task_char_lstm_step`, `task_forecaster_predict`), each
prediction returned before the grader sends the next true value.
The course text's whole recipe in one process (no check runs it) is `recipe.py`, beside this
file: it holds standard series functions, so it stays out of what a student pack carries.
"""

import importlib.util
import os
import time

import numpy as np
import torch
import torch.nn.functional as F


def _shared_torch_tasks():
    """graders/engine/torch_tasks.py, loaded by path (`graders` cannot be imported here): in
    dlgrade's own tree, two folders up; elsewhere (a student pack) in the installed engine,
    whose package is found, not imported."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "engine",
                        "torch_tasks.py")
    if not os.path.isfile(path):
        path = os.path.join(importlib.util.find_spec("graders").submodule_search_locations[0], "engine",
                            "torch_tasks.py")
    spec = importlib.util.spec_from_file_location("_dlgrade_torch_tasks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_shared = _shared_torch_tasks()
_seed, _np, _state_arrays = _shared.setup, _shared.array, _shared.state_arrays_float64


def _state_list(state):
    """The student's state as a list of tensors ([h, c] for an LSTM)."""
    if state is None:
        return []
    if isinstance(state, torch.Tensor):
        return [state]
    return list(state)


def _detach(state):
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    return tuple(s.detach() for s in state)


# ----------------------------------------------------------------------------- CharLSTM


def task_char_lstm_probe(sub, vocab_size=7, hidden_size=8, num_layers=1, n=2, t=6, split=3,
                         seed=0):
    """Untrained shape, state and causality probes of the student's CharLSTM.

    Returns a dict:
    - logits_shape: list, expected [n, t, vocab_size].
    - state_shapes: list of lists (shapes of h and c).
    - split_max_diff: max |logits(idx) - concat(logits(idx[:, :split]), logits(idx[:, split:], state))|.
    - state_max_diff: same for the final state.
    - causality_max_diff: max change of logits[:, :split] when idx[:, split:] is changed.
    - logits: the float64 logits of the whole sequence.
    """
    _seed(seed)
    model = sub.CharLSTM(vocab_size, hidden_size, num_layers)
    model.eval()
    g = torch.Generator().manual_seed(int(seed))
    idx = torch.randint(0, vocab_size, (n, t), generator=g)
    with torch.no_grad():
        logits, state = model(idx)
        first, st = model(idx[:, :split])
        second, st2 = model(idx[:, split:], st)
        other = idx.clone()
        other[:, split:] = (other[:, split:] + 1 + torch.randint(0, vocab_size - 1, other[:, split:].shape,
                                                                 generator=g)) % vocab_size
        changed, _ = model(other)
    out = {"logits_shape": list(logits.shape), "state_shapes": [list(s.shape) for s in _state_list(state)],
           "logits": _np(logits)}
    if tuple(logits.shape) == (n, t, vocab_size) and tuple(first.shape[:2]) == (n, split):
        both = torch.cat([first, second], dim=1)
        out["split_max_diff"] = float((both - logits).abs().max())
        out["causality_max_diff"] = float((changed[:, :split] - logits[:, :split]).abs().max())
        a, b = _state_list(state), _state_list(st2)
        same = a and len(a) == len(b) and all(x.shape == y.shape for x, y in zip(a, b))
        out["state_max_diff"] = max(float((x - y).abs().max()) for x, y in zip(a, b)) if same else float("inf")
    return out


def task_char_lstm_shapes(sub, cases, seed=0):
    """Shapes of the logits and of the state of untrained CharLSTMs.

    cases: a list of [vocab_size, hidden_size, num_layers, n, t]. Returns one dict per case:
    logits_shape (list), state_type (the returned state's type name), state_shapes (list
    of lists: the shapes of the tensors in the state, [h, c] for a tuple (h, c)).
    """
    out = []
    for vocab_size, hidden_size, num_layers, n, t in cases:
        _seed(seed)
        model = sub.CharLSTM(int(vocab_size), int(hidden_size), int(num_layers))
        model.eval()
        g = torch.Generator().manual_seed(int(seed))
        idx = torch.randint(0, int(vocab_size), (int(n), int(t)), generator=g)
        with torch.no_grad():
            result = model(idx)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            out.append({"returned": type(result).__name__ + (f" of length {len(result)}"
                                                             if isinstance(result, (tuple, list)) else "")})
            continue
        logits, state = result
        tensors = [s for s in _state_list(state) if isinstance(s, torch.Tensor)] \
            if isinstance(state, (torch.Tensor, tuple, list)) else []
        out.append({
            "returned": "pair",
            "logits_shape": list(logits.shape) if isinstance(logits, torch.Tensor) else None,
            "logits_type": type(logits).__name__,
            "state_type": type(state).__name__,
            "state_len": len(state) if isinstance(state, (tuple, list)) else -1,
            "state_shapes": [list(s.shape) for s in tensors],
        })
    return out


def _load_state(module, state):
    """Load {name: float array} into `module` (strict), each cast to the dtype it holds."""
    own = module.state_dict()
    tensors = {}
    for key, value in dict(state).items():
        dtype = own[key].dtype if key in own else torch.float32
        tensors[key] = torch.as_tensor(np.asarray(value, dtype=np.float64)).to(dtype)
    module.load_state_dict(tensors, strict=True)
    return module


def task_char_lstm_train(sub, pieces, vocab_size, hidden_size=64, num_layers=1, seq_len=50,
                         batch_size=32, steps=400, lr=0.01, clip=1.0, seed=0):
    """Train the student's CharLSTM on the training text only.

    pieces: the training text as a list of int arrays of character ids (the parts between
    the held-out segments, which never reach this process). Training: `steps` Adam steps
    (lr, gradient norm clipped to `clip`) on random batches of `batch_size` windows of
    seq_len + 1 characters inside one piece (fresh state for each window); loss =
    F.cross_entropy of the logits against the next characters.

    Returns raw outputs: state (the trained state_dict, float64 arrays), losses (each step's
    training loss), seconds and cpu_seconds of training.
    """
    _seed(seed)
    V = int(vocab_size)
    parts = [torch.as_tensor(np.asarray(p, dtype=np.int64)) for p in pieces]
    data = torch.cat(parts)
    offsets, starts, at = torch.arange(seq_len + 1), [], 0
    for part in parts:  # the windows that lie inside one piece
        if len(part) > seq_len + 1:
            starts.append(torch.arange(at, at + len(part) - seq_len))
        at += len(part)
    valid = torch.cat(starts)

    model = sub.CharLSTM(V, hidden_size, num_layers)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(int(seed))
    losses = []
    t0, c0 = time.perf_counter(), time.process_time()
    model.train()
    for _ in range(int(steps)):
        chosen = valid[torch.randint(0, len(valid), (batch_size,), generator=g)]
        chunk = data[chosen[:, None] + offsets]  # (B, seq_len + 1)
        logits, _ = model(chunk[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, V), chunk[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        losses.append(loss.item())
    return {"state": _state_arrays(model), "losses": np.array(losses, dtype=np.float64),
            "seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0}


class CharStepper:
    """A trained CharLSTM read one step at a time, its state carried between calls."""

    def __init__(self, model):
        self.model = model
        self.state = None


def task_char_lstm_open(sub, vocab_size, hidden_size, num_layers, state, seed=0):
    """CharLSTM(vocab_size, hidden_size, num_layers) with the grader's `state` loaded, in eval
    mode, kept in this process for task_char_lstm_step (a fresh state)."""
    _seed(seed)
    model = _load_state(sub.CharLSTM(int(vocab_size), int(hidden_size), int(num_layers)), state)
    model.eval()
    return CharStepper(model)


def task_char_lstm_reader(sub, stepper):
    """Another reader of `stepper`'s model, with a state of its own (a fresh one): a second
    evaluation of the same trained model without sending its state again."""
    return CharStepper(stepper.model)


def task_char_lstm_step(sub, steppers, columns, reset=False):
    """One step of each stepper: logits, state = model(column[:, None], state), with each
    stepper's state carried from its previous step (a fresh one after reset=True). columns:
    one (N,) array of character ids per stepper. Returns each stepper's logits as a float32
    array (float64 if the model computes in float64), in the model's own shape ((N, 1, V) by
    the contract)."""
    out = []
    for stepper, idx in zip(steppers, columns):
        if reset:
            stepper.state = None
        with torch.no_grad():
            x = torch.as_tensor(np.asarray(idx, dtype=np.int64)).reshape(-1, 1)
            logits, state = stepper.model(x, stepper.state)
        stepper.state = _detach(state)
        out.append(_float32(logits))
    return out


def _float32(t):
    """A float32 model's output as it is (half the bytes of float64 on the wire, no digit lost)."""
    t = t.detach().cpu()
    return (t.float() if t.dtype != torch.float64 else t).numpy()


def task_char_lstm_sample(sub, stepper, prefix, n, temperature, seed):
    """`n` character ids drawn after `prefix` (ids) from softmax(logits / temperature), one
    character per call with the state carried, by a torch.Generator seeded `seed` (the grader's,
    from the course secret); from a fresh state. Returns an int64 array (fewer ids if the model
    raised: the error is raised after). The grader scores the sample itself, and only for a
    model whose one-step-at-a-time validation loss passes."""
    gen = torch.Generator().manual_seed(int(seed))
    drawn = []
    with torch.no_grad():
        logits, state = stepper.model(torch.as_tensor(np.asarray(prefix, dtype=np.int64)).reshape(1, -1))
        for _ in range(int(n)):
            last = logits.reshape(-1, logits.shape[-1])[-1].double()
            nxt = int(torch.multinomial(torch.softmax(last / float(temperature), dim=-1), 1, generator=gen))
            drawn.append(nxt)
            logits, state = stepper.model(torch.tensor([[nxt]]), _detach(state))
    return np.array(drawn, dtype=np.int64)


def task_char_lstm_window(sub, stepper, idx):
    """Whole windows in one call from a fresh state: model(idx)[0] as float64 (N, T, V). The
    grader uses it only to explain a failure (a model that reads later characters does well
    here and badly step by step), never for a score: this call sees the whole window."""
    with torch.no_grad():
        logits, _ = stepper.model(torch.as_tensor(np.asarray(idx, dtype=np.int64)))
    return _np(logits)


# ----------------------------------------------------------------------------- shampoo


def task_forecaster_train(sub, X, y, cell="lstm", hidden_size=8, epochs=150, lr=0.02, seed=0):
    """Forecaster(cell, hidden_size) trained full-batch with Adam(lr) and the MSE for `epochs`
    epochs on the training windows X (N, window, 1) and targets y (N,) only (scaled monthly
    differences; the test year never reaches this process).

    Returns raw outputs: state (the trained state_dict, float64 arrays), losses (each
    epoch's training MSE), seconds.
    """
    _seed(seed)
    Xtr = torch.as_tensor(np.asarray(X, dtype=np.float64), dtype=torch.float32)
    ytr = torch.as_tensor(np.asarray(y, dtype=np.float64), dtype=torch.float32)
    model = sub.Forecaster(cell, int(hidden_size))
    t0 = time.perf_counter()
    losses = fit_full_batch(model, Xtr, ytr, epochs, lr)
    return {"state": _state_arrays(model), "losses": np.array(losses, dtype=np.float64),
            "seconds": time.perf_counter() - t0}


def fit_full_batch(model, X, y, epochs, lr):
    """The course recipe's training: full-batch Adam(lr) on the MSE between model(X) (flattened)
    and y for `epochs` epochs, in train mode; each epoch's loss (before its step)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for _ in range(int(epochs)):
        loss = F.mse_loss(model(X).reshape(-1), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def task_forecaster_open(sub, cell, hidden_size, state, seed=0):
    """Forecaster(cell, hidden_size) with the grader's `state` loaded, in eval mode, kept in
    this process for task_forecaster_predict."""
    _seed(seed)
    model = _load_state(sub.Forecaster(cell, int(hidden_size)), state)
    model.eval()
    return model


def task_forecaster_predict(sub, model, X):
    """model(X) for windows X (N, window, 1) as a float64 array (the model's own shape)."""
    with torch.no_grad():
        out = model(torch.as_tensor(np.asarray(X, dtype=np.float64), dtype=torch.float32))
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"Forecaster.forward returned {type(out).__name__}; expected a tensor")
    return _np(out)


def task_forecaster_probe(sub, hidden_size=5, n=4, window=4, seed=0, cells=("rnn", "lstm", "gru")):
    """Untrained probes of the student's Forecaster, for each cell type.

    Each cell's model is built after seeding with `seed`. Returns a dict cell -> dict:
    - shape: the output shape (list) for x of shape (n, window, 1); shape_one: for (1, window, 1);
    - n_params: the number of parameters; params: [[name, shape], ...];
    - modules: the class names of the submodules;
    - last_change / first_change: max |change of the output| when x[:, -1] / x[:, 0] changes by 1
      (a model that reads the last step responds to the last one);
    - output: the outputs (float64) for x.
    """
    g = torch.Generator().manual_seed(int(seed))
    x = torch.randn(int(n), int(window), 1, generator=g) * 0.5
    last, first = x.clone(), x.clone()
    last[:, -1] += 1.0
    first[:, 0] += 1.0
    out = {}
    for cell in cells:
        _seed(seed)
        model = sub.Forecaster(cell, int(hidden_size))
        model.eval()
        with torch.no_grad():
            y = model(x)
            y_one = model(x[:1])
            row = {
                "shape": list(y.shape),
                "shape_one": list(y_one.shape),
                "n_params": int(sum(p.numel() for p in model.parameters())),
                "params": [[name, list(p.shape)] for name, p in model.named_parameters()],
                "modules": [type(m).__name__ for m in model.modules()][1:],
                "output": _np(y).reshape(-1),
            }
            if y.numel() == int(n):
                row["last_change"] = float((model(last).reshape(-1) - y.reshape(-1)).abs().max())
                row["first_change"] = float((model(first).reshape(-1) - y.reshape(-1)).abs().max())
        out[cell] = row
    return out

"""Sandbox tasks of `gan_torch`: everything that needs a student's objects.

The sandbox child loads this file by path before the student's code runs, then calls
`task_<name>(sub, **kwargs)` with the student's module namespace `sub` and plain data
(float64 arrays, numbers, strings). Every task returns plain data only (floats, ints,
strings, bools, float64 arrays, and lists/dicts of those).

Rules: stdlib, numpy and torch only; no project imports. Each task seeds torch, numpy and
random, uses deterministic algorithms and one thread, so a regrade gives the same numbers.

The trained check's training task returns the trained Generator's state_dict; a fresh
sandbox generates the samples from it with the grader's z (`graders.engine.evaluation.apply`,
task_torch_apply of the shared torch_tasks.py), and the samples are classified and compared
with the training images in the grader process (digit_classifier.py, memorisation.py): the
classifier's weights never enter a sandbox.
"""

import copy
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
_setup, _tensor, _array = _shared.setup, _shared.tensor, _shared.array
_state_arrays = _shared.state_arrays_float64


def _flat(module):
    return torch.cat([p.detach().reshape(-1).double() for p in module.parameters()])


def _scalar(value):
    """A float from what a train_step returned (a float, or a tensor with one element)."""
    return value.detach().item() if isinstance(value, torch.Tensor) else float(value)


def _loss_pair(result):
    """((d_loss, g_loss) as floats, "") from what train_step returned, or ((nan, nan), what
    came back instead) when it is not two numbers (floats or one-element tensors)."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        what = (f"a {type(result).__name__} of length {len(result)}"
                if isinstance(result, (tuple, list)) else type(result).__name__)
        return (float("nan"), float("nan")), what
    try:
        return (_scalar(result[0]), _scalar(result[1])), ""
    except (TypeError, ValueError, RuntimeError):
        return (float("nan"), float("nan")), (
            f"a {type(result).__name__} of {type(result[0]).__name__} and {type(result[1]).__name__}")


# ----------------------------------------------------------------------------------------
# Structure and function probes (cheap, no training)


def task_inspect_gan(sub, n_latent, n_out, z, x, seed=0):
    """Build Generator(n_latent, n_out) and Discriminator(n_out); run G on z and D on x.

    Returns {"g_shape", "g_min", "g_max", "g_spread" (largest per-pixel standard deviation over
    the samples), "d_shape", "d_finite", "d_min", "d_max"}.
    """
    _setup(seed)
    G = sub.Generator(int(n_latent), int(n_out))
    D = sub.Discriminator(int(n_out))
    with torch.no_grad():
        samples = G(_tensor(z))
        logits = D(_tensor(x))
    return {
        "g_shape": list(samples.shape),
        "g_min": float(samples.min()),
        "g_max": float(samples.max()),
        "g_spread": float(samples.double().std(dim=0).max()) if samples.ndim == 2 and len(samples) > 1 else 0.0,
        "d_shape": list(logits.shape),
        "d_finite": bool(torch.isfinite(logits).all()),
        "d_min": float(logits.min()) if logits.numel() else float("nan"),
        "d_max": float(logits.max()) if logits.numel() else float("nan"),
    }


def task_gan_losses(sub, real_logits, fake_logits):
    """Both losses in float64 with their gradients.

    Returns {"d_loss", "g_loss" (floats), "d_grad_real", "d_grad_fake", "g_grad_fake"
    (float64 arrays; zeros where no gradient arrives), "d_shape", "g_shape"}.
    """
    _setup(0)
    real = _tensor(real_logits, torch.float64).requires_grad_(True)
    fake = _tensor(fake_logits, torch.float64).requires_grad_(True)
    d = sub.discriminator_loss(real, fake)
    d.backward()
    d_grad_real = _array(real.grad) if real.grad is not None else np.zeros(real.shape)
    d_grad_fake = _array(fake.grad) if fake.grad is not None else np.zeros(fake.shape)
    fake.grad = None
    g = sub.generator_loss(fake)
    g.backward()
    g_grad_fake = _array(fake.grad) if fake.grad is not None else np.zeros(fake.shape)
    return {
        "d_loss": float(d.detach()) if d.numel() == 1 else float("nan"),
        "g_loss": float(g.detach()) if g.numel() == 1 else float("nan"),
        "d_grad_real": d_grad_real,
        "d_grad_fake": d_grad_fake,
        "g_grad_fake": g_grad_fake,
        "d_shape": list(d.shape),
        "g_shape": list(g.shape),
    }


def _one_loss(fn, args):
    """fn(*args) (tensors that require grad), backward; value and gradients."""
    loss = fn(*args)
    if not isinstance(loss, torch.Tensor):
        raise ValueError(f"{getattr(fn, '__name__', 'the loss')} returned a {type(loss).__name__}; expected a "
                         "scalar tensor (return the loss tensor itself, not loss.item(): training needs its graph)")
    value = float(loss.detach().reshape(-1)[0]) if loss.numel() >= 1 else float("nan")
    shape = list(loss.shape)
    if loss.numel() == 1 and loss.requires_grad:
        loss.reshape(()).backward()
    grads = [_array(a.grad) if a.grad is not None else np.zeros(a.shape) for a in args]
    return {"loss": value if loss.numel() == 1 else float("nan"), "shape": shape,
            "dtype": str(loss.dtype).replace("torch.", ""), "grads": grads,
            "reached": [a.grad is not None for a in args]}


def task_discriminator_loss(sub, real_logits, fake_logits, dtype="float64"):
    """discriminator_loss alone on logits of `dtype` ("float64" or "float32").

    Returns {"loss" (float; nan unless one element), "shape", "dtype", "grads" ([d real,
    d fake] float64 arrays; zeros where no gradient arrives), "reached" ([bool, bool])}.
    """
    _setup(0)
    dt = getattr(torch, str(dtype))
    real = _tensor(real_logits, dt).requires_grad_(True)
    fake = _tensor(fake_logits, dt).requires_grad_(True)
    return _one_loss(sub.discriminator_loss, (real, fake))


def task_generator_loss(sub, fake_logits, dtype="float64"):
    """generator_loss alone on logits of `dtype`: as task_discriminator_loss, one gradient."""
    _setup(0)
    fake = _tensor(fake_logits, getattr(torch, str(dtype))).requires_grad_(True)
    return _one_loss(sub.generator_loss, (fake,))


class _LoggedSGD(torch.optim.SGD):
    """Plain SGD that records each zero_grad/step call, and both networks' parameters
    right after each step, so the task can tell which step changed what.

    With a `_GradientArrivals`, each step also records whether its gradients hold more than
    what backward passes delivered since the previous step of either optimizer: gradients
    left over from an earlier step, i.e. not zeroed (by opt.zero_grad(), module.zero_grad()
    or by hand) before this step's backward."""

    def __init__(self, params, lr, name, log, nets, arrivals=None):
        super().__init__(params, lr=lr)
        self._name, self._log, self._nets, self._arrivals = name, log, nets, arrivals

    def zero_grad(self, set_to_none=True):
        self._log.append((f"{self._name}.zero_grad", None))
        super().zero_grad(set_to_none=set_to_none)

    def step(self, closure=None):
        stale = self._arrivals.stale(p for group in self.param_groups for p in group["params"]) \
            if self._arrivals is not None else False
        out = super().step(closure)
        self._log.append((f"{self._name}.step", tuple(_flat(n) for n in self._nets), stale))
        if self._arrivals is not None:
            self._arrivals.clear()
        return out


class _GradientArrivals:
    """The gradients backward passes deliver to the parameters of some networks, summed since
    the last `clear()` (a hook on each parameter sees its gradient before it is added to .grad)."""

    def __init__(self, nets):
        self._sums = {}
        self._params = [p for net in nets for p in net.parameters()]
        for p in self._params:
            if p.requires_grad:
                p.register_hook(self._adder(id(p)))

    def _adder(self, key):
        def add(grad):
            self._sums[key] = self._sums[key] + grad.detach() if key in self._sums else grad.detach().clone()
        return add

    def clear(self):
        self._sums = {}

    def stale(self, params) -> bool:
        """Whether some .grad holds more than the gradients delivered since the last clear()."""
        for p in params:
            if p.grad is None:
                continue
            delivered = self._sums.get(id(p))
            extra = p.grad.detach() if delivered is None else p.grad.detach() - delivered
            if float(extra.abs().max()) > 1e-6 * max(float(p.grad.detach().abs().max()), 1e-12):
                return True
        return False


class _SeededForwards:
    """Reseeds torch before every forward of each network, so that the k-th call of network j
    in step i draws the same random numbers (dropout masks) in the contract's step and in the
    submission's, whatever the order in which the two networks are called."""

    def __init__(self, nets, seed):
        self._seed, self._step, self._calls = int(seed), 0, [0] * len(nets)
        for j, net in enumerate(nets):
            net.register_forward_pre_hook(self._hook(j))

    def _hook(self, j):
        def reseed(module, args):
            torch.manual_seed(self._seed * 100_003 + 1_009 * self._step + 101 * j + self._calls[j])
            self._calls[j] += 1
        return reseed

    def start(self, step):
        """Count the calls of step `step` from 0, and seed what runs before the first forward."""
        self._step, self._calls = int(step), [0] * len(self._calls)
        torch.manual_seed(self._seed * 100_003 + 1_009 * self._step + 97)


def _descend(net, loss, lr):
    """One plain SGD update of `net`'s trainable parameters along minus the gradient of `loss`
    (what SGD(lr) does after zero_grad and backward), the gradient taken with autograd.grad so
    nothing else's .grad is touched."""
    params = [p for p in net.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    with torch.no_grad():
        for p, g in zip(params, grads):
            if g is not None:
                p.add_(g, alpha=-lr)


def _contract_step(G, D, lr, real, z, d_loss_fn, g_loss_fn):
    """The contract's step with the given loss functions, as plain SGD(lr) updates: D descends
    the discriminator loss of D(real) and D of G(z) detached; then G descends the generator
    loss of the updated D on the same G(z). Forwards in the contract's order: G(z), D(real),
    D(fake.detach()), D(fake). Returns the two losses (before their updates) as floats."""
    fake = G(z)
    discriminator_value = d_loss_fn(D(real), D(fake.detach()))
    _descend(D, discriminator_value, lr)
    generator_value = g_loss_fn(D(fake))
    _descend(G, generator_value, lr)
    return discriminator_value.item(), generator_value.item()


def task_train_step_checks(sub, n_latent, n_out, real_batches, z_batches, lr=0.05, seed=0):
    """Two consecutive train_step calls with plain SGD(lr), compared with the contract's
    step (using the student's own loss functions) from the same initial networks.

    real_batches: (S, B, n_out); z_batches: (S, B, n_latent); S steps (2 by default).

    Returns, per step (lists of length S):
    - "d_loss", "g_loss": what the student's train_step returned (as floats);
      "expected_d_loss", "expected_g_loss": the contract's values
    - "d_change", "g_change": D's / G's total parameter change since the start (float64
      vectors, the parameters in order); "expected_d_change", "expected_g_change": the
      contract's (the grader measures the error: checks_train_step.param_errors)
    - "g_unchanged_by_d_step": G's parameters right after opt_D.step() equal G's
      parameters before the call (None when opt_D.step() was never called)
    - "d_unchanged_by_g_step": D's parameters at the end of the call equal D's right
      after the first opt_D.step() (None when never called)
    - "g_changed", "d_changed": whether the call changed G / D at all
    - "returned": "" when train_step returned two numbers, else what it returned (the
      losses are then NaN)
    - "calls": the optimizer calls made, in order, e.g. ["opt_D.zero_grad", "opt_D.step",
      "opt_G.zero_grad", "opt_G.step"] (module.zero_grad() calls do not show up)
    - "stale": the networks ("D", "G") whose optimizer step used gradients left over from
      before the previous step (gradients not zeroed by any means before the backward)

    Both runs seed torch identically before every forward of G and D (per step, per
    network, per call), so stochastic layers such as nn.Dropout draw the same masks in
    the contract's step and in the submission's.

    A train_step that raises (e.g. backward through a graph the D step freed, or through
    parameters an early opt_G.step() modified in place) raises out of the task; ask for
    one step (S = 1) to get the first call's diagnostics alone.
    """
    _setup(seed)
    G0 = sub.Generator(int(n_latent), int(n_out))
    D0 = sub.Discriminator(int(n_out))
    reals = [_tensor(r) for r in np.asarray(real_batches, dtype=np.float64)]
    zs = [_tensor(z) for z in np.asarray(z_batches, dtype=np.float64)]

    # The contract's behaviour, on copies of the same initial networks.
    G_e, D_e = copy.deepcopy(G0), copy.deepcopy(D0)
    seeded_e = _SeededForwards((G_e, D_e), seed)
    g_start, d_start = _flat(G_e), _flat(D_e)
    expected = []
    for i, (real, z) in enumerate(zip(reals, zs)):
        seeded_e.start(i)
        losses = _contract_step(G_e, D_e, float(lr), real, z, sub.discriminator_loss, sub.generator_loss)
        expected.append((losses, _flat(G_e) - g_start, _flat(D_e) - d_start))

    G, D = copy.deepcopy(G0), copy.deepcopy(D0)
    seeded = _SeededForwards((G, D), seed)
    arrivals = _GradientArrivals((G, D))
    log = []
    opt_G = _LoggedSGD(G.parameters(), float(lr), "opt_G", log, (G, D), arrivals)
    opt_D = _LoggedSGD(D.parameters(), float(lr), "opt_D", log, (G, D), arrivals)
    out = {k: [] for k in ("d_loss", "g_loss", "expected_d_loss", "expected_g_loss",
                           "d_change", "g_change", "expected_d_change", "expected_g_change", "g_unchanged_by_d_step",
                           "d_unchanged_by_g_step", "g_changed", "d_changed", "calls", "returned",
                           "stale")}
    for i, ((losses, dg_e, dd_e), real, z) in enumerate(zip(expected, reals, zs)):
        g_before, d_before = _flat(G), _flat(D)
        del log[:]
        seeded.start(i)
        result = sub.train_step(G, D, opt_G, opt_D, real, z)
        g_after, d_after = _flat(G), _flat(D)
        d_steps = [entry[1] for entry in log if entry[0] == "opt_D.step"]
        pair, problem = _loss_pair(result)
        out["d_loss"].append(pair[0])
        out["g_loss"].append(pair[1])
        out["returned"].append(problem)
        out["expected_d_loss"].append(losses[0])
        out["expected_g_loss"].append(losses[1])
        out["d_change"].append((d_after - d_start).numpy())
        out["g_change"].append((g_after - g_start).numpy())
        out["expected_d_change"].append(dd_e.numpy())
        out["expected_g_change"].append(dg_e.numpy())
        out["g_unchanged_by_d_step"].append(
            bool(torch.equal(d_steps[0][0], g_before)) if d_steps else None)
        out["d_unchanged_by_g_step"].append(
            bool(torch.equal(d_after, d_steps[0][1])) if d_steps else None)
        out["g_changed"].append(not torch.equal(g_after, g_before))
        out["d_changed"].append(not torch.equal(d_after, d_before))
        out["calls"].append([entry[0] for entry in log])
        out["stale"].append(sorted({entry[0][4] for entry in log if entry[0].endswith(".step") and entry[2]}))
    return out


# ----------------------------------------------------------------------------------------
# Trained task


def task_train_gan(sub, x_train, n_latent, steps, lr, batch_size=64, seed=0, log_every=100):
    """Train Generator(n_latent, n_out) and Discriminator(n_out) with the student's
    train_step: Adam(lr, betas=(0.5, 0.999)) for both, `steps` steps, each on a real
    batch drawn with replacement by a numpy generator seeded `seed` and z ~ N(0, I) from a
    torch.Generator seeded `seed`. x_train holds the training images only.

    Returns raw outputs: {"state" (the trained Generator's state_dict, float64 arrays),
    "d_loss", "g_loss" (means over each block of log_every steps), "cpu_s"}. No samples:
    the grader draws z itself and a fresh sandbox generates them from "state".
    """
    t0 = time.process_time()
    _setup(seed)
    xtr = _tensor(x_train)
    n_latent, batch_size = int(n_latent), int(batch_size)
    G = sub.Generator(n_latent, xtr.shape[1])
    D = sub.Discriminator(xtr.shape[1])
    opt_G = torch.optim.Adam(G.parameters(), lr=float(lr), betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=float(lr), betas=(0.5, 0.999))
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(int(seed))
    d_hist, g_hist, d_block, g_block = [], [], [], []
    for step in range(int(steps)):
        real = xtr[torch.as_tensor(rng.integers(0, len(xtr), batch_size))]
        z = torch.randn(batch_size, n_latent, generator=gen)
        d_loss, g_loss = sub.train_step(G, D, opt_G, opt_D, real, z)
        d_block.append(_scalar(d_loss))
        g_block.append(_scalar(g_loss))
        if len(d_block) == log_every or step == int(steps) - 1:
            d_hist.append(float(np.mean(d_block)))
            g_hist.append(float(np.mean(g_block)))
            d_block, g_block = [], []
    return {
        "state": _state_arrays(G),
        "d_loss": np.array(d_hist),
        "g_loss": np.array(g_hist),
        "cpu_s": time.process_time() - t0,
    }

"""The trained runs of `autoencoders_torch`: train in one process, evaluate in others, score here.

One function per training task computes what its checks compare, the same way in a grade and
in calibration; only `Reach` differs (the sandboxes in a grade, the reference module in this
process when calibrating):

1. `draw`: the training rows, the held-out rows and the seeds, from the course secret: the
   data set's training and test images pooled, a secret subset of the test split's size held
   out (`CourseSecret.split`), the training seed, the noise of the denoising check and (dense
   models) a secret pixel order. Checks that share a task share its draw (keyed by the
   task's name).
2. the task trains on the training rows only and returns the state_dict (validated and
   bounded by `raw_outputs.state_dict`);
3. `encode` of the held-out images runs in a fresh process, the grader validates the code
   ((N, n_hidden) for the dense model; fewer values than the image for the convolutional
   one) and relays it as float32 to `decode` in another fresh process, whose reconstruction
   (in [0, 1], the input's shape) the grader compares with the held-out images.

An encode that keeps its input for decode, or a forward that returns its input, gains
nothing: decode never runs where the image was. Every metric is computed here, in NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from graders.engine import raw_outputs
from graders.engine.checks import CheckFailed
from graders.engine.secret import CourseSecret

N_SHOW = 8
PERMUTED_TASKS = ("train_dense_autoencoder", "train_denoising_autoencoder", "train_sparse_autoencoder")
STATE_SLACK = 4  # a state_dict may hold this many times the contract model's numbers


@dataclass(frozen=True)
class Reach:
    """How a run reaches the submission.

    train(task, kwargs) -> the training task's raw reply (a dict);
    apply(class_name, state, method, inputs, args) -> raw outputs (list of float arrays) of
        `class_name(*args)` with `state` loaded, `.method(*inputs)`, each call in a fresh
        process in a grade.
    """

    train: Callable[[str, dict], dict]
    apply: Callable[..., list]


def draw(secret: CourseSecret, task: str, data: dict) -> dict:
    """The training rows, the held-out rows (float32 values, as float64 arrays), the training
    seed and a generator for the grader's own noise, for `task` under this course secret.

    The dense models' images also have their pixels in a secret order (the same for training
    and held-out rows; "unpermute" puts them back for the pictures): a dense layer learns
    any pixel order equally well, while weights trained in advance on the public images in
    their usual order reconstruct nothing. The convolutional model keeps the image layout
    its convolutions rely on.
    """
    pool = np.concatenate([data["x_train"], data["x_test"]]).astype(np.float32).astype(np.float64)
    order = np.arange(pool.shape[1])
    if task in PERMUTED_TASKS:
        order = secret.rng(task, "pixel order").permutation(pool.shape[1])
        pool = pool[:, order]
    train_idx, heldout_idx = secret.split(len(pool), len(data["x_test"]), task, "split")
    return {"x_train": pool[train_idx], "x_heldout": pool[heldout_idx], "unpermute": np.argsort(order),
            "seed": secret.seed(task, "train"), "noise": secret.rng(task, "noise")}


def _reply(value, keys: tuple[str, ...], what: str) -> dict:
    if not isinstance(value, dict) or any(k not in value for k in keys):
        raise RuntimeError(f"{what}: unexpected reply from the grader's task")
    return value


def _history(value) -> np.ndarray:
    """The training's per-epoch losses (pictures only: anything else is left out)."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind == "f" and value.size <= 10_000:
        return np.asarray(value, dtype=np.float64)
    return np.zeros(0)


def _cpu(value) -> float:
    """The CPU seconds the sandbox reports for its training (shown in the note, never compared)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else float("nan")


def _one(outputs, what: str) -> np.ndarray:
    if not isinstance(outputs, list) or len(outputs) != 1:
        raise CheckFailed(f"{what} returned {len(outputs) if isinstance(outputs, list) else 0} tensors; "
                          "expected one.")
    return outputs[0]


def dense_state(value, n_in: int, n_hidden: int, what: str) -> dict:
    n = 2 * n_in * n_hidden + n_in + n_hidden
    return raw_outputs.state_dict(value, what, max_values=STATE_SLACK * n)


def conv_state(value, what: str) -> dict:
    return raw_outputs.state_dict(value, what, max_values=STATE_SLACK * 3217)


def encode_dense(reach: Reach, state: dict, x: np.ndarray, n_hidden: int) -> np.ndarray:
    args = [x.shape[1], n_hidden]
    code = _one(reach.apply("DenseAutoencoder", state, "encode", [x], args), "DenseAutoencoder.encode")
    return raw_outputs.float_array(code, "DenseAutoencoder.encode", (len(x), n_hidden))


def decode_dense(reach: Reach, state: dict, code: np.ndarray, n_in: int) -> np.ndarray:
    args = [n_in, code.shape[1]]
    out = _one(reach.apply("DenseAutoencoder", state, "decode", [raw_outputs.relay_float32(code)], args),
               "DenseAutoencoder.decode")
    return raw_outputs.float_array(out, "DenseAutoencoder.decode", (len(code), n_in), lo=0.0, hi=1.0)


def dense_roundtrip(reach: Reach, state: dict, x: np.ndarray, n_hidden: int) -> tuple[np.ndarray, np.ndarray]:
    """(codes, reconstructions) of x: encode in one process, decode of the relayed codes in another."""
    code = encode_dense(reach, state, x, n_hidden)
    return code, decode_dense(reach, state, code, x.shape[1])


def conv_roundtrip(reach: Reach, state: dict, images: np.ndarray) -> np.ndarray:
    """Reconstructions of (N, 1, H, W) images through the relayed code."""
    n, per_image = len(images), int(np.prod(images.shape[1:]))
    code = _one(reach.apply("ConvAutoencoder", state, "encode", [images], [1]), "ConvAutoencoder.encode")
    code = raw_outputs.float_array(code, "ConvAutoencoder.encode", max_values=n * (per_image - 1))
    if code.ndim < 2 or code.shape[0] != n:
        raise CheckFailed("ConvAutoencoder.encode gave codes of the wrong shape.",
                          expected=f"({n}, ...): one code per image", got=str(tuple(code.shape)))
    out = _one(reach.apply("ConvAutoencoder", state, "decode", [raw_outputs.relay_float32(code)], [1]),
               "ConvAutoencoder.decode")
    return raw_outputs.float_array(out, "ConvAutoencoder.decode", tuple(images.shape), lo=0.0, hi=1.0)


# ----------------------------------------------------------------- one function per task


def run_dense(reach: Reach, d: dict, settings: dict) -> dict:
    x = d["x_heldout"]
    r = _reply(reach.train("train_dense_autoencoder", {"x_train": d["x_train"].astype(np.float32),
                                                       "seed": d["seed"], **settings}),
               ("state",), "train_dense_autoencoder")
    state = dense_state(r["state"], x.shape[1], int(settings["n_hidden"]), "the trained DenseAutoencoder")
    _, recon = dense_roundtrip(reach, state, x, int(settings["n_hidden"]))
    back = d["unpermute"]
    return {"test_mse": raw_outputs.mse(recon, x), "history": _history(r.get("history")),
            "inputs": x[:N_SHOW, back], "reconstructions": recon[:N_SHOW, back], "cpu_s": _cpu(r.get("cpu_s"))}


def run_conv(reach: Reach, d: dict, settings: dict) -> dict:
    h, w = (int(s) for s in settings["image_shape"])
    x = d["x_heldout"]
    r = _reply(reach.train("train_conv_autoencoder", {"x_train": d["x_train"].astype(np.float32),
                                                      "seed": d["seed"], **settings}),
               ("state",), "train_conv_autoencoder")
    state = conv_state(r["state"], "the trained ConvAutoencoder")
    recon = conv_roundtrip(reach, state, x.reshape(-1, 1, h, w)).reshape(len(x), -1)
    return {"test_mse": raw_outputs.mse(recon, x), "history": _history(r.get("history")),
            "inputs": x[:N_SHOW], "reconstructions": recon[:N_SHOW], "cpu_s": _cpu(r.get("cpu_s"))}


def run_denoising(reach: Reach, d: dict, settings: dict) -> dict:
    """The held-out images are corrupted HERE with the contract's formula and the secret noise,
    so every submission is scored on the same noisy images."""
    x = d["x_heldout"]
    noise_factor = float(settings["noise_factor"])
    noisy = np.clip(x + noise_factor * d["noise"].standard_normal(x.shape), 0.0, 1.0)
    noisy = noisy.astype(np.float32).astype(np.float64)  # what the model sees
    r = _reply(reach.train("train_denoising_autoencoder", {"x_train": d["x_train"].astype(np.float32),
                                                           "seed": d["seed"], **settings}),
               ("state",), "train_denoising_autoencoder")
    state = dense_state(r["state"], x.shape[1], int(settings["n_hidden"]), "the trained DenseAutoencoder")
    _, recon = dense_roundtrip(reach, state, noisy, int(settings["n_hidden"]))
    denoised, noisy_mse = raw_outputs.mse(recon, x), raw_outputs.mse(noisy, x)
    back = d["unpermute"]
    return {"denoised_mse": denoised, "noisy_mse": noisy_mse, "ratio": denoised / noisy_mse,
            "history": _history(r.get("history")), "inputs": x[:N_SHOW, back], "noisy": noisy[:N_SHOW, back],
            "reconstructions": recon[:N_SHOW, back], "cpu_s": _cpu(r.get("cpu_s"))}


def run_sparse(reach: Reach, d: dict, settings: dict) -> dict:
    """Codes of the plain and the L1-trained model on the held-out images (mean |code|, the
    fraction at 0 within 1e-3), and the L1 model's reconstruction through its relayed code."""
    x = d["x_heldout"]
    n_hidden = int(settings["n_hidden"])
    r = _reply(reach.train("train_sparse_autoencoder", {"x_train": d["x_train"].astype(np.float32),
                                                        "seed": d["seed"], **settings}),
               ("plain", "l1"), "train_sparse_autoencoder")
    plain = dense_state(r["plain"], x.shape[1], n_hidden, "the plain DenseAutoencoder")
    l1 = dense_state(r["l1"], x.shape[1], n_hidden, "the L1-trained DenseAutoencoder")
    code_plain = encode_dense(reach, plain, x, n_hidden)
    code_l1, recon = dense_roundtrip(reach, l1, x, n_hidden)
    abs_plain, abs_l1 = float(np.abs(code_plain).mean()), float(np.abs(code_l1).mean())
    return {"mean_abs_code_plain": abs_plain, "mean_abs_code_l1": abs_l1,
            "sparsity_factor": abs_plain / abs_l1 if abs_l1 > 0 else float("inf"),
            "frac_zero_plain": float(np.mean(np.abs(code_plain) <= 1e-3)),
            "frac_zero_l1": float(np.mean(np.abs(code_l1) <= 1e-3)),
            "test_mse_l1": raw_outputs.mse(recon, x), "cpu_s": _cpu(r.get("cpu_s"))}


RUNS = {
    "train_dense_autoencoder": run_dense,
    "train_conv_autoencoder": run_conv,
    "train_denoising_autoencoder": run_denoising,
    "train_sparse_autoencoder": run_sparse,
}


def measure(task: str, settings: dict, data: dict, secret: CourseSecret, reach: Reach) -> dict:
    """Everything the checks of `task` compare, for this course secret."""
    return RUNS[task](reach, draw(secret, task, data), dict(settings))

"""Calibrated bounds of the trained checks of `activity_recognition`, one table per data set.

Settings are written by hand below; the table between the CALIBRATED TABLE markers and
REFERENCE_RUNS are written by `python -m graders.assignments.activity_recognition.calibrate
--write` (`--data ts:PREFIX` adds or refreshes that data set's entry); do not edit them by hand.

How a check uses it: the grader reads the data set (`grade_data`: BasicMotions by default,
or PREFIX_TRAIN.ts / PREFIX_TEST.ts of the archive), keeps every EVERY-th step of each
series, standardises every channel with the training split's mean and standard deviation
(the same statistics for the test split), runs
the submission's `train(X_train, y_train, cell, **SETTINGS)` in the sandbox with the seed
`ctx.secret_seed("train")` (derived from the course secret, so no student can know it), and
measures the test accuracy of the returned parameters with the REFERENCE forward pass in
its own process. Bound: worst reference accuracy over the calibration draws * (1 - MARGIN).

The calibration draws are the seeds that the secrets "calibration 0", "calibration 1", ...
give each check (the graded seed is drawn the same way from the course's secret), so the
bound covers the spread over initialisations and shuffles of the data, which is the
harmless variation a correct submission brings (another but equivalent order of the
weight draws, another shuffle) as well.

REFERENCE_RUNS[data set][cell]: the reference's confusion matrix (mean over the draws) and
mean loss history, drawn beside the submission's in the feedback.
"""

from __future__ import annotations

import functools

import numpy as np

from graders.engine.thresholds import Threshold

CELLS = ("rnn", "lstm", "gru")
CHECKS = {cell: f"train: test accuracy of the {cell.upper()} classifier" for cell in CELLS}
METRIC = "test accuracy"
MARGIN = 0.20
CPU_BUDGET_S = 20.0
DEFAULT_DATA = "basic_motions"
# The arguments of train, the same for every cell and data set.
SETTINGS = {"n_hidden": 32, "dense_dims": [16], "lr": 0.005, "momentum": 0.9, "epochs": 120, "batch_size": 8}
# The grader keeps every EVERY-th step of each series (BasicMotions: 10 Hz -> 2.5 Hz, T = 25). Through all
# 100 steps the vanilla RNN, trained without clipping as the contract says, collapses to chance
# for about one seed in eight (test accuracy 0.15 to 0.40 in 3 of 16 draws), which no calibrated
# bound can tell from a broken submission; through 25 steps its worst of 16 draws is 0.65, and every
# cell trains in a few seconds.
EVERY = 4


def dataset_name(spec: str) -> str:
    """The table's key of a --data spec: "basic_motions", or "ts:NAME" for ts:PATH/NAME."""
    if spec == DEFAULT_DATA:
        return spec
    kind, _, path = spec.partition(":")
    if kind != "ts" or not path:
        raise ValueError(f"--data {spec!r}: expected {DEFAULT_DATA!r} or ts:PATH_PREFIX (PATH_PREFIX_TRAIN.ts and "
                         "PATH_PREFIX_TEST.ts of the UEA & UCR archive)")
    return "ts:" + path.rstrip("/").rsplit("/", 1)[-1]


@functools.lru_cache(maxsize=4)
def grade_data(spec: str = DEFAULT_DATA) -> dict:
    """{"name", "labels", "X_train", "y_train", "X_test", "y_test"}: every EVERY-th step, every
    channel standardised with the training split's statistics. ValueError / OSError say what is
    wrong."""
    name = dataset_name(spec)
    if spec == DEFAULT_DATA:
        from dlgrade.data import load_basic_motions

        X_train, y_train, labels = load_basic_motions("train")
        X_test, y_test, _ = load_basic_motions("test")
    else:
        from dlgrade.data.ts import load_ts_dataset

        d = load_ts_dataset(spec.partition(":")[2])
        X_train, y_train, X_test, y_test, labels = d["X_train"], d["y_train"], d["X_test"], d["y_test"], d["labels"]
    X_train, X_test = X_train[:, ::EVERY], X_test[:, ::EVERY]
    mean = X_train.mean(axis=(0, 1))
    std = X_train.std(axis=(0, 1))
    std = np.where(std > 0, std, 1.0)  # a constant channel stays at zero
    return {"name": name, "labels": list(labels), "X_train": (X_train - mean) / std, "y_train": y_train,
            "X_test": (X_test - mean) / std, "y_test": y_test}


def evaluate(params: dict, data: dict, cell: str) -> tuple[float, np.ndarray]:
    """(test accuracy, confusion matrix) of trained params on the test split, with the reference
    forward pass (the contract's), in the grader's process; a row that is not finite counts as
    wrong."""
    from reference.numpy import activity_recognition as ref

    k = len(data["labels"])
    with np.errstate(all="ignore"):
        probs, _ = ref.forward({key: np.asarray(v, dtype=np.float64) for key, v in params.items()},
                               data["X_test"], cell)
    predicted = np.where(np.isfinite(probs).all(axis=1), probs.argmax(axis=1), -1)
    confusion = np.zeros((k, k), dtype=np.int64)
    ok = predicted >= 0
    np.add.at(confusion, (data["y_test"][ok], predicted[ok]), 1)
    return float(np.mean(predicted == data["y_test"])), confusion


def thresholds_for(name: str) -> dict[str, Threshold]:
    """The calibrated table of a data set; KeyError when it has none yet."""
    return THRESHOLDS_BY_DATASET[name]


REFERENCE_RUNS = {'basic_motions': {'rnn': {'confusion': [[9.8, 0.0, 0.2, 0.0], [0.0, 8.5, 0.0, 1.5], [0.6, 0.0, 9.2, 0.2], [0.8, 2.8, 2.8, 3.6]], 'history': [1.4474, 1.3681, 1.2761, 1.1851, 1.106, 1.036, 0.9771, 0.9175, 0.8555, 0.8007, 0.7491, 0.6986, 0.6518, 0.6071, 0.5642, 0.5256, 0.4865, 0.4516, 0.4183, 0.3855, 0.3567, 0.3308, 0.306, 0.2896, 0.2627, 0.245, 0.2275, 0.2114, 0.197, 0.1827, 0.1755, 0.1944, 0.176, 0.1544, 0.1422, 0.1313, 0.1202, 0.1118, 0.106, 0.0994, 0.1446, 0.1131, 0.1058, 0.1045, 0.095, 0.0869, 0.0817, 0.0766, 0.0708, 0.0664, 0.0625, 0.0586, 0.0552, 0.0521, 0.0492, 0.0469, 0.0445, 0.0424, 0.0405, 0.0387, 0.037, 0.0355, 0.0341, 0.0328, 0.0316, 0.0304, 0.0293, 0.0283, 0.0274, 0.0264, 0.0255, 0.0246, 0.0238, 0.023, 0.0223, 0.0217, 0.021, 0.0204, 0.0198, 0.0193, 0.0188, 0.0183, 0.0179, 0.0174, 0.017, 0.0166, 0.0162, 0.0158, 0.0154, 0.0151, 0.0148, 0.0145, 0.0141, 0.0139, 0.0136, 0.0133, 0.013, 0.0128, 0.0125, 0.0123, 0.0121, 0.0118, 0.0116, 0.0114, 0.0112, 0.011, 0.0108, 0.0106, 0.0105, 0.0103, 0.0101, 0.0099, 0.0098, 0.0096, 0.0095, 0.0093, 0.0092, 0.009, 0.0089, 0.0088], 'cpu_s': 0.5}, 'lstm': {'confusion': [[10.0, 0.0, 0.0, 0.0], [0.0, 9.3, 0.0, 0.7], [0.1, 0.0, 9.6, 0.3], [0.0, 0.4, 0.6, 9.0]], 'history': [1.4009, 1.3939, 1.3835, 1.3709, 1.3585, 1.346, 1.3339, 1.3231, 1.3114, 1.2998, 1.2885, 1.2767, 1.2647, 1.2521, 1.239, 1.2251, 1.211, 1.1957, 1.18, 1.1637, 1.1462, 1.1283, 1.1093, 1.09, 1.0703, 1.0503, 1.0291, 1.0081, 0.9864, 0.9651, 0.9434, 0.9214, 0.9, 0.8784, 0.8571, 0.8352, 0.8145, 0.7943, 0.7745, 0.7543, 0.7349, 0.7157, 0.6974, 0.6801, 0.661, 0.6431, 0.6264, 0.6091, 0.5923, 0.5759, 0.5591, 0.543, 0.528, 0.5155, 0.5026, 0.4929, 0.4787, 0.4586, 0.4447, 0.4341, 0.4178, 0.4054, 0.3912, 0.3782, 0.37, 0.3847, 0.3694, 0.3539, 0.3406, 0.3299, 0.316, 0.3032, 0.2914, 0.2788, 0.2666, 0.2553, 0.2439, 0.2314, 0.2207, 0.2104, 0.2, 0.1902, 0.181, 0.1704, 0.1621, 0.1537, 0.1454, 0.1379, 0.1307, 0.1234, 0.1164, 0.1106, 0.1052, 0.0993, 0.0945, 0.0898, 0.0855, 0.0816, 0.0777, 0.0744, 0.0714, 0.0684, 0.0654, 0.0628, 0.0601, 0.058, 0.0557, 0.0537, 0.0522, 0.0497, 0.0486, 0.0467, 0.0452, 0.0433, 0.0427, 0.0417, 0.0397, 0.0384, 0.0369, 0.0359], 'cpu_s': 2.3}, 'gru': {'confusion': [[10.0, 0.0, 0.0, 0.0], [0.0, 9.1, 0.0, 0.9], [0.0, 0.0, 9.8, 0.2], [0.0, 0.9, 0.7, 8.4]], 'history': [1.4379, 1.4111, 1.3728, 1.3324, 1.2912, 1.255, 1.2196, 1.185, 1.1507, 1.1172, 1.0832, 1.0494, 1.0164, 0.9828, 0.9504, 0.918, 0.8865, 0.8556, 0.8258, 0.7969, 0.7693, 0.7415, 0.7165, 0.6916, 0.6672, 0.644, 0.6225, 0.6, 0.58, 0.5599, 0.5413, 0.5221, 0.5048, 0.4875, 0.471, 0.4549, 0.4395, 0.4241, 0.408, 0.3946, 0.3785, 0.3645, 0.3498, 0.3349, 0.3214, 0.3069, 0.293, 0.2807, 0.2682, 0.2551, 0.2439, 0.2331, 0.2211, 0.2103, 0.1994, 0.1893, 0.1788, 0.1688, 0.1591, 0.1505, 0.14, 0.1318, 0.1233, 0.1161, 0.1099, 0.1023, 0.0964, 0.0896, 0.086, 0.0796, 0.0756, 0.0703, 0.0665, 0.0625, 0.0589, 0.0553, 0.0522, 0.0492, 0.0464, 0.0435, 0.0411, 0.039, 0.0369, 0.035, 0.0333, 0.0317, 0.0302, 0.029, 0.0278, 0.0266, 0.0255, 0.0246, 0.0237, 0.0228, 0.022, 0.0213, 0.0206, 0.0199, 0.0193, 0.0187, 0.0182, 0.0177, 0.0171, 0.0167, 0.0162, 0.0158, 0.0154, 0.015, 0.0146, 0.0142, 0.0139, 0.0136, 0.0133, 0.013, 0.0126, 0.0124, 0.0121, 0.0118, 0.0116, 0.0113], 'cpu_s': 1.7}}}

# BEGIN CALIBRATED TABLE (written by calibrate.py --write)
THRESHOLDS_BY_DATASET: dict[str, dict[str, Threshold]] = {
    'basic_motions': {
        'train: test accuracy of the RNN classifier': Threshold(
            metric='test accuracy',
            bound=0.52,
            higher_is_better=True,
            reference_values=(0.75, 0.725, 0.75, 0.65, 0.85, 0.8, 0.775, 0.8, 0.85, 0.825),
            seeds=(309246902, 846046534, 963814503, 998321192, 1093121804, 1430799337, 1480299625, 1635039469, 2093689134, 2094331868),
            margin=0.2,
            cpu_budget_s=20.0,
            grade_seed=0,
            settings={'n_hidden': 32,
             'dense_dims': [16],
             'lr': 0.005,
             'momentum': 0.9,
             'epochs': 120,
             'batch_size': 8},
            dataset='basic_motions',
        ),
        'train: test accuracy of the LSTM classifier': Threshold(
            metric='test accuracy',
            bound=0.7200000000000001,
            higher_is_better=True,
            reference_values=(0.975, 0.975, 0.925, 0.925, 0.925, 0.95, 0.9, 1.0, 0.975, 0.925),
            seeds=(39475056, 60240647, 457222177, 460221323, 592946844, 1002674824, 1133243282, 1442303441, 1767546625, 1894457876),
            margin=0.2,
            cpu_budget_s=20.0,
            grade_seed=0,
            settings={'n_hidden': 32,
             'dense_dims': [16],
             'lr': 0.005,
             'momentum': 0.9,
             'epochs': 120,
             'batch_size': 8},
            dataset='basic_motions',
        ),
        'train: test accuracy of the GRU classifier': Threshold(
            metric='test accuracy',
            bound=0.7200000000000001,
            higher_is_better=True,
            reference_values=(0.975, 0.9, 0.9, 0.925, 0.95, 0.9, 0.9, 0.95, 1.0, 0.925),
            seeds=(377332337, 401172269, 731416577, 850374647, 926561158, 928597911, 1425075009, 1695410113, 2035806245, 2042675123),
            margin=0.2,
            cpu_budget_s=20.0,
            grade_seed=0,
            settings={'n_hidden': 32,
             'dense_dims': [16],
             'lr': 0.005,
             'momentum': 0.9,
             'epochs': 120,
             'batch_size': 8},
            dataset='basic_motions',
        ),
    },
}
# END CALIBRATED TABLE

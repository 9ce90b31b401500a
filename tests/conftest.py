import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import recurrent

CELLS = {"lstm": recurrent.LSTM, "gru": recurrent.GRU, "rnn": recurrent.RNN}

VARIANTS = [  # the cells' ONNX and Keras variants the tests run: (cell, layer options)
    ("lstm", dict(peepholes=True)),
    ("lstm", dict(clip=0.5)),
    ("lstm", dict(input_forget=True)),
    ("lstm", dict(activations=["HardSigmoid", ("LeakyRelu", 0.1), "Softsign"])),
    ("lstm", dict(peepholes=True, clip=0.7, input_forget=True, activations=[("ScaledTanh", 0.9, 1.1), "Tanh", "Elu"])),
    ("gru", dict(reset_after=False)),
    ("gru", dict(reset_after=False, clip=0.6, activations=["Sigmoid", "Softplus"])),
    ("gru", dict(activations=[("Affine", 0.5, 0.1), "Relu"])),
    ("rnn", dict(activations=["Softsign"])),
    ("rnn", dict(clip=0.3)),
    ("rnn", dict(activations=[("ThresholdedRelu", 0.2)])),
]

HAVE_TORCH = importlib.util.find_spec("torch") is not None  # the live PyTorch comparisons run when it is there

try:
    import numba  # noqa: F401

    HAVE_NUMBA = True
except ImportError:
    HAVE_NUMBA = False


def random_state(layer, N, rng):
    """A random non-zero initial state of the right structure."""
    shape = (layer.num_layers * layer.num_directions, N, layer.hidden_size)
    if layer.has_cell_state:
        return recurrent.LSTMState(rng.normal(size=shape), rng.normal(size=shape))
    return rng.normal(size=shape)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def numba_path():
    """The fused (numba) path for the test, the backend before it put back after."""
    previous = recurrent.set_backend("numba")
    yield
    recurrent.set_backend(previous)


@pytest.fixture(params=["numpy", "numba"])
def backend(request):
    """Run the test once on the NumPy path and once on the fused numba kernels."""
    if request.param == "numba" and not HAVE_NUMBA:
        pytest.skip("numba could not be imported (pip install numba)")
    previous = recurrent.set_backend(request.param)
    yield request.param
    recurrent.set_backend(previous)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a test that takes tens of seconds (pytest -m 'not slow' skips them)")


def pytest_terminal_summary(terminalreporter):
    """One line naming what the skipped tests need, so a short run says why it is short."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons = {}
    for report in skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    parts = [f"{n} because {r}" for r, n in sorted(reasons.items(), key=lambda kv: -kv[1])]
    terminalreporter.write_line(f"skipped {len(skipped)}: " + "; ".join(parts))


# helpers several test modules share


def write_files(folder, n_files=3, per_file=4, length=40, seed=0):
    """``n_files`` long CSV files of ``per_file`` monthly series each; returns (paths, id -> values)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(exist_ok=True)
    paths, Y = [], {}
    for f in range(n_files):
        lines = ["unique_id,ds,y"]
        for k in range(per_file):
            uid = f"f{f}s{k}"
            t = np.arange(length)
            v = np.round(100 + 10 * f + 20 * np.sin(2 * np.pi * t / 12 + k) + rng.normal(0, 2, length), 3)
            Y[uid] = v
            lines += [f"{uid},{2000 + m // 12}-{m % 12 + 1:02d},{x}" for m, x in zip(t, v)]
        p = folder / f"sales-{f}.csv"
        p.write_text("\n".join(lines) + "\n")
        paths.append(str(p))
    return paths, Y


def read_rows(path):
    """A CSV file's rows as lists of strings."""
    with open(path, newline="") as f:
        return list(csv.reader(f))

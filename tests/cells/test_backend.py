"""The backend switch and the fused numba kernels against the NumPy path.

The gradient and PyTorch parity tests also run on both backends (the ``backend``
fixture); these add what is particular to the fused path: float64 agreement with the
NumPy path to rounding, float32 agreement within the tanh approximation, saturation,
NaN propagation and the approximation's own error.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

import recurrent
from conftest import CELLS, HAVE_NUMBA, random_state
from recurrent.cells import backend

needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="numba could not be imported (pip install numba)")

CASES = [("lstm", {}), ("gru", {}), ("rnn", {}), ("rnn", {"nonlinearity": "relu"})]
IDS = ["lstm", "gru", "rnn", "rnn-relu"]
SHAPES = [(1, 1, 1, 1), (3, 5, 2, 4), (16, 3, 40, 4), (9, 4, 3, 33)]  # the third: wide input, batched


def run(layer, x, state, dy, dstate, name):
    previous = recurrent.set_backend(name)
    try:
        y, final, cache = layer.forward(x, state)
        dx, dstate0, grads = layer.backward(dy, cache, dstate)
    finally:
        recurrent.set_backend(previous)
    return {
        "y": y,
        "dx": dx,
        **{f"final.{i}": a for i, a in enumerate(_parts(final))},
        **{f"dstate0.{i}": a for i, a in enumerate(_parts(dstate0))},
        **grads,
    }


def _parts(state):
    return (state.h, state.c) if isinstance(state, recurrent.LSTMState) else (state,)


def both(cell, kw, shape, dtype, seed, layers=1, bidir=False):
    N, T, D, H = shape
    rng = np.random.default_rng(seed)
    layer = CELLS[cell](D, H, num_layers=layers, bidirectional=bidir, dtype=dtype, seed=seed, **kw)
    x = rng.normal(size=(N, T, D)).astype(dtype)
    state = random_state(layer, N, rng)
    dy = rng.normal(size=(N, T, layer.num_directions * H)).astype(dtype)
    dstate = random_state(layer, N, rng)
    return run(layer, x, state, dy, dstate, "numpy"), run(layer, x, state, dy, dstate, "numba")


def test_set_backend_checks_its_argument_and_returns_the_previous_setting():
    with pytest.raises(ValueError, match=r"backend must be one of auto, numpy, numba; got 'fast'"):
        recurrent.set_backend("fast")
    previous = recurrent.set_backend("numpy")
    try:
        assert recurrent.get_backend() == "numpy"
        assert backend.fused(np.float32) is None
        assert recurrent.set_backend("auto") == "numpy"
        assert recurrent.get_backend() == ("numba" if HAVE_NUMBA else "numpy")
        assert backend.fused(np.int64) is None  # only float32 and float64 are fused
    finally:
        recurrent.set_backend(previous)


def test_environment_variable_selects_the_backend_and_a_bad_value_is_named():
    code = "import recurrent; print(recurrent.get_backend())"
    env = {**os.environ, "RECURRENT_BACKEND": "numpy"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "numpy"
    swap = "import recurrent; print(recurrent.set_backend('auto'), recurrent.get_backend())"
    out = subprocess.run([sys.executable, "-c", swap], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["numpy", "numba" if HAVE_NUMBA else "numpy"]  # the variable was in force
    env["RECURRENT_BACKEND"] = "gpu"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert bad.returncode != 0
    assert "RECURRENT_BACKEND='gpu': backend must be one of auto, numpy, numba; got 'gpu'" in bad.stderr
    cli = subprocess.run([sys.executable, "-m", "recurrent", "trace"], env=env, capture_output=True, text=True)
    assert cli.returncode == 2 and cli.stdout == ""
    assert cli.stderr.count("\n") == 1 and "RECURRENT_BACKEND='gpu'" in cli.stderr and "Traceback" not in cli.stderr


def test_without_numba_the_numpy_path_runs_with_a_one_line_notice():
    """numba blocked from importing: "auto" falls back to NumPy and says so once, in one line;
    asking for numba names the install line; RECURRENT_BACKEND=numpy runs without the notice."""
    code = (
        "import sys, warnings; sys.modules['numba'] = None\n"
        "import numpy as np, recurrent\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    y = recurrent.LSTM(2, 3, seed=0)(np.ones((1, 4, 2), np.float32))[0]\n"
        "    recurrent.GRU(2, 3, seed=0)(np.ones((1, 4, 2), np.float32))\n"
        "print(recurrent.get_backend(), len(w), [str(m.message).count(chr(10)) for m in w], y.shape)\n"
        "print(str(w[0].message) if w else '')\n"
        "try:\n    recurrent.set_backend('numba')\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "numpy 1 [0] (1, 4, 3)"
    assert out[1].startswith("recurrent: numba could not be imported") and "NumPy path runs" in out[1]
    assert out[2] == "the numba backend needs numba, which could not be imported: pip install numba"
    env = {**os.environ, "RECURRENT_BACKEND": "numpy"}
    plain = "import sys; sys.modules['numba'] = None\nimport numpy as np, recurrent\n"
    plain += "recurrent.LSTM(2, 3)(np.ones((1, 4, 2), np.float32)); print(recurrent.get_backend())"
    quiet = subprocess.run([sys.executable, "-W", "error", "-c", plain], env=env, capture_output=True, text=True)
    assert quiet.returncode == 0 and quiet.stdout.strip() == "numpy", quiet.stderr


@needs_numba
@pytest.mark.parametrize("cell,kw", CASES, ids=IDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_float64_fused_equals_numpy_to_rounding(cell, kw, shape):
    ref, got = both(cell, kw, shape, np.float64, seed=sum(shape))
    assert list(ref) == list(got)
    for k in ref:
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-12, atol=1e-13, err_msg=k)


@needs_numba
@pytest.mark.parametrize("cell,kw", CASES, ids=IDS)
def test_float64_fused_stacked_and_bidirectional(cell, kw):
    ref, got = both(cell, kw, (4, 6, 3, 5), np.float64, seed=7, layers=2, bidir=True)
    for k in ref:
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-12, atol=1e-13, err_msg=k)


@needs_numba
@pytest.mark.parametrize("cell,kw", CASES, ids=IDS)
@pytest.mark.parametrize("shape", SHAPES[1:])
def test_float32_fused_is_within_the_tanh_approximation(cell, kw, shape):
    """float32 on both paths against the float64 NumPy result: the fused path is as close as NumPy's."""
    exact, _ = both(cell, kw, shape, np.float64, seed=sum(shape))
    ref32, got32 = both(cell, kw, shape, np.float32, seed=sum(shape))
    for k in exact:
        scale = max(1.0, float(np.abs(exact[k]).max()))
        err_numpy = np.abs(ref32[k] - exact[k]).max() / scale
        err_fused = np.abs(got32[k] - exact[k]).max() / scale
        assert err_fused <= 2e-5, (k, err_fused)
        assert err_fused <= 10 * err_numpy + 2e-6, (k, err_fused, err_numpy)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_accuracy_and_saturation(dtype):
    """The kernels' tanh and sigmoid over a dense grid, through an RNN and an LSTM with identity weights."""
    a = np.concatenate([np.linspace(-30, 30, 60001), [-1e4, 1e4, -1e-30, 0.0, 1e-30]])
    rnn = recurrent.RNN(1, 1, dtype=dtype, seed=0)
    rnn.load_state_dict(
        {
            "weight_ih_l0": np.ones((1, 1)),
            "weight_hh_l0": np.zeros((1, 1)),
            "bias_ih_l0": np.zeros(1),
            "bias_hh_l0": np.zeros(1),
        }
    )
    previous = recurrent.set_backend("numba")
    try:
        y, _, _ = rnn.forward(a.astype(dtype).reshape(-1, 1, 1))
        lstm = recurrent.LSTM(1, 1, dtype=dtype, seed=0)
        w = np.zeros((4, 1))
        w[0] = w[3] = 1.0  # i = o = sigmoid(a), f = g = ... from the biases
        lstm.load_state_dict(
            {
                "weight_ih_l0": w,
                "weight_hh_l0": np.zeros((4, 1)),
                "bias_ih_l0": np.array([0.0, -50.0, 50.0, 0.0]),
                "bias_hh_l0": np.zeros(4),
            }
        )
        _, _, cache = lstm.forward(a.astype(dtype).reshape(-1, 1, 1))
    finally:
        recurrent.set_backend(previous)
    tol = 3e-7 if dtype == np.float32 else 1e-15
    assert np.abs(y.ravel() - np.tanh(a)).max() <= tol
    with np.errstate(over="ignore"):
        sig = 1.0 / (1.0 + np.exp(-a))
    gates = cache["layers"][0][0]["gates"][:, 0]  # (N, 4): i, f, g, o
    assert np.abs(gates[:, 0] - sig).max() <= tol
    assert gates[:, 1].max() <= tol and np.abs(gates[:, 2] - 1.0).max() <= tol  # saturated f = 0, g = 1
    assert np.all((gates >= 0) & (gates <= 1))
    assert y.ravel()[-4] == 1.0 and y.ravel()[-5] == -1.0  # exactly saturated at +-1e4
    assert np.abs(y).max() == 1.0  # never past +-1
    if dtype == np.float32:  # clamped: exactly +-1 from |x| = 9.5
        far = np.abs(a) >= 9.5
        assert np.array_equal(y.ravel()[far], np.sign(a[far]))


@needs_numba
@pytest.mark.parametrize("cell,kw", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_propagates_through_the_fused_kernels(cell, kw, dtype):
    """Diverged weights must stay visible (no fast-math assumption turns NaN into a number)."""
    layer = CELLS[cell](2, 3, dtype=dtype, seed=0, **kw)
    layer.params["weight_ih_l0"][0, 0] = np.nan  # as after a diverged update
    x = np.ones((2, 3, 2), dtype=dtype)
    previous = recurrent.set_backend("numba")
    try:
        y, _, cache = layer.forward(x)
        _, _, grads = layer.backward(np.ones_like(y), cache)
    finally:
        recurrent.set_backend(previous)
    assert np.isnan(y[:, :, 0]).all() if cell != "gru" else np.isnan(y).any()
    assert np.isnan(grads["weight_hh_l0"]).any()


@needs_numba
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (8, 16), (13, 7), (64, 17), (40, 1024)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_transpose(shape, dtype):
    """The backward's W_hh^T copy, eight rows at a time plus the rest: exactly a.T."""
    from recurrent.cells import _fused

    a = np.random.default_rng(sum(shape)).standard_normal(shape).astype(dtype)
    out = np.full(shape[::-1], np.nan, dtype)
    _fused.transpose(a, out)
    np.testing.assert_array_equal(out, a.T)


@pytest.mark.parametrize("shape", [(3, 5), (1024, 256), (1030, 300), (4100, 70)])
def test_transposed_weights_on_both_paths(shape, backend):
    """The backward's W_hh^T copy (small arrays in one go, large ones in strips): exactly w.T."""
    from recurrent.cells.sequence import transposed

    w = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    got = transposed(w, recurrent.cells.backend.fused(w.dtype))
    assert got.flags.c_contiguous
    np.testing.assert_array_equal(got, w.T)

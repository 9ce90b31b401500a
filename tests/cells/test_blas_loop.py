"""The cells' time loops compiled with BLAS's products called from them (``_blas``, ``_fused.*_loop``): taken
wherever NumPy's OpenBLAS offers its gemm, equal to the reference cells at 1e-12 in float64 and to the Python loop
(the same products by the same library) in float32; without that gemm the Python loop runs."""

import numpy as np
import pytest

import recurrent
from recurrent.cells import _blas, reference

numba = pytest.importorskip("numba")
fz = pytest.importorskip("recurrent.cells._fused")
pytestmark = pytest.mark.skipif(_blas.gemm(np.float32) is None, reason="NumPy's BLAS is not a 64-bit OpenBLAS")


@pytest.fixture
def ran(monkeypatch):
    """The compiled loops' runs, by name."""
    seen = []
    for name in [f"{cell}_{way}_loop" for cell in ("lstm", "gru", "rnn") for way in ("forward", "backward")]:
        real = getattr(fz, name)

        def counting(*args, _real=real, _name=name):
            seen.append(_name if args[-1] is not None else f"{_name} (products written out)")
            return _real(*args)

        monkeypatch.setattr(fz, name, counting)
    return seen


def _weights(layer):
    p = layer.params
    return p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"]


@pytest.mark.parametrize("N, T, D, H", [(4, 7, 3, 20), (3, 5, 40, 24), (2, 6, 1, 33)])  # narrow, wide, odd
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_the_compiled_loop_equals_the_reference_cells(numba_path, ran, cell, N, T, D, H):
    rng = np.random.default_rng(H)
    layer = {"lstm": recurrent.LSTM, "gru": recurrent.GRU, "rnn": recurrent.RNN}[cell](D, H, dtype=np.float64, seed=1)
    x = rng.normal(size=(N, T, D))
    h0, c0 = rng.normal(scale=0.3, size=(N, H)), rng.normal(scale=0.3, size=(N, H))
    state0 = recurrent.LSTMState(h0[None], c0[None]) if cell == "lstm" else h0[None]
    y, state, cache = layer.forward(x, state0)
    y_ref, h_ref, c_ref, caches = reference.sequence(cell, x, h0, c0 if cell == "lstm" else None, _weights(layer))
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-13)
    if cell == "lstm":
        np.testing.assert_allclose(state.c[0], c_ref, rtol=1e-12, atol=1e-13)
    dy = rng.normal(size=y.shape)
    dx, _, grads = layer.backward(dy, cache)
    assert ran == [f"{cell}_forward_loop", f"{cell}_backward_loop"]
    zeros = np.zeros((N, H))
    dx_ref, *_, g_ref = reference.sequence_backward(cell, dy, zeros, zeros if cell == "lstm" else None, caches)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-10, atol=1e-12)
    for name, ref in (("weight_ih_l0", "weight_ih"), ("weight_hh_l0", "weight_hh"), ("bias_hh_l0", "bias_hh")):
        np.testing.assert_allclose(grads[name], g_ref[ref], rtol=1e-10, atol=1e-12)


def _forward_backward(layer, x, dy):
    y, state, cache = layer.forward(x)
    dx, _, grads = layer.backward(dy, cache)
    return [y, state.h, state.c, dx, *grads.values()]


def test_float32_equals_the_python_loop_and_without_blas_the_python_loop_runs(numba_path, ran, monkeypatch):
    rng = np.random.default_rng(0)
    layer = recurrent.LSTM(8, 64, num_layers=2, bidirectional=True, seed=3)
    x = rng.normal(size=(16, 12, 8)).astype(np.float32)
    dy = rng.normal(size=(16, 12, 128)).astype(np.float32)
    compiled = _forward_backward(layer, x, dy)
    assert ran.count("lstm_forward_loop") == 4 and ran.count("lstm_backward_loop") == 4  # 2 layers x 2 directions
    monkeypatch.setattr(_blas, "gemm", lambda dtype: None)  # no OpenBLAS gemm found: the Python loop
    python = _forward_backward(layer, x, dy)
    assert len(ran) == 8
    for a, b in zip(compiled, python):
        np.testing.assert_allclose(a, b, rtol=2e-6, atol=1e-7)


def test_the_gemm_is_found_only_in_numpys_openblas(monkeypatch):
    from recurrent.cells import _blas as blas

    f = blas.gemm(np.float32)
    A = np.arange(6, dtype=np.float32).reshape(2, 3)
    B = np.arange(12, dtype=np.float32).reshape(3, 4)
    out = np.empty((2, 4), np.float32)
    fz.gemm_into(f, A, B, out)
    np.testing.assert_array_equal(out, A @ B)
    out64 = np.empty((2, 4))
    fz.gemm_into(blas.gemm(np.float64), A.astype(np.float64), B.astype(np.float64), out64)
    np.testing.assert_array_equal(out64, A.astype(np.float64) @ B)
    assert blas.gemm(np.int64) is None
    assert blas.for_loop(False, np.zeros((4, 4), np.float32)) is f
    assert blas.for_loop(False, np.zeros((4, 4), np.float32)[:, ::2]) is False  # strided: the Python loop
    monkeypatch.setattr(blas, "_found", {})
    monkeypatch.setattr(blas, "library", lambda: None)  # NumPy on MKL or Accelerate
    assert blas.gemm(np.float32) is None
    assert blas.for_loop(True, np.zeros((4, 4))[:, ::2]) is None  # a small step: products written out
    assert blas.for_loop(False, np.zeros((4, 4))) is False  # no gemm: the Python loop

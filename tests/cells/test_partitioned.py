"""The LSTM loop with one sequence's hidden units split over the cores (``_fused.lstm_forward_parts``): equal to the
reference cells at 1e-12 in float64 across its switches (odd H, H not divisible by the cores,
stacked and bidirectional, lengths), and taken only where it is chosen (one sequence, 128 to 512 units, two cores or
more, a narrow input; one core available runs the usual loop)."""

import numpy as np
import pytest

import recurrent
from recurrent.cells import reference

numba = pytest.importorskip("numba")
fz = pytest.importorskip("recurrent.cells._fused")


@pytest.fixture
def calls(monkeypatch):
    """How many times the partitioned loop ran."""
    seen = []
    real = fz.lstm_forward_parts

    def counting(*args):
        seen.append(args[-1])
        return real(*args)

    monkeypatch.setattr(fz, "lstm_forward_parts", counting)
    return seen


def _weights(layer):
    p = layer.params
    return p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"]


@pytest.mark.parametrize("H, D", [(129, 3), (255, 40), (512, 5)])
def test_one_sequence_equals_the_reference_cells_forward_and_backward(numba_path, calls, H, D):
    if fz.cores() < 2:
        pytest.skip("one core: the partitioned loop is never chosen")
    rng = np.random.default_rng(H)
    layer = recurrent.LSTM(D, H, dtype=np.float64, seed=1)
    x = rng.normal(size=(1, 6, D))
    h0, c0 = rng.normal(scale=0.3, size=(1, H)), rng.normal(scale=0.3, size=(1, H))
    y, state, cache = layer.forward(x, recurrent.LSTMState(h0[None], c0[None]))
    assert calls == [fz.cores()]
    y_ref, h_ref, c_ref, caches = reference.sequence("lstm", x, h0, c0, _weights(layer))
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(state.h[0], h_ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(state.c[0], c_ref, rtol=1e-12, atol=1e-13)
    dy = rng.normal(size=y.shape)
    dx, _, grads = layer.backward(dy, cache)
    dx_ref, _, _, g_ref = reference.sequence_backward("lstm", dy, np.zeros((1, H)), np.zeros((1, H)), caches)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-10, atol=1e-12)
    for name, ref in (("weight_ih_l0", "weight_ih"), ("weight_hh_l0", "weight_hh"), ("bias_ih_l0", "bias_ih")):
        np.testing.assert_allclose(grads[name], g_ref[ref], rtol=1e-10, atol=1e-12)


def _run(layer, x, lengths=None):
    y, state, _ = layer.forward(x, lengths=lengths)
    return y, state.h, state.c


def test_stacked_bidirectional_and_lengths_equal_the_usual_loop(numba_path, calls, monkeypatch):
    if fz.cores() < 2:
        pytest.skip("one core: the partitioned loop is never chosen")
    rng = np.random.default_rng(3)
    layer = recurrent.LSTM(9, 130, num_layers=2, bidirectional=True, dtype=np.float64, seed=2)
    x = rng.normal(size=(1, 7, 9))
    split = _run(layer, x)
    ran = len(calls)
    assert ran == 2  # the first layer's two directions (the second reads 260 features: a wide input)
    monkeypatch.setattr(fz, "cores", lambda: 1)  # one core: the usual loop
    whole = _run(layer, x)
    assert len(calls) == ran
    for a, b in zip(split, whole):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_only_one_sequence_of_a_middling_size_takes_it(numba_path, calls):
    rng = np.random.default_rng(4)
    for N, H, D in ((2, 256, 4), (1, 64, 4), (1, 600, 4), (1, 256, 600)):  # the last: a wide input
        recurrent.LSTM(D, H, dtype=np.float64, seed=0).forward(rng.normal(size=(N, 5, D)))
    assert calls == []
    previous = numba.get_num_threads()
    numba.set_num_threads(1)  # numba told to use one thread: the usual loop
    try:
        recurrent.LSTM(4, 256, dtype=np.float64, seed=0).forward(rng.normal(size=(1, 5, 4)))
    finally:
        numba.set_num_threads(previous)
    assert calls == []


def test_float32_stays_within_the_kernels_rounding(numba_path):
    rng = np.random.default_rng(5)
    layer = recurrent.LSTM(16, 256, dtype=np.float32, seed=0)
    x = rng.normal(size=(1, 40, 16)).astype(np.float32)
    y = layer.forward(x)[0]
    y_ref = reference.sequence("lstm", x.astype(np.float64), np.zeros((1, 256)), np.zeros((1, 256)),
                               [w.astype(np.float64) for w in _weights(layer)])[0]  # fmt: skip
    np.testing.assert_allclose(y, y_ref, rtol=0, atol=5e-6)


def test_the_fallback_pool_is_entered_from_the_main_thread_only(monkeypatch):
    import threading

    monkeypatch.setattr(numba, "threading_layer", lambda: "workqueue")
    got = []
    worker = threading.Thread(target=lambda: got.append(fz.cores()))
    worker.start()
    worker.join()
    assert got == [1]
    monkeypatch.setattr(numba, "threading_layer", lambda: "omp")
    worker = threading.Thread(target=lambda: got.append(fz.cores()))
    worker.start()
    worker.join()
    assert got[1] == fz.cores() >= 1

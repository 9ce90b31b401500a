"""The fast paths against the reference cells (cells/reference.py), float64, at 1e-12.

The shapes cross every switch the fast code makes: the fused kernels' whole-loop path for
tiny steps (W.size * N <= SMALL_STEP), narrow and wide inputs (4D <= H or not, where the
input products are done for all steps at once), and the NumPy path's exp route (4HN >=
EXP_ROUTE_MIN for the LSTM, 2HN for the GRU, HN for the RNN), on both backends.
"""

import zlib

import numpy as np
import pytest

from recurrent import GRU, LSTM, RNN, LSTMState
from recurrent.cells import reference
from recurrent.cells.sequence import EXP_ROUTE_MIN

SHAPES = [
    (1, 3, 1, 2),  # tiny: the fused whole-loop path
    (4, 5, 2, 16),  # narrow input
    (8, 4, 40, 8),  # wide input
    (32, 3, 5, 64),
]  # past EXP_ROUTE_MIN for every cell


def test_the_shapes_cross_the_exp_route_switch():
    N, _, _, H = SHAPES[-1]
    assert H * N >= EXP_ROUTE_MIN > 4 * SHAPES[1][0] * SHAPES[1][3]


@pytest.mark.parametrize("cell,nonlinearity", [("lstm", "tanh"), ("gru", "tanh"), ("rnn", "tanh"), ("rnn", "relu")])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "N{}-T{}-D{}-H{}".format(*s))
def test_layer_equals_the_reference_forward_and_backward(cell, nonlinearity, shape, backend):
    N, T, D, H = shape
    rng = np.random.default_rng(zlib.crc32(repr((cell, nonlinearity, shape)).encode()))  # the same every run
    kw = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    layer = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[cell](D, H, dtype=np.float64, seed=1, **kw)
    x = rng.normal(size=(N, T, D))
    h0 = rng.normal(size=(1, N, H))
    c0 = rng.normal(size=(1, N, H)) if cell == "lstm" else None
    state = LSTMState(h0, c0) if cell == "lstm" else h0
    y, s_T, cache = layer.forward(x, state)
    weights = layer.weights_of(0, 0)
    y_ref, h_ref, c_ref, caches = reference.sequence(
        cell, x, h0[0], None if c0 is None else c0[0], weights, nonlinearity
    )
    np.testing.assert_allclose(y, y_ref, rtol=0, atol=1e-12)
    h_T = s_T.h if cell == "lstm" else s_T
    np.testing.assert_allclose(h_T[0], h_ref, rtol=0, atol=1e-12)
    if cell == "lstm":
        np.testing.assert_allclose(s_T.c[0], c_ref, rtol=0, atol=1e-12)

    dy = rng.normal(size=y.shape)
    dh_T = rng.normal(size=(1, N, H))
    dc_T = rng.normal(size=(1, N, H)) if cell == "lstm" else None
    dstate = LSTMState(dh_T, dc_T) if cell == "lstm" else dh_T
    dx, dstate0, grads = layer.backward(dy, cache, dstate)
    dx_ref, dh0_ref, dc0_ref, g_ref = reference.sequence_backward(
        cell, dy, dh_T[0], None if dc_T is None else dc_T[0], caches
    )
    scale = max(1.0, float(np.abs(dx_ref).max()))
    np.testing.assert_allclose(dx, dx_ref, rtol=0, atol=1e-12 * scale)
    dh0 = dstate0.h if cell == "lstm" else dstate0
    np.testing.assert_allclose(dh0[0], dh0_ref, rtol=0, atol=1e-12 * scale)
    if cell == "lstm":
        np.testing.assert_allclose(dstate0.c[0], dc0_ref, rtol=0, atol=1e-12 * scale)
    for name, ref in g_ref.items():
        got = grads[f"{name}_l0"]
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * max(1.0, float(np.abs(ref).max())), err_msg=name)


def test_the_reference_step_is_the_equations_written_out():
    """One LSTM step by hand: every gate 0.5 pre-activation ... the numbers of the equations."""
    H, D = 1, 1
    w = (np.full((4 * H, D), 0.5), np.full((4 * H, H), 0.0), np.zeros(4 * H), np.zeros(4 * H))
    h, c, _ = reference.lstm_step(np.array([[1.0]]), np.zeros((1, H)), np.array([[2.0]]), *w)
    s = 1 / (1 + np.exp(-0.5))
    assert c[0, 0] == pytest.approx(s * 2.0 + s * np.tanh(0.5), abs=1e-15)
    assert h[0, 0] == pytest.approx(s * np.tanh(s * 2.0 + s * np.tanh(0.5)), abs=1e-15)

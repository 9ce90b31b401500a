"""Cells one step at a time (LSTMCell, GRUCell, RNNCell) and a layer's streaming step."""

import numpy as np
import pytest

import recurrent
from conftest import CELLS, random_state

CELL_OF = {"lstm": recurrent.LSTMCell, "gru": recurrent.GRUCell, "rnn": recurrent.RNNCell}


def _h(s):
    return s.h if isinstance(s, recurrent.LSTMState) else s


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("options", [{}, "variant"], ids=["pytorch", "variant"])
def test_a_layer_streamed_step_by_step_equals_its_forward(cell, options, backend):
    opts = {}
    if options == "variant":
        opts = {"lstm": dict(peepholes=True, clip=1.5), "gru": dict(reset_after=False), "rnn": dict(clip=0.8)}[cell]
    rng = np.random.default_rng(0)
    layer = CELLS[cell](3, 5, num_layers=2, dtype=np.float64, seed=0, **opts)
    x = rng.normal(size=(2, 7, 3))
    state0 = random_state(layer, 2, rng)
    y, s, _ = layer.forward(x, state0)
    state = state0
    for t in range(7):
        y_t, state = layer.step(x[:, t], state)
        np.testing.assert_allclose(y_t, y[:, t], rtol=0, atol=1e-12)
    np.testing.assert_allclose(_h(state), _h(s), rtol=0, atol=1e-12)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_a_cell_shares_its_layers_arrays_and_steps_like_it(cell):
    rng = np.random.default_rng(1)
    layer = CELLS[cell](3, 4, num_layers=2, bidirectional=True, dtype=np.float64, seed=1)
    one = CELL_OF[cell].of(layer, 1, 1)  # the top layer's reverse direction
    assert one.params["weight_hh"] is layer.params["weight_hh_l1_reverse"]
    assert one.input_size == 8 and list(one.params) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    x = rng.normal(size=(2, 8))
    one.params["bias_ih"][...] += 0.5  # a change through the cell is a change of the layer
    assert np.all(layer.params["bias_ih_l1_reverse"] == one.params["bias_ih"])
    s = one(x)
    from recurrent.cells import reference

    w = layer.weights_of(1, 1)
    h0 = np.zeros((2, 4))
    if cell == "lstm":
        h_ref, c_ref, _ = reference.lstm_step(x, h0, h0, *w)
        np.testing.assert_allclose(s.c, c_ref, rtol=0, atol=1e-12)
    elif cell == "gru":
        h_ref, _ = reference.gru_step(x, h0, *w)
    else:
        h_ref, _ = reference.rnn_step(x, h0, *w)
    np.testing.assert_allclose(_h(s), h_ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_a_cells_backward_matches_central_differences(cell):
    from recurrent import numerical_gradient, relative_error

    rng = np.random.default_rng(2)
    c = CELL_OF[cell](3, 4, dtype=np.float64, seed=2)
    x = rng.normal(size=(2, 3))
    state = random_state(CELLS[cell](3, 4), 2, rng)
    state = recurrent.LSTMState(state.h[0], state.c[0]) if cell == "lstm" else state[0]
    r = [rng.normal(size=(2, 4)) for _ in range(2)]

    def loss():
        s = c(x, state)
        return float(np.sum(r[0] * s.h) + np.sum(r[1] * s.c)) if cell == "lstm" else float(np.sum(r[0] * s))

    s, cache = c.forward(x, state)
    dstate = recurrent.LSTMState(r[0], r[1]) if cell == "lstm" else r[0]
    dx, dprev, grads = c.backward(dstate, cache)
    assert relative_error(dx, numerical_gradient(loss, x)) <= 1e-6
    for name, p in c.params.items():
        assert relative_error(grads[name], numerical_gradient(loss, p)) <= 1e-6, name
    for got, arr in zip(dprev if cell == "lstm" else [dprev], state if cell == "lstm" else [state]):
        assert relative_error(got, numerical_gradient(loss, arr)) <= 1e-6


def test_torch_cells_load_by_name():
    torch = pytest.importorskip("torch", reason="torch not installed (pip install torch==2.13.0)")
    torch.manual_seed(0)
    tc = torch.nn.LSTMCell(3, 4).double()
    ours = recurrent.LSTMCell(3, 4, dtype=np.float64).load_state_dict(tc.state_dict())
    x = np.random.default_rng(3).normal(size=(2, 3))
    h, c = tc(torch.tensor(x))
    s = ours(x)
    np.testing.assert_allclose(s.h, h.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(s.c, c.detach().numpy(), rtol=0, atol=1e-12)


def test_streaming_refuses_a_layer_that_reads_backwards():
    with pytest.raises(ValueError, match="bidirectional layer reads the sequence from its end"):
        recurrent.GRU(2, 3, bidirectional=True).step(np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"expected x_t of shape \(N, 2\)"):
        recurrent.GRU(2, 3).step(np.zeros((1, 4, 2)))
    with pytest.raises(ValueError, match="has 1 layer"):
        recurrent.LSTMCell.of(recurrent.LSTM(2, 3), 1)
    with pytest.raises(TypeError, match="expected a GRU"):
        recurrent.GRUCell.of(recurrent.LSTM(2, 3))

"""Backward equals float64 central differences for every parameter, x and the initial state."""

import itertools

import numpy as np
import pytest

import recurrent
from conftest import CELLS, random_state
from recurrent import gradcheck, numerical_gradient, relative_error

CONFIGS = list(itertools.product(["lstm", "gru", "rnn", "rnn-relu"], [1, 2], [False, True], [True, False]))


@pytest.mark.parametrize("cell,layers,bidir,with_dstate", CONFIGS)
def test_backward_matches_central_differences(cell, layers, bidir, with_dstate, backend):
    seed = CONFIGS.index((cell, layers, bidir, with_dstate))  # deterministic, distinct per case
    rng = np.random.default_rng(seed)
    N, T, D, H = rng.integers(1, 6, size=4)
    kwargs = {"nonlinearity": "relu"} if cell == "rnn-relu" else {}
    layer = CELLS[cell.split("-")[0]](
        int(D), int(H), num_layers=layers, bidirectional=bidir, dtype=np.float64, seed=seed, **kwargs
    )
    x = rng.normal(size=(N, T, D))
    result = gradcheck(layer, x, state=random_state(layer, N, rng), with_dstate=with_dstate, seed=seed)
    expected = set(layer.params) | {"x"} | ({"state.h", "state.c"} if cell == "lstm" else {"state"})
    assert set(result.errors) == expected
    assert result.max_error <= 1e-6, str(result)


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
@pytest.mark.parametrize("N,D,H,wide", [(16, 7, 4, True), (4, 1, 9, False)], ids=["wide-input", "narrow-input"])
def test_backward_with_wide_and_narrow_inputs(cell, N, D, H, wide, backend):
    """Wide inputs (4D > H, steps not tiny) take the input parts of all steps in one product first;
    narrow ones fold the input into each step's product. Both must give the exact gradient."""
    rng = np.random.default_rng(D)
    layer = CELLS[cell](D, H, dtype=np.float64, seed=D)
    x, state = rng.normal(size=(N, 5, D)), random_state(layer, N, rng)
    assert (layer.forward(x, state)[2]["layers"][0][0]["X"] is not None) == wide  # the path under test
    result = gradcheck(layer, x, state=state, with_dstate=True)
    assert result.max_error <= 1e-6, str(result)


def test_linear_gradients_on_vectors_and_sequences(rng):
    lin = recurrent.Linear(4, 3, dtype=np.float64, seed=0)
    for shape in [(5, 4), (2, 6, 4)]:
        result = gradcheck(lin, rng.normal(size=shape))
        assert set(result.errors) == {"weight", "bias", "x"}
        assert result.max_error <= 1e-6, str(result)


def test_gradcheck_catches_a_wrong_gradient(rng, monkeypatch):
    """The checker must fail on a wrong backward: here the input-weight gradient of the
    forget gate is scaled by sigma'(s)/s'(a) as when the sigmoid derivative is taken of an
    already activated value (sigma(s)(1 - sigma(s)) instead of s(1 - s)), about 0.23/0.25."""
    from recurrent.cells import lstm as lstm_cell

    right = lstm_cell.backward

    def wrong(*args, **kwargs):
        dx, dh0, dc0, (dw_ih, dw_hh, db_ih, db_hh) = right(*args, **kwargs)
        H = dw_hh.shape[1]
        dw_ih = dw_ih.copy()
        dw_ih[H : 2 * H] *= 0.92
        return dx, dh0, dc0, (dw_ih, dw_hh, db_ih, db_hh)

    monkeypatch.setattr(lstm_cell, "backward", wrong)
    result = gradcheck(recurrent.LSTM(2, 3, seed=0), rng.normal(size=(2, 4, 2)))
    assert not result.ok
    assert result.errors["weight_ih_l0"] > 1e-3
    assert result.errors["weight_hh_l0"] < 1e-6


def test_numerical_gradient_of_a_known_function():
    a = np.array([0.3, -1.2, 2.0])
    g = numerical_gradient(lambda: float(np.sum(np.sin(a) * a)), a)
    np.testing.assert_allclose(g, np.cos(a) * a + np.sin(a), rtol=1e-8)
    assert relative_error(g, g) == 0.0
    assert relative_error([1.0], [-1.0]) == 1.0


def test_gradcheck_leaves_a_float32_layer_untouched(rng):
    layer = recurrent.GRU(2, 3, seed=1)
    before = layer.state_dict()
    assert gradcheck(layer, rng.normal(size=(1, 3, 2))).ok
    assert layer.dtype == np.float32
    for k, v in layer.params.items():
        np.testing.assert_array_equal(v, before[k])


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_patched_network_gradients(cell, rng):
    """Patches(3) before a cell: every weight's and every input's gradient by central differences."""
    layer = {"lstm": recurrent.LSTM, "gru": recurrent.GRU, "rnn": recurrent.RNN}[cell](6, 4, dtype=np.float64, seed=0)
    net = recurrent.Sequential(
        [recurrent.Patches(3), layer, recurrent.LastStep(), recurrent.Linear(4, 2, dtype=np.float64, seed=1)]
    )
    result = gradcheck(net, rng.normal(size=(2, 9, 2)))
    assert "x" in result.errors and len(result.errors) == len(net.params) + 1
    assert result.max_error <= 1e-6, str(result)

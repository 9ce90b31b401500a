"""The cells' ONNX and Keras variants (recurrent.cells.variants): exact BPTT for every option."""

import numpy as np
import pytest

import recurrent
from conftest import CELLS, VARIANTS, random_state
from recurrent import gradcheck

CASES = VARIANTS + [("lstm", dict(recurrent_dropout=0.4)), ("gru", dict(recurrent_dropout=0.4))]
IDS = [f"{c}-{'-'.join(k)}" for c, k in CASES]


@pytest.mark.parametrize("cell,options", CASES, ids=IDS)
def test_each_variant_alone_matches_central_differences(cell, options):
    rng = np.random.default_rng(CASES.index((cell, options)))
    layer = CELLS[cell](2, 3, dtype=np.float64, seed=1, **options)
    x = rng.normal(size=(3, 4, 2))
    rmasks = layer.forward(x)[2]["recurrent_masks"] or None
    result = gradcheck(layer, x, state=random_state(layer, 3, rng), recurrent_masks=rmasks)
    if options.get("peepholes"):
        assert "peephole_l0" in result.errors
    assert result.max_error <= 1e-6, str(result)


@pytest.mark.parametrize("cell,options", [CASES[4], CASES[6], CASES[9]], ids=[IDS[4], IDS[6], IDS[9]])
def test_variants_combined_with_lengths_directions_layers_and_dropout(cell, options):
    """Masked + bidirectional + stacked + dropout (fixed masks) + recurrent dropout + the variant."""
    rng = np.random.default_rng(20)
    layer = CELLS[cell](2, 3, num_layers=2, bidirectional=True, dtype=np.float64, seed=2, dropout=0.3,
                        recurrent_dropout=0.3, **options)  # fmt: skip
    x = rng.normal(size=(3, 5, 2))
    cache = layer.forward(x)[2]
    result = gradcheck(
        layer,
        x,
        state=random_state(layer, 3, rng),
        lengths=[5, 2, 3],
        masks=cache["masks"],
        recurrent_masks=cache["recurrent_masks"],
    )
    assert result.max_error <= 1e-6, str(result)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_the_general_cell_with_plain_options_is_pytorchs_cell(cell):
    """A recurrent dropout mask of ones sends the layer down the general path: it must give what
    the fast cells give."""
    rng = np.random.default_rng(21)
    layer = CELLS[cell](2, 3, num_layers=2, bidirectional=True, dtype=np.float64, seed=0)
    x = rng.normal(size=(3, 5, 2))
    y, s, cache = layer.forward(x)
    ones = [[np.ones((3, 3))] * 2] * 2
    y2, s2, cache2 = layer.forward(x, recurrent_masks=ones)
    np.testing.assert_allclose(y2, y, rtol=0, atol=1e-12)
    dy = rng.normal(size=y.shape)
    g, g2 = layer.backward(dy, cache)[2], layer.backward(dy, cache2)[2]
    for k in g:
        np.testing.assert_allclose(g2[k], g[k], rtol=0, atol=1e-12)


def test_coupled_gates_and_peepholes_follow_their_equations():
    from recurrent.activations import sigmoid

    layer = recurrent.LSTM(1, 1, dtype=np.float64, seed=0, peepholes=True, input_forget=True, clip=1.0)
    w_ih, w_hh, b_ih, b_hh = (v.ravel() for v in layer.weights_of())
    p_i, p_f, p_o = layer.params["peephole_l0"]
    x, c0 = 0.8, 0.3
    y, s, _ = layer.forward(np.array([[[x]]]), recurrent.LSTMState(np.zeros((1, 1, 1)), np.full((1, 1, 1), c0)))
    a = w_ih * x + b_ih + b_hh  # h0 = 0
    i = sigmoid(np.clip(a[0] + p_i * c0, -1, 1))
    f = 1 - i  # input_forget
    g = np.tanh(np.clip(a[2], -1, 1))
    c = f * c0 + i * g
    o = sigmoid(np.clip(a[3] + p_o * c, -1, 1))
    np.testing.assert_allclose(s.c.ravel(), [c], rtol=1e-14)
    np.testing.assert_allclose(y.ravel(), [o * np.tanh(c)], rtol=1e-14)


def test_forget_bias_opens_the_forget_gate_at_the_start():
    layer = recurrent.LSTM(2, 4, seed=0, forget_bias=1.0)
    np.testing.assert_array_equal(layer.params["bias_ih_l0"][4:8], 1.0)
    np.testing.assert_array_equal(layer.params["bias_hh_l0"][4:8], 0.0)
    assert layer.options.plain  # an initialiser: the fast path still runs


def test_variants_survive_save_and_load(tmp_path):
    layer = recurrent.GRU(2, 3, seed=0, reset_after=False, clip=2.0, activations=["HardSigmoid", "Tanh"])
    model = recurrent.Sequential([layer, recurrent.LastStep()])
    model.save(tmp_path / "m.safetensors")
    back = recurrent.load(tmp_path / "m.safetensors")
    x = np.random.default_rng(0).normal(size=(2, 4, 2)).astype(np.float32)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    assert back.layers[0].options == layer.options
    lstm = recurrent.LSTM(2, 3, seed=0, peepholes=True)
    assert list(lstm.params)[-1] == "peephole_l0"


@pytest.mark.parametrize(
    "cls,kwargs,error,match",
    [
        (recurrent.LSTM, dict(activations=["Tanh"]), ValueError, r"expected 3 \(f, g, h\) activations, got 1"),
        (recurrent.GRU, dict(activations=["Sigmoid", "Swish"]), ValueError, "unknown activation 'Swish'"),
        (recurrent.RNN, dict(activations=[3]), TypeError, "activation's name"),
        (recurrent.RNN, dict(clip=0), ValueError, "`clip` must be a positive number"),
        (recurrent.GRU, dict(peepholes=True), ValueError, "`peepholes` applies to an LSTM"),
        (recurrent.LSTM, dict(reset_after=False), ValueError, "`reset_after` applies to a GRU"),
        (recurrent.LSTM, dict(recurrent_dropout=1.5), ValueError, r"`recurrent_dropout` must be in \[0, 1\)"),
        (recurrent.LSTM, dict(input_forget="yes"), TypeError, "`input_forget` must be True or False"),
        (recurrent.LSTM, dict(forget_bias="1"), TypeError, "`forget_bias` must be a number"),
    ],
)
def test_bad_variant_options_are_refused(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(2, 3, **kwargs)


def test_mismatched_peephole_shapes_are_refused():
    layer = recurrent.LSTM(2, 3, peepholes=True)
    with pytest.raises(ValueError, match=r"'peephole_l0' expected shape \(9,\)"):
        layer.load_state_dict({**layer.params, "peephole_l0": np.zeros(6)})

"""The classic hand-worked examples, reproduced where they are right and corrected where not."""

import math

import numpy as np
import pytest

from recurrent import classic

# The scalar LSTM's table, to 3 decimals, as printed by the original notebook.
TABLE = {
    "f": [0.622, 0.736, 0.827],
    "i": [0.646, 0.778, 0.873],
    "g": [0.604, 0.901, 0.980],
    "c": [0.390, 0.988, 1.672],
    "o": [0.690, 0.846, 0.934],
    "h": [0.256, 0.640, 0.871],
}


def plain_python_scalar_lstm(w, xs):
    """The notebook's own loop, scalar by scalar."""
    sig = lambda a: 1 / (1 + math.exp(-a))
    h = c = 0.0
    rows = {k: [] for k in "figcoh"}
    pre_o = []
    for x in xs:
        f = sig(w["W_f"] * x + w["W_hf"] * h + w["b_f"])
        i = sig(w["W_i"] * x + w["W_hi"] * h + w["b_i"])
        g = math.tanh(w["W_g"] * x + w["W_hg"] * h + w["b_g"])
        pre_o.append(w["W_o"] * x + w["W_ho"] * h + w["b_o"])
        o = sig(pre_o[-1])
        c = f * c + i * g
        h = o * math.tanh(c)
        for k, v in zip("figcoh", (f, i, g, c, o, h)):
            rows[k].append(v)
    return rows, w["W_y"] * h + w["b_y"], pre_o


def lstm_rows(layer, x):
    y, _, cache = layer.forward(x)
    cc = cache["layers"][0][0]
    gates = cc["gates"][0]  # (T, 4): i, f, g, o
    return {
        "i": gates[:, 0],
        "f": gates[:, 1],
        "g": gates[:, 2],
        "o": gates[:, 3],
        "c": cc["c"][0, 1:, 0],
        "h": y[0, :, 0],
    }


def test_scalar_lstm_table_and_prediction():
    layer, readout, x, _ = classic.scalar_lstm()
    rows = lstm_rows(layer, x)
    for k, expected in TABLE.items():
        np.testing.assert_array_equal(np.round(rows[k], 3), expected, err_msg=k)
    pred = readout(rows["h"][-1:].reshape(1, 1))[0, 0]
    assert round(pred, 3) == 3.483

    ref, ref_pred, _ = plain_python_scalar_lstm(classic.SCALAR_LSTM["weights"], classic.SCALAR_LSTM["inputs"])
    for ours_key, ref_key in zip("figcoh", "figcoh"):
        np.testing.assert_allclose(rows[ours_key], ref[ref_key], rtol=0, atol=1e-12)
    assert abs(pred - ref_pred) <= 1e-12


def test_scalar_lstm_second_weights_of_the_notebook():
    """The notebook's second cell (weights +0.1, W_y=4.2) printed 3.874 and MSE 0.016."""
    w = {k: (v + 0.1 if k not in ("W_y", "b_y") else v) for k, v in classic.SCALAR_LSTM["weights"].items()}
    w["W_y"] = 4.2
    layer, readout = classic.from_notation(w, "lstm")
    rows = lstm_rows(layer, np.array([1.0, 2, 3]).reshape(1, 3, 1))
    np.testing.assert_array_equal(np.round(rows["h"], 3), [0.335, 0.736, 0.922])
    np.testing.assert_array_equal(np.round(rows["c"], 3), [0.494, 1.184, 1.961])
    pred = float(readout(rows["h"][-1:].reshape(1, 1))[0, 0])
    assert round(pred, 3) == 3.874 and round((pred - 4) ** 2, 3) == 0.016


def test_hand_calculation_drift_from_step_two_is_corrected():
    """A widely shared hand calculation of this LSTM computes o_2 = sigma(1.436) = 0.808.
    The pre-activation is 0.8 * 2 + 0.4 * h_1 = 1.70254 and o_2 = 0.846; its later steps
    inherit the slip (h_2 = 0.611 instead of 0.640, h_3 = 0.841 instead of 0.871)."""
    layer, _, x, _ = classic.scalar_lstm()
    rows = lstm_rows(layer, x)
    _, _, pre_o = plain_python_scalar_lstm(classic.SCALAR_LSTM["weights"], classic.SCALAR_LSTM["inputs"])
    assert round(pre_o[1], 5) == 1.70254
    assert round(rows["o"][1], 3) == 0.846 and round(1 / (1 + math.exp(-1.436)), 3) == 0.808
    assert round(rows["h"][1], 3) == 0.640 and round(rows["h"][2], 3) == 0.871
    # what the hand calculation got right: the whole first step
    assert [round(rows[k][0], 3) for k in "fgco"] == [0.622, 0.604, 0.390, 0.690]


def test_scalar_rnn_states_loss_and_bptt_gradients():
    layer, readout, x, y_true = classic.scalar_rnn()
    h, _, cache = layer.forward(x)
    out, rcache = readout.forward(h)  # (1, 3, 1): one output per step
    np.testing.assert_allclose(h.ravel(), [0.04995837, 0.12433251, 0.20903903], rtol=0, atol=5e-9)
    loss = np.mean((out - y_true) ** 2)
    assert abs(loss - 0.08378517767647224) <= 1e-12
    dout = 2 * (out - y_true) / out.size
    dh, g_out = readout.backward(dout, rcache)
    _, _, g = layer.backward(dh, cache)
    expected = {
        "dWy": -0.08233091265892165,
        "dby": -0.5444467220306203,
        "dWx": -0.16062445174417353,
        "dWh": -0.04615923298359283,
        "dbh": -0.8041053042318597,
    }
    ours = {
        "dWy": g_out["weight"][0, 0],
        "dby": g_out["bias"][0],
        "dWx": g["weight_ih_l0"][0, 0],
        "dWh": g["weight_hh_l0"][0, 0],
        "dbh": g["bias_ih_l0"][0],
    }
    for k in expected:
        assert abs(ours[k] - expected[k]) <= 1e-12, (k, ours[k], expected[k])
    assert g["bias_hh_l0"][0] == g["bias_ih_l0"][0]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_notation_round_trip(cell):
    rng = np.random.default_rng(3)
    weights = {
        k: (
            rng.normal(size=(2, 3))
            if k in ("W_i", "W_f", "W_g", "W_o", "W_r", "W_z", "W_n", "W_x")
            else rng.normal(size=(2, 2))
            if k.startswith("W_h") or k == "W_h"
            else rng.normal(size=(1, 2))
            if k == "W_y"
            else rng.normal(size=(1,))
            if k == "b_y"
            else rng.normal(size=(2,))
        )
        for k in classic.notation_keys(cell)
    }
    layer, readout = classic.from_notation(weights, cell)
    back = classic.to_notation(layer, readout)
    assert set(back) == set(weights)
    for k in weights:
        np.testing.assert_array_equal(back[k], weights[k], err_msg=k)


def test_notation_errors_name_the_key():
    w = dict(classic.SCALAR_LSTM["weights"])
    del w["W_hf"]
    with pytest.raises(ValueError, match="missing weight 'W_hf'"):
        classic.from_notation(w, "lstm")
    with pytest.raises(ValueError, match="unknown weight 'W_q'"):
        classic.from_notation({**classic.SCALAR_LSTM["weights"], "W_q": 1}, "lstm")
    with pytest.raises(ValueError, match="'W_hf' expected shape \\(1, 1\\), got \\(2, 2\\)"):
        classic.from_notation({**classic.SCALAR_LSTM["weights"], "W_hf": np.eye(2)}, "lstm")
    with pytest.raises(TypeError, match="W_f"):
        classic.from_notation({**classic.SCALAR_LSTM["weights"], "W_f": "half"}, "lstm")

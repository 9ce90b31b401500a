"""The classic hand-worked examples, in the notation textbooks use.

Hand calculations write one weight per gate and per source: W_f (input to
forget gate), W_hf (hidden to forget gate), b_f, and so on, with a readout
y = W_y h + b_y. This module maps that notation onto the PyTorch layout the
layers use (gate order i, f, g, o, stacked row-wise) and back, and holds the
two classic examples:

* ``SCALAR_LSTM``: a one-unit LSTM reading x = [1, 2, 3] and predicting the next
  value (4) with W_y = 4. Its forward pass gives f = 0.622, 0.736, 0.827, ...
  and the prediction 3.483.
* ``SCALAR_RNN``: a one-unit tanh RNN on x = [0.1, 0.2, 0.3] with targets
  [0.2, 0.4, 0.6] at every step, mean-squared loss, full BPTT and one SGD step.

For vector models W_f is (H, D), W_hf (H, H), b_f (H,), W_y (O, H), b_y (O,);
scalars are read as 1x1.
"""

from __future__ import annotations

import numpy as np

from ._checks import float_array, shape_str
from .cells.spec import SPECS
from .layers import CELLS, LSTM, LastStep, Linear
from .sequential import Sequential

SCALAR_LSTM = {
    "weights": {
        "W_f": 0.5,
        "W_hf": 0.1,
        "b_f": 0.0,
        "W_i": 0.6,
        "W_hi": 0.2,
        "b_i": 0.0,
        "W_g": 0.7,
        "W_hg": 0.3,
        "b_g": 0.0,
        "W_o": 0.8,
        "W_ho": 0.4,
        "b_o": 0.0,
        "W_y": 4.0,
        "b_y": 0.0,
    },
    "inputs": [1.0, 2.0, 3.0],
    "target": 4.0,
}

SCALAR_RNN = {
    "weights": {"W_x": 0.5, "W_h": 0.5, "b_h": 0.0, "W_y": 1.0, "b_y": 0.0},
    "inputs": [0.1, 0.2, 0.3],
    "targets": [0.2, 0.4, 0.6],
    "lr": 0.01,
}

# gate letter in the notation, in the layer's row order
_GATE_LETTERS = {name: f.hand for name, f in SPECS.items()}
ALIASES = {"W_c": "W_g", "W_hc": "W_hg", "b_c": "b_g"}  # the LSTM candidate's weights as Olah and the seeds name them


def notation_keys(cell: str) -> list:
    """The weight names a hand calculation uses for ``cell`` ('lstm', 'gru', 'rnn')."""
    if cell == "rnn":
        return ["W_x", "W_h", "b_h", "W_y", "b_y"]
    keys = []
    for g in _GATE_LETTERS[cell]:
        keys += [f"W_{g}", f"W_h{g}", f"b_{g}"]
    if cell == "gru":
        keys.append("b_hn")
    return keys + ["W_y", "b_y"]


def from_notation(weights: dict, cell: str = "lstm", dtype=np.float64):
    """Build ``(layer, readout)`` from hand-calculation weights.

    ``weights`` holds exactly ``notation_keys(cell)``; values are scalars or
    arrays (W_g (H, D), W_hg (H, H), b_g (H,), W_y (O, H), b_y (O,)). For the
    GRU, ``b_hn`` is the bias inside the reset product (all other biases go to
    ``bias_ih``). The LSTM's candidate weights may also be named as many texts
    (and this project's first examples) name them, W_c, W_hc and b_c. Raises
    ``ValueError`` naming a missing, unknown or misshapen key.
    """
    if cell not in _GATE_LETTERS:
        raise ValueError(f"from_notation: `cell` must be 'lstm', 'gru' or 'rnn', got {cell!r}")
    if cell == "lstm" and not ({"W_g", "W_hg", "b_g"} & set(weights)):
        weights = {ALIASES.get(k, k): v for k, v in weights.items()}
    expected = notation_keys(cell)
    missing = [k for k in expected if k not in weights]
    extra = [k for k in weights if k not in expected]
    if missing:
        raise ValueError(f"from_notation: missing weight '{missing[0]}' (a {cell} needs {', '.join(expected)})")
    if extra:
        raise ValueError(f"from_notation: unknown weight '{extra[0]}' (a {cell} needs {', '.join(expected)})")
    w = {}
    for k in expected:
        arr = float_array("from_notation", k, weights[k], np.dtype(dtype))
        w[k] = (
            arr.reshape(1, 1) if (arr.ndim == 0 and k.startswith("W")) else (arr.reshape(1) if arr.ndim == 0 else arr)
        )
    in_key, rec_key = (
        ("W_x", "W_h") if cell == "rnn" else ("W_i" if cell == "lstm" else "W_r", "W_hi" if cell == "lstm" else "W_hr")
    )
    H, D = w[in_key].shape if w[in_key].ndim == 2 else (None, None)
    if H is None:
        raise ValueError(f"from_notation: '{in_key}' must be a matrix (H, D), got shape {shape_str(w[in_key].shape)}")
    O = w["W_y"].shape[0] if w["W_y"].ndim == 2 else None

    def need(key, shape):
        if w[key].shape != shape:
            raise ValueError(f"from_notation: '{key}' expected shape {shape_str(shape)}, got {shape_str(w[key].shape)}")

    letters = _GATE_LETTERS[cell]
    if cell == "rnn":
        need("W_x", (H, D))
        need("W_h", (H, H))
        need("b_h", (H,))
        w_ih, w_hh, b_ih = w["W_x"], w["W_h"], w["b_h"]
    else:
        for g in letters:
            need(f"W_{g}", (H, D))
            need(f"W_h{g}", (H, H))
            need(f"b_{g}", (H,))
        w_ih = np.concatenate([w[f"W_{g}"] for g in letters])
        w_hh = np.concatenate([w[f"W_h{g}"] for g in letters])
        b_ih = np.concatenate([w[f"b_{g}"] for g in letters])
    if O is None:
        raise ValueError(f"from_notation: 'W_y' must be a matrix (O, H), got shape {shape_str(w['W_y'].shape)}")
    need("W_y", (O, H))
    need("b_y", (O,))
    b_hh = np.zeros_like(b_ih)
    if cell == "gru":
        need("b_hn", (H,))
        b_hh[2 * H :] = w["b_hn"]
    layer = CELLS[cell](D, H, dtype=dtype)
    layer.load_state_dict({"weight_ih_l0": w_ih, "weight_hh_l0": w_hh, "bias_ih_l0": b_ih, "bias_hh_l0": b_hh})
    readout = Linear(H, O, dtype=dtype).load_state_dict({"weight": w["W_y"], "bias": w["b_y"]})
    return layer, readout


def to_notation(layer, readout=None, layer_index=0, direction=0) -> dict:
    """The inverse of ``from_notation``: one layer and direction of ``layer`` in hand notation.

    ``bias_ih`` and ``bias_hh`` are summed into one bias per gate (for the GRU,
    ``b_hn`` stays separate). Arrays keep their shapes (1x1 for scalar models).
    """
    cell = type(layer).__name__.lower()
    if cell not in _GATE_LETTERS:
        raise ValueError(f"to_notation: needs an LSTM, GRU or RNN, got {type(layer).__name__}")
    if not (0 <= layer_index < layer.num_layers and 0 <= direction < layer.num_directions):
        raise ValueError(f"to_notation: {layer!r} has no layer {layer_index}, direction {direction}")
    w_ih, w_hh, b_ih, b_hh = layer.weights_of(layer_index, direction)
    H = layer.hidden_size
    if cell == "rnn":
        out = {"W_x": w_ih, "W_h": w_hh, "b_h": b_ih + b_hh}
    else:
        out = {}
        for k, g in enumerate(_GATE_LETTERS[cell]):
            rows = slice(k * H, (k + 1) * H)
            out[f"W_{g}"] = w_ih[rows]
            out[f"W_h{g}"] = w_hh[rows]
            out[f"b_{g}"] = b_ih[rows] + b_hh[rows] if g != "n" else b_ih[rows]
        if cell == "gru":
            out["b_hn"] = b_hh[2 * H :]
    if readout is not None:
        out["W_y"], out["b_y"] = readout.params["weight"], readout.params["bias"]
    return {k: np.array(v) for k, v in out.items()}


def scalar_lstm(dtype=np.float64):
    """The classic scalar LSTM: ``(layer, readout, x (1, 3, 1), target)``."""
    layer, readout = from_notation(SCALAR_LSTM["weights"], "lstm", dtype)
    x = np.array(SCALAR_LSTM["inputs"], dtype=dtype).reshape(1, -1, 1)
    return layer, readout, x, SCALAR_LSTM["target"]


def scalar_rnn(dtype=np.float64):
    """The classic scalar RNN: ``(layer, readout, x (1, 3, 1), targets (1, 3, 1))``."""
    layer, readout = from_notation(SCALAR_RNN["weights"], "rnn", dtype)
    x = np.array(SCALAR_RNN["inputs"], dtype=dtype).reshape(1, -1, 1)
    y = np.array(SCALAR_RNN["targets"], dtype=dtype).reshape(1, -1, 1)
    return layer, readout, x, y


SCALAR_GRU = {
    "weights": {
        "W_r": 0.5,
        "W_hr": 0.1,
        "b_r": 0.0,
        "W_z": 0.6,
        "W_hz": 0.2,
        "b_z": 0.0,
        "W_n": 0.7,
        "W_hn": 0.3,
        "b_n": 0.0,
        "b_hn": 0.0,
        "W_y": 4.0,
        "b_y": 0.0,
    },
    "inputs": [1.0, 2.0, 3.0],
    "target": 4.0,
}


def _vector_lstm_example():
    """A small vector LSTM in the shape of the from-scratch guides: D=3, H=2, two outputs.

    Weights are drawn (seed 0) with PyTorch's init and rounded to one decimal so a
    reader can follow the products by hand.
    """
    layer, readout = LSTM(3, 2, dtype=np.float64, seed=0), Linear(2, 2, dtype=np.float64, seed=1)
    weights = {k: np.round(v * 2, 1) for k, v in to_notation(layer, readout).items()}
    rng = np.random.default_rng(0)
    inputs = np.round(rng.normal(size=(3, 3)), 1).tolist()
    return {"weights": weights, "inputs": inputs, "target": [0.5, -0.5]}


def example(name: str) -> dict:
    """A named worked example: ``{"cell", "weights", "inputs", "target", "many_to_one"}``.

    'lstm-scalar' (the classic [1, 2, 3] -> 4 LSTM), 'rnn-scalar' (the classic RNN with a
    target at every step), 'gru-scalar' (the same numbers through a GRU), 'lstm-vector'.
    """
    if name == "lstm-scalar":
        return {"cell": "lstm", "many_to_one": True, **SCALAR_LSTM}
    if name == "rnn-scalar":
        return {
            "cell": "rnn",
            "many_to_one": False,
            "weights": SCALAR_RNN["weights"],
            "inputs": SCALAR_RNN["inputs"],
            "target": SCALAR_RNN["targets"],
        }
    if name == "gru-scalar":
        return {"cell": "gru", "many_to_one": True, **SCALAR_GRU}
    if name == "lstm-vector":
        return {"cell": "lstm", "many_to_one": True, **_vector_lstm_example()}
    raise ValueError(f"unknown example {name!r}; choose from {', '.join(EXAMPLES)}")


EXAMPLES = ("lstm-scalar", "rnn-scalar", "gru-scalar", "lstm-vector")


def example_model(weights: dict, cell: str, many_to_one: bool = True):
    """A ``Sequential`` from hand-notation weights: layer (+ LastStep) + readout."""

    layer, readout = from_notation(weights, cell)
    return Sequential([layer, LastStep(), readout] if many_to_one else [layer, readout])

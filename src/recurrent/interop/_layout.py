"""Gate orders of each framework and block permutations between them (pure NumPy).

    ours / PyTorch   LSTM (i, f, g, o)   GRU (r, z, n)   RNN (h)
    Keras            LSTM (i, f, c, o)   GRU (z, r, h)   SimpleRNN
    ONNX             LSTM (i, o, f, c)   GRU (z, r, h)   RNN
"""

from __future__ import annotations

import numpy as np

from ..layers import GRU, LSTM, RNN

CELL_OF = {LSTM: "lstm", GRU: "gru", RNN: "rnn"}
CLASS_OF = {"lstm": LSTM, "gru": GRU, "rnn": RNN}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}

# position k of the target order holds our block ORDER[k]
TO_KERAS = {"lstm": [0, 1, 2, 3], "gru": [1, 0, 2], "rnn": [0]}
TO_ONNX = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2], "rnn": [0]}


def permute_blocks(a: np.ndarray, order, H: int, axis: int = 0) -> np.ndarray:
    """Reorder the gate blocks (each H long along ``axis``): block k of the result is block order[k]."""
    blocks = [np.take(a, range(g * H, (g + 1) * H), axis=axis) for g in order]
    return np.concatenate(blocks, axis=axis)


def inverse(order):
    inv = [0] * len(order)
    for k, g in enumerate(order):
        inv[g] = k
    return inv


def cell_of(layer) -> str:
    if type(layer) not in CELL_OF:
        raise TypeError(f"expected an LSTM, GRU or RNN layer, got {type(layer).__name__}")
    return CELL_OF[type(layer)]

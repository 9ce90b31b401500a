"""Gate orders of each framework and block permutations between them (pure NumPy).

ours / PyTorch   LSTM (i, f, g, o)   GRU (r, z, n)   RNN (h)
Keras            LSTM (i, f, c, o)   GRU (z, r, h)   SimpleRNN
ONNX             LSTM (i, o, f, c)   GRU (z, r, h)   RNN
"""

from __future__ import annotations

import numpy as np

from ..cells.spec import SPECS
from ..layers import CELLS, cell_name

CLASS_OF = CELLS

# position k of the target order holds our block ORDER[k]
TO_KERAS = {name: list(f.to_keras) for name, f in SPECS.items()}
TO_ONNX = {name: list(f.to_onnx) for name, f in SPECS.items()}


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
    return cell_name(layer)

"""A recurrent layer's state and its gradient: (h, c) for the LSTM, h for the GRU and RNN.

Each array is (L*dirs, N, H), one row per layer and direction. ``split`` reads what a user
passes (None for zeros, ``LSTMState(h, c)`` or an array) into checked arrays, and ``pack``
puts the arrays back the way ``forward`` returns them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _checks as chk


class LSTMState(NamedTuple):
    """LSTM state: h and c, each (L*dirs, N, H). Also used for its gradient."""

    h: np.ndarray
    c: np.ndarray


def zeros(layer, N: int) -> np.ndarray:
    """A zero state (L*dirs, N, H) in the layer's dtype."""
    return np.zeros((layer.num_layers * layer.num_directions, N, layer.hidden_size), dtype=layer.dtype)


def check(layer, what: str, value, N: int) -> np.ndarray:
    """``value`` as the layer's dtype, refused unless it is (L*dirs, N, H)."""
    name = type(layer).__name__
    shape = (layer.num_layers * layer.num_directions, N, layer.hidden_size)
    arr = chk.float_array(name, what, value, layer.dtype)
    if arr.shape != shape:
        raise ValueError(
            f"{name}: expected {what} of shape {chk.shape_str(shape)} (L*dirs, N, H), got {chk.shape_str(arr.shape)}"
        )
    return arr


def split(layer, what: str, state, N: int) -> tuple[np.ndarray, np.ndarray | None]:
    """A state (or its gradient) as (h, c) arrays, zeros where None, checked against batch size N;
    c is None without a cell state. ``what`` names it in errors ("state", "dstate")."""
    name = type(layer).__name__
    if state is None:
        return zeros(layer, N), (zeros(layer, N) if layer.has_cell_state else None)
    if layer.has_cell_state:
        if not (isinstance(state, tuple) and len(state) == 2):
            raise TypeError(f"{name}: expected {what} as LSTMState(h, c), got {type(state).__name__}")
        h, c = state
        h = zeros(layer, N) if h is None else check(layer, f"{what}.h", h, N)
        c = zeros(layer, N) if c is None else check(layer, f"{what}.c", c, N)
        return h, c
    if isinstance(state, tuple):
        raise TypeError(f"{name}: expected {what} as one array (L*dirs, N, H), got a tuple")
    return check(layer, what, state, N), None


def pack(layer, h: np.ndarray, c: np.ndarray | None) -> LSTMState | np.ndarray:
    """The state as forward returns it: LSTMState(h, c) for an LSTM, h for the others."""
    return LSTMState(h, c) if layer.has_cell_state else h

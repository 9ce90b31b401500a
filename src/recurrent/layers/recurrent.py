"""The recurrent layers: LSTM, GRU and RNN, stacked and optionally bidirectional.

Each names its cell in ``recurrent.cells``; the composition over layers and
directions is ``recurrent.layers.base.Recurrent``. Parameter names, shapes, gate
order and initialisation are PyTorch's, so
``layer.load_state_dict(torch_module.state_dict())`` just works.
"""

from __future__ import annotations

import numpy as np

from ..cells import gru as gru_cell
from ..cells import lstm as lstm_cell
from ..cells import rnn as rnn_cell
from ..cells.spec import SPECS
from .base import Recurrent


class LSTM(Recurrent):
    """Long short-term memory layer, PyTorch-compatible (batch_first=True).

    Equations (gate order i, f, g, o; sigma is the logistic sigmoid)::

        i_t = sigma(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
        f_t = sigma(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
        o_t = sigma(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    Args:
        input_size (D), hidden_size (H), num_layers (L), bidirectional,
        dtype (float32 or float64), seed (for the U(-1/sqrt(H), 1/sqrt(H)) init, then
        the dropout masks); keyword ``dropout`` (p in [0, 1): between stacked layers,
        in training mode, as PyTorch's); ``reverse=True``: one direction that reads time
        backwards, outputs aligned with their steps (ONNX's direction="reverse"); the
        variants' options (``activations``, ``clip``, ``peepholes``, ``input_forget``,
        ``recurrent_dropout``, ``forget_bias``): see ``recurrent.cells.variants``.

    Shapes: x (N, T, D) -> y (N, T, dirs*H); state ``LSTMState(h, c)``, each (L*dirs, N, H).

    Weights: ``weight_ih_l{k}`` (4H, D or dirs*H), ``weight_hh_l{k}`` (4H, H),
    ``bias_ih_l{k}`` and ``bias_hh_l{k}`` (4H,), suffix ``_reverse`` for the
    backward direction.

    Example::

        >>> lstm = LSTM(3, 5, seed=0)
        >>> y, state, cache = lstm.forward(np.ones((2, 7, 3)))
        >>> dx, dstate0, grads = lstm.backward(np.ones_like(y), cache)
    """

    num_gates = SPECS["lstm"].num_gates
    cell_name = "lstm"
    has_cell_state = True

    cell_module = lstm_cell


class GRU(Recurrent):
    """Gated recurrent unit layer, PyTorch-compatible (batch_first=True).

    Equations (gate order r, z, n; b_hn inside the reset product)::

        r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
        z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    Args and shapes as ``LSTM``, with 3H rows per weight and the state one array h.
    """

    num_gates = SPECS["gru"].num_gates
    cell_name = "gru"

    cell_module = gru_cell


class RNN(Recurrent):
    """Elman recurrent layer, PyTorch-compatible (batch_first=True).

    Equation::

        h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),   act = tanh or relu

    Args as ``LSTM`` plus ``nonlinearity`` ("tanh" or "relu"); H rows per
    weight; the state is one array h (L*dirs, N, H).
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        bidirectional=False,
        dtype=np.float32,
        seed=None,
        **options,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: `nonlinearity` must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bidirectional, dtype, seed, **options)

    def _config(self):
        return {**super()._config(), "nonlinearity": self.nonlinearity}

    def __repr__(self):
        return super().__repr__()[:-1] + f", nonlinearity={self.nonlinearity!r})"

    cell_module = rnn_cell
    cell_name = "rnn"

    def _cell_options(self) -> dict:
        return {"nonlinearity": self.nonlinearity}


CELLS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}  # a cell's name -> its layer class


def cell_name(layer) -> str:
    """'lstm', 'gru' or 'rnn' for a layer; TypeError for anything else."""
    for name, cls in CELLS.items():
        if type(layer) is cls:
            return name
    raise TypeError(f"expected an LSTM, GRU or RNN layer, got {type(layer).__name__}")

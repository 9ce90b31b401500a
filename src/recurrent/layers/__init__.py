"""Layers: LSTM, GRU and RNN (stacked, optionally bidirectional), Linear, LastStep, Patches.

The cell math lives in ``recurrent.cells``; these modules compose it:

- ``base``: what the recurrent layers share (parameters, state checks, layers and
  directions, forward and backpropagation through time);
- ``recurrent``: LSTM, GRU and RNN, each naming its cell;
- ``segments``: checkpointed BPTT for ``forward(..., segment=k)``;
- ``shaping``: Linear, LastStep and Patches;
- ``cells``: LSTMCell, GRUCell, RNNCell, one step at a time;
- ``lengths``: batches of different lengths; ``options``: the variants' options.

Arrays are batch-first: x is (N, T, D), y is (N, T, dirs*H), states are (L*dirs, N, H).
"""

from .base import LSTMState, Recurrent
from .cells import GRUCell, LSTMCell, RNNCell
from .recurrent import CELLS, GRU, LSTM, RNN, cell_name
from .shaping import LastStep, Linear, Patches

__all__ = [
    "CELLS",
    "GRU",
    "LSTM",
    "RNN",
    "GRUCell",
    "LSTMCell",
    "RNNCell",
    "LSTMState",
    "LastStep",
    "Linear",
    "Patches",
    "Recurrent",
    "cell_name",
]

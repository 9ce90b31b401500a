"""One module per cell: the equations, forward over a sequence, backward through time."""

from . import gru, lstm, rnn

__all__ = ["lstm", "gru", "rnn"]

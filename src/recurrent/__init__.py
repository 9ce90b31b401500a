"""recurrent: LSTM, GRU and RNN from first principles, with exact backpropagation through time."""

from . import datasets, interop, losses, optim
from ._version import __version__
from .cells.backend import get_backend, set_backend, set_buffer_limit
from .data import Series, read_csv
from .forecast import Forecaster, NotFittedError
from .gradcheck import GradcheckResult, gradcheck, numerical_gradient, relative_error
from .layers import GRU, LSTM, RNN, GRUCell, LastStep, Linear, LSTMCell, LSTMState, Patches, RNNCell
from .sequential import Sequential, load
from .trace import Trace, trace
from .train import EarlyStopping, History, NonFiniteError

__all__ = [
    "__version__",
    "LSTM",
    "GRU",
    "RNN",
    "LSTMCell",
    "GRUCell",
    "RNNCell",
    "Linear",
    "LastStep",
    "Patches",
    "LSTMState",
    "Sequential",
    "load",
    "EarlyStopping",
    "History",
    "NonFiniteError",
    "losses",
    "optim",
    "interop",
    "Forecaster",
    "NotFittedError",
    "datasets",
    "read_csv",
    "Series",
    "trace",
    "Trace",
    "gradcheck",
    "numerical_gradient",
    "relative_error",
    "GradcheckResult",
    "set_backend",
    "get_backend",
    "set_buffer_limit",
]

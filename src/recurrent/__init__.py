"""recurrent: LSTM, GRU and RNN from first principles, with exact backpropagation through time."""

__version__ = "0.1.0"

from .gradcheck import GradcheckResult, gradcheck, numerical_gradient, relative_error
from .layers import GRU, LSTM, RNN, Linear, LSTMState

__all__ = [
    "__version__",
    "LSTM", "GRU", "RNN", "Linear", "LSTMState",
    "gradcheck", "numerical_gradient", "relative_error", "GradcheckResult",
]

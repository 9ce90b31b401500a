"""The cells one step at a time, with PyTorch's names: LSTMCell, GRUCell, RNNCell.

    cell = LSTMCell(3, 16, seed=0)
    h, c = cell(x_t)                      # x_t (N, D); state LSTMState(h, c), each (N, H)
    state, cache = cell.forward(x_t, state)
    dx, dstate_prev, grads = cell.backward(dstate, cache)

Parameters ``weight_ih`` (G*H, D), ``weight_hh`` (G*H, H), ``bias_ih``, ``bias_hh`` (G*H,),
as ``torch.nn.LSTMCell``'s, so ``cell.load_state_dict(torch_cell.state_dict())`` works.
``Cell.of(layer, k, direction)`` shares one layer and direction's arrays (not copies):
training either trains both. A step is the layer's own cell run over one step (the fast
path, or a variant's), so a cell equals its layer step for step.

Streaming a whole (one-way) layer one input at a time is ``layer.step(x_t, state)``.
"""

from __future__ import annotations

import numpy as np

from .base import LSTMState
from .module import Module
from .recurrent import GRU, LSTM, RNN

NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "peephole")


class Cell(Module):
    """One step of a recurrent cell; ``layer_class`` names which."""

    layer_class = None
    is_recurrent = False

    def __init__(self, input_size, hidden_size, dtype=np.float32, seed=None, **options):
        self._layer = self.layer_class(input_size, hidden_size, dtype=dtype, seed=seed, **options)
        self._share()

    def _share(self):
        """``params`` holds the one-layer layer's own arrays under the cell's names."""
        self.params = {n: self._layer.params[n + "_l0"] for n in NAMES if n + "_l0" in self._layer.params}

    @classmethod
    def of(cls, layer, k: int = 0, direction: int = 0) -> Cell:
        """The cell of layer ``k`` and ``direction`` of ``layer``, sharing its arrays."""
        if type(layer) is not cls.layer_class:
            raise TypeError(f"{cls.__name__}.of: expected a {cls.layer_class.__name__}, got {type(layer).__name__}")
        if not (0 <= k < layer.num_layers and 0 <= direction < layer.num_directions):
            raise ValueError(
                f"{cls.__name__}.of: the layer has {layer.num_layers} layer(s) and {layer.num_directions} "
                f"direction(s), got layer {k}, direction {direction}"
            )
        cfg = {**layer._config(), "num_layers": 1, "bidirectional": False, "dropout": 0.0}
        cfg["input_size"] = layer.input_size if k == 0 else layer.hidden_size * layer.num_directions
        cfg.pop("reverse", None)
        cell = cls.__new__(cls)
        cell._layer = cls.layer_class(**cfg)
        s = layer.param_suffix(k, direction)
        for n in NAMES:
            if n + s in layer.params:
                cell._layer.params[n + "_l0"] = layer.params[n + s]  # the same array
        cell._share()
        return cell

    @property
    def dtype(self):
        """The cell's dtype (its layer's)."""
        return self._layer.dtype

    @property
    def input_size(self) -> int:
        """D, the width of each input."""
        return self._layer.input_size

    @property
    def hidden_size(self) -> int:
        """H, the width of the state."""
        return self._layer.hidden_size

    def _config(self) -> dict:
        cfg = self._layer._config()
        return {k: v for k, v in cfg.items() if k not in ("num_layers", "bidirectional", "dropout")}

    def _like(self, dtype):
        return type(self)(**{**self._config(), "dtype": dtype})

    def load_state_dict(self, state_dict) -> Cell:
        """Copy parameters in by PyTorch's cell names (``weight_ih``, ...); returns self."""
        super().load_state_dict(state_dict)
        for n, v in self.params.items():
            self._layer.params[n + "_l0"] = v
        return self

    def __repr__(self):
        return type(self).__name__ + repr(self._layer)[len(type(self._layer).__name__) :]

    def forward(self, x, state=None):
        """One step from ``state`` (None: zeros): returns (the new state, cache)."""
        x = np.asarray(x)
        if x.ndim != 2:
            raise ValueError(f"{type(self).__name__}: expected x of shape (N, {self.input_size}), got {x.shape}")
        _, s, cache = self._layer.forward(x[:, None], self._as_layer_state(state))
        return self._as_cell_state(s), cache

    def __call__(self, x, state=None):
        return self.forward(x, state)[0]

    def backward(self, dstate, cache):
        """Given the gradient on the new state: (dx (N, D), gradient on the previous state, grads)."""
        N = cache["shape"][0]
        dy = np.zeros((N, 1, self.hidden_size), dtype=self.dtype)
        dx, ds0, g = self._layer.backward(dy, cache, self._as_layer_state(dstate))
        return dx[:, 0], self._as_cell_state(ds0), {n: g[n + "_l0"] for n in self.params}

    def _as_layer_state(self, state):
        if state is None:
            return None
        if self._layer.has_cell_state:
            if not (isinstance(state, tuple) and len(state) == 2):
                raise TypeError(f"{type(self).__name__}: expected the state as LSTMState(h, c), each (N, H)")
            return LSTMState(*(None if a is None else np.asarray(a)[None] for a in state))
        return np.asarray(state)[None]

    def _as_cell_state(self, s):
        return LSTMState(s.h[0], s.c[0]) if self._layer.has_cell_state else s[0]


class LSTMCell(Cell):
    """``torch.nn.LSTMCell``: (h, c) = cell(x_t, (h, c)); the LSTM's options apply."""

    layer_class = LSTM


class GRUCell(Cell):
    """``torch.nn.GRUCell``: h = cell(x_t, h); the GRU's options apply."""

    layer_class = GRU


class RNNCell(Cell):
    """``torch.nn.RNNCell``: h = cell(x_t, h), ``nonlinearity`` "tanh" or "relu"."""

    layer_class = RNN

"""Layers: LSTM, GRU and RNN (stacked, optionally bidirectional) and Linear.

The cell math lives in ``recurrent.cells``; this module composes it. Arrays are
batch-first: x is (N, T, D), y is (N, T, dirs*H), states are (L*dirs, N, H).
Parameter names, shapes, gate order and initialisation are PyTorch's, so
``layer.load_state_dict(torch_module.state_dict())`` just works.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _checks as chk
from .cells import gru as gru_cell
from .cells import lstm as lstm_cell
from .cells import rnn as rnn_cell
from .cells.facts import FACTS
from .module import Module


class LSTMState(NamedTuple):
    """LSTM state: h and c, each (L*dirs, N, H). Also used for its gradient."""

    h: np.ndarray
    c: np.ndarray


class _Recurrent(Module):
    """Shared composition for LSTM, GRU and RNN: layers, directions, checks."""

    num_gates: int = 1
    cell_module = None          # the cell's module in recurrent.cells: forward and backward over a sequence
    has_cell_state: bool = False
    is_recurrent = True

    def __init__(self, input_size, hidden_size, num_layers=1, bidirectional=False,
                 dtype=np.float32, seed=None):
        name = type(self).__name__
        self.input_size = chk.positive_int(name, "input_size", input_size)
        self.hidden_size = chk.positive_int(name, "hidden_size", hidden_size)
        self.num_layers = chk.positive_int(name, "num_layers", num_layers)
        if not isinstance(bidirectional, (bool, np.bool_)):
            raise TypeError(f"{name}: `bidirectional` must be True or False, got {bidirectional!r}")
        self.bidirectional = bool(bidirectional)
        self.dtype = chk.float_dtype(name, dtype)
        self.seed = seed
        self.params = self._init_params(np.random.default_rng(seed))

    # ---- parameters ----------------------------------------------------------------
    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def param_suffix(self, layer: int, direction: int) -> str:
        """PyTorch's parameter-name suffix: "_l0", "_l1_reverse", ..."""
        return f"_l{layer}" + ("_reverse" if direction == 1 else "")

    def _init_params(self, rng) -> dict:
        """PyTorch's default: every parameter U(-1/sqrt(H), 1/sqrt(H))."""
        H, G = self.hidden_size, self.num_gates
        k = 1.0 / np.sqrt(H)
        params = {}
        for layer in range(self.num_layers):
            d_in = self.input_size if layer == 0 else H * self.num_directions
            for direction in range(self.num_directions):
                s = self.param_suffix(layer, direction)
                for name, shape in ((f"weight_ih{s}", (G * H, d_in)), (f"weight_hh{s}", (G * H, H)),
                                    (f"bias_ih{s}", (G * H,)), (f"bias_hh{s}", (G * H,))):
                    params[name] = rng.uniform(-k, k, size=shape).astype(self.dtype)
        return params

    def weights_of(self, layer: int = 0, direction: int = 0) -> tuple[np.ndarray, ...]:
        """(weight_ih, weight_hh, bias_ih, bias_hh) of one layer and direction (the arrays themselves)."""
        s = self.param_suffix(layer, direction)
        p = self.params
        return p[f"weight_ih{s}"], p[f"weight_hh{s}"], p[f"bias_ih{s}"], p[f"bias_hh{s}"]

    def _like(self, dtype):
        return type(self)(**{**self._config(), "dtype": dtype})

    def _config(self) -> dict:
        return dict(input_size=self.input_size, hidden_size=self.hidden_size,
                    num_layers=self.num_layers, bidirectional=self.bidirectional,
                    dtype=self.dtype, seed=self.seed)

    def __repr__(self):
        extra = "" if self.num_layers == 1 else f", num_layers={self.num_layers}"
        extra += ", bidirectional=True" if self.bidirectional else ""
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size}{extra}, dtype={self.dtype})"

    # ---- checks ----------------------------------------------------------------------
    def _check_x(self, x) -> np.ndarray:
        name = type(self).__name__
        x = chk.float_array(name, "x", x, self.dtype)
        if x.ndim != 3 or x.shape[2] != self.input_size:
            hint = " (one sequence? pass x[None])" if x.ndim == 2 else ""
            raise ValueError(f"{name}: expected x of shape (N, T, {self.input_size}), "
                             f"got {chk.shape_str(x.shape)}{hint}")
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"{name}: x needs at least one sequence and one step, got {chk.shape_str(x.shape)}")
        return x

    def _check_h(self, what: str, value, N: int) -> np.ndarray:
        name = type(self).__name__
        shape = (self.num_layers * self.num_directions, N, self.hidden_size)
        arr = chk.float_array(name, what, value, self.dtype)
        if arr.shape != shape:
            raise ValueError(f"{name}: expected {what} of shape {chk.shape_str(shape)} "
                             f"(L*dirs, N, H), got {chk.shape_str(arr.shape)}")
        return arr

    def _zeros_state(self, N):
        return np.zeros((self.num_layers * self.num_directions, N, self.hidden_size), dtype=self.dtype)

    def split_state(self, what: str, state, N: int) -> tuple[np.ndarray, np.ndarray | None]:
        """A state (or its gradient) as (h, c) arrays, zeros where None, checked against batch size N;
        c is None without a cell state. ``what`` names it in errors ("state", "dstate")."""
        name = type(self).__name__
        if state is None:
            return self._zeros_state(N), (self._zeros_state(N) if self.has_cell_state else None)
        if self.has_cell_state:
            if not (isinstance(state, tuple) and len(state) == 2):
                raise TypeError(f"{name}: expected {what} as LSTMState(h, c), got {type(state).__name__}")
            h, c = state
            h = self._zeros_state(N) if h is None else self._check_h(f"{what}.h", h, N)
            c = self._zeros_state(N) if c is None else self._check_h(f"{what}.c", c, N)
            return h, c
        if isinstance(state, tuple):
            raise TypeError(f"{name}: expected {what} as one array (L*dirs, N, H), got a tuple")
        return self._check_h(what, state, N), None

    def pack_state(self, h: np.ndarray, c: np.ndarray | None) -> LSTMState | np.ndarray:
        """The state as forward returns it: LSTMState(h, c) for an LSTM, h for the others."""
        return LSTMState(h, c) if self.has_cell_state else h

    # ---- the cell, one signature for all three ------------------------------------------
    def _cell_options(self) -> dict:
        return {}

    def _cell_forward(self, x, h0, c0, w):
        """The cell over one layer and direction: (y, h_T, c_T or None, cache)."""
        return self.cell_module.forward(x, h0, c0, *w, **self._cell_options())

    def _cell_backward(self, dy, dh_T, dc_T, cache, record=None):
        """Its BPTT: (dx, dh0, dc0 or None, grads)."""
        return self.cell_module.backward(dy, dh_T, dc_T, cache, record)

    # ---- forward and backward --------------------------------------------------------
    def forward(self, x, state=None, segment: int | None = None) -> tuple[np.ndarray, LSTMState | np.ndarray, dict]:
        """Run every layer and direction over x (N, T, D).

        Returns ``(y, state, cache)``: y (N, T, dirs*H) from the top layer, the
        final state (``LSTMState(h, c)`` for LSTM, an array h for GRU and RNN,
        each (L*dirs, N, H)), and the cache that ``backward`` needs.

        ``segment=k`` trades time for memory on long sequences: the cache keeps
        only each layer's outputs and the state every k steps, and ``backward``
        recomputes one segment's activations at a time from its saved state.
        Gradients are the same as without it (full backpropagation through time,
        not truncated); the forward pass runs twice.
        """
        x = self._check_x(x)
        if segment is not None:
            segment = chk.positive_int(type(self).__name__, "segment", segment)
        N = x.shape[0]
        h0, c0 = self.split_state("state", state, N)
        h_T, c_T = np.empty_like(h0), (np.empty_like(c0) if c0 is not None else None)
        caches = []
        inp = x
        for layer in range(self.num_layers):
            outs, layer_caches = [], []
            for direction in range(self.num_directions):
                k = layer * self.num_directions + direction
                seq = inp if direction == 0 else inp[:, ::-1]         # reverse direction reads time backwards
                c_init = c0[k] if c0 is not None else None
                w = self.weights_of(layer, direction)
                if segment is None or segment >= seq.shape[1]:
                    y, h_last, c_last, cache = self._cell_forward(seq, h0[k], c_init, w)
                else:
                    y, h_last, c_last, cache = self._segmented_forward(seq, h0[k], c_init, w, segment)
                outs.append(y if direction == 0 else y[:, ::-1])
                layer_caches.append(cache)
                h_T[k] = h_last
                if c_T is not None:
                    c_T[k] = c_last
            inp = outs[0] if len(outs) == 1 else np.concatenate(outs, axis=2)  # (N, T, dirs*H)
            caches.append(layer_caches)
        cache = {"module": type(self).__name__, "shape": x.shape, "layers": caches}
        return inp, self.pack_state(h_T, c_T), cache

    def __call__(self, x, state=None):
        y, state, _ = self.forward(x, state)
        return y, state

    def _segmented_forward(self, seq, h, c, w, segment):
        """Forward in segments, keeping outputs and the state at each segment's start only."""
        starts, ys = [], []
        for s in range(0, seq.shape[1], segment):
            starts.append((s, h, c))
            y, h, c, _ = self._cell_forward(seq[:, s:s + segment], h, c, w)
            ys.append(np.array(y))                   # copies: views would keep the segment's buffers alive
            h, c = np.array(h), (np.array(c) if c is not None else None)
        return np.concatenate(ys, axis=1), h, c, {"segments": starts, "x": seq, "w": w, "segment": segment}

    def _segmented_backward(self, dy, dh, dc, cache):
        """Backward over the segments, last first, recomputing each one's activations."""
        seq, w, seg = cache["x"], cache["w"], cache["segment"]
        dxs, total = [], None
        for s, h, c in reversed(cache["segments"]):
            _, _, _, cc = self._cell_forward(seq[:, s:s + seg], h, c, w)
            dx, dh, dc, g = self._cell_backward(dy[:, s:s + seg], dh, dc, cc)
            dxs.append(dx)
            total = list(g) if total is None else [a + b for a, b in zip(total, g)]
        return np.concatenate(dxs[::-1], axis=1), dh, dc, tuple(total)

    def backward(self, dy, cache: dict, dstate=None,
                 record: dict | None = None) -> tuple[np.ndarray, LSTMState | np.ndarray, dict]:
        """Backpropagation through time over every layer and direction.

        dy is the gradient on y (N, T, dirs*H); ``dstate`` (optional, same
        structure as the state) the gradient on the final state. Returns
        ``(dx, dstate0, grads)``: the gradient on x, on the initial state, and a
        dict with exactly the keys of ``params``. If ``record`` is a dict, it
        receives the per-step gradients of each cell under ``(layer, direction)``,
        in that direction's processing order (see the cell modules).
        """
        name = type(self).__name__
        if not isinstance(cache, dict) or cache.get("module") != name or \
                len(cache.get("layers", ())) != self.num_layers or \
                len(cache["layers"][0]) != self.num_directions:
            raise ValueError(f"{name}.backward: `cache` must come from this layer's forward")
        N, T, _ = cache["shape"]
        H, dirs = self.hidden_size, self.num_directions
        dy = chk.float_array(name, "dy", dy, self.dtype)
        chk.expect_shape(name, "dy", dy, (N, T, dirs * H))
        dh_T, dc_T = self.split_state("dstate", dstate, N)
        dh0 = np.empty_like(dh_T)
        dc0 = np.empty_like(dc_T) if dc_T is not None else None
        grads = {}
        d_out = dy
        for layer in reversed(range(self.num_layers)):
            d_in = None
            for direction in range(dirs):
                k = layer * dirs + direction
                dy_d = d_out[:, :, direction * H:(direction + 1) * H]
                if direction == 1:
                    dy_d = dy_d[:, ::-1]
                dc_last = dc_T[k] if dc_T is not None else None
                cell_cache = cache["layers"][layer][direction]
                if isinstance(cell_cache, dict) and "segments" in cell_cache:
                    if record is not None:
                        raise ValueError(f"{name}.backward: per-step records need a forward without `segment`")
                    dx, dh_first, dc_first, g = self._segmented_backward(dy_d, dh_T[k], dc_last, cell_cache)
                else:
                    rec = record.setdefault((layer, direction), {}) if record is not None else None
                    dx, dh_first, dc_first, g = self._cell_backward(dy_d, dh_T[k], dc_last, cell_cache, rec)
                if direction == 1:
                    dx = dx[:, ::-1]
                d_in = dx if d_in is None else d_in + dx
                dh0[k] = dh_first
                if dc0 is not None:
                    dc0[k] = dc_first
                s = self.param_suffix(layer, direction)
                for key, val in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), g):
                    grads[key + s] = val
            d_out = d_in
        grads = {k: grads[k] for k in self.params}                 # PyTorch's order
        return d_out, self.pack_state(dh0, dc0), grads


class LSTM(_Recurrent):
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
        dtype (float32 or float64), seed (for the U(-1/sqrt(H), 1/sqrt(H)) init).

    Shapes: x (N, T, D) -> y (N, T, dirs*H); state ``LSTMState(h, c)``, each (L*dirs, N, H).

    Weights: ``weight_ih_l{k}`` (4H, D or dirs*H), ``weight_hh_l{k}`` (4H, H),
    ``bias_ih_l{k}`` and ``bias_hh_l{k}`` (4H,), suffix ``_reverse`` for the
    backward direction.

    Example::

        >>> lstm = LSTM(3, 5, seed=0)
        >>> y, state, cache = lstm.forward(np.ones((2, 7, 3)))
        >>> dx, dstate0, grads = lstm.backward(np.ones_like(y), cache)
    """

    num_gates = FACTS["lstm"].num_gates
    has_cell_state = True

    cell_module = lstm_cell


class GRU(_Recurrent):
    """Gated recurrent unit layer, PyTorch-compatible (batch_first=True).

    Equations (gate order r, z, n; b_hn inside the reset product)::

        r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
        z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    Args and shapes as ``LSTM``, with 3H rows per weight and the state one array h.
    """

    num_gates = FACTS["gru"].num_gates

    cell_module = gru_cell


class RNN(_Recurrent):
    """Elman recurrent layer, PyTorch-compatible (batch_first=True).

    Equation::

        h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),   act = tanh or relu

    Args as ``LSTM`` plus ``nonlinearity`` ("tanh" or "relu"); H rows per
    weight; the state is one array h (L*dirs, N, H).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh",
                 bidirectional=False, dtype=np.float32, seed=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: `nonlinearity` must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bidirectional, dtype, seed)

    def _config(self):
        return {**super()._config(), "nonlinearity": self.nonlinearity}

    def __repr__(self):
        return super().__repr__()[:-1] + f", nonlinearity={self.nonlinearity!r})"

    cell_module = rnn_cell

    def _cell_options(self) -> dict:
        return {"nonlinearity": self.nonlinearity}


class Linear(Module):
    """Affine readout y = x W^T + b over the last axis (PyTorch's ``nn.Linear``).

    Works on one vector per sequence (N, in) or on every step (N, T, in).
    Weights: ``weight`` (out, in), ``bias`` (out,), init U(-1/sqrt(in), 1/sqrt(in)).
    """

    is_recurrent = False

    def __init__(self, in_features, out_features, dtype=np.float32, seed=None):
        self.in_features = chk.positive_int("Linear", "in_features", in_features)
        self.out_features = chk.positive_int("Linear", "out_features", out_features)
        self.dtype = chk.float_dtype("Linear", dtype)
        self.seed = seed
        rng = np.random.default_rng(seed)
        k = 1.0 / np.sqrt(self.in_features)
        self.params = {
            "weight": rng.uniform(-k, k, size=(self.out_features, self.in_features)).astype(self.dtype),
            "bias": rng.uniform(-k, k, size=(self.out_features,)).astype(self.dtype),
        }

    def _config(self):
        return dict(in_features=self.in_features, out_features=self.out_features,
                    dtype=self.dtype, seed=self.seed)

    def _like(self, dtype):
        return Linear(**{**self._config(), "dtype": dtype})

    def __repr__(self):
        return f"Linear({self.in_features}, {self.out_features}, dtype={self.dtype})"

    def forward(self, x) -> tuple[np.ndarray, dict]:
        """Returns ``(y, cache)`` with y (..., out)."""
        x = chk.float_array("Linear", "x", x, self.dtype)
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear: expected x of shape (..., {self.in_features}), got {chk.shape_str(x.shape)}")
        y = x @ self.params["weight"].T + self.params["bias"]
        return y, {"module": "Linear", "x": x, "weight": self.params["weight"]}

    def __call__(self, x):
        return self.forward(x)[0]

    def backward(self, dy, cache: dict) -> tuple[np.ndarray, dict]:
        """Returns ``(dx, grads)`` for dy shaped like y."""
        if not isinstance(cache, dict) or cache.get("module") != "Linear":
            raise ValueError("Linear.backward: `cache` must come from Linear.forward")
        x = cache["x"]
        dy = chk.float_array("Linear", "dy", dy, self.dtype)
        chk.expect_shape("Linear", "dy", dy, x.shape[:-1] + (self.out_features,))
        x2 = x.reshape(-1, self.in_features)
        dy2 = dy.reshape(-1, self.out_features)
        grads = {"weight": dy2.T @ x2, "bias": dy2.sum(axis=0)}
        return dy @ cache["weight"], grads


class LastStep(Module):
    """Keep only the last time step: (N, T, F) -> (N, F). Many-to-one models end with it.

    For a bidirectional layer below, the reverse half at the last step has read
    only that step (as in PyTorch's ``y[:, -1]``); use the final state for both
    directions' summaries.
    """

    is_recurrent = False

    def __init__(self):
        self.params = {}
        self.dtype = None

    def _config(self):
        return {}

    def _like(self, dtype):
        return LastStep()

    def __repr__(self):
        return "LastStep()"

    def forward(self, x) -> tuple[np.ndarray, dict]:
        x = np.asarray(x)
        if x.ndim != 3:
            raise ValueError(f"LastStep: expected x of shape (N, T, F), got {chk.shape_str(x.shape)}")
        return x[:, -1], {"module": "LastStep", "shape": x.shape}

    def __call__(self, x):
        return self.forward(x)[0]

    def backward(self, dy, cache: dict) -> tuple[np.ndarray, dict]:
        dx = np.zeros(cache["shape"], dtype=np.asarray(dy).dtype)
        dx[:, -1] = dy
        return dx, {}


class Patches(Module):
    """Group consecutive steps: (N, T, F) -> (N, T / size, size * F).

    Step k of the output holds input steps k*size .. k*size + size - 1, their features
    side by side (``x.reshape(N, T // size, size * F)``): a recurrent layer after it reads
    ``size`` values per step, so a long window costs ``size`` times fewer recurrent steps
    (the inputs of ES-RNN's steps and PatchTST's patches work this way). T must be a
    multiple of ``size``.
    """

    is_recurrent = False

    def __init__(self, size):
        self.size = chk.positive_int("Patches", "size", size)
        self.params = {}
        self.dtype = None

    def _config(self):
        return {"size": self.size}

    def _like(self, dtype):
        return Patches(self.size)

    def __repr__(self):
        return f"Patches({self.size})"

    def forward(self, x) -> tuple[np.ndarray, dict]:
        x = np.asarray(x)
        if x.ndim != 3 or x.shape[1] % self.size:
            raise ValueError(f"Patches: expected x of shape (N, T, F) with T a multiple of {self.size}, "
                             f"got {chk.shape_str(x.shape)}")
        n, t, f = x.shape
        return x.reshape(n, t // self.size, self.size * f), {"module": "Patches", "shape": x.shape}

    def __call__(self, x):
        return self.forward(x)[0]

    def backward(self, dy, cache: dict) -> tuple[np.ndarray, dict]:
        return np.asarray(dy).reshape(cache["shape"]), {}


CELLS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}       # a cell's name -> its layer class


def cell_name(layer) -> str:
    """'lstm', 'gru' or 'rnn' for a layer; TypeError for anything else."""
    for name, cls in CELLS.items():
        if type(layer) is cls:
            return name
    raise TypeError(f"expected an LSTM, GRU or RNN layer, got {type(layer).__name__}")

"""What the LSTM, GRU and RNN layers share: parameters, checks, layers and directions.

``Recurrent`` runs one cell (``recurrent.cells``) over every layer and direction
and backpropagates through them; the three layers in ``recurrent.layers.recurrent``
only name their cell. Arrays are batch-first: x is (N, T, D), y is (N, T, dirs*H),
states are (L*dirs, N, H). Parameter names, shapes, gate order and initialisation
are PyTorch's.
"""

from __future__ import annotations

import numpy as np

from .. import _checks as chk
from ..cells import variants
from . import dropout, options
from . import state as state_
from .direction import PARAMS, CellWeights, lengths_plan
from .direction import backward as direction_backward
from .direction import forward as direction_forward
from .module import Module, initialising
from .state import LSTMState


class Recurrent(Module):
    """Shared composition for LSTM, GRU and RNN: layers, directions, checks."""

    num_gates: int = 1
    cell_module = None  # the cell's module in recurrent.cells: forward and backward over a sequence
    has_cell_state: bool = False
    is_recurrent = True

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bidirectional=False,
        dtype=np.float32,
        seed=None,
        *,
        dropout=0.0,
        recurrent_dropout=0.0,
        activations=None,
        clip=None,
        peepholes=False,
        input_forget=False,
        reset_after=True,
        forget_bias=None,
        reverse=False,
    ):
        name = type(self).__name__
        self.input_size = chk.positive_int(name, "input_size", input_size)
        self.hidden_size = chk.positive_int(name, "hidden_size", hidden_size)
        self.num_layers = chk.positive_int(name, "num_layers", num_layers)
        self.bidirectional = chk.boolean(name, "bidirectional", bidirectional)
        if chk.boolean(name, "reverse", reverse) and self.bidirectional:
            raise ValueError(f"{name}: `reverse` reads one direction backwards; a bidirectional layer reads both")
        self.reverse = bool(reverse)  # ONNX's direction="reverse"
        self.dtype = chk.float_dtype(name, dtype)
        self.seed = seed
        self.dropout = chk.probability(name, "dropout", dropout)
        self.recurrent_dropout = chk.probability(name, "recurrent_dropout", recurrent_dropout)
        given = dict(peepholes=peepholes, input_forget=input_forget, reset_after=reset_after, forget_bias=forget_bias)
        given.update(activations=activations, clip=clip)
        self.options = options.read(name, self.cell_name, getattr(self, "nonlinearity", None), given)
        if self.cell_name == "rnn" and self.options.acts == options.RELU:
            self.nonlinearity = "relu"  # activations=["Relu"] is the ReLU RNN
        self.forget_bias = options.forget_bias(name, forget_bias)
        self.rng = np.random.default_rng(seed)  # the weights' initialisation, then the dropout masks
        if initialising():
            self.params = self._init_params(self.rng)
        else:  # weights come from a file: the generator moves on as the draws would have moved it
            self.params = {}
            self.rng.bit_generator.advance(sum(int(np.prod(s)) for s in self.param_shapes().values()))

    # ---- parameters ----------------------------------------------------------------
    @property
    def num_directions(self) -> int:
        """2 for a bidirectional layer, else 1."""
        return 2 if self.bidirectional else 1

    def param_suffix(self, layer: int, direction: int) -> str:
        """PyTorch's parameter-name suffix: "_l0", "_l1_reverse", ..."""
        return f"_l{layer}" + ("_reverse" if direction == 1 else "")

    def param_shapes(self) -> dict:
        """Each parameter's name and shape, in PyTorch's order, from the settings alone."""
        H, G = self.hidden_size, self.num_gates
        shapes = {}
        for layer in range(self.num_layers):
            d_in = self.input_size if layer == 0 else H * self.num_directions
            for direction in range(self.num_directions):
                s = self.param_suffix(layer, direction)
                shapes[f"weight_ih{s}"] = (G * H, d_in)
                shapes[f"weight_hh{s}"] = (G * H, H)
                shapes[f"bias_ih{s}"] = (G * H,)
                shapes[f"bias_hh{s}"] = (G * H,)
                if self.options.peepholes:  # p_i, p_f, p_o
                    shapes[f"peephole{s}"] = (3 * H,)
        return shapes

    def _init_params(self, rng) -> dict:
        """PyTorch's default: every parameter U(-1/sqrt(H), 1/sqrt(H))."""
        H = self.hidden_size
        k = 1.0 / np.sqrt(H)
        params = {
            name: rng.uniform(-k, k, size=shape).astype(self.dtype) for name, shape in self.param_shapes().items()
        }
        if self.forget_bias is not None:  # Keras' unit_forget_bias: the forget gate starts open
            for name in params:
                if name.startswith("bias_ih"):
                    params[name][H : 2 * H] = self.forget_bias
                    params["bias_hh" + name[len("bias_ih") :]][H : 2 * H] = 0.0
        return params

    def weights_of(self, layer: int = 0, direction: int = 0) -> tuple[np.ndarray, ...]:
        """(weight_ih, weight_hh, bias_ih, bias_hh) of one layer and direction (the arrays themselves)."""
        s = self.param_suffix(layer, direction)
        p = self.params
        return p[f"weight_ih{s}"], p[f"weight_hh{s}"], p[f"bias_ih{s}"], p[f"bias_hh{s}"]

    def _like(self, dtype):
        return type(self)(**{**self._config(), "dtype": dtype})

    def _config(self) -> dict:
        return dict(
            input_size=self.input_size,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dtype=self.dtype,
            seed=self.seed,
            **({"dropout": self.dropout} if self.dropout else {}),
            **({"recurrent_dropout": self.recurrent_dropout} if self.recurrent_dropout else {}),
            **({"forget_bias": self.forget_bias} if self.forget_bias is not None else {}),
            **({"reverse": True} if self.reverse else {}),
            **options.saved(self.options),
        )

    def __repr__(self):
        extra = "" if self.num_layers == 1 else f", num_layers={self.num_layers}"
        extra += ", bidirectional=True" if self.bidirectional else ""
        extra += f", dropout={self.dropout}" if self.dropout else ""
        extra += "".join(
            f", {k}={v!r}"
            for k, v in self._config().items()
            if k in ("recurrent_dropout", "activations", "clip", "peepholes", "input_forget", "reset_after", "reverse")
        )
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size}{extra}, dtype={self.dtype})"

    # ---- checks ----------------------------------------------------------------------
    def _check_x(self, x) -> np.ndarray:
        name = type(self).__name__
        x = chk.float_array(name, "x", x, self.dtype)
        if x.ndim != 3 or x.shape[2] != self.input_size:
            hint = " (one sequence? pass x[None])" if x.ndim == 2 else ""
            raise ValueError(
                f"{name}: expected x of shape (N, T, {self.input_size}), got {chk.shape_str(x.shape)}{hint}"
            )
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"{name}: x needs at least one sequence and one step, got {chk.shape_str(x.shape)}")
        return x

    def split_state(self, what: str, state, N: int) -> tuple[np.ndarray, np.ndarray | None]:
        """A state (or its gradient) as checked (h, c) arrays, zeros where None (``layers.state.split``)."""
        return state_.split(self, what, state, N)

    def pack_state(self, h: np.ndarray, c: np.ndarray | None) -> LSTMState | np.ndarray:
        """The state as forward returns it: LSTMState(h, c) for an LSTM, h for the others."""
        return state_.pack(self, h, c)

    # ---- the cell, one signature for all three ------------------------------------------
    def _cell_options(self) -> dict:
        return {}

    def _cell_forward(self, x, h0, c0, w):
        """The cell over one layer and direction: (y, h_T, c_T or None, cache).

        ``w``: ``CellWeights``; a variant (``self.options``) or a recurrent dropout mask runs
        ``cells.variants``, PyTorch's cell the fast path."""
        if self.options.plain and w.mask is None:
            return self.cell_module.forward(x, h0, c0, *w[:4], **self._cell_options())
        return variants.forward(x, h0, c0, *w[:4], opts=self.options, peephole=w.peephole, mask=w.mask)

    def _cell_backward(self, dy, dh_T, dc_T, cache, record=None, dc_steps=None):
        """Its BPTT: (dx, dh0, dc0 or None, grads). ``dc_steps``: a gradient on every c_t (LSTM)."""
        if isinstance(cache, variants.VariantCache):
            return variants.backward(dy, dh_T, dc_T, cache, dc_steps, record)
        if dc_steps is not None:
            return self.cell_module.backward(dy, dh_T, dc_T, cache, record, dc_steps=dc_steps)
        return self.cell_module.backward(dy, dh_T, dc_T, cache, record)

    def _weights(self, layer, direction, rmask=None) -> CellWeights:
        s = self.param_suffix(layer, direction)
        return CellWeights(*self.weights_of(layer, direction), self.params.get(f"peephole{s}"), rmask)

    # ---- forward and backward --------------------------------------------------------
    def forward(
        self,
        x,
        state=None,
        segment: int | None = None,
        *,
        lengths=None,
        mask=None,
        masks=None,
        recurrent_masks=None,
    ) -> tuple[np.ndarray, LSTMState | np.ndarray, dict]:
        """Run every layer and direction over x (N, T, D): ``(y, state, cache)``.

        y (N, T, dirs*H) from the top layer; the final state (``LSTMState(h, c)`` for LSTM, an
        array h for GRU and RNN, each (L*dirs, N, H)); the cache ``backward`` needs.
        ``segment=k`` keeps only the state every k steps and recomputes one segment at a time in
        backward (the same gradients, memory for time). ``lengths`` (N,) (or a right-padded boolean
        ``mask`` (N, T), Keras' way) stops each sequence at its own length, as PyTorch's packed
        sequences do. ``dropout`` between layers and Keras' ``recurrent_dropout`` act in training
        mode, their masks kept in the cache (``masks=``, ``recurrent_masks=`` reuse an earlier
        forward's). docs/layers.md has each in full.
        """
        x = self._check_x(x)
        name = type(self).__name__
        if segment is not None:
            segment = chk.positive_int(name, "segment", segment)
        N, T = x.shape[:2]
        p = lengths_plan(self, lengths, mask, N, T)
        if p is not None and segment is not None:
            raise ValueError(f"{name}: `segment` and `lengths` (or `mask`) cannot be used together")
        h0, c0 = self.split_state("state", state, N)
        h_T, c_T = np.empty_like(h0), (np.empty_like(c0) if c0 is not None else None)
        drop = dropout.between_layers(self, masks, N, T)
        rdrop = dropout.recurrent(self, recurrent_masks, N)
        caches = []
        inp = x
        for layer in range(self.num_layers):
            outs, layer_caches = [], []
            for d in range(self.num_directions):
                k = layer * self.num_directions + d
                back = d == 1 or self.reverse  # this direction reads time backwards
                c_init = c0[k] if c0 is not None else None
                w = self._weights(layer, d, rdrop[layer][d] if rdrop else None)
                y, h_last, c_last, cache = direction_forward(self, inp, h0[k], c_init, w, p, segment, back)
                outs.append(y)
                layer_caches.append(cache)
                h_T[k] = h_last
                if c_T is not None:
                    c_T[k] = c_last
            inp = outs[0] if len(outs) == 1 else np.concatenate(outs, axis=2)  # (N, T, dirs*H)
            if layer < len(drop):
                inp = inp * drop[layer]  # dropout between layers
            caches.append(layer_caches)
        cache = {"module": name, "shape": x.shape, "layers": caches, "plan": p, "masks": drop, "recurrent_masks": rdrop}
        return inp, self.pack_state(h_T, c_T), cache

    def __call__(self, x, state=None):
        y, state, _ = self.forward(x, state)
        return y, state

    def step(self, x_t, state=None):
        """Streaming: one input step x_t (N, D) from ``state``; returns (y_t (N, H), new state).

        Feeding a sequence one step at a time gives what ``forward`` gives on the whole
        sequence. A bidirectional or reverse layer needs the whole sequence and refuses.
        """
        name = type(self).__name__
        if self.bidirectional or self.reverse:
            raise ValueError(f"{name}.step: a {'bidirectional' if self.bidirectional else 'reverse'} layer reads "
                             "the sequence from its end; run forward on the whole sequence")  # fmt: skip
        x_t = np.asarray(x_t)
        if x_t.ndim != 2:
            raise ValueError(
                f"{name}.step: expected x_t of shape (N, {self.input_size}), got {chk.shape_str(x_t.shape)}"
            )
        y, state, _ = self.forward(x_t[:, None], state)
        return y[:, 0], state

    def backward(
        self, dy, cache: dict, dstate=None, record: dict | None = None
    ) -> tuple[np.ndarray, LSTMState | np.ndarray, dict]:
        """Backpropagation through time over every layer and direction.

        dy is the gradient on y (N, T, dirs*H); ``dstate`` (optional, same
        structure as the state) the gradient on the final state. Returns
        ``(dx, dstate0, grads)``: the gradient on x, on the initial state, and a
        dict with exactly the keys of ``params``. If ``record`` is a dict, it
        receives the per-step gradients of each cell under ``(layer, direction)``,
        in that direction's processing order (see the cell modules).
        """
        name = type(self).__name__
        if (
            not isinstance(cache, dict)
            or cache.get("module") != name
            or len(cache.get("layers", ())) != self.num_layers
            or len(cache["layers"][0]) != self.num_directions
        ):
            raise ValueError(f"{name}.backward: `cache` must come from this layer's forward")
        N, T, _ = cache["shape"]
        H, dirs = self.hidden_size, self.num_directions
        p = cache.get("plan")  # how a batch of different lengths ran, or None
        dy = chk.float_array(name, "dy", dy, self.dtype)
        chk.expect_shape(name, "dy", dy, (N, T, dirs * H))
        dh_T, dc_T = self.split_state("dstate", dstate, N)
        dh0 = np.empty_like(dh_T)
        dc0 = np.empty_like(dc_T) if dc_T is not None else None
        grads = {}
        d_out = dy
        drop = cache.get("masks") or []
        for layer in reversed(range(self.num_layers)):
            if layer < len(drop):
                d_out = d_out * drop[layer]  # through the dropout after this layer
            d_in = None
            for d in range(dirs):
                k = layer * dirs + d
                dy_d = d_out[:, :, d * H : (d + 1) * H]
                dc_last = dc_T[k] if dc_T is not None else None
                rec = record.setdefault((layer, d), {}) if record is not None else None
                back = d == 1 or self.reverse
                dx, dh_first, dc_first, g = direction_backward(
                    self, dy_d, dh_T[k], dc_last, cache["layers"][layer][d], p, back, rec
                )
                d_in = dx if d_in is None else d_in + dx
                dh0[k] = dh_first
                if dc0 is not None:
                    dc0[k] = dc_first
                s = self.param_suffix(layer, d)
                for key, val in zip(PARAMS, g):
                    grads[key + s] = val
            d_out = d_in
        grads = {k: grads[k] for k in self.params}  # PyTorch's order
        return d_out, self.pack_state(dh0, dc0), grads

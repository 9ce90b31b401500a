"""Every number of a forward and backward pass, step by step, read from the real caches.

    t = recurrent.trace(model, [1, 2, 3], target=4)
    t.steps()              # forward values per step: x, pre-activations, gates, c, h
    t.backward_steps()     # per-step gradients, last step first: dh, dc, each gate's
    print(t.table())       # the classic "Time Step 1: Forget gate (f_t): 0.622" listing
    t.markdown()           # worked example with every number substituted (recurrent.explain)
    t.to_json()

The values come from the cache ``forward`` returns and the per-step record
``backward`` fills while it runs, so what is shown is what training uses.
Every cell cache, the variants' included, offers the same readings
(``cells.sequence.Cache``): h, c, the gates and the pre-activations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import losses as _losses
from .cells.spec import SPECS
from .classic import to_notation
from .explain import render_json, render_markdown, render_table
from .layers import cell_name
from .layers.lengths import check_lengths
from .layers.module import in_mode
from .sequential import Sequential


@dataclass
class CellTrace:
    """One layer and direction of one sequence: arrays (T, ...) in time order."""

    layer: int
    direction: int
    cell: str
    values: dict  # name -> (T, H) or (T, D): x, h_prev, c_prev, a_<gate>, <gate>, c, h
    grads: dict = field(default_factory=dict)  # name -> (T, H): dy, dh, dc, da_<gate>
    weights: dict = field(default_factory=dict)  # W_<gate>, W_h<gate>, b_<gate> (+ b_hn for GRU)


@dataclass
class Trace:
    """Every per-step value of one forward (and backward) pass: the main recurrent layer's steps, the output, the loss
    and the gradients. Render with ``table``, ``markdown`` or ``to_json``."""

    cell: str
    cells: list  # CellTrace for every layer and direction
    nonlinearity: str = "tanh"  # the plain RNN's: "tanh" or "relu" (the gated cells' is tanh)
    prediction: np.ndarray | None = None
    target: np.ndarray | None = None
    loss: float | None = None
    loss_name: str | None = None
    dprediction: np.ndarray | None = None
    param_grads: dict = field(default_factory=dict)
    readout: dict = field(default_factory=dict)  # W_y, b_y when the model ends in a Linear
    readout_grads: dict = field(default_factory=dict)  # their gradients, with a loss or dy
    many_to_one: bool = True
    model: object = None
    variant: str | None = None  # the layer, for a cell other than PyTorch's equations (peepholes, clip, ...)

    @property
    def main(self) -> CellTrace:
        """The first layer's forward direction: what the worked examples show."""
        return self.cells[0]

    def steps(self, cell_index=0) -> list:
        """Forward values per step as dicts of lists (t counts from 1)."""
        ct = self.cells[cell_index]
        T = len(ct.values["h"])
        return [{"t": t + 1, **{k: np.atleast_1d(v[t]).tolist() for k, v in ct.values.items()}} for t in range(T)]

    def backward_steps(self, cell_index=0) -> list:
        """Per-step gradients, last step first (the order BPTT visits them)."""
        ct = self.cells[cell_index]
        if not ct.grads:
            return []
        T = len(ct.values["h"])
        return [
            {"t": t + 1, **{k: np.atleast_1d(v[t]).tolist() for k, v in ct.grads.items()}} for t in reversed(range(T))
        ]

    # renderings live in recurrent.explain; these are shortcuts
    def table(self, digits=3) -> str:
        """The step-by-step listing as text (``digits`` decimals; 0: every digit)."""

        return render_table(self, digits)

    def markdown(self, lr=None, notes=None) -> str:
        """The worked example in Markdown, every equation with its numbers substituted."""

        return render_markdown(self, lr=lr, notes=notes)

    def to_json(self) -> dict:
        """Every number of the trace as JSON."""

        return render_json(self)


def trace(model, x, state=None, target=None, loss="mse", dy=None, sample=0, lengths=None) -> Trace:
    """Run forward (and backward, given ``target`` or ``dy``) and keep every per-step value.

    Args:
        model: an ``LSTM``/``GRU``/``RNN`` layer, or a ``Sequential`` whose first layer is one.
        x: one sequence (T,) or (T, D), or a batch (N, T, D) of which ``sample`` is shown.
        state: initial state for a bare layer (default zeros).
        target: what the output should be; adds the loss and the backward pass.
        loss: "mse" (default), "mae" or "cross_entropy" for ``target``.
        dy: instead of a target, the gradient arriving at the output.
        lengths: for a right-padded batch, each sequence's real steps (N,): the ``sample``
            is traced alone over its own steps (the padding is no part of its computation),
            with ``target``/``dy`` given for it alone (cut to its length when per step).
    """
    layers = model.layers if isinstance(model, Sequential) else [model]
    if not getattr(layers[0], "is_recurrent", False):
        raise TypeError(
            "trace: expected an LSTM, GRU or RNN layer, or a Sequential that starts with one, "
            f"got {type(layers[0]).__name__}"
        )
    rnn = layers[0]
    arr, state, sample = _as_batch(rnn, x, state, sample, lengths)
    cell = cell_name(rnn)

    with in_mode(model, False):  # the trace of what the model computes: no dropout
        if isinstance(model, Sequential):
            if state is not None:
                raise ValueError("trace: `state` applies to a bare layer; a Sequential starts from zeros")
            out, cache = model.forward(arr)
            rnn_cache = cache["caches"][0]
        else:
            out, _, rnn_cache = model.forward(arr, state)
            cache = rnn_cache

    result = Trace(cell=cell, cells=[], model=model, nonlinearity=getattr(rnn, "nonlinearity", "tanh"))
    if not rnn.options.plain:
        result.variant = repr(rnn)
    if isinstance(model, Sequential) and type(layers[-1]).__name__ == "Linear":
        result.readout = {"W_y": layers[-1].params["weight"], "b_y": layers[-1].params["bias"]}
    result.many_to_one = out.ndim == 2
    result.prediction = out[sample]

    records = None
    if target is not None or dy is not None:
        records = _backward(result, model, out, cache, rnn_cache, target, loss, dy, sample)
    for l in range(rnn.num_layers):
        for d in range(rnn.num_directions):
            result.cells.append(_cell_trace(rnn, cell, l, d, rnn_cache["layers"][l][d], sample, records))
    return result


def _as_batch(rnn, x, state, sample, lengths):
    """x as a batch (N, T, D) of the layer's dtype; with ``lengths``, the sample alone over its own steps."""
    arr = np.asarray(x, dtype=rnn.dtype)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1, 1) if rnn.input_size == 1 else arr.reshape(1, 1, -1)
    elif arr.ndim == 2:
        arr = arr[None]
    if lengths is None:
        return arr, state, sample
    if arr.ndim != 3:
        raise ValueError(f"trace: lengths need x of shape (N, T, D), got {arr.shape}")
    if not 0 <= sample < arr.shape[0]:
        raise ValueError(f"trace: sample must be in 0..{arr.shape[0] - 1}, got {sample}")
    L = int(check_lengths("trace", lengths, arr.shape[0], arr.shape[1])[sample])
    k = slice(sample, sample + 1)
    if state is not None:  # that sequence's own initial state
        state = type(state)(*(np.asarray(s)[:, k] for s in state)) if isinstance(state, tuple) else state[:, k]
    return arr[k, :L], state, 0


def _backward(result, model, out, cache, rnn_cache, target, loss, dy, sample):
    """The loss (or the given dy) and backward with per-step records: fills ``result``'s gradients and
    returns (the recurrent layer's per-cell records, the gradient arriving at its outputs)."""
    rnn = model.layers[0] if isinstance(model, Sequential) else model
    if dy is None:
        tgt = np.asarray(target, dtype=np.float64)
        if loss != "cross_entropy":
            tgt = tgt.reshape(out[sample].shape) if tgt.size == out[sample].size else tgt
            full = np.broadcast_to(tgt, out.shape) if tgt.shape == out.shape[1:] else tgt
        else:
            full = tgt if tgt.ndim == out.ndim - 1 else np.broadcast_to(tgt, out.shape[:-1])
        value, dout = _losses.get(loss)(out, np.asarray(full))
        result.target, result.loss, result.loss_name = np.asarray(tgt), value, loss
    else:
        dout = np.asarray(dy, dtype=rnn.dtype)
    result.dprediction = dout[sample]
    if isinstance(model, Sequential):
        record = {}
        _, grads = model.backward(dout, cache, record=record)
        cell_records, dy_rnn = record[0]["cells"], record[0]["dy"]
    else:
        cell_records = {}
        _, _, grads = model.backward(dout, rnn_cache, record=cell_records)
        dy_rnn = dout
    result.param_grads = grads
    if result.readout:
        last = len(model.layers) - 1
        result.readout_grads = {"W_y": grads[f"{last}.weight"], "b_y": grads[f"{last}.bias"]}
    return cell_records, dy_rnn


def _cell_trace(rnn, cell, l, d, c, sample, records) -> CellTrace:
    """One layer and direction's values (and gradients, given the records) in time order, read from its cache."""
    H = rnn.hidden_size
    gates = SPECS[cell].gates
    order = slice(None) if d == 0 else slice(None, None, -1)  # back to time order
    vals = {"x": c.x[sample][order], "h_prev": c.h[sample, :-1][order]}
    if c.c is not None:
        vals["c_prev"] = c.c[sample, :-1][order]
    pre = c.preactivations()[sample][order]  # each cell cache's own (cells.sequence.Cache)
    for k, g in enumerate(gates):
        vals[f"a_{g}" if g != "a" else "a"] = pre[:, k * H : (k + 1) * H]
    if cell != "rnn":
        for k, g in enumerate(gates):
            vals[g] = c.gates[sample][order][:, k * H : (k + 1) * H]
    if c.c is not None:
        vals["c"] = c.c[sample, 1:][order]
    vals["h"] = c.h[sample, 1:][order]
    ct = CellTrace(l, d, cell, vals, weights=to_notation(rnn, layer_index=l, direction=d))
    if records is None:
        return ct
    cell_records, dy_rnn = records
    rec = cell_records[(l, d)]
    g = {"dh": rec["dh"][sample][order]}
    if "dc" in rec:
        g["dc"] = rec["dc"][sample][order]
    if l == rnn.num_layers - 1:
        g["dy"] = dy_rnn[sample][:, d * H : (d + 1) * H]
    da = rec["da"] if cell != "gru" else rec["dax"]
    for k, gname in enumerate(gates):
        g[f"da_{gname}" if gname != "a" else "da"] = da[sample][order][:, k * H : (k + 1) * H]
    if cell == "gru":
        g["dah_n"] = rec["dah"][sample][order][:, 2 * H :]
    ct.grads = g
    return ct

"""One direction of one layer: the cell run over a sequence and back through it.

A direction runs the cell (``Recurrent._cell_forward``) one of three ways: over the whole
sequence, in stretches when the batch's sequences have different lengths
(``recurrent.layers.lengths``), or in segments whose activations backward recomputes
(``recurrent.layers.segments``). A backward direction (the second of a bidirectional
layer, or a ``reverse`` one) reads time from each sequence's own end; its outputs and
gradients are put back in time order here, so ``Recurrent`` only stacks layers and
directions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import lengths as lengths_
from . import segments


class CellWeights(NamedTuple):
    """What a cell call needs of one layer and direction: PyTorch's four arrays, the LSTM's
    peepholes (or None) and a recurrent dropout mask (N, H) (or None)."""

    w_ih: np.ndarray
    w_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray
    peephole: np.ndarray | None = None
    mask: np.ndarray | None = None

    def for_rows(self, rows) -> CellWeights:
        """The same for a subset of the batch's rows (the mask is per sequence)."""
        return self if self.mask is None else self._replace(mask=self.mask[rows])


def lengths_plan(layer, lengths, mask, N, T):
    """The plan for a batch of different lengths, or None where every sequence is whole."""
    lengths = lengths_.read_lengths(type(layer).__name__, lengths, mask, N, T)
    if lengths is None or np.all(lengths == T):
        return None
    G, H, D = layer.num_gates, layer.hidden_size, layer.input_size
    return lengths_.plan(lengths, step_flops=6 * G * H * (D + H))  # forward, dh, dW and dx products


PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "peephole")  # the order a cell's gradients come in


def reversed_time(a: np.ndarray, plan) -> np.ndarray:
    """``a`` with time reversed: each sequence's real steps, when lengths differ."""
    return a[:, ::-1] if plan is None else lengths_.reversed_within(a, plan.lengths)


def forward(layer, inp, h0, c0, w, plan, segment, back):
    """The cell over ``inp`` (N, T, D) from (h0, c0): (y in time order, h after the last step, c or None, cache)."""
    seq = reversed_time(inp, plan) if back else inp
    if plan is not None:
        y, h, c, cache = lengths_.forward(layer._cell_forward, seq, h0, c0, w, plan)
    elif segment is None or segment >= seq.shape[1]:
        y, h, c, cache = layer._cell_forward(seq, h0, c0, w)
    else:
        y, h, c, cache = segments.forward(layer._cell_forward, seq, h0, c0, w, segment)
    return (reversed_time(y, plan) if back else y), h, c, cache


def backward(layer, dy, dh, dc, cache, plan, back, record):
    """BPTT through one direction: (dx in time order, dh0, dc0 or None, the cell's gradients).

    ``record`` (a dict or None) receives the per-step gradients; a run in stretches or segments
    keeps none, and says so."""
    name = type(layer).__name__
    if back:
        dy = reversed_time(dy, plan)
    if isinstance(cache, lengths_.LengthsCache):
        if record is not None:
            raise ValueError(f"{name}.backward: per-step records need a forward without `lengths`")
        dx, dh0, dc0, g = lengths_.backward(layer._cell_backward, dy, dh, dc, cache)
    elif isinstance(cache, segments.SegmentedCache):
        if record is not None:
            raise ValueError(f"{name}.backward: per-step records need a forward without `segment`")
        dx, dh0, dc0, g = segments.backward(layer._cell_forward, layer._cell_backward, dy, dh, dc, cache)
    else:
        dx, dh0, dc0, g = layer._cell_backward(dy, dh, dc, cache, record)
    return (reversed_time(dx, plan) if back else dx), dh0, dc0, g

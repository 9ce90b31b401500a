"""Checkpointed BPTT: a layer's ``forward(..., segment=k)`` and its backward.

Forward keeps only each segment's outputs and the state at its start; backward
walks the segments last first, recomputes one segment's activations from its
saved state and runs the cell's backward over it. The gradients equal the
unsegmented pass's (full backpropagation through time, not truncated); the
forward pass runs twice, and the memory held between forward and backward is
one segment's activations instead of the whole sequence's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SegmentedCache:
    """What backward needs: the input, the weights, and (start, h, c) of each segment."""

    x: np.ndarray
    weights: tuple
    segment: int
    starts: list


def forward(cell_forward, seq, h, c, w, segment: int):
    """``cell_forward`` over ``seq`` in segments of ``segment`` steps: (y, h_T, c_T, SegmentedCache)."""
    starts, ys = [], []
    for s in range(0, seq.shape[1], segment):
        starts.append((s, h, c))
        y, h, c, _ = cell_forward(seq[:, s : s + segment], h, c, w)
        ys.append(np.array(y))  # copies: views would keep the segment's buffers alive
        h, c = np.array(h), (np.array(c) if c is not None else None)
    return np.concatenate(ys, axis=1), h, c, SegmentedCache(seq, w, segment, starts)


def backward(cell_forward, cell_backward, dy, dh, dc, cache: SegmentedCache):
    """BPTT over the segments, last first, recomputing each one's activations: (dx, dh0, dc0, grads)."""
    seq, w, seg = cache.x, cache.weights, cache.segment
    dxs, total = [], None
    for s, h, c in reversed(cache.starts):
        _, _, _, cc = cell_forward(seq[:, s : s + seg], h, c, w)
        dx, dh, dc, g = cell_backward(dy[:, s : s + seg], dh, dc, cc)
        dxs.append(dx)
        total = list(g) if total is None else [a + b for a, b in zip(total, g)]
    return np.concatenate(dxs[::-1], axis=1), dh, dc, tuple(total)

"""Batches of sequences of different lengths, as PyTorch's packed sequences run them.

A batch is right-padded to T steps and ``lengths[n]`` says how many of row n's steps
are real. Each sequence stops at its own length: its outputs past it are zero, its
final state is the state after its last real step, and nothing past it reaches any
gradient. The reverse direction starts at each sequence's own last real step.

How: the rows are sorted by length, longest first, and time is cut at every distinct
length. Between two cuts the same rows are still running, a prefix of the sorted
batch, so the cell runs over that stretch for those rows only, from the state the
stretch before left them in. The cell itself is unchanged: its forward and backward
are chained over the stretches (as the checkpointed pass chains them over segments),
and every padded step is simply never computed. The reverse direction reads each
row's real steps backwards (``reversed_within``) and is then the same computation.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Plan:
    """How a batch with these lengths runs: the sorted order and the stretches of time.

    ``order``: rows by length, longest first (stable); ``stretches``: (start, stop, rows)
    for each stretch of time, ``rows`` the count of sorted rows still running in it.
    """

    lengths: np.ndarray
    order: np.ndarray
    stretches: tuple

    @property
    def full(self) -> bool:
        """Every sequence as long as the batch: nothing to do differently."""
        return len(self.stretches) == 1 and self.stretches[0][2] == len(self.lengths)


def check_lengths(owner: str, lengths, N: int, T: int) -> np.ndarray:
    """``lengths`` as an int64 array (N,), each a whole number in 1..T, or a clear error."""
    arr = np.asarray(lengths)
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer)
        or (np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)))
    ):
        shown = lengths if arr.size <= 6 else f"an array of {arr.dtype}"
        raise TypeError(f"{owner}: expected lengths as whole numbers (one per sequence), got {shown!r}")
    if arr.shape != (N,):
        raise ValueError(f"{owner}: expected lengths of shape ({N},), one per sequence, got shape {arr.shape}")
    arr = arr.astype(np.int64)
    bad = np.flatnonzero((arr < 1) | (arr > T))
    if bad.size:
        k = int(bad[0])
        raise ValueError(f"{owner}: lengths must be in 1..{T} (the padded length), got lengths[{k}] = {arr[k]}")
    return arr


def lengths_of_mask(owner: str, mask, N: int, T: int) -> np.ndarray:
    """The lengths a right-padded boolean mask (N, T) stands for (True: a real step)."""
    m = np.asarray(mask)
    if m.dtype != bool:
        if isinstance(mask, numbers.Number) or not np.all(np.isin(m, (0, 1))):
            raise TypeError(f"{owner}: expected mask as booleans (N, T), True at real steps, got {m.dtype}")
        m = m.astype(bool)
    if m.shape != (N, T):
        raise ValueError(f"{owner}: expected mask of shape ({N}, {T}), got {m.shape}")
    lengths = m.sum(axis=1)
    right_padded = np.arange(T)[None, :] < lengths[:, None]
    wrong = np.flatnonzero(np.any(m != right_padded, axis=1))
    if wrong.size:
        raise ValueError(
            f"{owner}: the mask must be right-padded (each row True up to its length, then False); "
            f"row {int(wrong[0])} is not: {m[wrong[0]].astype(int).tolist()}"
        )
    return check_lengths(owner, lengths, N, T)


def plan(lengths: np.ndarray) -> Plan:
    """The sorted order and the stretches of time between distinct lengths."""
    order = np.argsort(-lengths, kind="stable")
    ls = lengths[order]
    cuts = np.unique(ls)  # ascending
    stretches, start = [], 0
    for stop in cuts:
        stretches.append((start, int(stop), int(np.count_nonzero(ls >= stop))))
        start = int(stop)
    return Plan(lengths, order, tuple(stretches))


def reversed_within(a: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each row's first ``lengths[n]`` steps in reverse order (the padding stays where it is).

    Its own inverse: applying it twice gives ``a`` back.
    """
    N, T = a.shape[:2]
    t = np.arange(T)[None, :]
    idx = np.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)
    return a[np.arange(N)[:, None], idx]


def zero_padding(a: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``a`` (N, T, ...) with every step past each row's length set to zero (in place)."""
    a[np.arange(a.shape[1])[None, :] >= lengths[:, None]] = 0
    return a


@dataclass(frozen=True)
class LengthsCache:
    """What backward needs: the plan and each stretch's cell cache."""

    plan: Plan
    caches: list


def forward(cell_forward, seq, h0, c0, w, p: Plan):
    """``cell_forward`` over the real steps only: (y with zeros past each length, h, c, LengthsCache).

    h and c are each sequence's state after its own last real step.
    """
    N, T = seq.shape[:2]
    order = p.order
    xs = seq[order]
    h, c = h0[order], (c0[order] if c0 is not None else None)
    h_end, c_end = np.empty_like(h), (np.empty_like(c) if c is not None else None)
    y = np.zeros((N, T, h0.shape[1]), dtype=h0.dtype)
    caches = []
    for start, stop, n in p.stretches:
        ys, h_n, c_n, cache = cell_forward(xs[:n, start:stop], h[:n], None if c is None else c[:n], w)
        y[:n, start:stop] = ys
        h = np.array(h_n)  # copies: the next stretch's cell call may reuse these buffers
        c = np.array(c_n) if c_n is not None else None
        done = slice(int(np.count_nonzero(p.lengths[order] > stop)), n)  # rows that end here
        h_end[done] = h[done]
        if c is not None:
            c_end[done] = c[done]
        caches.append(cache)
    inverse = np.argsort(order)
    return y[inverse], h_end[inverse], (c_end[inverse] if c_end is not None else None), LengthsCache(p, caches)


def backward(cell_backward, dy, dh_T, dc_T, cache: LengthsCache):
    """BPTT over the stretches, last first: (dx, dh0, dc0, grads); nothing flows through padding."""
    p = cache.plan
    order = p.order
    dys = dy[order]
    dh, dc = dh_T[order].copy(), (dc_T[order].copy() if dc_T is not None else None)
    N, T = dy.shape[:2]
    dx, total = None, None
    for (start, stop, n), cc in zip(reversed(p.stretches), reversed(cache.caches)):
        dxs, dh_n, dc_n, g = cell_backward(
            dys[:n, start:stop], np.ascontiguousarray(dh[:n]), None if dc is None else np.ascontiguousarray(dc[:n]), cc
        )
        if dx is None:
            dx = np.zeros((N, T, dxs.shape[2]), dtype=dxs.dtype)
        dx[:n, start:stop] = dxs
        dh[:n] = dh_n
        if dc is not None:
            dc[:n] = dc_n
        total = list(g) if total is None else [a + b for a, b in zip(total, g)]
    inverse = np.argsort(order)
    return dx[inverse], dh[inverse], (dc[inverse] if dc is not None else None), tuple(total)

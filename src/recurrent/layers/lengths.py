"""Batches of sequences of different lengths, as PyTorch's packed sequences run them.

A batch is right-padded to T steps and ``lengths[n]`` says how many of row n's steps
are real. Each sequence stops at its own length: its outputs past it are zero, its
final state is the state after its last real step, and nothing past it reaches any
gradient. The reverse direction starts at each sequence's own last real step.

How: time is cut into stretches. In a stretch the cell runs for the rows still running
at its start only, from the state the stretch before left them in; the cell itself is
unchanged, its forward and backward chained over the stretches (as the checkpointed pass
chains them over segments). A row that ends inside a stretch runs on to the stretch's
end on padding (zeros): its final state is read from the cell's cache at its own last
step, its outputs past it are set to zero, and backward sends the gradient on its final
state to that step (``dy`` there for h, the LSTM's ``dc_steps`` for c), so the steps
past it receive exactly zero gradient and add exactly nothing to any weight's. Cutting
at every distinct length computes no padding at all but calls the cell once per length;
``plan`` chooses the cuts that minimise the estimated time, each call's fixed cost
against the padded steps it would compute. The reverse direction reads each row's real
steps backwards (``reversed_within``) and is then the same computation.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Plan:
    """How a batch with these lengths runs: ``stretches``, (start, stop, rows) for each
    stretch of time, ``rows`` the count of sequences longer than ``start``."""

    lengths: np.ndarray
    stretches: tuple


def check_lengths(owner: str, lengths, N: int, T: int) -> np.ndarray:
    """``lengths`` as an int64 array (N,), each a whole number in 1..T, or a clear error."""
    arr = np.asarray(lengths)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        shown = lengths if arr.size <= 6 else f"an array of {arr.dtype}"
        raise TypeError(f"{owner}: expected lengths as whole numbers (one per sequence), got {shown!r}")
    if np.issubdtype(arr.dtype, np.floating) and not (np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))):
        shown = lengths if arr.size <= 6 else "fractions"
        raise ValueError(f"{owner}: expected lengths as whole numbers in 1..{T}, got {shown!r}")
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
        if isinstance(mask, numbers.Number) or not np.issubdtype(m.dtype, np.number):
            raise TypeError(f"{owner}: expected mask as booleans (N, T), True at real steps, got {m.dtype}")
        if not np.all(np.isin(m, (0, 1))):
            raise ValueError(f"{owner}: expected mask as booleans (N, T), True at real steps, got values not 0 or 1")
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


def read_lengths(owner: str, lengths, mask, N: int, T: int) -> np.ndarray | None:
    """The lengths that ``lengths`` (N,) or a right-padded ``mask`` (N, T) give, checked, or None
    when neither is given (every step real); giving both is an error."""
    if lengths is not None and mask is not None:
        raise ValueError(f"{owner}: pass `lengths` or `mask`, not both")
    if mask is not None:
        return lengths_of_mask(owner, mask, N, T)
    return None if lengths is None else check_lengths(owner, lengths, N, T)


CALL_COST = 64
"""A cell call's fixed cost (Python, buffers, the products' set-up) counted in the row-steps
a layer of ``step_flops`` = 2 million floating-point operations per row-step computes in the
same time; ``plan`` scales it by the layer's actual row-step cost."""


MAX_CUTS = 48
"""At most this many candidate cuts (evenly spaced among the distinct lengths, the longest
always one): the plan's cost stays small however many lengths a batch has."""


def plan(lengths: np.ndarray, step_flops: float = 2e6) -> Plan:
    """The stretches of time that minimise the estimated cost.

    A stretch from a to b costs ``call + (b - a) * rows(a)``, rows(a) the sequences longer
    than a and ``call`` a cell call's fixed cost in row-steps (``CALL_COST`` scaled by the
    layer's ``step_flops``, its floating-point operations per row and step). The cuts are
    chosen among the distinct lengths by dynamic programming over them.
    """
    ls = np.sort(lengths)
    distinct = np.unique(ls)
    if len(distinct) > MAX_CUTS:
        distinct = distinct[np.unique(np.linspace(0, len(distinct) - 1, MAX_CUTS).round().astype(int))]
    cuts = [0] + distinct.tolist()
    rows = (len(ls) - np.searchsorted(ls, cuts, side="right")).tolist()  # sequences longer than each cut
    call = CALL_COST * 2e6 / max(float(step_flops), 1.0)
    best, back = [0.0], [0]
    for j in range(1, len(cuts)):  # best[j]: the cheapest way to run every step up to cuts[j]
        i = min(range(j), key=lambda i: best[i] + (cuts[j] - cuts[i]) * rows[i])
        best.append(best[i] + call + (cuts[j] - cuts[i]) * rows[i])
        back.append(i)
    stretches, j = [], len(cuts) - 1
    while j > 0:
        i = back[j]
        stretches.append((cuts[i], cuts[j], rows[i]))
        j = i
    return Plan(lengths, tuple(reversed(stretches)))


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


def _rows(lengths, start, n):
    """The rows running at ``start`` (those longer than it), as a slice when it is every row."""
    return slice(None) if n == len(lengths) else np.flatnonzero(lengths > start)


def forward(cell_forward, seq, h0, c0, w, p: Plan):
    """``cell_forward`` over the stretches: (y with zeros past each length, h, c, LengthsCache).

    h and c are each sequence's state after its own last real step.
    """
    N, T = seq.shape[:2]
    lengths = p.lengths
    h, c = h0, c0  # the state of the rows running at the stretch's start
    h_end, c_end = np.empty_like(h0), (np.empty_like(c0) if c0 is not None else None)
    y = None
    caches = []
    for start, stop, n in p.stretches:
        rows = _rows(lengths, start, n)
        ls = lengths[rows]
        xs = zero_padding(np.array(seq[rows, start:stop]), ls - start)  # a copy: the padding never enters
        ys, h_n, c_n, cache = cell_forward(xs, h, c, w.for_rows(rows) if hasattr(w, "for_rows") else w)
        if y is None and n == N and stop == T:  # one stretch for everything: its outputs themselves
            y = ys  # a view of the cache's states; zeroing its padding below changes only steps
            # past each length, which backward reaches with exactly zero gradient
        else:
            y = np.zeros((N, T, h0.shape[1]), dtype=h0.dtype) if y is None else y
            y[rows, start:stop] = ys
        ending = np.flatnonzero(ls <= stop)  # positions (in this stretch) of the rows that end in it
        where = np.arange(N)[rows][ending]
        h_end[where] = cache.h[ending, ls[ending] - start]
        if c is not None:
            c_end[where] = cache.c[ending, ls[ending] - start]
        going = np.flatnonzero(ls > stop)
        h = h_n[going]  # copies: the next stretch's cell call may reuse these buffers
        c = c_n[going] if c is not None else None
        caches.append(cache)
    zero_padding(y, lengths)
    return y, h_end, c_end, LengthsCache(p, caches)


def backward(cell_backward, dy, dh_T, dc_T, cache: LengthsCache):
    """BPTT over the stretches, last first: (dx, dh0, dc0, grads); nothing flows through padding."""
    p = cache.plan
    lengths = p.lengths
    N, T = dy.shape[:2]
    H = dh_T.shape[1]
    with_dc = dc_T is not None and np.any(dc_T)
    dx = total = None
    dh = dc = None  # what the stretch after this one sends back to its start, for the rows in both
    for (start, stop, n), cc in zip(reversed(p.stretches), reversed(cache.caches)):
        rows = _rows(lengths, start, n)
        ls = lengths[rows] - start  # each row's length counted from the stretch's start
        ending = np.flatnonzero(ls <= stop - start)
        where = np.arange(N)[rows][ending]
        dys = zero_padding(np.array(dy[rows, start:stop]), ls)  # a copy: padded outputs are constant zeros
        dys[ending, ls[ending] - 1] += dh_T[where]  # each final state's gradient at its own last step
        going = np.flatnonzero(ls > stop - start)
        dh_in = np.zeros((len(ls), H), dtype=dh_T.dtype)
        dh_in[going] = 0 if dh is None else dh
        dc_in = dc_steps = None
        if dc_T is not None:
            dc_in = np.zeros_like(dh_in)
            dc_in[going] = 0 if dc is None else dc
        if with_dc and np.any(dc_T[where]):
            dc_steps = np.zeros_like(dys)
            dc_steps[ending, ls[ending] - 1] = dc_T[where]
        dxs, dh0, dc0, g = cell_backward(dys, dh_in, dc_in, cc, dc_steps=dc_steps)
        if dx is None:
            dx = np.zeros((N, T, dxs.shape[2]), dtype=dxs.dtype)
        dx[rows, start:stop] = dxs
        total = list(g) if total is None else [a + b for a, b in zip(total, g)]
        dh, dc = dh0, dc0
    zero_padding(dx, lengths)
    return dx, dh, dc, tuple(total)

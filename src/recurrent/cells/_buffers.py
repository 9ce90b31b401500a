"""Work buffers the cells reuse from call to call instead of asking the system for fresh memory.

A training step of an LSTM needs tens to hundreds of megabytes of buffers (every step's
gates and states, their gradients in backward). Memory that malloc gets fresh from the
operating system costs a page fault per 4 KiB page on first touch (about 3 us each on the
development VM, where a 26 MiB buffer took 17 ms to fill the first time and 1 ms after), and
whether malloc hands back recycled memory or fresh pages changes from call to call. Measured
in one process, alternating fresh and reused buffers, an LSTM training step took 0.65x
(N=32, T=50, H=64) to 0.91x (N=64, T=100, H=256) and 0.78x (H=1024) of its fresh-buffer time.

``empty(shape, dtype)`` is ``np.empty`` for the cells' large buffers: it returns a buffer
from an earlier call that nothing refers to any more, else a new one that the pool keeps.
"Nothing refers to it" is CPython's reference count: every array and view made from a
buffer holds a reference to it, so while any of them lives (a cache kept for backward or
for plotting, an output the caller holds) the buffer is busy and is not handed out again.
Callers therefore see ordinary fresh arrays; two forward passes before either backward
each get their own buffers.

The pool holds at most ``set_buffer_limit`` bytes (1 GiB unless changed); beyond that the
oldest free buffers are released, and buffers that would not fit are plain, unpooled
arrays. ``set_buffer_limit(0)`` releases every free buffer and turns pooling off.
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np

MIN_BYTES = 1 << 20  # smaller arrays: malloc recycles these itself, no page faults to save
_limit = 1 << 30
_pool: list = []  # 1-D uint8 base buffers, least recently handed out first
_lock = threading.Lock()


def _refs(i):
    """The reference count of buffer i, as this function sees it."""
    buf = _pool[i]
    return sys.getrefcount(buf)


def _calibrate():
    """The count ``_refs`` reports for a buffer only the pool holds, or None if counts can't tell.

    Measured rather than assumed (the pool's list, the local name and the call's argument make
    3 on CPython 3.11, but interpreters differ in which references they count), and checked to
    change when a view exists; where it does not (or there is no sys.getrefcount), no pooling.
    """
    if not hasattr(sys, "getrefcount"):
        return None
    _pool.append(np.empty(8, np.uint8))
    try:
        alone = _refs(len(_pool) - 1)
        view = _pool[-1][1:]
        with_view = _refs(len(_pool) - 1)
        del view
        return alone if with_view != alone and _refs(len(_pool) - 1) == alone else None
    finally:
        _pool.pop()


_FREE_REFS = _calibrate()


def _free(i):
    """True when nothing but the pool holds buffer i."""
    return _refs(i) == _FREE_REFS


def empty(shape, dtype):
    """An uninitialised array of this shape and ``dtype`` (a np.dtype), on a reused buffer when one is free."""
    nbytes = math.prod(shape) * dtype.itemsize  # (np.prod costs 10 us a call: too much for tiny layers)
    if nbytes < MIN_BYTES or _FREE_REFS is None:
        return np.empty(shape, dtype)
    return _pooled(shape, dtype, nbytes)


def _pooled(shape, dtype, nbytes):
    if nbytes > _limit:
        return np.empty(shape, dtype)
    with _lock:
        for i in range(len(_pool)):
            if _pool[i].nbytes == nbytes and _free(i):
                buf = _pool.pop(i)
                _pool.append(buf)  # most recently used last
                return buf.view(dtype).reshape(shape)
        if _release_down_to(_limit - nbytes) + nbytes > _limit:  # the busy ones alone fill the pool
            return np.empty(shape, dtype)
        buf = np.empty(nbytes, np.uint8)
        _pool.append(buf)
        return buf.view(dtype).reshape(shape)


def set_buffer_limit(nbytes: int) -> int:
    """Keep at most ``nbytes`` of reusable work buffers (0: none); returns the previous limit.

    Lowering the limit releases free buffers until the pool fits; buffers still in use stay
    with their arrays and are released once those are gone.
    """
    global _limit
    if isinstance(nbytes, bool) or not isinstance(nbytes, (int, np.integer)):
        raise TypeError(f"set_buffer_limit: expected a whole number of bytes, got {nbytes!r}")
    if nbytes < 0:
        raise ValueError(f"set_buffer_limit: expected a number of bytes >= 0, got {nbytes}")
    with _lock:
        previous, _limit = _limit, int(nbytes)
        if _limit == 0:
            _pool.clear()  # off: busy buffers are forgotten too
        else:
            _release_down_to(_limit)
    return previous


def _release_down_to(target):
    """Release free buffers, oldest first, until the pool holds at most ``target`` bytes (or only
    busy ones are left); returns what it holds then. Call with the lock held."""
    held = sum(b.nbytes for b in _pool)
    i = 0
    while held > target and i < len(_pool):
        if _free(i):
            held -= _pool.pop(i).nbytes
        else:
            i += 1
    return held


def held_bytes() -> int:
    """Bytes the pool holds now, free and in use."""
    with _lock:
        return sum(b.nbytes for b in _pool)

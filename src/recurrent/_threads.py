"""How many threads the BLAS library runs, set around the library's own work and put back after it.

    with blas_threads(1):      # the forecaster's small products: one thread each
        ...

The forecaster's products are small (a batch of 64 windows times a 32-unit network): a second BLAS
thread buys nothing on a free machine and spins against other work on a busy one, where it made a
fit 4.5 times slower beside two busy processes. NumPy's own OpenBLAS is found among the libraries
this process has loaded (``/proc/self/maps`` on Linux, NumPy's bundled ``numpy.libs`` elsewhere)
and called through ``ctypes``: setting the count costs well under a microsecond, so it is set on
entry and put back on exit of every call, and the caller's own NumPy work outside our calls keeps
the caller's setting. Where no OpenBLAS is found (MKL, Accelerate), nothing is changed.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
from contextlib import contextmanager

import numpy as np

_PAIRS = (  # (set, get) as the OpenBLAS builds name them: NumPy's scipy-openblas, 64-bit, plain
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
)
_found = []  # [(set, get, library)] once looked for; empty where there is none


def _candidates() -> list:
    paths = []
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line})
    except OSError:
        pass
    here = os.path.dirname(np.__file__)
    return paths + sorted(glob.glob(os.path.join(here, "..", "numpy.libs", "*openblas*")))


def library():
    """NumPy's loaded OpenBLAS (a ``ctypes.CDLL``), the one whose thread count ``blas_threads`` sets, or None."""
    f = _functions()
    return None if f is None else f[2]


def _functions():
    """(set, get, library) of the loaded OpenBLAS, or None."""
    if not _found:
        pair = None
        for path in _candidates():
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for s, g in _PAIRS:
                if hasattr(lib, s) and hasattr(lib, g):
                    setter, getter = getattr(lib, s), getattr(lib, g)
                    setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
                    pair = (setter, getter, lib)
                    break
            if pair:
                break
        _found.append(pair)
    return _found[0]


def blas_thread_count() -> int | None:
    """The BLAS library's thread count now, or None where it cannot be read."""
    f = _functions()
    return None if f is None else int(f[1]())


@contextmanager
def blas_threads(n: int):
    """Run a block with the BLAS library on ``n`` threads, the count before it put back after (an exception too)."""
    f = _functions()
    if f is None:
        yield
        return
    before = int(f[1]())
    if before == n:
        yield
        return
    f[0](n)
    try:
        yield
    finally:
        f[0](before)


def one_blas_thread(fn):
    """``fn`` run with the BLAS library on one thread (``blas_threads(1)``)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        with blas_threads(1):
            return fn(*args, **kwargs)

    return run

"""NumPy's own BLAS matrix product, as a function the compiled kernels can call.

A layer's time loop written in Python pays, at every step, for NumPy's ``np.dot`` call and for
numba's dispatch of the step's kernel (its arguments checked one by one): about 5 us a step, a fifth
of a small LSTM's forward (N = 32, H = 64), a third to a half of a single sequence's (docs/speed.md).
The fused loops in ``_fused`` take the product instead as a ``ctypes`` pointer to ``cblas_sgemm`` /
``cblas_dgemm`` of the OpenBLAS NumPy itself loaded (the one ``recurrent._threads`` sets the thread
count of), and run every step without returning to Python: the same products by the same library,
so the same numbers. The pointer is an argument of the kernels, not a constant inside them, so
numba's cache of them stays valid from one process to the next. Where no such OpenBLAS is found
(NumPy built on MKL or Accelerate, a 32-bit integer build), ``gemm`` answers None and the layers
keep their Python loop.
"""

from __future__ import annotations

import ctypes

import numpy as np

from .._threads import library

_NAMES = {  # NumPy's bundled OpenBLAS (64-bit integers, symbols suffixed), then a plain 64-bit build
    np.float32: ("scipy_cblas_sgemm64_", "cblas_sgemm64_"),
    np.float64: ("scipy_cblas_dgemm64_", "cblas_dgemm64_"),
}
_found: dict = {}


def gemm(dtype):
    """The C function computing C = A B (row-major, no transposes) for ``dtype``, or None."""
    dtype = np.dtype(dtype).type
    if dtype not in _found:
        _found[dtype] = _lookup(dtype)
    return _found[dtype]


def _lookup(dtype):
    lib = library()
    if lib is None or dtype not in _NAMES:
        return None
    real = ctypes.c_float if dtype is np.float32 else ctypes.c_double
    i, n, p = ctypes.c_int, ctypes.c_int64, ctypes.c_void_p
    for name in _NAMES[dtype]:
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.restype = None
            fn.argtypes = [i, i, i, n, n, n, real, p, n, p, n, real, p, n]
            return fn
    return None


def for_loop(small: bool, *arrays):
    """What a compiled time loop multiplies with: None (products written out) for a ``small`` step, where a BLAS
    call costs more than the product; else ``gemm`` of the arrays' type, where every operand is C-contiguous (the
    kernels pass each row's length as its leading dimension); False where the loop stays in Python."""
    if small:
        return None
    f = gemm(arrays[0].dtype)
    return f if f is not None and all(a.flags.c_contiguous for a in arrays) else False

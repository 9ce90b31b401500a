"""Which implementation runs the cells' per-step elementwise work: NumPy or fused numba kernels.

The NumPy path is complete on its own and is the reference. numba comes with the package,
and with it each time step's gate activations, cell update and local derivatives run as
one compiled loop instead of about ten NumPy passes; the matrix products stay with
NumPy's BLAS either way. Where numba cannot be imported (a platform without a wheel, a
broken install) the NumPy path runs and a one-line ``RuntimeWarning`` says so.

    recurrent.get_backend()          # "numba" or "numpy": what runs now
    recurrent.set_backend("numpy")   # force the reference path; returns the previous setting
    RECURRENT_BACKEND=numpy python ...   # the same from the environment

The setting is "auto" unless changed: numba when it can be imported, NumPy otherwise.
Asking for "numba" without numba installed raises ImportError with the install line.

What differs: in float32 the fused kernels compute tanh and sigmoid with a rational
approximation (Eigen's, within about 2.7e-7 of the exact values; see docs/speed.md), so
float32 results move in the 7th digit. float64 uses the exact exp and tanh, and the
gradient and PyTorch parity tests run on both paths. The first call of each cell and
dtype compiles its kernels (a few seconds; cached on disk afterwards).

Both paths keep their large work buffers (gates, states, gradients of every step) for the
next call once nothing refers to them, which spares the page faults of fresh memory;
``recurrent.set_buffer_limit(nbytes)`` bounds what is kept (1 GiB unless changed; 0 keeps
nothing). See ``recurrent/cells/_buffers.py``.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from ._buffers import set_buffer_limit  # noqa: F401  (re-exported: the cells' work-buffer pool)

BACKENDS = ("auto", "numpy", "numba")
_INSTALL = "the numba backend needs numba, which could not be imported: pip install numba"

_setting = "auto"
_kernels = None  # the compiled-kernel module, once imported
_tried = False
_env_read = False  # RECURRENT_BACKEND is read at first use (set_backend included)


def _check(name):
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {name!r}")


def _load():
    global _kernels, _tried
    if not _tried:
        _tried = True
        try:
            from . import _fused
        except Exception as e:  # not installed, a broken install, or kernels that cannot be defined here
            _kernels = None
            if _setting == "auto":
                warnings.warn(
                    f"recurrent: numba could not be {'imported' if isinstance(e, ImportError) else 'used'} "
                    f"({str(e)[:200]}); the NumPy path runs instead, about half as "
                    "fast on small layers (RECURRENT_BACKEND=numpy chooses it without this notice)",
                    RuntimeWarning,
                    stacklevel=4,
                )
        else:
            _kernels = _fused
    return _kernels


def set_backend(name: str) -> str:
    """Choose "auto", "numpy" or "numba" for every cell from now on; returns the previous setting."""
    _read_env()  # so that "previous" is what was in force
    return _apply(name)


def _apply(name):
    global _setting
    _check(name)
    if name == "numba" and _load() is None:
        raise ImportError(_INSTALL)
    previous, _setting = _setting, name
    return previous


def _read_env():
    """Apply RECURRENT_BACKEND once, at first use; a bad value is a ValueError that names the variable."""
    global _env_read
    if _env_read:
        return
    _env_read = True
    env = os.environ.get("RECURRENT_BACKEND", "").strip()
    if env:
        try:
            _apply(env.lower())
        except (ValueError, ImportError) as e:
            _env_read = False  # keep refusing: every use names the bad value
            raise ValueError(f"RECURRENT_BACKEND={env!r}: {e}") from None


def get_backend() -> str:
    """The backend that runs now: "numba" or "numpy"."""
    _read_env()
    if _setting == "numpy":
        return "numpy"
    return "numba" if _load() is not None else "numpy"


def fused(dtype):
    """The fused-kernel module for arrays of ``dtype``, or None when NumPy should run them."""
    _read_env()
    if _setting == "numpy" or dtype not in (np.float32, np.float64):
        return None
    return _load()

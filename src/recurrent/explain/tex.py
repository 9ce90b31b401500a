"""Numbers as a hand calculation writes them, in LaTeX: given values with 4 significant digits,
computed ones with 3 decimals; scalars as numbers, vectors and matrices as ``bmatrix``."""

from __future__ import annotations

import numpy as np


def _num(v, given=False) -> str:
    v = float(v)
    s = f"{v:.4g}" if given else f"{v:.3f}"
    if "e" in s:  # 1e-05 -> 1 \times 10^{-5}
        m, e = s.split("e")
        s = f"{m} \\times 10^{{{int(e)}}}"
    return "0" if s in ("-0", "-0.000") and not given else ("0.000" if s == "-0.000" else s)


def _m(a, given=False) -> str:
    """A scalar as a number; a vector as a column bmatrix; a matrix as a bmatrix."""
    a = np.asarray(a, dtype=np.float64)
    if a.size == 1:
        return _num(a.ravel()[0], given)
    if a.ndim == 1:
        a = a[:, None]
    rows = [" & ".join(_num(v, given) for v in row) for row in a]
    return "\\begin{bmatrix} " + " \\\\ ".join(rows) + " \\end{bmatrix}"


def _f(a, given=False) -> str:
    """A factor in a product: negative scalars in parentheses."""
    s = _m(a, given)
    return f"({s})" if s.startswith("-") else s


def _is_scalar(*arrays) -> bool:
    return all(np.asarray(a).size == 1 for a in arrays)


def _mul(a, b, given_a=False, given_b=False) -> str:
    """W x (matrix-vector) or a * b (elementwise) written out."""
    a, b = np.asarray(a), np.asarray(b)
    if _is_scalar(a, b):
        return f"{_f(a, given_a)} \\cdot {_f(b, given_b)}"
    if a.ndim == 2:
        return f"{_m(a, given_a)} {_m(b, given_b)}"
    return f"{_f(a, given_a)} \\odot {_f(b, given_b)}"


def _plain(v, digits=3) -> str:
    """3 decimals by default; ``digits=None`` prints every digit (Python's repr)."""
    v = np.asarray(v, dtype=np.float64)
    one = (lambda x: repr(float(x))) if digits is None else (lambda x: f"{x:.{digits}f}")
    return one(v.ravel()[0]) if v.size == 1 else "[" + ", ".join(one(x) for x in v.ravel()) + "]"

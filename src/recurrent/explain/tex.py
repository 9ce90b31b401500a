"""Numbers as a hand calculation writes them, in LaTeX: given values with 4 significant digits,
computed ones by ``figure``; scalars as numbers, vectors and matrices as ``bmatrix``.

``figure`` is the one rule for a computed number, here, in the trace's table and on the page
(``page.js`` writes the same): 0 is "0"; from 1 up, 3 decimals (-17.674); below 1, at least 3
significant figures (0.622, 0.0523, 0.00123); below 0.001, 3 significant figures in scientific
notation (6.53e-6). So no number that is not 0 prints as 0.000, and nothing prints as -0.000.
"""

from __future__ import annotations

import math

import numpy as np


def figure(v) -> str:
    """A computed number by the rule above (plain text: 6.53e-6)."""
    v = float(v)
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    a = abs(v)
    if a < 1e-3:
        m, e = f"{v:.2e}".split("e")
        return f"{m}e{int(e)}"
    return f"{v:.{3 if a >= 1 else max(3, 2 - math.floor(math.log10(a)))}f}"


def changed(new, old) -> str:
    """``new`` with the significant digits (4 at least) that show it differs from ``old``: an update by a small
    step, 0.5 - 0.0001 * (-0.286) = 0.5000286, is not written 0.5."""
    new, old = float(new), float(old)
    for d in range(4, 16):
        n = float(f"{new:.{d}g}")
        if new == old or n != old:
            break
    if n != 0 and abs(n) < 1e-6:  # as the page writes it (JavaScript's String switches to exponents there)
        m, e = f"{n:.{d - 1}e}".split("e")
        return f"{float(m):g}e{int(e)}"
    return np.format_float_positional(n, trim="-")


def _tex(s: str) -> str:
    if "e" in s:  # 1e-05 -> 1 \times 10^{-5}
        m, e = s.split("e")
        s = f"{m} \\times 10^{{{int(e)}}}"
    return s


def _num(v, given=False) -> str:
    v = float(v)
    if given:
        s = f"{v:.4g}"
        return "0" if s == "-0" else _tex(s)
    return _tex(figure(v))


def _m(a, given=False, one=None) -> str:
    """A scalar as a number; a vector as a column bmatrix; a matrix as a bmatrix (``one(value, index)``: how each
    number is written, instead of ``_num``)."""
    a = np.asarray(a, dtype=np.float64)
    write = one or (lambda v, _: _num(v, given))
    if a.size == 1:
        return write(a.ravel()[0], 0)
    flat = a.ravel()
    if a.ndim == 1:
        a = a[:, None]
    cols = a.shape[1]
    rows = [" & ".join(write(flat[r * cols + k], r * cols + k) for k in range(cols)) for r in range(a.shape[0])]
    return "\\begin{bmatrix} " + " \\\\ ".join(rows) + " \\end{bmatrix}"


def _m_changed(new, old) -> str:
    """``_m`` of an updated weight, each number with the digits that show how it moved from ``old``."""
    old = np.asarray(old, dtype=np.float64).ravel()
    return _m(new, one=lambda v, k: _tex(changed(v, old[k])))


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
    """``figure`` by default; ``digits=None`` prints every digit (Python's repr), another number that many
    decimals."""
    v = np.asarray(v, dtype=np.float64)
    if digits is None:
        one = lambda x: repr(float(x))
    elif digits == 3:
        one = figure
    else:
        one = lambda x: f"{x:.{digits}f}"
    return one(v.ravel()[0]) if v.size == 1 else "[" + ", ".join(one(x) for x in v.ravel()) + "]"

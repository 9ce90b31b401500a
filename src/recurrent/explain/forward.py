"""The worked example's forward steps: each cell's equations, and every step with its numbers substituted."""

from __future__ import annotations

import numpy as np

from ..cells.spec import SPECS
from .notation import _wkey
from .tex import _f, _is_scalar, _m, _mul

EQUATIONS = {
    "lstm": r"""$$
\begin{aligned}
i_t &= \sigma(W_i x_t + W_{hi} h_{t-1} + b_i) \\
f_t &= \sigma(W_f x_t + W_{hf} h_{t-1} + b_f) \\
g_t &= \tanh(W_g x_t + W_{hg} h_{t-1} + b_g) \\
o_t &= \sigma(W_o x_t + W_{ho} h_{t-1} + b_o) \\
c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
h_t &= o_t \odot \tanh(c_t)
\end{aligned}
$$""",
    "gru": r"""$$
\begin{aligned}
r_t &= \sigma(W_r x_t + W_{hr} h_{t-1} + b_r) \\
z_t &= \sigma(W_z x_t + W_{hz} h_{t-1} + b_z) \\
n_t &= \tanh(W_n x_t + b_n + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
\end{aligned}
$$""",
    "rnn": r"""$$
h_t = \tanh(W_x x_t + W_h h_{t-1} + b_h)
$$""",
}


def _equations(tr) -> str:
    """The cell's equations; a ReLU RNN's with ReLU."""
    if tr.cell == "rnn" and tr.nonlinearity == "relu":
        return (
            EQUATIONS["rnn"].replace("\\tanh", "\\mathrm{ReLU}")
            + "\n\nwith $\\mathrm{ReLU}(a) = \\max(0, a)$ and its derivative $\\mathrm{ReLU}'(a) = 1$ "
            "where $a > 0$, else 0."
        )
    return EQUATIONS[tr.cell]


def _gate_line(ct, g, t, act):
    """e.g. f_1 = \\sigma(0.5 \\cdot 1 + 0.1 \\cdot 0 + 0) = \\sigma(0.5) = 0.622"""
    cell, v, w = ct.cell, ct.values, ct.weights
    sym = SPECS[cell].symbol(g) if cell != "rnn" else "h"
    x, hp = v["x"][t], v["h_prev"][t]
    a = v["a" if cell == "rnn" else f"a_{g}"][t]
    out = v["h" if cell == "rnn" else g][t]
    wx, wh, b = w[_wkey(cell, g, "x")], w[_wkey(cell, g, "h")], w[_wkey(cell, g, "b")]
    if cell == "gru" and g == "n":
        inner = (
            (
                f"{_mul(wx, x, True, True)} + {_m(b, True)} + {_f(v['r'][t])} \\odot "
                f"({_mul(wh, hp, True)} + {_m(w['b_hn'], True)})"
            )
            if not _is_scalar(x, hp)
            else (
                f"{_mul(wx, x, True, True)} + {_m(b, True)} + {_f(v['r'][t])} \\cdot "
                f"({_mul(wh, hp, True)} + {_m(w['b_hn'], True)})"
            )
        )
    else:
        inner = f"{_mul(wx, x, True, True)} + {_mul(wh, hp, True)} + {_m(b, True)}"
    return f"{sym}_{{{t + 1}}} = {act}\\left({inner}\\right) = {act}\\left({_m(a)}\\right) = {_m(out)}"


def _md_forward_lstm(ct, t):
    v = ct.values
    lines = [_gate_line(ct, g, t, "\\tanh" if g == "g" else "\\sigma") for g in ("i", "f", "g", "o")]
    op = "\\cdot" if _is_scalar(v["c"][t]) else "\\odot"
    lines.append(
        f"c_{{{t + 1}}} = f_{{{t + 1}}} {op} c_{{{t}}} + i_{{{t + 1}}} {op} g_{{{t + 1}}} = "
        f"{_mul(v['f'][t], v['c_prev'][t])} + {_mul(v['i'][t], v['g'][t])} = {_m(v['c'][t])}"
    )
    tc = np.tanh(v["c"][t])
    lines.append(
        f"h_{{{t + 1}}} = o_{{{t + 1}}} {op} \\tanh(c_{{{t + 1}}}) = {_f(v['o'][t])} {op} "
        f"\\tanh\\left({_m(v['c'][t])}\\right) = {_mul(v['o'][t], tc)} = {_m(v['h'][t])}"
    )
    return lines


def _md_forward_gru(ct, t):
    v = ct.values
    lines = [_gate_line(ct, "r", t, "\\sigma"), _gate_line(ct, "z", t, "\\sigma"), _gate_line(ct, "n", t, "\\tanh")]
    op = "\\cdot" if _is_scalar(v["h"][t]) else "\\odot"
    lines.append(
        f"h_{{{t + 1}}} = (1 - z_{{{t + 1}}}) {op} n_{{{t + 1}}} + z_{{{t + 1}}} {op} h_{{{t}}} = "
        f"{_mul(1 - v['z'][t], v['n'][t])} + {_mul(v['z'][t], v['h_prev'][t])} = {_m(v['h'][t])}"
    )
    return lines


def _md_forward_rnn(ct, t, relu=False):
    return [_gate_line(ct, "a", t, "\\mathrm{ReLU}" if relu else "\\tanh")]


FORWARD = {"lstm": _md_forward_lstm, "gru": _md_forward_gru, "rnn": _md_forward_rnn}

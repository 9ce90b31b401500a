"""The worked example's backward steps: dL/dh, dL/dc and each gate's gradient, numbers substituted."""

from __future__ import annotations

import numpy as np

from ..cells.spec import SPECS
from .notation import _wkey, _wtex
from .tex import _f, _is_scalar, _m, _mul


def _dh_line(tr, ct, t, T):
    """dL/dh_t = (from the output) + (from step t+1, through every gate's recurrent weight)."""
    g = ct.grads
    parts, values = [], []
    dy = g.get("dy")
    if dy is not None and np.any(np.asarray(dy[t]) != 0):
        parts.append(f"\\left.\\frac{{\\partial L}}{{\\partial h_{{{t + 1}}}}}\\right|_{{\\mathrm{{out}}}}")
        values.append(_m(dy[t]))
    if t + 1 < T:
        spec = SPECS[ct.cell]
        gates = [g for g in spec.gates if g not in spec.recurrent_through_gate]  # the GRU's n: below, through r
        for gname in gates:
            wh = ct.weights[_wkey(ct.cell, gname, "h")]
            da = g["da" if ct.cell == "rnn" else f"da_{gname}"][t + 1]
            sub = "" if ct.cell == "rnn" else f"{spec.symbol(gname)},"
            T_ = "" if _is_scalar(wh) else "^\\top"
            parts.append(f"{_wtex(ct.cell, gname, 'h')}{T_} \\delta_{{{sub}{t + 2}}}")
            values.append(
                f"{_m(np.asarray(wh).T if np.ndim(wh) == 2 else wh, True)} {_f(da)}"
                if not _is_scalar(wh)
                else f"{_f(wh, True)} \\cdot {_f(da)}"
            )
        if ct.cell == "gru":
            wh = ct.weights["W_hn"]
            T_ = "" if _is_scalar(wh) else "^\\top"
            parts.append(f"W_{{hn}}{T_} (r_{{{t + 2}}} \\odot \\delta_{{n,{t + 2}}})")
            values.append(f"{_m(np.asarray(wh).T, True)} {_f(g['dah_n'][t + 1])}")
            parts.append(f"z_{{{t + 2}}} \\odot \\frac{{\\partial L}}{{\\partial h_{{{t + 2}}}}}")
            values.append(_mul(ct.values["z"][t + 1], g["dh"][t + 1]))
    if len(parts) <= 1:
        middle = f"{parts[0]} = " if parts else ""
        return f"\\frac{{\\partial L}}{{\\partial h_{{{t + 1}}}}} = {middle}{_m(g['dh'][t])}"
    return (
        f"\\frac{{\\partial L}}{{\\partial h_{{{t + 1}}}}} = "
        + " + ".join(parts)
        + " = "
        + " + ".join(values)
        + f" = {_m(g['dh'][t])}"
    )


def _md_backward_lstm(tr, ct, t, T):
    v, g = ct.values, ct.grads
    n = t + 1
    op = "\\cdot" if _is_scalar(v["c"][t]) else "\\odot"
    tc = np.tanh(v["c"][t])
    lines = [_dh_line(tr, ct, t, T)]
    carried = f" + \\frac{{\\partial L}}{{\\partial c_{{{n + 1}}}}} {op} f_{{{n + 1}}}" if t + 1 < T else ""
    carried_v = f" + {_mul(g['dc'][t + 1], v['f'][t + 1])}" if t + 1 < T else ""
    lines.append(
        f"\\frac{{\\partial L}}{{\\partial c_{{{n}}}}} = \\frac{{\\partial L}}{{\\partial h_{{{n}}}}} {op} "
        f"o_{{{n}}} {op} (1 - \\tanh^2 c_{{{n}}}){carried} = "
        f"{_f(g['dh'][t])} {op} {_f(v['o'][t])} {op} {_f(1 - tc * tc)}{carried_v} = {_m(g['dc'][t])}"
    )
    dc = f"\\frac{{\\partial L}}{{\\partial c_{{{n}}}}}"
    dh = f"\\frac{{\\partial L}}{{\\partial h_{{{n}}}}}"
    lines.append(
        f"\\delta_{{i,{n}}} = {dc} {op} g_{{{n}}} {op} i_{{{n}}}(1 - i_{{{n}}}) = "
        f"{_f(g['dc'][t])} {op} {_f(v['g'][t])} {op} {_f(v['i'][t] * (1 - v['i'][t]))} = {_m(g['da_i'][t])}"
    )
    lines.append(
        f"\\delta_{{f,{n}}} = {dc} {op} c_{{{t}}} {op} f_{{{n}}}(1 - f_{{{n}}}) = "
        f"{_f(g['dc'][t])} {op} {_f(v['c_prev'][t])} {op} {_f(v['f'][t] * (1 - v['f'][t]))} = "
        f"{_m(g['da_f'][t])}"
    )
    lines.append(
        f"\\delta_{{g,{n}}} = {dc} {op} i_{{{n}}} {op} (1 - g_{{{n}}}^2) = "
        f"{_f(g['dc'][t])} {op} {_f(v['i'][t])} {op} {_f(1 - v['g'][t] ** 2)} = {_m(g['da_g'][t])}"
    )
    lines.append(
        f"\\delta_{{o,{n}}} = {dh} {op} \\tanh(c_{{{n}}}) {op} o_{{{n}}}(1 - o_{{{n}}}) = "
        f"{_f(g['dh'][t])} {op} {_f(tc)} {op} {_f(v['o'][t] * (1 - v['o'][t]))} = {_m(g['da_o'][t])}"
    )
    return lines


def _md_backward_gru(tr, ct, t, T):
    v, g = ct.values, ct.grads
    n = t + 1
    op = "\\cdot" if _is_scalar(v["h"][t]) else "\\odot"
    dh = f"\\frac{{\\partial L}}{{\\partial h_{{{n}}}}}"
    return [
        _dh_line(tr, ct, t, T),
        f"\\delta_{{n,{n}}} = {dh} {op} (1 - z_{{{n}}}) {op} (1 - n_{{{n}}}^2) = "
        f"{_f(g['dh'][t])} {op} {_f(1 - v['z'][t])} {op} {_f(1 - v['n'][t] ** 2)} = {_m(g['da_n'][t])}",
        f"\\delta_{{z,{n}}} = {dh} {op} (h_{{{t}}} - n_{{{n}}}) {op} z_{{{n}}}(1 - z_{{{n}}}) = "
        f"{_f(g['dh'][t])} {op} {_f(v['h_prev'][t] - v['n'][t])} {op} {_f(v['z'][t] * (1 - v['z'][t]))} = "
        f"{_m(g['da_z'][t])}",
        f"\\delta_{{r,{n}}} = \\delta_{{n,{n}}} {op} (W_{{hn}} h_{{{t}}} + b_{{hn}}) {op} r_{{{n}}}(1 - r_{{{n}}}) = "
        f"{_m(g['da_r'][t])}",
    ]


def _md_backward_rnn(tr, ct, t, T):
    v, g = ct.values, ct.grads
    n = t + 1
    op = "\\cdot" if _is_scalar(v["h"][t]) else "\\odot"
    if tr.nonlinearity == "relu":  # ReLU'(a) = 1 where a > 0, else 0
        return [
            _dh_line(tr, ct, t, T),
            f"\\delta_{{{n}}} = \\frac{{\\partial L}}{{\\partial h_{{{n}}}}} {op} \\mathrm{{ReLU}}'(a_{{{n}}}) = "
            f"{_f(g['dh'][t])} {op} {_f((v['a'][t] > 0).astype(float))} = {_m(g['da'][t])}",
        ]
    return [
        _dh_line(tr, ct, t, T),
        f"\\delta_{{{n}}} = \\frac{{\\partial L}}{{\\partial h_{{{n}}}}} {op} (1 - h_{{{n}}}^2) = "
        f"{_f(g['dh'][t])} {op} {_f(1 - v['h'][t] ** 2)} = {_m(g['da'][t])}",
    ]


BACKWARD = {"lstm": _md_backward_lstm, "gru": _md_backward_gru, "rnn": _md_backward_rnn}

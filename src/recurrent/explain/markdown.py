"""The worked example in Markdown + LaTeX: the equations, every step with its numbers substituted,
the prediction, the loss, backpropagation through time and one gradient-descent step."""

from __future__ import annotations

import numpy as np

from ..cells.facts import FACTS
from .notation import SYM, _key_tex, _wkey, _wtex, weight_grads
from .tex import _f, _is_scalar, _m, _mul, _num

EQUATIONS = {
    "lstm": r"""$$
\begin{aligned}
f_t &= \sigma(W_f x_t + W_{hf} h_{t-1} + b_f) \\
i_t &= \sigma(W_i x_t + W_{hi} h_{t-1} + b_i) \\
\tilde{C}_t &= \tanh(W_c x_t + W_{hc} h_{t-1} + b_c) \\
C_t &= f_t \odot C_{t-1} + i_t \odot \tilde{C}_t \\
o_t &= \sigma(W_o x_t + W_{ho} h_{t-1} + b_o) \\
h_t &= o_t \odot \tanh(C_t)
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
    sym = SYM[cell].get(g, "h") if cell != "rnn" else "h"
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
    lines = [_gate_line(ct, "f", t, "\\sigma"), _gate_line(ct, "i", t, "\\sigma"), _gate_line(ct, "g", t, "\\tanh")]
    op = "\\cdot" if _is_scalar(v["c"][t]) else "\\odot"
    lines.append(
        f"C_{{{t + 1}}} = f_{{{t + 1}}} {op} C_{{{t}}} + i_{{{t + 1}}} {op} \\tilde{{C}}_{{{t + 1}}} = "
        f"{_mul(v['f'][t], v['c_prev'][t])} + {_mul(v['i'][t], v['g'][t])} = {_m(v['c'][t])}"
    )
    lines.append(_gate_line(ct, "o", t, "\\sigma"))
    tc = np.tanh(v["c"][t])
    lines.append(
        f"h_{{{t + 1}}} = o_{{{t + 1}}} {op} \\tanh(C_{{{t + 1}}}) = {_f(v['o'][t])} {op} "
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


def _dh_line(tr, ct, t, T):
    """dL/dh_t = (from the output) + (from step t+1, through every gate's recurrent weight)."""
    g = ct.grads
    parts, values = [], []
    dy = g.get("dy")
    if dy is not None and np.any(np.asarray(dy[t]) != 0):
        parts.append(f"\\left.\\frac{{\\partial L}}{{\\partial h_{{{t + 1}}}}}\\right|_{{\\mathrm{{out}}}}")
        values.append(_m(dy[t]))
    if t + 1 < T:
        gates = {"lstm": "ifgo", "gru": "rz", "rnn": ["a"]}[ct.cell]
        for gname in gates:
            wh = ct.weights[_wkey(ct.cell, gname, "h")]
            da = g["da" if ct.cell == "rnn" else f"da_{gname}"][t + 1]
            sub = "" if ct.cell == "rnn" else f"{SYM[ct.cell][gname]},"
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
    carried = f" + \\frac{{\\partial L}}{{\\partial C_{{{n + 1}}}}} {op} f_{{{n + 1}}}" if t + 1 < T else ""
    carried_v = f" + {_mul(g['dc'][t + 1], v['f'][t + 1])}" if t + 1 < T else ""
    lines.append(
        f"\\frac{{\\partial L}}{{\\partial C_{{{n}}}}} = \\frac{{\\partial L}}{{\\partial h_{{{n}}}}} {op} "
        f"o_{{{n}}} {op} (1 - \\tanh^2 C_{{{n}}}){carried} = "
        f"{_f(g['dh'][t])} {op} {_f(v['o'][t])} {op} {_f(1 - tc * tc)}{carried_v} = {_m(g['dc'][t])}"
    )
    dc = f"\\frac{{\\partial L}}{{\\partial C_{{{n}}}}}"
    dh = f"\\frac{{\\partial L}}{{\\partial h_{{{n}}}}}"
    lines.append(
        f"\\delta_{{o,{n}}} = {dh} {op} \\tanh(C_{{{n}}}) {op} o_{{{n}}}(1 - o_{{{n}}}) = "
        f"{_f(g['dh'][t])} {op} {_f(tc)} {op} {_f(v['o'][t] * (1 - v['o'][t]))} = {_m(g['da_o'][t])}"
    )
    lines.append(
        f"\\delta_{{i,{n}}} = {dc} {op} \\tilde{{C}}_{{{n}}} {op} i_{{{n}}}(1 - i_{{{n}}}) = "
        f"{_f(g['dc'][t])} {op} {_f(v['g'][t])} {op} {_f(v['i'][t] * (1 - v['i'][t]))} = {_m(g['da_i'][t])}"
    )
    lines.append(
        f"\\delta_{{f,{n}}} = {dc} {op} C_{{{t}}} {op} f_{{{n}}}(1 - f_{{{n}}}) = "
        f"{_f(g['dc'][t])} {op} {_f(v['c_prev'][t])} {op} {_f(v['f'][t] * (1 - v['f'][t]))} = "
        f"{_m(g['da_f'][t])}"
    )
    lines.append(
        f"\\delta_{{\\tilde{{C}},{n}}} = {dc} {op} i_{{{n}}} {op} (1 - \\tilde{{C}}_{{{n}}}^2) = "
        f"{_f(g['dc'][t])} {op} {_f(v['i'][t])} {op} {_f(1 - v['g'][t] ** 2)} = {_m(g['da_g'][t])}"
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


def render_markdown(tr, lr=None, title=None, notes=None) -> str:
    """The worked example: equations, every step substituted, prediction, loss, BPTT, one update."""
    ct = tr.main
    cell = tr.cell
    T = len(ct.values["h"])
    scalar = _is_scalar(ct.values["x"][0], ct.values["h"][0])
    name = FACTS[cell].title
    article = "an" if name[0] in "LR" else "a"
    lines = [f"# {title or f'Worked example: {article} {name}, step by step'}", ""]
    H, D = np.shape(ct.values["h"])[1], np.shape(ct.values["x"])[1]
    products = "products are of numbers" if scalar else "$\\odot$ is the elementwise product"
    lines += [
        f"A {'scalar ' if scalar else ''}{name} with input size {D} and hidden size {H}, "
        f"run over {T} steps from a zero state. $\\sigma$ is the logistic sigmoid; {products}.",
        "",
        "## The equations",
        "",
        _equations(tr),
        "",
    ]
    if tr.readout:
        lines += ["with the readout $\\hat{y} = W_y h_t + b_y$.", ""]
    lines += ["## The weights", "", "| weight | value |", "|---|---|"]
    weights = dict(ct.weights)
    weights.update(tr.readout)
    lines += [f"| ${_key_tex(k)}$ | ${_m(v, True)}$ |" for k, v in weights.items()]
    xs = ct.values["x"]
    shown = "[" + ", ".join(_num(a, True) for a in xs.ravel()) + "]" if scalar else _m(xs.T, True)
    lines += [
        "",
        f"Inputs: $x = {shown}$"
        + ("" if scalar else " (one column per step)")
        + ", $h_0 = 0$"
        + (", $C_0 = 0$." if cell == "lstm" else "."),
        "",
    ]

    lines += ["## Forward pass", ""]
    for t in range(T):
        lines += [f"### Time step {t + 1}, input $x_{{{t + 1}}} = {_m(xs[t], True)}$", ""]
        forward = FORWARD[cell](ct, t, tr.nonlinearity == "relu") if cell == "rnn" else FORWARD[cell](ct, t)
        for k, eq in enumerate(forward):
            lines += [f"{k + 1}. $${eq}$$", ""]

    if tr.readout:
        wy, by = tr.readout["W_y"], tr.readout["b_y"]
        lines += ["## Prediction", ""]
        steps = [T - 1] if tr.many_to_one else range(T)
        preds = np.atleast_2d(tr.prediction) if not tr.many_to_one else [tr.prediction]
        for k, t in enumerate(steps):
            sub = f"_{{{t + 1}}}" if not tr.many_to_one else ""
            lines += [
                f"$$\\hat{{y}}{sub} = W_y h_{{{t + 1}}} + b_y = {_mul(wy, ct.values['h'][t], True)} + "
                f"{_m(by, True)} = {_m(preds[k])}$$",
                "",
            ]
    if tr.loss is not None:
        lines += ["## Loss", ""]
        y, p = np.asarray(tr.target, dtype=np.float64), np.asarray(tr.prediction, dtype=np.float64)
        if tr.loss_name == "mse":
            count = p.size
            pairs = zip(p.ravel(), np.broadcast_to(y, p.shape).ravel())
            terms = " + ".join(f"({_num(a)} - {_num(b, True)})^2" for a, b in pairs)
            pre = f"\\frac{{1}}{{{count}}}\\left({terms}\\right)" if count > 1 else terms
            lines += [f"Mean squared error: $$L = {pre} = {tr.loss:.6g}$$", ""]
            factor = "2" if count == 1 else f"\\frac{{2}}{{{count}}}"
            lines += [
                f"$$\\frac{{\\partial L}}{{\\partial \\hat{{y}}}} = {factor}(\\hat{{y}} - y) = {_m(tr.dprediction)}$$",
                "",
            ]
        else:
            lines += [
                f"{tr.loss_name}: $$L = {tr.loss:.6g}$$",
                "",
                f"$$\\frac{{\\partial L}}{{\\partial \\hat{{y}}}} = {_m(tr.dprediction)}$$",
                "",
            ]
    if ct.grads:
        lines += [
            "## Backward pass through time",
            "",
            "Each step receives the gradient from its own output (if any) and, through the recurrent "
            "weights, from the step after it: this second term is what makes it backpropagation "
            "*through time*. $\\delta$ is the gradient on a gate's pre-activation.",
            "",
        ]
        if tr.readout:
            lines += [
                "From the readout: $\\left.\\frac{\\partial L}{\\partial h}\\right|_{\\mathrm{out}} = "
                "W_y^\\top \\frac{\\partial L}{\\partial \\hat{y}}$.",
                "",
            ]
        for t in reversed(range(T)):
            lines += [f"### Time step {t + 1}", ""]
            for k, eq in enumerate(BACKWARD[cell](tr, ct, t, T)):
                lines += [f"{k + 1}. $${eq}$$", ""]
        lines += [
            "## Gradients of the weights",
            "",
            "Each weight's gradient adds up, over all steps, the $\\delta$ of its gate times what the "
            "weight multiplied at that step.",
            "",
        ]
        grads = weight_grads(ct)
        for wg in grads:
            what = {"x": "x_{t}", "h": "h_{t-1}", "b": "", "bh": ""}[wg.kind]
            d, src = wg.delta, wg.source
            if scalar and src is not None:
                terms = " + ".join(f"{_f(d[t])} \\cdot {_f(src[t], wg.kind == 'x')}" for t in range(T))
            elif scalar:
                terms = " + ".join(_f(d[t]) for t in range(T))
            else:
                terms = None
            rhs = f"\\sum_t \\delta_{{{wg.sub}t}}" + (
                f" {what}^\\top" if what and not scalar else f" {what}" if what else ""
            )
            lines += [
                f"$$\\frac{{\\partial L}}{{\\partial {wg.tex}}} = {rhs} = "
                + (f"{terms} = " if terms else "")
                + f"{_m(wg.grad)}$$",
                "",
            ]
        if tr.readout_grads:
            lines += [
                f"$$\\frac{{\\partial L}}{{\\partial W_y}} = {_m(tr.readout_grads['W_y'])}, \\quad "
                f"\\frac{{\\partial L}}{{\\partial b_y}} = {_m(tr.readout_grads['b_y'])}$$",
                "",
            ]
        if lr is not None:
            lines += [
                f"## One gradient-descent step ($\\eta = {_num(lr, True)}$)",
                "",
                "$$W \\leftarrow W - \\eta \\frac{\\partial L}{\\partial W}$$",
                "",
            ]
            for wg in grads:
                w = np.asarray(ct.weights[wg.key], dtype=np.float64)
                lines += [
                    f"$${wg.tex} \\leftarrow {_m(w, True)} - {_num(lr, True)} \\cdot {_f(wg.grad)} = "
                    f"{_m(w - lr * wg.grad, True)}$$",
                    "",
                ]
            for tex, g in tr.readout_grads.items():
                w = np.asarray(tr.readout[tex], dtype=np.float64)
                lines += [
                    f"$${tex} \\leftarrow {_m(w, True)} - {_num(lr, True)} \\cdot {_f(g)} = {_m(w - lr * g, True)}$$",
                    "",
                ]
    if notes:
        lines += ["## Notes", "", notes, ""]
    return "\n".join(lines).rstrip() + "\n"

"""The worked example in Markdown + LaTeX: the equations, every step with its numbers substituted,
the prediction, the loss, backpropagation through time and one gradient-descent step."""

from __future__ import annotations

import numpy as np

from ..cells.spec import SPECS
from .backward import BACKWARD
from .forward import FORWARD, _equations
from .notation import _key_tex, weight_grads
from .tex import _f, _is_scalar, _m, _m_changed, _mul, _num


def _plain_only(tr, what):
    """The worked examples write PyTorch's equations: a variant cell's trace has its values, not those equations."""
    if getattr(tr, "variant", None):
        raise ValueError(
            f"{what}: the worked example writes PyTorch's {tr.cell.upper()} equations, and {tr.variant} computes "
            "others; its trace's steps, table and JSON hold every value"
        )


def render_markdown(tr, lr=None, title=None, notes=None) -> str:
    """The worked example: equations, every step substituted, prediction, loss, BPTT, one update."""
    _plain_only(tr, "markdown")
    ct = tr.main
    T = len(ct.values["h"])
    scalar = _is_scalar(ct.values["x"][0], ct.values["h"][0])
    lines = _intro(tr, title, scalar) + _forward(tr, T)
    if tr.readout:
        lines += _prediction(tr, T)
    if tr.loss is not None:
        lines += _loss(tr)
    if ct.grads:
        lines += _backward(tr, T)
        grads = weight_grads(ct)
        lines += _weight_gradients(tr, grads, scalar, T)
        if lr is not None:
            lines += _update(tr, grads, lr)
    if notes:
        lines += ["## Notes", "", notes, ""]
    return "\n".join(lines).rstrip() + "\n"


def _intro(tr, title, scalar) -> list:
    """The title, what the model is, its equations, its weights and its inputs."""
    ct, cell = tr.main, tr.cell
    T = len(ct.values["h"])
    name = SPECS[cell].title
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

    return lines


def _forward(tr, T) -> list:
    """Every step's forward equations with the numbers substituted."""
    ct, cell, xs = tr.main, tr.cell, tr.main.values["x"]
    lines = ["## Forward pass", ""]
    for t in range(T):
        lines += [f"### Time step {t + 1}, input $x_{{{t + 1}}} = {_m(xs[t], True)}$", ""]
        forward = FORWARD[cell](ct, t, tr.nonlinearity == "relu") if cell == "rnn" else FORWARD[cell](ct, t)
        for k, eq in enumerate(forward):
            lines += [f"{k + 1}. $${eq}$$", ""]

    return lines


def _prediction(tr, T) -> list:
    """The readout's output at the step(s) that predict."""
    ct = tr.main
    wy, by = tr.readout["W_y"], tr.readout["b_y"]
    lines = ["## Prediction", ""]
    steps = [T - 1] if tr.many_to_one else range(T)
    preds = np.atleast_2d(tr.prediction) if not tr.many_to_one else [tr.prediction]
    for k, t in enumerate(steps):
        sub = f"_{{{t + 1}}}" if not tr.many_to_one else ""
        lines += [
            f"$$\\hat{{y}}{sub} = W_y h_{{{t + 1}}} + b_y = {_mul(wy, ct.values['h'][t], True)} + "
            f"{_m(by, True)} = {_m(preds[k])}$$",
            "",
        ]
    return lines


def _loss(tr) -> list:
    """The loss and its gradient on the prediction."""
    lines = ["## Loss", ""]
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
    return lines


def _backward(tr, T) -> list:
    """Every step's gradients, last step first."""
    ct, cell = tr.main, tr.cell
    lines = [
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
    return lines


def _weight_gradients(tr, grads, scalar, T) -> list:
    """Each weight's gradient as the sum over steps of its gate's delta times what it multiplied."""
    lines = [
        "## Gradients of the weights",
        "",
        "Each weight's gradient adds up, over all steps, the $\\delta$ of its gate times what the "
        "weight multiplied at that step.",
        "",
    ]
    for wg in grads:
        what = {"x": "x_{t}", "h": "h_{t-1}", "b": "", "bh": ""}[wg.kind]
        d, src = wg.delta, wg.source
        if scalar and src is not None:
            terms = " + ".join(f"{_f(d[t])} \\cdot {_f(src[t], wg.kind == 'x')}" for t in range(T))
        elif scalar:
            terms = " + ".join(_f(d[t]) for t in range(T))
        else:
            terms = None
        rhs = f"\\sum_t {wg.delta_tex}" + (f" {what}^\\top" if what and not scalar else f" {what}" if what else "")
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
    return lines


BIASES = {
    "lstm": "Each gate has one bias here, $b = b_{ih} + b_{hh}$, as hand calculations write it. A layer keeps "
    "PyTorch's two, and one step of gradient descent moves each of them by $\\eta$ times the same gradient, so "
    'their sum moves twice as far as $b$ below; `fit(..., freeze=["0.bias_hh_l0"])` takes exactly this page\'s '
    "step.",
    "rnn": "The step has one bias here, $b_h = b_{ih} + b_{hh}$, as hand calculations write it. A layer keeps "
    "PyTorch's two, and one step of gradient descent moves each of them by $\\eta$ times the same gradient, so "
    'their sum moves twice as far as $b_h$ below; `fit(..., freeze=["0.bias_hh_l0"])` takes exactly this page\'s '
    "step.",
    "gru": "$b_r$ and $b_z$ are each one bias here, $b_{ir} + b_{hr}$ and $b_{iz} + b_{hz}$, as hand calculations "
    "write them; a layer keeps PyTorch's two, and one step moves each by $\\eta$ times the same gradient, so "
    "their sum moves twice as far as below. $b_n$ is $b_{in}$ alone and $b_{hn}$ the reset product's own bias, "
    "as the layer keeps them.",
}


def _update(tr, grads, lr) -> list:
    """One gradient-descent step on every weight, numbers substituted."""
    ct = tr.main
    lines = [
        f"## One gradient-descent step ($\\eta = {_num(lr, True)}$)",
        "",
        "$$W \\leftarrow W - \\eta \\frac{\\partial L}{\\partial W}$$",
        "",
        BIASES[tr.cell],
        "",
    ]
    for wg in grads:
        w = np.asarray(ct.weights[wg.key], dtype=np.float64)
        lines += [
            f"$${wg.tex} \\leftarrow {_m(w, True)} - {_num(lr, True)} \\cdot {_f(wg.grad)} = "
            f"{_m_changed(w - lr * wg.grad, w)}$$",
            "",
        ]
    for tex, g in tr.readout_grads.items():
        w = np.asarray(tr.readout[tex], dtype=np.float64)
        lines += [
            f"$${tex} \\leftarrow {_m(w, True)} - {_num(lr, True)} \\cdot {_f(g)} = {_m_changed(w - lr * g, w)}$$",
            "",
        ]
    return lines

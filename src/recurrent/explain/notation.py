"""The hand notation of the worked examples (W_f, W_hf, b_f, ...) and the weight gradients in it.

A weight's gradient is the sum over steps of its gate's delta times what the weight multiplied at
that step; ``weight_grads`` computes exactly that from a traced cell, so the worked example can show
the sum with its numbers, and the tests check it against the layers' backward.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..cells.spec import SPECS


def _letter(cell, g):
    """A gate's letter in the hand notation's weight names (W_i, W_hf, b_g, ...)."""
    spec = SPECS[cell]
    return spec.hand[spec.gates.index(g)]


def _wkey(cell, g, kind):
    """Notation key: kind 'x' (input weight), 'h' (recurrent), 'b' (bias)."""
    if cell == "rnn":
        return {"x": "W_x", "h": "W_h", "b": "b_h"}[kind]
    n = _letter(cell, g)
    return {"x": f"W_{n}", "h": f"W_h{n}", "b": f"b_{n}"}[kind]


def _wtex(cell, g, kind):
    if cell == "rnn":
        return {"x": "W_x", "h": "W_h", "b": "b_h"}[kind]
    n = _letter(cell, g)
    return {"x": f"W_{n}", "h": f"W_{{h{n}}}", "b": f"b_{n}"}[kind]


def _key_tex(key):
    """'W_hf' -> 'W_{hf}', 'b_hn' -> 'b_{hn}', 'W_f' stays."""
    head, _, sub = key.partition("_")
    return f"{head}_{{{sub}}}" if len(sub) > 1 else key


class WeightGrad(NamedTuple):
    """One hand-notation weight's gradient and what it is summed from."""

    key: str  # notation key, e.g. "W_hf"
    tex: str  # its LaTeX, e.g. "W_{hf}"
    sub: str  # the delta's gate subscript, e.g. "f,"
    kind: str  # "x" (input weight), "h" (recurrent), "b" (bias), "bh" (GRU b_hn)
    delta: np.ndarray  # (T, H): the deltas summed over steps
    source: object  # (T, K) what the weight multiplied at each step, None for biases
    grad: np.ndarray  # the gradient, shaped like the weight

    @property
    def delta_tex(self) -> str:
        """What is summed over the steps: the gate's delta, or for the GRU's W_hn and b_hn (inside the reset
        product) r_t times the candidate's."""
        if self.key in ("W_hn", "b_hn"):
            return "(r_{t} \\odot \\delta_{n,t})"
        return f"\\delta_{{{self.sub}t}}"


def weight_grads(ct) -> list[WeightGrad]:
    """Gradients in hand notation: sum over steps of delta times the input of that weight."""
    v, g, cell = ct.values, ct.grads, ct.cell
    gates = SPECS[cell].equation_order
    out = []
    for gname in gates:
        da = g["da" if cell == "rnn" else f"da_{gname}"]
        dah = g["dah_n"] if (cell == "gru" and gname == "n") else da
        sub = "" if cell == "rnn" else f"{SPECS[cell].symbol(gname)},"
        for kind, src, d in (("x", v["x"], da), ("h", v["h_prev"], dah), ("b", None, da)):
            key = _wkey(cell, gname, kind)
            grad = np.einsum("th,td->hd", d, src) if src is not None else d.sum(axis=0)
            out.append(
                WeightGrad(key, _wtex(cell, gname, kind), sub, kind, d, src, grad.reshape(np.shape(ct.weights[key])))
            )
        if cell == "gru" and gname == "n":
            out.append(WeightGrad("b_hn", "b_{hn}", "", "bh", dah, None, dah.sum(axis=0)))
    return out

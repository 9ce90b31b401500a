"""A trace as a plain table (every gate at every step) and as JSON."""

from __future__ import annotations

import numpy as np

from .notation import weight_grads
from .tex import _plain

# ---- the table -----------------------------------------------------------------------------

LABELS = {
    "lstm": [
        ("i", "Input gate (i_t)"),
        ("f", "Forget gate (f_t)"),
        ("g", "Candidate (g_t)"),
        ("o", "Output gate (o_t)"),
        ("c", "Cell state (c_t)"),
        ("h", "Hidden state (h_t)"),
    ],
    "gru": [
        ("r", "Reset gate (r_t)"),
        ("z", "Update gate (z_t)"),
        ("n", "Candidate state (n_t)"),
        ("h", "Hidden state (h_t)"),
    ],
    "rnn": [("h", "Hidden state (h_t)")],
}
GRAD_LABELS = {
    "lstm": [
        ("dh", "dL/dh_t"),
        ("dc", "dL/dC_t"),
        ("da_f", "dL/d(forget pre-activation)"),
        ("da_i", "dL/d(input pre-activation)"),
        ("da_g", "dL/d(candidate pre-activation)"),
        ("da_o", "dL/d(output pre-activation)"),
    ],
    "gru": [
        ("dh", "dL/dh_t"),
        ("da_r", "dL/d(reset pre-activation)"),
        ("da_z", "dL/d(update pre-activation)"),
        ("da_n", "dL/d(candidate pre-activation)"),
    ],
    "rnn": [("dh", "dL/dh_t"), ("da", "dL/d(pre-activation)")],
}


def render_table(tr, digits=3) -> str:
    """The classic listing: every gate at every step, then the prediction (and loss, gradients).

    ``digits``: decimals shown (``None``: every digit).
    """

    def _plain_(v):
        return _plain(v, digits)

    out = []
    for ct in tr.cells:
        if len(tr.cells) > 1:
            out.append(f"Layer {ct.layer + 1}, {'forward' if ct.direction == 0 else 'reverse'} direction")
        T = len(ct.values["h"])
        for t in range(T):
            out.append(f"Time Step {t + 1}:")
            out += [f"  {label}: {_plain_(ct.values[k][t])}" for k, label in LABELS[tr.cell]]
            out.append("")
    if tr.readout:
        what = "Predicted next value" if tr.many_to_one else "Outputs per step"
        out.append(f"{what}: {_plain_(tr.prediction)}")
    if tr.loss is not None:
        out.append(f"Target: {_plain_(tr.target)}")
        out.append(f"Loss ({tr.loss_name}): {_plain_(tr.loss)}")
    if tr.main.grads:
        out.append("")
        out.append("Backward through time (last step first):")
        for ct in tr.cells:
            if len(tr.cells) > 1:
                out.append(f"Layer {ct.layer + 1}, {'forward' if ct.direction == 0 else 'reverse'} direction")
            for t in reversed(range(len(ct.values["h"]))):
                out.append(f"Time Step {t + 1}:")
                out += [f"  {label}: {_plain_(ct.grads[k][t])}" for k, label in GRAD_LABELS[tr.cell]]
            out.append("")
        out.append("Parameter gradients (hand notation, first layer):")
        out += [f"  dL/d{wg.key}: {_plain_(wg.grad)}" for wg in weight_grads(tr.main)]
        out += [f"  dL/d{k}: {_plain_(v)}" for k, v in tr.readout_grads.items()]
        out.append("Parameter gradients (layer names):")
        out += [f"  {k}: {_plain_(v)}" for k, v in tr.param_grads.items()]
    return "\n".join(out).rstrip() + "\n"


# ---- JSON ----------------------------------------------------------------------------------


def _tolist(v):
    return None if v is None else np.asarray(v, dtype=np.float64).tolist()


def render_json(tr) -> dict:
    """The trace as JSON: every forward value and gradient, step by step."""
    obj = {"cell": tr.cell, "steps": tr.steps(), "prediction": _tolist(tr.prediction)}
    if tr.loss is not None:
        obj.update(target=_tolist(tr.target), loss=tr.loss, loss_name=tr.loss_name)
    if tr.main.grads:
        obj["backward"] = tr.backward_steps()
        obj["gradients"] = {k: _tolist(v) for k, v in tr.param_grads.items()}
    if len(tr.cells) > 1:
        obj["layers"] = [
            {"layer": c.layer, "direction": c.direction, "steps": tr.steps(i), "backward": tr.backward_steps(i)}
            for i, c in enumerate(tr.cells)
        ]
    return obj

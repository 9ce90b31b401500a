"""The classic mistakes in a hand-written step backward, each as the numbers it produces.

``exercises`` checks a learner's step against ``cells/reference.py``; where a quantity is wrong,
it looks here for a mistake that gives exactly the learner's number, and names it. Each mistake is
the reference with one thing changed, computed from the reference itself wherever it can be:

- **activated** (**activated_sigmoid**, **activated_tanh**: one kind alone): the derivative taken at the
  activated value, ``sigmoid(s) (1 - sigmoid(s))`` with ``s = sigmoid(a)`` already a gate (the first
  classic example's slip), and ``1 - tanh(t)**2`` likewise;
  the reference is rerun with those derivatives in place of ``dsigmoid``/``dtanh``.
- **no_carry** (LSTM): the cell state's gradient from the next step, dL/dc_{t+1} f_{t+1}, left out:
  the reference rerun with ``dc_new = 0``. **no_forget** (LSTM): the gradient handed back to c_{t-1}
  not multiplied by f.
- **no_recurrent**: nothing handed back through W_hh to h_{t-1} (the LSTM and RNN return zeros; the
  GRU keeps only its direct z h path). **no_direct** (GRU): the z h_{t-1} path left out.
- **reset_outside** (GRU): W_hn and b_hn treated as outside the reset product, r (h W_hn^T + b_hn).
- **bias_double** / **bias_half**: each of the two biases given twice or half the gradient.
"""

from __future__ import annotations

import contextlib

import numpy as np

from .. import activations
from ..cells import reference

HINTS = {
    "activated_sigmoid": "the sigmoid gates' derivative is taken at the pre-activation, and written from the "
    "gate's output: for s = sigmoid(a), ds/da = s (1 - s), not sigmoid(s) (1 - sigmoid(s)) (the gate is already "
    "activated: do not activate it again)",
    "activated_tanh": "the tanh derivative is written from its output: for t = tanh(a), dt/da = 1 - t**2, not "
    "1 - tanh(t)**2 (t is already activated: do not activate it again)",
    "activated": "the derivative is taken at the pre-activation, and written from the gate's output: "
    "for s = sigmoid(a), ds/da = s (1 - s), not sigmoid(s) (1 - sigmoid(s)); for t = tanh(a), 1 - t**2, "
    "not 1 - tanh(t)**2 (the gate is already activated: do not activate it again)",
    "no_carry": "the cell state reaches the loss two ways: through h_t = o tanh(c_t) and through c_{t+1} = "
    "f_{t+1} c_t + ...; add the gradient dc_new that comes back from the next step before using it",
    "no_forget": "what goes back to c_{t-1} passes through the forget gate: dc_prev = dc_t * f_t",
    "no_recurrent": "h_{t-1} feeds every gate through W_hh: hand back (the gates' pre-activation gradients) @ W_hh "
    "to the previous step, or BPTT stops after one step",
    "no_direct": "in the GRU h' = (1 - z) n + z h_{t-1}, so h_{t-1} also reaches h' directly: add dh' * z",
    "reset_outside": "in PyTorch's GRU the reset gate multiplies (h W_hn^T + b_hn) as a whole: the gradients of "
    "W_hn and b_hn carry the factor r",
    "bias_double": "a = x W_ih^T + b_ih + h W_hh^T + b_hh: each bias gets the full gradient da summed over the "
    "batch (not twice it); that both get it is why the sum b_ih + b_hh moves twice as far in one step",
    "bias_half": "each of the two biases gets the full gradient da summed over the batch, not half of it: "
    "da/db_ih = da/db_hh = 1",
}

_SIGMOID, _TANH = activations.sigmoid, activations.tanh


@contextlib.contextmanager
def _activated_derivatives(sig, tanh):
    """The reference's sigmoid (``sig``) and/or tanh (``tanh``) derivatives replaced by the mistaken ones for the
    ``with`` block (the reference reads them at call time)."""
    saved = reference.dsigmoid, reference.dtanh, reference.ACTIVATIONS
    if sig:
        reference.dsigmoid = lambda s: _SIGMOID(s) * (1 - _SIGMOID(s))
    if tanh:
        reference.dtanh = lambda t: 1 - _TANH(t) ** 2
    reference.ACTIVATIONS = {
        **saved[2],
        "tanh": (_TANH, reference.dtanh),
        "sigmoid": (_SIGMOID, reference.dsigmoid),
    }
    try:
        yield
    finally:
        reference.dsigmoid, reference.dtanh, reference.ACTIVATIONS = saved


def backward(cell, cache, dh_new, dc_new=None) -> dict:
    """The reference step backward as one dict: dx, dh, (dc,) weight_ih, weight_hh, bias_ih, bias_hh."""
    if cell == "lstm":
        dx, dh, dc, grads = reference.lstm_step_backward(dh_new, dc_new, cache)
        return {"dc": dc, "dh": dh, "dx": dx, **grads}
    step = reference.gru_step_backward if cell == "gru" else reference.rnn_step_backward
    dx, dh, grads = step(dh_new, cache)
    return {"dh": dh, "dx": dx, **grads}


def mutants(cell, cache, dh_new, dc_new=None) -> dict:
    """name -> the outputs (as ``backward``) that mistake produces, for this cell."""
    right = backward(cell, cache, dh_new, dc_new)
    out = {}
    for name, sig, tanh in (
        ("activated_sigmoid", True, False),
        ("activated_tanh", False, True),
        ("activated", True, True),
    ):
        with _activated_derivatives(sig, tanh):
            out[name] = backward(cell, cache, dh_new, dc_new)
    for name, k in (("bias_double", 2.0), ("bias_half", 0.5)):
        out[name] = {**right, "bias_ih": k * right["bias_ih"], "bias_hh": k * right["bias_hh"]}
    if cell == "lstm":
        out["no_carry"] = backward(cell, cache, dh_new, np.zeros_like(dc_new))
        out["no_forget"] = {**right, "dc": right["dc"] / cache["f"]}
        out["no_recurrent"] = {**right, "dh": np.zeros_like(right["dh"])}
    elif cell == "rnn":
        out["no_recurrent"] = {**right, "dh": np.zeros_like(right["dh"])}
    else:
        direct = dh_new * cache["z"]
        out["no_recurrent"] = {**right, "dh": direct}
        out["no_direct"] = {**right, "dh": right["dh"] - direct}
        out["reset_outside"] = _reset_outside(right, cache, dh_new)
    return out


def _reset_outside(right, cache, dh_new) -> dict:
    """What flows through W_hn and b_hn without the factor r: their gradients' n blocks, and dh (which gets
    da_n (1 - r) W_hn more). da_n, the candidate's pre-activation gradient, is dh' (1 - z) (1 - n^2)."""
    H = cache["h"].shape[1]
    da_n = dh_new * (1 - cache["z"]) * (1 - cache["n"] ** 2)
    w_hh, b_hh = right["weight_hh"].copy(), right["bias_hh"].copy()
    w_hh[2 * H :] = da_n.T @ cache["h"]
    b_hh[2 * H :] = right["bias_ih"][2 * H :]
    dh = right["dh"] + (da_n * (1 - cache["r"])) @ cache["w_hh"][2 * H :]
    return {**right, "dh": dh, "weight_hh": w_hh, "bias_hh": b_hh}


def which(cell, quantity, got, cache, dh_new, dc_new=None, rtol=1e-7):
    """The name of the first mistake whose ``quantity`` equals ``got``, or None."""
    got = np.asarray(got, dtype=np.float64)
    right = backward(cell, cache, dh_new, dc_new)[quantity]
    for name, outs in mutants(cell, cache, dh_new, dc_new).items():
        wrong = outs.get(quantity)
        if wrong is None or wrong.shape != got.shape or np.allclose(wrong, right, rtol=rtol, atol=1e-12):
            continue  # this mistake does not change this quantity here
        if np.allclose(got, wrong, rtol=rtol, atol=1e-12):
            return name
    return None

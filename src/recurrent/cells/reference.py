"""The three cells written like their equations: one step forward, one step back, in plain NumPy.

This is the page to read beside the equations. Arrays are batch-first: x (N, D), h and c
(N, H); weights have PyTorch's names and shapes, gate blocks stacked in PyTorch's order
(LSTM i, f, g, o; GRU r, z, n). Nothing here is tuned for speed: the layers run
``cells/lstm.py``, ``gru.py`` and ``rnn.py`` (and the fused kernels), and the tests hold
those to this file at 1e-12 in float64.

    LSTM                                        GRU (b_hn inside the reset product)
    i = sigmoid(x W_ii^T + h W_hi^T + b_i)       r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)
    f = sigmoid(x W_if^T + h W_hf^T + b_f)       z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)
    g = tanh(x W_ig^T + h W_hg^T + b_g)          n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))
    o = sigmoid(x W_io^T + h W_ho^T + b_o)       h' = (1 - z) * n + z * h
    c' = f * c + i * g
    h' = o * tanh(c')                           RNN:  h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)

Backward, a step at a time: given dL/dh' (and dL/dc' for the LSTM), each gate's
pre-activation gradient is its output gradient times the activation's derivative taken
from the activation's *output* (``activations.dsigmoid(s) = s (1 - s)``); the weight
gradients are those pre-activation gradients times what each weight multiplied, summed
over the batch; and what flows back to the previous step goes through the recurrent
weights. ``sequence`` and ``sequence_backward`` run the steps over time: backpropagation
through time is the step backward applied from the last step to the first, carrying
dL/dh (and dL/dc) from each step to the one before.
"""

from __future__ import annotations

import numpy as np

from ..activations import ACTIVATIONS, dsigmoid, dtanh, sigmoid, tanh


def _blocks(a, k):
    """Split the last axis into k equal gate blocks."""
    return np.split(a, k, axis=-1)


# ---- LSTM --------------------------------------------------------------------------------------


def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step: returns (h_new, c_new, cache)."""
    a_i, a_f, a_g, a_o = _blocks(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), tanh(a_g), sigmoid(a_o)
    c_new = f * c + i * g
    tc = tanh(c_new)
    h_new = o * tc
    return h_new, c_new, dict(x=x, h=h, c=c, i=i, f=f, g=g, o=o, tc=tc, w_ih=w_ih, w_hh=w_hh)


def lstm_step_backward(dh_new, dc_new, cache):
    """Given dL/dh' and dL/dc' (dL/dc' from the next step only), returns
    (dx, dh, dc, grads) with grads keyed weight_ih, weight_hh, bias_ih, bias_hh."""
    i, f, g, o, tc = cache["i"], cache["f"], cache["g"], cache["o"], cache["tc"]
    dc_total = dc_new + dh_new * o * dtanh(tc)  # c' reaches the loss through h' too
    da_o = dh_new * tc * dsigmoid(o)
    da_i = dc_total * g * dsigmoid(i)
    da_f = dc_total * cache["c"] * dsigmoid(f)
    da_g = dc_total * i * dtanh(g)
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=-1)
    grads = {
        "weight_ih": da.T @ cache["x"],
        "weight_hh": da.T @ cache["h"],
        "bias_ih": da.sum(axis=0),
        "bias_hh": da.sum(axis=0),
    }
    return da @ cache["w_ih"], da @ cache["w_hh"], dc_total * f, grads


# ---- GRU ---------------------------------------------------------------------------------------


def gru_step(x, h, w_ih, w_hh, b_ih, b_hh):
    """One step: returns (h_new, cache)."""
    xr, xz, xn = _blocks(x @ w_ih.T + b_ih, 3)
    hr, hz, hn = _blocks(h @ w_hh.T + b_hh, 3)
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    n = tanh(xn + r * hn)
    h_new = (1 - z) * n + z * h
    return h_new, dict(x=x, h=h, r=r, z=z, n=n, hn=hn, w_ih=w_ih, w_hh=w_hh)


def gru_step_backward(dh_new, cache):
    """Given dL/dh', returns (dx, dh, grads)."""
    r, z, n, h, hn = cache["r"], cache["z"], cache["n"], cache["h"], cache["hn"]
    dn = dh_new * (1 - z)
    dz = dh_new * (h - n)
    da_n = dn * dtanh(n)  # the pre-activation of n: xn + r * hn
    da_r = da_n * hn * dsigmoid(r)
    da_z = dz * dsigmoid(z)
    d_x = np.concatenate([da_r, da_z, da_n], axis=-1)  # through w_ih and b_ih
    d_h = np.concatenate([da_r, da_z, da_n * r], axis=-1)  # through w_hh and b_hh (n's scaled by r)
    grads = {
        "weight_ih": d_x.T @ cache["x"],
        "weight_hh": d_h.T @ h,
        "bias_ih": d_x.sum(axis=0),
        "bias_hh": d_h.sum(axis=0),
    }
    return d_x @ cache["w_ih"], d_h @ cache["w_hh"] + dh_new * z, grads


# ---- Elman RNN ---------------------------------------------------------------------------------


def rnn_step(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    """One step: returns (h_new, cache)."""
    act, _ = ACTIVATIONS[nonlinearity]
    h_new = act(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
    return h_new, dict(x=x, h=h, h_new=h_new, w_ih=w_ih, w_hh=w_hh, nonlinearity=nonlinearity)


def rnn_step_backward(dh_new, cache):
    """Given dL/dh', returns (dx, dh, grads)."""
    _, dact = ACTIVATIONS[cache["nonlinearity"]]
    da = dh_new * dact(cache["h_new"])
    grads = {
        "weight_ih": da.T @ cache["x"],
        "weight_hh": da.T @ cache["h"],
        "bias_ih": da.sum(axis=0),
        "bias_hh": da.sum(axis=0),
    }
    return da @ cache["w_ih"], da @ cache["w_hh"], grads


# ---- over time ---------------------------------------------------------------------------------


def sequence(cell, x, h0, c0, weights, nonlinearity="tanh"):
    """Run ``cell`` ("lstm", "gru", "rnn") over x (N, T, D) from (h0, c0); c0 is None but for the LSTM.

    ``weights``: (w_ih, w_hh, b_ih, b_hh). Returns (y (N, T, H), h_T, c_T or None, caches).
    """
    h, c, ys, caches = h0, c0, [], []
    for t in range(x.shape[1]):
        if cell == "lstm":
            h, c, cache = lstm_step(x[:, t], h, c, *weights)
        elif cell == "gru":
            h, cache = gru_step(x[:, t], h, *weights)
        else:
            h, cache = rnn_step(x[:, t], h, *weights, nonlinearity=nonlinearity)
        ys.append(h)
        caches.append(cache)
    return np.stack(ys, axis=1), h, c, caches


def sequence_backward(cell, dy, dh_T, dc_T, caches):
    """Backpropagation through time for ``sequence``: dy (N, T, H) on every output, dh_T (and dc_T)
    on the final state. Returns (dx (N, T, D), dh0, dc0 or None, grads summed over the steps)."""
    dh, dc = dh_T, dc_T
    dxs = [None] * len(caches)
    total = None
    for t in reversed(range(len(caches))):
        dh = dh + dy[:, t]  # the step's own output, and what came back from t + 1
        if cell == "lstm":
            dxs[t], dh, dc, grads = lstm_step_backward(dh, dc, caches[t])
        elif cell == "gru":
            dxs[t], dh, grads = gru_step_backward(dh, caches[t])
        else:
            dxs[t], dh, grads = rnn_step_backward(dh, caches[t])
        total = grads if total is None else {k: total[k] + v for k, v in grads.items()}
    return np.stack(dxs, axis=1), dh, dc, total

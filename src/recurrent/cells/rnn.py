"""Elman RNN cell: forward over a whole sequence and backpropagation through time.

One layer, one direction. Notation (PyTorch's):

    W_ih (H, D)  W_hh (H, H)  b_ih, b_hh (H,)
    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    h_t = act(a_t)                      act is tanh or relu

Backward, for one step, given dh_t (from the output and from step t+1):

    da_t = dh_t * act'(a_t)             written from the output: 1 - h_t**2 for tanh
    dh_{t-1} = da_t @ W_hh

and dW_ih = sum_t da_t^T x_t, dW_hh = sum_t da_t^T h_{t-1}, db = sum_t da_t,
dx_t = da_t @ W_ih.
"""

from __future__ import annotations

import numpy as np

from ..activations import ACTIVATIONS

GATES = ("h",)


def forward(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    """Run the cell over x (N, T, D) from h0 (N, H). Returns y, h_T, cache."""
    act, _ = ACTIVATIONS[nonlinearity]
    N, T, _ = x.shape
    H = w_hh.shape[1]
    xw = x @ w_ih.T + (b_ih + b_hh)                 # (N, T, H)
    h = np.empty((N, T + 1, H), dtype=x.dtype)
    h[:, 0] = h0
    for t in range(T):
        h[:, t + 1] = act(xw[:, t] + h[:, t] @ w_hh.T)
    cache = {"x": x, "h": h, "nonlinearity": nonlinearity,
             "w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh}
    return h[:, 1:], h[:, T], cache


def backward(dy, dh_T, cache, record=None):
    """BPTT. Returns dx, dh0 and (dW_ih, dW_hh, db_ih, db_hh).

    If ``record`` is a dict, it receives ``dh`` (N, T, H), the total gradient on
    h_t, and ``da`` (N, T, H), the gradient on the pre-activation.
    """
    x, h, w_ih, w_hh = (cache[k] for k in ("x", "h", "w_ih", "w_hh"))
    _, dact = ACTIVATIONS[cache["nonlinearity"]]
    N, T, D = x.shape
    H = w_hh.shape[1]
    da = np.empty((N, T, H), dtype=x.dtype)
    dh_next = dh_T
    for t in reversed(range(T)):
        dh = dy[:, t] + dh_next
        da[:, t] = dh * dact(h[:, t + 1])
        dh_next = da[:, t] @ w_hh
        if record is not None:
            record.setdefault("dh", np.empty((N, T, H), dtype=x.dtype))[:, t] = dh
    if record is not None:
        record["da"] = da
    da2 = da.reshape(N * T, H)
    dw_ih = da2.T @ x.reshape(N * T, D)
    dw_hh = da2.T @ h[:, :T].reshape(N * T, H)
    db = da2.sum(axis=0)
    dx = da @ w_ih
    return dx, dh_next, (dw_ih, dw_hh, db, db.copy())

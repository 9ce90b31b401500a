"""LSTM cell: forward over a whole sequence and backpropagation through time.

One layer, one direction. The layers in ``recurrent.layers`` stack these and
run them backwards in time for the reverse direction.

Notation (PyTorch's, gate order i, f, g, o):

    x_t (N, D)   input at step t          h_t, c_t (N, H)   hidden and cell state
    W_ih (4H, D)  W_hh (4H, H)  b_ih, b_hh (4H,)

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        pre-activations, (N, 4H)
    i_t = sigmoid(a_t[0:H])         input gate
    f_t = sigmoid(a_t[H:2H])        forget gate
    g_t = tanh(a_t[2H:3H])          candidate cell state (C~ in many texts)
    o_t = sigmoid(a_t[3H:4H])       output gate
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

Backward, for one step, given dh_t (from the output and from step t+1) and
dc_t (from step t+1):

    do_t = dh_t * tanh(c_t)
    dc_t = dc_t + dh_t * o_t * (1 - tanh(c_t)**2)
    di_t = dc_t * g_t      df_t = dc_t * c_{t-1}      dg_t = dc_t * i_t
    da_t = [di_t * i_t (1 - i_t), df_t * f_t (1 - f_t), dg_t * (1 - g_t**2), do_t * o_t (1 - o_t)]
    dc_{t-1} = dc_t * f_t
    dh_{t-1} = da_t @ W_hh              (plus what the output at t-1 sends)

and, summed over all steps, dW_ih = sum_t da_t^T x_t, dW_hh = sum_t da_t^T h_{t-1},
db_ih = db_hh = sum_t da_t, dx_t = da_t @ W_ih.
"""

from __future__ import annotations

import numpy as np

from ..activations import dsigmoid, dtanh, sigmoid

GATES = ("i", "f", "g", "o")


def forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    """Run the cell over x (N, T, D) from (h0, c0), each (N, H).

    Returns y (N, T, H), the final (h, c) and the cache that ``backward`` and
    ``recurrent.trace`` read.
    """
    N, T, _ = x.shape
    H = w_hh.shape[1]
    xw = x @ w_ih.T + (b_ih + b_hh)                 # (N, T, 4H): input projection for all steps at once
    h = np.empty((N, T + 1, H), dtype=x.dtype)      # h[:, 0] is h0, h[:, t + 1] is h_t
    c = np.empty((N, T + 1, H), dtype=x.dtype)
    gates = np.empty((N, T, 4 * H), dtype=x.dtype)  # activated gates i, f, g, o per step
    h[:, 0], c[:, 0] = h0, c0
    for t in range(T):
        a = xw[:, t] + h[:, t] @ w_hh.T             # (N, 4H)
        i = sigmoid(a[:, 0:H])
        f = sigmoid(a[:, H:2 * H])
        g = np.tanh(a[:, 2 * H:3 * H])
        o = sigmoid(a[:, 3 * H:4 * H])
        c[:, t + 1] = f * c[:, t] + i * g
        h[:, t + 1] = o * np.tanh(c[:, t + 1])
        gates[:, t] = np.concatenate([i, f, g, o], axis=1)
    cache = {"x": x, "h": h, "c": c, "gates": gates,
             "w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh}
    return h[:, 1:], h[:, T], c[:, T], cache


def backward(dy, dh_T, dc_T, cache, record=None):
    """Backpropagation through time over the whole sequence.

    dy (N, T, H) is the gradient on every output, dh_T and dc_T (N, H) the
    gradient on the final state. Returns dx (N, T, D), dh0, dc0 and the weight
    gradients (dW_ih, dW_hh, db_ih, db_hh). If ``record`` is a dict, the
    per-step gradients are stored in it: ``dh`` and ``dc`` (N, T, H), the total
    gradient on h_t and c_t, and ``da`` (N, T, 4H) on the pre-activations.
    """
    x, h, c, gates, w_ih, w_hh = (cache[k] for k in ("x", "h", "c", "gates", "w_ih", "w_hh"))
    N, T, D = x.shape
    H = w_hh.shape[1]
    da = np.empty((N, T, 4 * H), dtype=x.dtype)     # gradient on the pre-activations
    dh_next, dc_next = dh_T, dc_T
    for t in reversed(range(T)):
        i, f, g, o = (gates[:, t, k * H:(k + 1) * H] for k in range(4))
        tanh_c = np.tanh(c[:, t + 1])
        dh = dy[:, t] + dh_next
        do = dh * tanh_c
        dc = dc_next + dh * o * dtanh(tanh_c)
        di = dc * g
        df = dc * c[:, t]
        dg = dc * i
        da[:, t] = np.concatenate(
            [di * dsigmoid(i), df * dsigmoid(f), dg * dtanh(g), do * dsigmoid(o)], axis=1)
        dc_next = dc * f
        dh_next = da[:, t] @ w_hh                   # (N, H)
        if record is not None:
            record.setdefault("dh", np.empty((N, T, H), dtype=x.dtype))[:, t] = dh
            record.setdefault("dc", np.empty((N, T, H), dtype=x.dtype))[:, t] = dc
    if record is not None:
        record["da"] = da
    da2 = da.reshape(N * T, 4 * H)
    dw_ih = da2.T @ x.reshape(N * T, D)             # (4H, D): all steps in one product
    dw_hh = da2.T @ h[:, :T].reshape(N * T, H)      # (4H, H)
    db = da2.sum(axis=0)
    dx = da @ w_ih                                  # (N, T, D)
    return dx, dh_next, dc_next, (dw_ih, dw_hh, db, db.copy())

"""GRU cell: forward over a whole sequence and backpropagation through time.

One layer, one direction. Notation (PyTorch's, gate order r, z, n):

    W_ih (3H, D)  W_hh (3H, H)  b_ih, b_hh (3H,)
    ax_t = W_ih x_t + b_ih              input part of every gate, (N, 3H)
    ah_t = W_hh h_{t-1} + b_hh          recurrent part of every gate, (N, 3H)

    r_t = sigmoid(ax_r + ah_r)          reset gate
    z_t = sigmoid(ax_z + ah_z)          update gate
    n_t = tanh(ax_n + r_t * ah_n)       candidate; b_hn sits inside the reset product
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

(This is Keras' ``reset_after=True`` and ONNX's ``linear_before_reset=1``.)

Backward, for one step, given dh_t:

    dn = dh_t * (1 - z_t)              dz = dh_t * (h_{t-1} - n_t)
    dan = dn * (1 - n_t**2)            dr = dan * ah_n
    dar = dr * r_t (1 - r_t)           daz = dz * z_t (1 - z_t)
    dax = [dar, daz, dan]              gradient on the input part
    dah = [dar, daz, dan * r_t]        gradient on the recurrent part
    dh_{t-1} = dh_t * z_t + dah @ W_hh

and dW_ih = sum_t dax^T x_t, db_ih = sum_t dax, dW_hh = sum_t dah^T h_{t-1},
db_hh = sum_t dah, dx_t = dax @ W_ih.
"""

from __future__ import annotations

import numpy as np

from ..activations import dsigmoid, dtanh, sigmoid

GATES = ("r", "z", "n")


def forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    """Run the cell over x (N, T, D) from h0 (N, H). Returns y, h_T, cache."""
    N, T, _ = x.shape
    H = w_hh.shape[1]
    ax = x @ w_ih.T + b_ih                          # (N, T, 3H)
    h = np.empty((N, T + 1, H), dtype=x.dtype)
    gates = np.empty((N, T, 3 * H), dtype=x.dtype)  # r, z, n per step
    ah_n = np.empty((N, T, H), dtype=x.dtype)       # W_hn h + b_hn, needed for dr
    h[:, 0] = h0
    for t in range(T):
        ah = h[:, t] @ w_hh.T + b_hh                # (N, 3H)
        r = sigmoid(ax[:, t, 0:H] + ah[:, 0:H])
        z = sigmoid(ax[:, t, H:2 * H] + ah[:, H:2 * H])
        n = np.tanh(ax[:, t, 2 * H:] + r * ah[:, 2 * H:])
        h[:, t + 1] = (1.0 - z) * n + z * h[:, t]
        gates[:, t] = np.concatenate([r, z, n], axis=1)
        ah_n[:, t] = ah[:, 2 * H:]
    cache = {"x": x, "h": h, "gates": gates, "ah_n": ah_n,
             "w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh}
    return h[:, 1:], h[:, T], cache


def backward(dy, dh_T, cache, record=None):
    """BPTT. Returns dx, dh0 and (dW_ih, dW_hh, db_ih, db_hh).

    If ``record`` is a dict, it receives ``dh`` (N, T, H), the total gradient on
    h_t, and ``dax``/``dah`` (N, T, 3H), the gradients on the input and recurrent
    parts of the pre-activations.
    """
    x, h, gates, ah_n, w_ih, w_hh = (cache[k] for k in ("x", "h", "gates", "ah_n", "w_ih", "w_hh"))
    N, T, D = x.shape
    H = w_hh.shape[1]
    dax = np.empty((N, T, 3 * H), dtype=x.dtype)
    dah = np.empty((N, T, 3 * H), dtype=x.dtype)
    dh_next = dh_T
    for t in reversed(range(T)):
        r, z, n = (gates[:, t, k * H:(k + 1) * H] for k in range(3))
        dh = dy[:, t] + dh_next
        dn = dh * (1.0 - z)
        dz = dh * (h[:, t] - n)
        dan = dn * dtanh(n)
        dar = dan * ah_n[:, t] * dsigmoid(r)
        daz = dz * dsigmoid(z)
        dax[:, t] = np.concatenate([dar, daz, dan], axis=1)
        dah[:, t] = np.concatenate([dar, daz, dan * r], axis=1)
        dh_next = dh * z + dah[:, t] @ w_hh
        if record is not None:
            record.setdefault("dh", np.empty((N, T, H), dtype=x.dtype))[:, t] = dh
    if record is not None:
        record.update(dax=dax, dah=dah)
    dax2 = dax.reshape(N * T, 3 * H)
    dah2 = dah.reshape(N * T, 3 * H)
    dw_ih = dax2.T @ x.reshape(N * T, D)
    dw_hh = dah2.T @ h[:, :T].reshape(N * T, H)
    dx = dax @ w_ih
    return dx, dh_next, (dw_ih, dw_hh, dax2.sum(axis=0), dah2.sum(axis=0))

"""Exercise: one GRU step, forward and backward. Check it with `recurrent check examples/exercises/gru.py`.

Shapes (batch first): x (N, D); h (N, H); w_ih (3H, D); w_hh (3H, H); b_ih, b_hh (3H,).
The rows of the weights hold the gates in the order r, z, n (PyTorch's), H rows each.

    xr, xz, xn = split(x @ w_ih.T + b_ih)              hr, hz, hn = split(h @ w_hh.T + b_hh)
    r = sigmoid(xr + hr)      z = sigmoid(xz + hz)
    n = tanh(xn + r * hn)                              (b_hn sits inside the reset product)
    h_new = (1 - z) * n + z * h

Backward: given dh_new = dL/dh_new, return dx, dh (to h) and the four weight gradients summed over
the batch. Naming the gates "r", "z", "n" in the cache lets the checker point at a wrong gate.
"""

import numpy as np


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def gru_step(x, h, w_ih, w_hh, b_ih, b_hh):
    """Returns (h_new, cache)."""
    raise NotImplementedError("your forward step here")


def gru_step_backward(dh_new, cache):
    """Returns (dx, dh, grads), grads = {"weight_ih": ..., "weight_hh": ..., "bias_ih": ..., "bias_hh": ...}."""
    raise NotImplementedError("your backward step here")

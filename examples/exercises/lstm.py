"""Exercise: one LSTM step, forward and backward. Check it with `recurrent check examples/exercises/lstm.py`.

Shapes (batch first): x (N, D); h, c (N, H); w_ih (4H, D); w_hh (4H, H); b_ih, b_hh (4H,).
The rows of the weights hold the gates in the order i, f, g, o (PyTorch's), H rows each.

    a = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh          split into a_i, a_f, a_g, a_o
    i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
    c_new = f * c + i * g
    h_new = o * tanh(c_new)

Backward: given dh_new = dL/dh_new and dc_new = dL/dc_new (what the next step sends back through
its own forget gate), return dx, dh (to h), dc (to c) and the four weight gradients summed over the
batch. Put in the cache whatever backward needs; naming the gates "i", "f", "g", "o" there lets the
checker point at a wrong gate.
"""

import numpy as np


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """Returns (h_new, c_new, cache)."""
    raise NotImplementedError("your forward step here")


def lstm_step_backward(dh_new, dc_new, cache):
    """Returns (dx, dh, dc, grads), grads = {"weight_ih": ..., "weight_hh": ..., "bias_ih": ..., "bias_hh": ...}."""
    raise NotImplementedError("your backward step here")

"""Exercise: one Elman RNN step, forward and backward. Check it with `recurrent check examples/exercises/rnn.py`.

Shapes (batch first): x (N, D); h (N, H); w_ih (H, D); w_hh (H, H); b_ih, b_hh (H,).

    h_new = tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)

Backward: given dh_new = dL/dh_new, return dx, dh (to h) and the four weight gradients summed over
the batch.
"""


def rnn_step(x, h, w_ih, w_hh, b_ih, b_hh):
    """Returns (h_new, cache)."""
    raise NotImplementedError("your forward step here")


def rnn_step_backward(dh_new, cache):
    """Returns (dx, dh, grads), grads = {"weight_ih": ..., "weight_hh": ..., "bias_ih": ..., "bias_hh": ...}."""
    raise NotImplementedError("your backward step here")

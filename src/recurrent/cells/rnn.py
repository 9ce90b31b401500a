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

Computed as the LSTM cell is (see its module docstring): feature-major arrays,
one product per step [W_ih | W_hh | b] @ [x_t; h_{t-1}; 1] with h_t written into
the next block (for wide inputs, all steps' input parts in one product first), tanh via exp for large arrays, act' precomputed for all steps before the backward
loop, and [dW_ih | dW_hh | db] from one product.
"""

from __future__ import annotations

import numpy as np

from ..backend import fused
from .lstm import EXP_ROUTE_MIN

GATES = ("h",)


def forward(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    """Run the cell over x (N, T, D) from h0 (N, H). Returns y, h_T, cache."""
    N, T, D = x.shape
    H = w_hh.shape[1]
    dt = x.dtype
    K = D + H + 1
    w_cat = np.concatenate([w_ih, w_hh, (b_ih + b_hh)[:, None]], axis=1)    # (H, K)
    tanh = nonlinearity == "tanh"
    fz = fused(dt)                                   # the optional fused kernels (recurrent.backend)
    exp_route = tanh and fz is None and H * N >= EXP_ROUTE_MIN
    if exp_route:
        w_cat *= -2.0                                # the step computes -2a: tanh(a) = 2 / (1 + exp(-2a)) - 1
    Z = np.empty((K, T + 1, N), dtype=dt)            # column block t is [x_t; h_{t-1}; 1]
    Z[:D, :T] = x.transpose(2, 1, 0)
    Z[:D, T] = 0.0
    Z[D:D + H, 0] = h0.T
    Z[D + H] = 1.0
    a = np.empty((H, N), dtype=dt)
    batched_input = 4 * D > H                        # wide input: all steps' input parts in one product
    if batched_input:
        XW = (w_cat[:, :D] @ Z[:D, :T].reshape(D, T * N)).reshape(H, T, N)
        w_rec = np.ascontiguousarray(w_cat[:, D:])
    if fz is not None:                               # the same loop, each step's elementwise work fused
        xw = XW if batched_input else np.empty((0, 0, 0), dtype=dt)
        for t in range(T):
            if batched_input:
                np.dot(w_rec, Z[D:, t], out=a)
            else:
                np.dot(w_cat, Z[:, t], out=a)
            fz.rnn_forward_step(a, Z, xw, t, D, not tanh)
    else:
        with np.errstate(over="ignore"):
            for t in range(T):
                if batched_input:
                    np.dot(w_rec, Z[D:, t], out=a)
                    a += XW[:, t]
                else:
                    np.dot(w_cat, Z[:, t], out=a)
                h = Z[D:D + H, t + 1]
                if exp_route:
                    np.exp(a, out=a)
                    a += 1.0
                    np.divide(2.0, a, out=h)
                    h -= 1.0
                elif tanh:
                    np.tanh(a, out=h)
                else:
                    np.maximum(a, 0.0, out=h)
    Hs = Z[D:D + H]
    cache = {"x": x, "Z": Z, "D": D, "nonlinearity": nonlinearity,
             "w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh, "h": Hs.transpose(2, 1, 0)}
    return Hs[:, 1:].transpose(2, 1, 0), Hs[:, T].T, cache


def backward(dy, dh_T, cache, record=None):
    """BPTT. Returns dx, dh0 and (dW_ih, dW_hh, db_ih, db_hh).

    If ``record`` is a dict, it receives ``dh`` (N, T, H), the total gradient on
    h_t, and ``da`` (N, T, H), the gradient on the pre-activation.
    """
    Z, D, w_ih, w_hh = cache["Z"], cache["D"], cache["w_ih"], cache["w_hh"]
    K, T1, N = Z.shape
    T, H = T1 - 1, w_hh.shape[1]
    dt = Z.dtype
    fz = fused(dt)
    relu = cache["nonlinearity"] == "relu"
    if fz is not None and record is None:            # the same recurrence, each step fused (recurrent.backend)
        dY = np.ascontiguousarray(dy.transpose(1, 2, 0))
        DA = np.empty((H, T, N), dtype=dt)
        da = np.empty((H, N), dtype=dt)
        dh_next = dh_T.T.copy()                      # W_hh^T da_{t+1}; at the top, the gradient on h_T
        w_hh_T = np.ascontiguousarray(w_hh.T)
        for t in reversed(range(T)):
            fz.rnn_backward_step(Z, D, dY, dh_next, da, DA, t, relu)
            np.dot(w_hh_T, da, out=dh_next)
        return _weight_grads(DA, Z, w_ih, D, dh_next)
    Hs = Z[D:D + H, 1:].transpose(1, 0, 2)           # (T, H, N): h_1 .. h_T
    deriv = (Hs > 0).astype(dt) if relu else 1.0 - Hs * Hs   # act', all steps
    dY = np.ascontiguousarray(dy.transpose(1, 2, 0))
    DA = np.empty((H, T, N), dtype=dt)
    dh_next = dh_T.T.copy()                   # a copy: we update it in place
    dh = np.empty((H, N), dtype=dt)
    w_hh_T = np.ascontiguousarray(w_hh.T)
    if record is not None:
        rec_dh = np.empty((T, H, N), dtype=dt)
    for t in reversed(range(T)):
        np.add(dY[t], dh_next, out=dh)
        np.multiply(dh, deriv[t], out=DA[:, t])      # da_t = dh_t * act'
        if record is not None:
            rec_dh[t] = dh
        np.dot(w_hh_T, DA[:, t], out=dh_next)
    if record is not None:
        record.update(dh=rec_dh.transpose(2, 0, 1), da=DA.transpose(2, 1, 0))
    return _weight_grads(DA, Z, w_ih, D, dh_next)


def _weight_grads(DA, Z, w_ih, D, dh0):
    """dx and [dW_ih | dW_hh | db] from every step's da (H, T, N), each in one product."""
    H, T, N = DA.shape
    DA2 = DA.reshape(H, T * N)
    dw = DA2 @ Z[:, :T].reshape(Z.shape[0], T * N).T   # [dW_ih | dW_hh | db]
    dx = (w_ih.T @ DA2).reshape(D, T, N).transpose(2, 1, 0)
    db = np.ascontiguousarray(dw[:, D + H])
    return dx, dh0.T, (np.ascontiguousarray(dw[:, :D]), np.ascontiguousarray(dw[:, D:D + H]), db, db.copy())

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
the next block (for wide inputs, all steps' input parts and the bias in one
product first, and W_hh @ h per step), tanh via exp for large arrays, act'
precomputed for all steps before the backward loop, and the weight gradients
from products over all steps (the LSTM's ``weight_grads``). With the fused kernels
(``recurrent.cells.backend``) each step's elementwise work is one compiled loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _blas
from ._buffers import empty
from .backend import fused
from .sequence import EXP_ROUTE_MIN, Cache, fused_operands, step_inputs, transposed, weight_grads


@dataclass(slots=True)
class RNNCache(Cache):
    """What forward keeps for backward and a batch-first view for readers."""

    x: np.ndarray  # (N, T, D)
    Z: np.ndarray  # [x_t; h_{t-1}; 1] per step (or [h; 1] with a wide input)
    hr: int  # the row of Z where h starts
    X: np.ndarray | None  # a wide input in (t, n) row order, else None
    nonlinearity: str
    w_ih: np.ndarray
    w_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray
    h: np.ndarray  # (N, T + 1, H), a view

    c = None  # no cell state

    @property
    def gates(self) -> np.ndarray:
        """(N, T, H) h_1 .. h_T: the RNN's one gate is its output."""
        return self.h[:, 1:]

    def preactivations(self) -> np.ndarray:
        """(N, T, H) a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, recomputed from the cached inputs."""
        return self.x @ self.w_ih.T + (self.b_ih + self.b_hh) + self.h[:, :-1] @ self.w_hh.T


def forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    """Run the cell over x (N, T, D) from h0 (N, H). Returns y, h_T, None, cache.

    The three cells share one signature; the RNN has no cell state, so c0 is None and so is
    the third value returned."""
    N, T, D = x.shape
    H = w_hh.shape[1]
    dt = x.dtype
    tanh = nonlinearity == "tanh"
    fz = fused(dt)  # the optional fused kernels (recurrent.cells.backend)
    exp_route = tanh and fz is None and H * N >= EXP_ROUTE_MIN
    # exp route: the step computes -2a, as tanh(a) = 2 / (1 + exp(-2a)) - 1
    scale = np.full((H, 1), -2.0, dtype=dt) if exp_route else None
    b = b_ih + b_hh
    W, Z, hr, X, XW = step_inputs(x, w_ih, w_hh, b, h0, scale, add_bias=fz is None)
    rows = W.shape[1]  # the rows of Z that W multiplies
    a = np.empty((H, N), dtype=dt)
    if fz is not None:  # the same loop, each step's elementwise work fused
        _forward_fused(fz, W, Z, XW, rows, b, hr, a, T, not tanh)
    else:
        _forward_numpy(W, Z, XW, rows, hr, a, T, exp_route, tanh)
    Hs = Z[hr : hr + H]
    cache = RNNCache(x, Z, hr, X, nonlinearity, w_ih, w_hh, b_ih, b_hh, Hs.transpose(2, 1, 0))
    return Hs[:, 1:].transpose(2, 1, 0), Hs[:, T].T, None, cache


def backward(dy, dh_T, dc_T, cache, record=None):
    """BPTT. Returns dx, dh0, None (no cell state; dc_T is None too) and (dW_ih, dW_hh, db_ih, db_hh).

    If ``record`` is a dict, it receives ``dh`` (N, T, H), the total gradient on
    h_t, and ``da`` (N, T, H), the gradient on the pre-activation.
    """
    Z, hr, w_hh = cache.Z, cache.hr, cache.w_hh
    T, H, N = Z.shape[1] - 1, w_hh.shape[1], Z.shape[2]
    dt = Z.dtype
    fz = fused(dt)
    relu = cache.nonlinearity == "relu"
    DA = empty((H, T, N), dt)  # da of every step, laid out for the products
    dh_next = dh_T.T.copy()  # W_hh^T da_{t+1}; at the top, the gradient on h_T
    w_hh_T = transposed(w_hh, fz)
    if fz is not None and record is None:  # the same recurrence, each step fused (recurrent.cells.backend)
        _backward_fused(fz, Z, hr, dy, dh_next, DA, w_hh_T, relu, w_hh.size * N)
    else:
        _backward_numpy(Z, hr, dy, dh_next, DA, w_hh_T, relu, record)
    dx, grads = weight_grads(DA, cache)
    return dx, dh_next.T, None, grads


def _forward_fused(fz, W, Z, XW, rows, b, hr, a, T, relu):
    """The recurrence with the fused kernels (they add the bias and apply the nonlinearity)."""
    N = Z.shape[2]
    xw, zc = fused_operands(Z, XW, rows)
    if (gemm := _blas.for_loop(W.size * N <= fz.SMALL_STEP, W, zc, a)) is not False:  # the whole loop compiled
        return fz.rnn_forward_loop(W, a, Z, xw, b, zc, hr, relu, gemm)
    for t in range(T):
        np.dot(W, zc, out=a)
        fz.rnn_forward_step(a, Z, xw, b, zc, t, hr, relu)


def _forward_numpy(W, Z, XW, rows, hr, a, T, exp_route, tanh):
    """The recurrence in NumPy (on the exp route the rows of W are pre-scaled by -2)."""
    H = a.shape[0]
    with np.errstate(over="ignore"):
        for t in range(T):
            np.dot(W, Z[:rows, t], out=a)
            if XW is not None:
                a += XW[:, t]
            h = Z[hr : hr + H, t + 1]
            if exp_route:
                np.exp(a, out=a)
                a += 1.0
                np.divide(2.0, a, out=h)
                h -= 1.0
            elif tanh:
                np.tanh(a, out=h)
            else:
                np.maximum(a, 0.0, out=h)


def _backward_fused(fz, Z, hr, dy, dh_next, DA, w_hh_T, relu, step_size):
    """BPTT with the fused kernels, filling DA; dh_next is updated in place down to step 0."""
    H, T, N = DA.shape
    da = np.empty((H, N), dtype=DA.dtype)
    dy = np.ascontiguousarray(dy)  # the kernels read each step's dy as they go
    if (gemm := _blas.for_loop(step_size <= fz.SMALL_STEP, w_hh_T, da, dh_next)) is not False:
        return fz.rnn_backward_loop(Z, hr, dy, dh_next, da, DA, w_hh_T, relu, gemm)
    for t in reversed(range(T)):
        fz.rnn_backward_step(Z, hr, dy, dh_next, da, DA, t, relu)
        np.dot(w_hh_T, da, out=dh_next)


def _backward_numpy(Z, hr, dy, dh_next, DA, w_hh_T, relu, record):
    """BPTT in NumPy, the activation's derivative for every step at once, filling DA; dh_next is
    updated in place down to step 0."""
    H, T, N = DA.shape
    dt = DA.dtype
    dY = np.ascontiguousarray(dy.transpose(1, 2, 0))  # (T, H, N)
    Hs = Z[hr : hr + H, 1:].transpose(1, 0, 2)  # (T, H, N): h_1 .. h_T
    deriv = (Hs > 0).astype(dt) if relu else 1.0 - Hs * Hs  # act', all steps
    dh = np.empty((H, N), dtype=dt)
    if record is not None:
        rec_dh = np.empty((T, H, N), dtype=dt)
    for t in reversed(range(T)):
        np.add(dY[t], dh_next, out=dh)
        np.multiply(dh, deriv[t], out=DA[:, t])  # da_t = dh_t * act'
        if record is not None:
            rec_dh[t] = dh
        np.dot(w_hh_T, DA[:, t], out=dh_next)
    if record is not None:
        record.update(dh=rec_dh.transpose(2, 0, 1), da=DA.transpose(2, 1, 0))

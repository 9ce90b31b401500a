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

How the code computes exactly this, fast (see docs/speed.md):

* Feature-major: every per-step array is (features, N), so the step's product is
  W (4H x K) @ z (K x N), the orientation BLAS runs fastest here.
* One product per step: z_t = [x_t; h_{t-1}; 1] is a column block of one buffer Z
  (K = D + H + 1 rows, T + 1 steps), so W_ih x_t + W_hh h_{t-1} + b is
  [W_ih | W_hh | b] @ z_t; h_t is written straight into z_{t+1}. A wide input
  (D > H / 4) goes into one large product before the loop instead, and the step
  computes W_hh @ h_{t-1} plus that step's slice (see ``step_inputs``).
* One nonlinearity call for all four gates. For large arrays: sigmoid(a) =
  1 / (1 + exp(-a)) and tanh(a) = 2 sigmoid(2a) - 1, so the forward weights are
  pre-scaled by -1 (i, f, o rows) and -2 (g rows), and exp, add 1, reciprocal
  give every gate (exp costs a third of tanh per element in NumPy). For small
  arrays, where each call's fixed cost dominates: sigmoid(a) = 0.5 tanh(a/2) + 0.5
  with the i, f, o rows pre-scaled by 1/2, one tanh for all. Same values.
* Backward: every local derivative (the factors multiplying dh_t and dc_t) is
  computed for all steps at once before the loop; the loop keeps only the
  recurrence (a few elementwise products and dh = W_hh^T da). The weight
  gradients come from products over all steps: [dW_ih | dW_hh | db] in one when
  x is in z_t, else dW_ih, dW_hh and db each in its own; dx from one more.
* With numba (``recurrent.cells.backend``) each step's elementwise work is one compiled loop
  (``_fused.py``), and the whole time loop too, BLAS's products called from it (``_blas.py``).
* The large buffers (``empty``) come from ``recurrent.cells._buffers``, which hands a buffer
  out again once nothing refers to it: fresh memory costs a page fault per 4 KiB.

The cache also offers batch-first views (``gates`` (N, T, 4H), ``h``, ``c`` (N, T + 1, H)) for ``trace``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _blas
from ._buffers import empty
from .backend import fused
from .sequence import (
    EXP_ROUTE_MIN,
    Cache,
    contiguous_copy,
    fused_operands,
    step_inputs,
    tanh_into,
    transposed,
    weight_grads,
)


@dataclass(slots=True)
class LSTMCache(Cache):
    """What forward keeps for backward (feature-major buffers) and batch-first views for readers."""

    x: np.ndarray  # (N, T, D) the input
    Z: np.ndarray  # [x_t; h_{t-1}; 1] per step (or [h; 1] with a wide input)
    hr: int  # the row of Z where h starts
    X: np.ndarray | None  # a wide input in (t, n) row order, else None
    G: np.ndarray  # (T, 4H, N) activated gates i, f, g, o
    C: np.ndarray  # (T + 1, H, N) c_0 .. c_T
    TC: np.ndarray  # (T, H, N) tanh(c_t)
    w_ih: np.ndarray
    w_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray

    # batch-first views for readers, made when read (a tiny layer's forward is a few microseconds)
    @property
    def h(self) -> np.ndarray:
        """(N, T + 1, H) h_0 .. h_T, a view."""
        return self.Z[self.hr : self.hr + self.w_hh.shape[1]].transpose(2, 1, 0)

    @property
    def c(self) -> np.ndarray:
        """(N, T + 1, H) c_0 .. c_T, a view."""
        return self.C.transpose(2, 0, 1)

    @property
    def gates(self) -> np.ndarray:
        """(N, T, 4H) the activated gates i, f, g, o, a view."""
        return self.G.transpose(2, 0, 1)

    def preactivations(self) -> np.ndarray:
        """(N, T, 4H) a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, recomputed from the cached inputs."""
        return self.x @ self.w_ih.T + (self.b_ih + self.b_hh) + self.h[:, :-1] @ self.w_hh.T


def _gate_rows(H, dtype, exp_route):
    """Row factors for the gate activations, applied to [W_ih | W_hh | b] and after the nonlinearity.

    exp route: pre-scale -1 (i, f, o) and -2 (g), then 1 / (1 + exp(.)) gives sigmoid(a) and
    sigmoid(2a); g = 2 sigmoid(2a) - 1. tanh route: pre-scale 1/2 (i, f, o) and 1 (g), then
    tanh, then 0.5 t + 0.5 on the i, f, o rows: sigmoid(a) = 0.5 tanh(a / 2) + 0.5.
    """
    scale = np.full((4 * H, 1), -1.0 if exp_route else 0.5, dtype=dtype)
    scale[2 * H : 3 * H] = -2.0 if exp_route else 1.0
    mul = np.full((4 * H, 1), 0.5, dtype=dtype)
    add = np.full((4 * H, 1), 0.5, dtype=dtype)
    mul[2 * H : 3 * H], add[2 * H : 3 * H] = 1.0, 0.0
    return scale, mul, add


def forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    """Run the cell over x (N, T, D) from (h0, c0), each (N, H).

    Returns y (N, T, H), the final (h, c) and the cache that ``backward`` and
    ``recurrent.trace`` read.
    """
    N, T, D = x.shape
    H = w_hh.shape[1]
    dt = x.dtype
    fz = fused(dt)  # the optional fused kernels (recurrent.cells.backend)
    if fz is not None and _tiny(fz, N, D, H):  # the classic examples' scale: all of it compiled
        Z, G, C, TC = fz.lstm_forward_tiny(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
        return _outputs(x, Z, D, None, G, C, TC, w_ih, w_hh, b_ih, b_hh)
    exp_route = fz is None and 4 * H * N >= EXP_ROUTE_MIN
    scale = None  # the NumPy path pre-scales the gate rows
    if fz is None:
        scale, mul, add = _gate_rows(H, dt, exp_route)
    b = b_ih + b_hh
    W, Z, hr, X, XW = step_inputs(x, w_ih, w_hh, b, h0, scale, add_bias=fz is None)
    rows = W.shape[1]  # the rows of Z that W multiplies
    C = empty((T + 1, H, N), dt)  # C[t + 1] is c_t, C[0] is c0
    C[0] = c0.T
    G = empty((T, 4 * H, N), dt)  # activated gates i, f, g, o per step
    TC = empty((T, H, N), dt)  # tanh(c_t), reused by backward
    if fz is not None:  # the same loop, each step's elementwise work fused
        _forward_fused(fz, W, Z, XW, rows, b, hr, G, C, TC)
    else:
        _forward_numpy(W, Z, XW, rows, hr, G, C, TC, exp_route, mul, add)
    return _outputs(x, Z, hr, X, G, C, TC, w_ih, w_hh, b_ih, b_hh)


def _tiny(fz, N, D, H) -> bool:
    """Whether a step is so small that the whole layer runs compiled (``lstm_forward_tiny``)."""
    return 4 * H * (D + H + 1) * N <= fz.SMALL_STEP


def _outputs(x, Z, hr, X, G, C, TC, w_ih, w_hh, b_ih, b_hh):
    """(y, h_T, c_T, cache) from the filled buffers."""
    T, H = G.shape[0], C.shape[1]
    Hs = Z[hr : hr + H]  # (H, T + 1, N): h_0 .. h_T
    cache = LSTMCache(x, Z, hr, X, G, C, TC, w_ih, w_hh, b_ih, b_hh)
    return Hs[:, 1:].transpose(2, 1, 0), Hs[:, T].T, C[T].T, cache


def _forward_fused(fz, W, Z, XW, rows, b, hr, G, C, TC):
    """The recurrence with the fused kernels, each step's gates, c_t and h_t in one compiled loop. One sequence of
    128 to 512 units, a narrow input and two cores or more: its units split over the cores (``lstm_forward_parts``;
    with a wide input the input product's BLAS threads, still spinning, took the cores from it: measured)."""
    T, H4, N = G.shape
    if N == 1 and XW is None and fz.PARTS_H[0] <= H4 // 4 <= fz.PARTS_H[1] and (parts := fz.cores()) > 1:
        fz.lstm_forward_parts(W, G, C, TC, Z, np.empty((0, 0, 0), dtype=Z.dtype), b, hr, parts)
        return
    xw, zc = fused_operands(Z, XW, rows)
    if (gemm := _blas.for_loop(W.size * N <= fz.SMALL_STEP, W, zc)) is not False:  # the whole loop compiled
        return fz.lstm_forward_loop(W, G, C, TC, Z, xw, b, zc, hr, gemm)
    S = empty(G.shape[1:], G.dtype)  # each step's product, into memory still in cache
    for t in range(T):
        np.dot(W, zc, out=S)
        fz.lstm_forward_step(S, G, C, TC, Z, xw, b, zc, t, hr)


def _forward_numpy(W, Z, XW, rows, hr, G, C, TC, exp_route, mul, add):
    """The recurrence in NumPy, on gate rows pre-scaled by ``_gate_rows`` (the bias already in Z or XW)."""
    T, H4, N = G.shape
    H = H4 // 4
    tmp = np.empty((H, N), dtype=G.dtype)
    S = empty((H4, N), G.dtype)  # each step's product, into memory still in cache
    with np.errstate(over="ignore"):  # exp(large) = inf gives sigmoid 0, as it should
        for t in range(T):
            g = G[t]
            np.dot(W, Z[:rows, t], out=S)  # (4H, N): scaled pre-activations
            if XW is not None:
                S += XW[:, t]
            i, f, gg, o = g[:H], g[H : 2 * H], g[2 * H : 3 * H], g[3 * H :]
            if exp_route:
                np.exp(S, out=g)
                g += 1.0
                np.reciprocal(g, out=g)  # sigmoid(a); for the g rows sigmoid(2a)
                gg *= 2.0
                gg -= 1.0  # g = tanh(a) = 2 sigmoid(2a) - 1
            else:
                np.tanh(S, out=g)
                g *= mul
                g += add  # sigmoid(a) = 0.5 tanh(a / 2) + 0.5
            c = C[t + 1]
            np.multiply(f, C[t], out=c)  # c_t = f * c_{t-1} + i * g
            np.multiply(i, gg, out=tmp)
            c += tmp
            tanh_into(c, TC[t])
            np.multiply(o, TC[t], out=Z[hr : hr + H, t + 1])  # h_t, straight into z_{t+1}


def backward(dy, dh_T, dc_T, cache, record=None, dc_steps=None):
    """Backpropagation through time over the whole sequence.

    dy (N, T, H) is the gradient on every output, dh_T and dc_T (N, H) the
    gradient on the final state. Returns dx (N, T, D), dh0, dc0 and the weight
    gradients (dW_ih, dW_hh, db_ih, db_hh). If ``record`` is a dict, the
    per-step gradients are stored in it: ``dh`` and ``dc`` (N, T, H), the total
    gradient on h_t and c_t, and ``da`` (N, T, 4H) on the pre-activations.
    ``dc_steps`` (N, T, H), optional: a gradient on every c_t from outside the
    sequence (as dy is on every h_t); a batch of different lengths sends each
    sequence's dc_T to the step where it ends.
    """
    G, C, TC = cache.G, cache.C, cache.TC
    w_hh = cache.w_hh
    T, H4, N = G.shape
    dt = G.dtype
    fz = fused(dt)
    D = cache.w_ih.shape[1]
    if fz is not None and record is None and dc_steps is None and cache.X is None and _tiny(fz, N, D, H4 // 4):
        dx, dh0, dc0, dw_ih, dw_hh, db = fz.lstm_backward_tiny(G, C, TC, cache.Z, dy, dh_T, dc_T, cache.w_ih, w_hh)
        return dx, dh0, dc0, (dw_ih, dw_hh, db, db.copy())
    dh_next = dh_T.T.copy()  # W_hh^T da_{t+1}; at the top, the gradient on h_T
    dc = dc_T.T.copy()  # copies: both are updated in place
    w_hh_T = transposed(w_hh, fz)  # (H, 4H)
    dC = None if dc_steps is None else np.ascontiguousarray(dc_steps.transpose(1, 2, 0))  # (T, H, N)
    if fz is not None and record is None:  # the same recurrence, each step fused (recurrent.cells.backend)
        DA = _backward_fused(fz, G, C, TC, dy, dh_next, dc, w_hh_T, w_hh.size * N, dC)
    else:
        DA = _backward_numpy(G, C, TC, dy, dh_next, dc, w_hh_T, record, dC)
    dx, grads = weight_grads(DA, cache)
    return dx, dh_next.T, dc.T, grads


def _backward_fused(fz, G, C, TC, dy, dh_next, dc, w_hh_T, step_size, dC=None):
    """BPTT with the fused kernels; dh_next and dc are updated in place down to step 0.
    Returns every step's da, (4H, T, N)."""
    T, H4, N = G.shape
    dy = np.ascontiguousarray(dy)  # the kernels read each step's dy as they go
    DA = empty((H4, T, N), G.dtype)  # da of every step, laid out for the products
    da = np.empty((H4, N), dtype=G.dtype)
    if dC is None and (gemm := _blas.for_loop(step_size <= fz.SMALL_STEP, w_hh_T, dh_next)) is not False:
        fz.lstm_backward_loop(G, C, TC, dy, dh_next, dc, da, DA, w_hh_T, gemm)
        return DA
    for t in reversed(range(T)):
        if dC is not None:
            dc += dC[t]  # the gradient on c_t from outside
        fz.lstm_backward_step(G, C, TC, dy, dh_next, dc, da, DA, t)
        np.dot(w_hh_T, da, out=dh_next)
    return DA


def _backward_numpy(G, C, TC, dy, dh_next, dc, w_hh_T, record, dC=None):
    """BPTT in NumPy, the local derivatives of every step computed at once; dh_next and dc are
    updated in place down to step 0. Returns every step's da, (4H, T, N)."""
    T, H4, N = G.shape
    H = H4 // 4
    dt = G.dtype
    dY = np.ascontiguousarray(dy.transpose(1, 2, 0))  # (T, H, N)
    i, f, g, o = G[:, :H], G[:, H : 2 * H], G[:, 2 * H : 3 * H], G[:, 3 * H :]

    # local derivatives for every step at once (T, ., N), computed in place (no temporaries)
    A = np.multiply(TC, TC, out=empty(TC.shape, dt))
    np.subtract(1.0, A, out=A)
    A *= o  # dc_t += dh_t * A_t,  A = o (1 - tanh(c)^2)
    P = empty((T, 4 * H, N), dt)
    P_i, P_f, P_g, P_o = P[:, :H], P[:, H : 2 * H], P[:, 2 * H : 3 * H], P[:, 3 * H :]
    np.subtract(1.0, i, out=P_i)
    P_i *= i
    P_i *= g  # da_i = dc * g i (1 - i)
    np.subtract(1.0, f, out=P_f)
    P_f *= f
    P_f *= C[:T]  # da_f = dc * c_{t-1} f (1 - f)
    np.multiply(g, g, out=P_g)
    np.subtract(1.0, P_g, out=P_g)
    P_g *= i  # da_g = dc * i (1 - g^2)
    np.subtract(1.0, o, out=P_o)
    P_o *= o
    P_o *= TC  # da_o = dh * tanh(c) o (1 - o)

    DA = P  # each step's da overwrites its own factors
    dh = np.empty((H, N), dtype=dt)
    tmp = np.empty((H, N), dtype=dt)
    if record is not None:
        rec_dh, rec_dc = np.empty((T, H, N), dtype=dt), np.empty((T, H, N), dtype=dt)
    for t in reversed(range(T)):
        np.add(dY[t], dh_next, out=dh)  # dh_t: from the output and from step t + 1
        if dC is not None:
            dc += dC[t]  # the gradient on c_t from outside
        np.multiply(dh, A[t], out=tmp)
        dc += tmp  # dc_t
        da = DA[t]
        da[: 3 * H].reshape(3, H, N)[...] *= dc  # da_i, da_f, da_g (in place over P_i, P_f, P_g)
        da[3 * H :] *= dh  # da_o
        if record is not None:
            rec_dh[t], rec_dc[t] = dh, dc
        dc *= f[t]  # dc_{t-1}
        np.dot(w_hh_T, da, out=dh_next)  # dh_{t-1} = W_hh^T da_t
    DA = contiguous_copy(DA.transpose(1, 0, 2))  # (4H, T, N) for the two products below
    if record is not None:
        record.update(dh=rec_dh.transpose(2, 0, 1), dc=rec_dc.transpose(2, 0, 1), da=DA.transpose(2, 1, 0))
    return DA

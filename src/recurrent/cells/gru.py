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

Computed as the LSTM cell is (see its module docstring): feature-major (., N)
arrays; the input part of every step in one product before the loop; the
recurrent part and b_hh as one product per step on [h; 1]; r and z as
one sigmoid call (exp or tanh route, by size, as in the LSTM); n through tanh;
in backward, every local factor precomputed for all steps, so that the loop
only multiplies by dh_t and runs dh = W_hh^T dah + z dh. With the fused kernels
(``recurrent.cells.backend``) each step's elementwise work is one compiled loop, and
the step's product is W_hh @ h with b_hh added in that loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _blas
from ._buffers import empty
from .backend import fused
from .sequence import EXP_ROUTE_MIN, Cache, first_steps, tanh_into, time_major, transposed, wide_input_grads


@dataclass(slots=True)
class GRUCache(Cache):
    """What forward keeps for backward and batch-first views for readers."""

    x: np.ndarray  # (N, T, D)
    X: np.ndarray | None  # a wide input in (t, n) row order, else None
    Zh: np.ndarray  # [h_{t-1}; 1] per step
    G: np.ndarray  # (T, 3H, N) r, z, n
    AHN: np.ndarray  # (T, H, N) W_hn h_{t-1} + b_hn
    w_ih: np.ndarray
    w_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray
    h: np.ndarray  # (N, T + 1, H), a view
    gates: np.ndarray  # (N, T, 3H), a view
    ah_n: np.ndarray  # (N, T, H), a view

    c = None  # no cell state

    def preactivations(self) -> np.ndarray:
        """(N, T, 3H) a_r, a_z as W x + b + W_h h + b_h; a_n = W_in x + b_in + r (W_hn h + b_hn)."""
        H = self.w_hh.shape[1]
        a = self.x @ self.w_ih.T + self.b_ih
        a[..., : 2 * H] += self.h[:, :-1] @ self.w_hh[: 2 * H].T + self.b_hh[: 2 * H]
        a[..., 2 * H :] += self.gates[..., :H] * self.ah_n
        return a


def _rz_scale(H, dtype, exp_route):
    """r and z rows: -1 for 1 / (1 + exp(-a)), or 1/2 for 0.5 tanh(a / 2) + 0.5; n rows: 1."""
    s = np.ones((3 * H, 1), dtype=dtype)
    s[: 2 * H] = -1.0 if exp_route else 0.5
    return s


def forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    """Run the cell over x (N, T, D) from h0 (N, H). Returns y, h_T, None, cache.

    The three cells share one signature; the GRU has no cell state, so c0 is None and so is
    the third value returned."""
    N, T, D = x.shape
    H = w_hh.shape[1]
    dt = x.dtype
    fz = fused(dt)  # the optional fused kernels (recurrent.cells.backend)
    exp_route = 2 * H * N >= EXP_ROUTE_MIN
    X = time_major(x)  # x, rows in (t, n) order (T N, D)
    if fz is None:  # r, z rows pre-scaled for the activation trick
        scale = _rz_scale(H, dt, exp_route)
        AX = np.matmul(w_ih * scale, X.T, out=empty((3 * H, T * N), dt))
        AX += b_ih[:, None] * scale
        w_h = np.concatenate([w_hh, b_hh[:, None]], axis=1) * scale  # [W_hh | b_hh], (3H, H + 1)
    else:
        AX = np.matmul(w_ih, X.T, out=empty((3 * H, T * N), dt))  # the kernel adds b_ih and b_hh
    AX = AX.reshape(3 * H, T, N)  # input parts of every step, feature-major
    Zh = empty((H + 1, T + 1, N), dt)  # column block t is [h_{t-1}; 1]
    Zh[:H, 0] = h0.T
    Zh[H] = 1.0
    G = empty((T, 3 * H, N), dt)  # r, z, n per step
    AHN = empty((T, H, N), dt)  # W_hn h_{t-1} + b_hn, needed for dr
    ah = np.empty((3 * H, N), dtype=dt)
    if fz is not None:  # the same loop, each step's elementwise work fused
        _forward_fused(fz, AX, b_ih, w_hh, b_hh, ah, G, AHN, Zh)
    else:
        _forward_numpy(AX, w_h, ah, G, AHN, Zh, exp_route)
    Hs = Zh[:H]
    cache = GRUCache(
        x, X, Zh, G, AHN, w_ih, w_hh, b_ih, b_hh, Hs.transpose(2, 1, 0), G.transpose(2, 0, 1), AHN.transpose(2, 0, 1)
    )
    return Hs[:, 1:].transpose(2, 1, 0), Hs[:, T].T, None, cache


def _forward_fused(fz, AX, b_ih, w_hh, b_hh, ah, G, AHN, Zh):
    """The recurrence with the fused kernels (they add b_ih and b_hh themselves)."""
    T, H3, N = G.shape
    H = H3 // 3
    zc = Zh[:H, 0].copy()  # h_{t-1}, contiguous (a copy): a faster product
    if (gemm := _blas.for_loop(w_hh.size * N <= fz.SMALL_STEP, w_hh, zc, ah)) is not False:  # the loop compiled
        fz.gru_forward_loop(AX, b_ih, w_hh, ah, b_hh, G, AHN, Zh, zc, gemm)
    else:
        for t in range(T):
            np.dot(w_hh, zc, out=ah)
            fz.gru_forward_step(AX, b_ih, ah, b_hh, G, AHN, Zh, zc, t)


def _forward_numpy(AX, w_h, ah, G, AHN, Zh, exp_route):
    """The recurrence in NumPy; the r, z rows of AX and w_h = [W_hh | b_hh] are pre-scaled by ``_rz_scale``."""
    T, H3, N = G.shape
    H = H3 // 3
    dt = G.dtype
    tmp = np.empty((H, N), dtype=dt)
    with np.errstate(over="ignore"):
        for t in range(T):
            np.dot(w_h, Zh[:, t], out=ah)  # recurrent parts (r, z rows pre-scaled)
            g = G[t]
            rz = g[: 2 * H]
            np.add(AX[: 2 * H, t], ah[: 2 * H], out=rz)
            if exp_route:
                np.exp(rz, out=rz)
                rz += 1.0
                np.reciprocal(rz, out=rz)  # r, z = sigmoid(ax + ah)
            else:
                np.tanh(rz, out=rz)
                rz *= 0.5
                rz += 0.5
            r, z, n = g[:H], g[H : 2 * H], g[2 * H :]
            AHN[t] = ah[2 * H :]
            np.multiply(r, ah[2 * H :], out=tmp)  # n = tanh(ax_n + r * (W_hn h + b_hn))
            tmp += AX[2 * H :, t]
            tanh_into(tmp, n)
            h_prev, h = Zh[:H, t], Zh[:H, t + 1]
            np.subtract(h_prev, n, out=tmp)  # h = (1 - z) n + z h_prev = n + z (h_prev - n)
            tmp *= z
            np.add(n, tmp, out=h)


def backward(dy, dh_T, dc_T, cache, record=None):
    """BPTT. Returns dx, dh0, None (no cell state; dc_T is None too) and (dW_ih, dW_hh, db_ih, db_hh).

    If ``record`` is a dict, it receives ``dh`` (N, T, H), the total gradient on
    h_t, and ``dax``/``dah`` (N, T, 3H), the gradients on the input and recurrent
    parts of the pre-activations.
    """
    X, Zh, G, AHN, w_ih, w_hh = cache.X, cache.Zh, cache.G, cache.AHN, cache.w_ih, cache.w_hh
    T, H3, N = G.shape
    H = H3 // 3
    dt = G.dtype
    DAX = empty((3 * H, T, N), dt)  # gradients on the input and recurrent parts, every step
    DAH = empty((3 * H, T, N), dt)
    dh_next = dh_T.T.copy()  # a copy: it is updated in place
    fz = fused(dt)
    w_hh_T = transposed(w_hh, fz)  # (H, 3H)
    if fz is not None and record is None:  # the same recurrence, each step fused (recurrent.cells.backend)
        dh0 = _backward_fused(fz, G, AHN, Zh, dy, dh_next, DAX, DAH, w_hh_T, w_hh.size * N)
    else:
        dh0 = _backward_numpy(G, AHN, Zh, dy, dh_next, DAX, DAH, w_hh_T, record)
    return _gru_grads(DAX, DAH, X, Zh, w_ih, dh0)


def _backward_fused(fz, G, AHN, Zh, dy, dh_next, DAX, DAH, w_hh_T, step_size):
    """BPTT with the fused kernels, filling DAX and DAH; returns the gradient on h0, (H, N)."""
    T, H3, N = G.shape
    H = H3 // 3
    dt = G.dtype
    dah = np.empty((3 * H, N), dtype=dt)
    rec = dh_next  # W_hh^T dah_{t+1}; at the top, the gradient on h_T
    carry = np.zeros((H, N), dtype=dt)  # z_{t+1} dh_{t+1}
    hp, dan = np.empty((H, N), dtype=dt), np.empty((H, N), dtype=dt)
    dy = np.ascontiguousarray(dy)  # the kernels read each step's dy as they go
    if (gemm := _blas.for_loop(step_size <= fz.SMALL_STEP, w_hh_T, dah, rec)) is not False:
        fz.gru_backward_loop(G, AHN, Zh, dy, rec, carry, hp, dah, dan, DAX, DAH, w_hh_T, gemm)
    else:
        for t in reversed(range(T)):
            fz.gru_backward_step(G, AHN, Zh, dy, rec, carry, hp, dah, dan, DAX, DAH, t)
            np.dot(w_hh_T, dah, out=rec)
    return rec + carry


def _backward_numpy(G, AHN, Zh, dy, dh_next, DAX, DAH, w_hh_T, record):
    """BPTT in NumPy, every step's local factors computed at once, filling DAX and DAH; dh_next is
    updated in place down to the gradient on h0, which it returns."""
    T, H3, N = G.shape
    H = H3 // 3
    dt = G.dtype
    dY = np.ascontiguousarray(dy.transpose(1, 2, 0))  # (T, H, N)
    r, z, n = G[:, :H], G[:, H : 2 * H], G[:, 2 * H :]
    h_prev = Zh[:H, :T].transpose(1, 0, 2)  # (T, H, N)

    # every local factor for all steps: dax_t = dh_t * Qx_t, dah_n = dh_t * Qhn_t
    Qx = empty((T, 3 * H, N), dt)
    Qn = (1.0 - z) * (1.0 - n * n)  # dn/dh * tanh'
    Qx[:, :H] = Qn * AHN * r * (1.0 - r)  # reset gate
    Qx[:, H : 2 * H] = (h_prev - n) * z * (1.0 - z)  # update gate
    Qx[:, 2 * H :] = Qn  # candidate
    Qhn = Qn * r
    Q3 = Qx.reshape(T, 3, H, N)
    dh = np.empty((H, N), dtype=dt)
    tmp = np.empty((H, N), dtype=dt)
    if record is not None:
        rec_dh = np.empty((T, H, N), dtype=dt)
    for t in reversed(range(T)):
        np.add(dY[t], dh_next, out=dh)
        dax, dah = DAX[:, t], DAH[:, t]
        np.multiply(Q3[t], dh, out=dax.reshape(3, H, N))  # dar, daz, dan
        dah[: 2 * H] = dax[: 2 * H]
        np.multiply(dh, Qhn[t], out=dah[2 * H :])  # dan * r
        if record is not None:
            rec_dh[t] = dh
        np.dot(w_hh_T, dah, out=dh_next)
        np.multiply(dh, z[t], out=tmp)
        dh_next += tmp  # dh_{t-1} = z dh + W_hh^T dah
    if record is not None:
        record.update(dh=rec_dh.transpose(2, 0, 1), dax=DAX.transpose(2, 1, 0), dah=DAH.transpose(2, 1, 0))
    return dh_next


def _gru_grads(DAX, DAH, X, Zh, w_ih, dh0):
    """dx and the weight gradients from every step's dax and dah (3H, T, N)."""
    H3, T, N = DAX.shape
    H = H3 // 3
    DAX2, DAH2 = DAX.reshape(H3, T * N), DAH.reshape(H3, T * N)
    Zs = first_steps(Zh, T)  # [h_{t-1}; 1] of every step, (H + 1, T N)
    dx, dw_ih, dw_hh, db_hh = wide_input_grads(DAX2, DAH2, X, Zs, w_ih, N)  # X: x in (t, n) row order
    return dx, dh0.T, None, (dw_ih, dw_hh, DAX2 @ Zs[H], db_hh)  # Zh's row of ones: db_ih sums every dax

"""Fused per-step kernels (numba) for the LSTM, GRU and RNN: the optional fast path.

Each function here is one time step's elementwise work, written as a single loop that
numba compiles and LLVM vectorises: what the NumPy path does in about ten passes over
the step's arrays (and, in backward, a precomputation over all steps) is one pass here.
The matrix products stay outside, with NumPy's BLAS, in the cells' own loops; the
equations are the ones in the docstrings of lstm.py, gru.py and rnn.py, and each loop
body below is those equations for one element.

Arrays are the cells' feature-major buffers, indexed [step, feature, batch] (or
[feature, step, batch] for the products over all steps). ``M = H * N`` elements per gate
and step; a C-contiguous (H, N) block is read as a flat run of M numbers.

float32: tanh is Eigen's rational approximation (within about 2.7e-7 of the exact value,
exactly +-1 for |x| >= 9.5), plain arithmetic that LLVM vectorises, and sigmoid(x) =
0.5 tanh(x / 2) + 0.5. float64: math.tanh and 1 / (1 + exp(-x)), exact to rounding.
NaN and inf are not assumed away (no fastmath nnan/ninf), so a diverging run still
produces NaN for the training loop to catch.

Importing this module needs numba; ``recurrent.cells.backend`` decides whether it is used.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange, types
from numba.extending import overload

# cache=True: compiled kernels are kept in __pycache__ and found again while this file is unchanged.
# numba checks only the file that defines a kernel, so a kernel that calls tanh or sigmoid must be
# defined here too: one in another file would keep a stale copy of them after they change here.
# Where no cache folder is writable (a read-only install and no writable home, a service account),
# numba refuses cache=True when a kernel is defined; the kernels are then compiled in each process
# instead (NUMBA_CACHE_DIR names a writable folder to keep them in).


def _cache_probe():  # pragma: no cover - only decorated, never run
    return 0


def _can_cache() -> bool:
    try:
        njit(cache=True)(_cache_probe)
    except Exception:  # numba: "cannot cache function ...: no locator available"
        return False
    return True


CACHED = _can_cache()
_OPTS = dict(cache=CACHED, error_model="numpy", fastmath={"nsz", "arcp", "contract"})

# Eigen's single-precision tanh (Eigen/src/Core/MathFunctionsImpl.h, generic_fast_tanh_float):
# tanh(x) ~ x P(x^2) / Q(x^2). Eigen clamps x to |x| <= 7.905, where the ratio is 2.4e-7 short of
# 1; here x is clamped at 9.5, where the ratio has passed 1 (by 1.5e-7), and the result to [-1, 1]:
# exactly +-1 from |x| = 9.5 on (the correctly rounded float32 tanh from 9.01; from |x| = 8 the two
# differ by at most 2.4e-7). Two clamps cost less than testing for saturation: 0.36 against
# 0.50 ns an element here, at the same accuracy (2.7e-7 at most, over a grid of 6e6 points).
_f = np.float32
_CLAMP = _f(9.5)
_A1, _A3 = _f(4.89352455891786e-03), _f(6.37261928875436e-04)
_A5, _A7 = _f(1.48572235717979e-05), _f(5.12229709037114e-08)
_A9, _A11, _A13 = _f(-8.60467152213735e-11), _f(2.00018790482477e-13), _f(-2.76076847742355e-16)
_B0, _B2 = _f(4.89352518554385e-03), _f(2.26843463243900e-03)
_B4, _B6 = _f(1.18534705686654e-04), _f(1.19825839466702e-06)
_HALF32, _ONE32 = _f(0.5), _f(1.0)


def tanh(x):
    """tanh for one float32 or float64 number, inside the kernels."""
    raise NotImplementedError("only callable from compiled code")


def sigmoid(x):
    """The logistic sigmoid for one float32 or float64 number, inside the kernels."""
    raise NotImplementedError("only callable from compiled code")


@overload(tanh)
def _tanh(x):
    if x == types.float32:

        def impl(x):
            # Python's max(a, b) and min(a, b) return a unless b compares larger (smaller), so a
            # NaN x passes through both clamps, and each compiles to one vector instruction.
            y = min(max(x, -_CLAMP), _CLAMP)
            y2 = y * y
            p = ((((((_A13 * y2 + _A11) * y2 + _A9) * y2 + _A7) * y2 + _A5) * y2 + _A3) * y2 + _A1) * y
            q = ((_B6 * y2 + _B4) * y2 + _B2) * y2 + _B0
            return min(max(p / q, -_ONE32), _ONE32)

        return impl
    if x == types.float64:
        return lambda x: math.tanh(x)


@overload(sigmoid)
def _sigmoid(x):
    if x == types.float32:
        return lambda x: _HALF32 * tanh(_HALF32 * x) + _HALF32
    if x == types.float64:
        return lambda x: 1.0 / (1.0 + math.exp(-x))


# Below this many multiply-adds per step (W.size * N), a step's product is cheaper as a compiled
# loop than as a BLAS call (about 1.5 us of call overhead each), and the whole time loop runs here.
SMALL_STEP = 1024


@njit(**_OPTS)
def _matmul(A, B, out):
    """out = A @ B for small arrays, written out (B's rows contiguous, so the inner loop vectorises)."""
    zero = out.dtype.type(0.0)
    for i in range(A.shape[0]):
        for n in range(B.shape[1]):
            out[i, n] = zero
        for k in range(A.shape[1]):
            a = A[i, k]
            for n in range(B.shape[1]):
                out[i, n] += a * B[k, n]


@njit(**_OPTS)
def transpose(a, out):
    """out = a.T (a C-contiguous 2-D), eight rows of a at a time.

    Each pass over the columns then writes runs of eight numbers; NumPy's transposed copy
    writes single numbers a whole row apart, which thrashes the cache when the row length is
    a power of two (4096 x 1024 float32: 34 ms there, 4.5 ms here).
    """
    R, C = a.shape
    R8 = R - R % 8
    for i0 in range(0, R8, 8):
        for j in range(C):
            for i in range(8):
                out[j, i0 + i] = a[i0 + i, j]
    for i in range(R8, R):
        for j in range(C):
            out[j, i] = a[i, j]


# ---------------------------------------------------------------------------------------- LSTM


@njit(**_OPTS)
def lstm_forward_step(S, G, C, TC, Z, XW, b, zc, t, hr):
    """Step t. S (4H, N) holds W z_t (a scratch array reused every step: the product writes
    into memory still in cache, 9% of the medium forward); plus XW[:, t] + b (XW is
    (4H, T, N)) when XW is not empty.

    Writes the gates i, f, g, o into G[t], c_t into C[t + 1], tanh(c_t) into TC[t] and
    h_t = o tanh(c_t) into Z[hr:hr + H, t + 1], the next step's input block, and refreshes
    ``zc``, the contiguous copy of that block that the next product multiplies.
    """
    H4, N = G.shape[1], G.shape[2]
    H = H4 // 4
    M = H * N
    gt = G[t]
    if XW.shape[0] > 0:
        for q in range(H4):
            bq = b[q]
            for n in range(N):
                S[q, n] += XW[q, t, n] + bq
    src, a = S.reshape(4 * M), gt.reshape(4 * M)
    c_prev, c, tc = C[t].reshape(M), C[t + 1].reshape(M), TC[t].reshape(M)
    for k in range(M):
        i = sigmoid(src[k])
        f = sigmoid(src[M + k])
        g = tanh(src[2 * M + k])
        o = sigmoid(src[3 * M + k])
        a[k], a[M + k], a[2 * M + k], a[3 * M + k] = i, f, g, o
        ck = f * c_prev[k] + i * g
        c[k] = ck
        tc[k] = tanh(ck)
    for j in range(H):
        for n in range(N):
            Z[hr + j, t + 1, n] = gt[3 * H + j, n] * TC[t, j, n]
    _next_input(Z, zc, t)


@njit(**_OPTS)
def _next_input(Z, zc, t):
    """Copy column block t + 1 of Z, all but its last row of ones, into the first rows of zc.

    zc is that block with its ones (the per-step product includes the bias) or without
    (the bias went into the input parts); a contiguous right-hand side makes the product
    faster than the strided block would.
    """
    N = zc.shape[1]
    for r in range(Z.shape[0] - 1):
        for n in range(N):
            zc[r, n] = Z[r, t + 1, n]


@njit(**_OPTS)
def _add_output_grad(dh, dy, t):
    """dh (H, N) += dy[:, t, :] transposed: the gradient on the output at step t, read from the
    caller's batch-first dy (N, T, H) one step at a time (cheaper than transposing all of dy first).

    In blocks of eight units: each block reads runs of eight numbers from dy and writes eight
    rows of dh (at N=64, H=256: 9 us a step, against 16 us unit by unit).
    """
    H, N = dh.shape
    H8 = H - H % 8
    for j0 in range(0, H8, 8):
        for n in range(N):
            for j in range(j0, j0 + 8):
                dh[j, n] += dy[n, t, j]
    for j in range(H8, H):
        for n in range(N):
            dh[j, n] += dy[n, t, j]


@njit(**_OPTS)
def lstm_backward_step(G, C, TC, dy, dh_next, dc, da, DA, t):
    """Step t of BPTT. dh_next (H, N) is W_hh^T da_{t+1}; dy (N, T, H) the gradient on every output;
    dc (H, N) comes in as dc_t from step t + 1.

    Writes da_t (the four gates' pre-activation gradients) into ``da`` (4H, N) and into
    DA[:, t] (DA is (4H, T, N), for the weight products), and leaves dc_{t-1} = dc_t f_t in dc.
    dh_next is overwritten (with dh_t).
    """
    H4, N = G.shape[1], G.shape[2]
    H = H4 // 4
    M = H * N
    _add_output_grad(dh_next, dy, t)  # dh_t: from the output and from step t + 1
    gt = G[t].reshape(4 * M)
    c_prev, tc = C[t].reshape(M), TC[t].reshape(M)
    dhn, dcf, d = dh_next.reshape(M), dc.reshape(M), da.reshape(4 * M)
    one = gt.dtype.type(1.0)
    for k in range(M):
        i, f, g, o = gt[k], gt[M + k], gt[2 * M + k], gt[3 * M + k]
        dh = dhn[k]
        tk = tc[k]
        dck = dcf[k] + dh * o * (one - tk * tk)
        d[k] = dck * g * i * (one - i)
        d[M + k] = dck * c_prev[k] * f * (one - f)
        d[2 * M + k] = dck * i * (one - g * g)
        d[3 * M + k] = dh * tk * o * (one - o)
        dcf[k] = dck * f
    for q in range(H4):
        for n in range(N):
            DA[q, t, n] = da[q, n]


_DOT = dict(_OPTS, fastmath={"nsz", "arcp", "contract", "reassoc"})  # a dot product vectorises only reassociated
PARTS_H = (128, 512)  # hidden sizes where one sequence's steps run faster partitioned (measured: docs/speed.md)


def cores() -> int:
    """The cores ``lstm_forward_parts`` may split a step over: those this process may run on, at most numba's
    thread count (``numba.set_num_threads``); 1 takes the usual loop. Numba's fallback thread pool
    ("workqueue", where no OpenMP or TBB is found) must not be entered from two threads at once: with it only
    the main thread splits."""
    import os
    import threading

    import numba

    try:
        pool = numba.threading_layer()
    except ValueError:  # no parallel region has run yet
        pool = None
    if pool == "workqueue" and threading.current_thread() is not threading.main_thread():
        return 1
    mine = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(mine, numba.get_num_threads()))


@njit(parallel=True, **_DOT)
def lstm_forward_parts(W, G, C, TC, Z, XW, b, hr, parts):
    """Every step of a layer whose steps are small (streaming, a few sequences), the hidden units split into
    ``parts`` blocks, one per core: each core computes its units' four gate rows of W z_t (dot products over W's
    contiguous rows, its share of W staying in that core's cache across steps), then their c_t and h_t, which it
    writes into z_{t+1}: one parallel region per step. Z's column block t is z_t (copied contiguous first); plus
    XW[:, t] + b when XW is not empty. The outputs as ``lstm_forward_step`` writes them."""
    T, H4, N = G.shape
    H = H4 // 4
    K = W.shape[1]
    size = (H + parts - 1) // parts
    wide = XW.shape[0] > 0
    zc = np.empty((N, K), G.dtype)
    for t in range(T):
        for n in range(N):
            for k in range(K):
                zc[n, k] = Z[k, t, n]
        for p in prange(parts):
            u0 = p * size
            u1 = min(H, u0 + size)
            for u in range(u0, u1):
                for n in range(N):
                    z = zc[n]
                    ri, rf, rg, ro = W[u], W[H + u], W[2 * H + u], W[3 * H + u]
                    ai = af = ag = ao = G.dtype.type(0.0)
                    for k in range(K):
                        zk = z[k]
                        ai += ri[k] * zk
                        af += rf[k] * zk
                        ag += rg[k] * zk
                        ao += ro[k] * zk
                    if wide:
                        ai += XW[u, t, n] + b[u]
                        af += XW[H + u, t, n] + b[H + u]
                        ag += XW[2 * H + u, t, n] + b[2 * H + u]
                        ao += XW[3 * H + u, t, n] + b[3 * H + u]
                    i = sigmoid(ai)
                    f = sigmoid(af)
                    g = tanh(ag)
                    o = sigmoid(ao)
                    G[t, u, n] = i
                    G[t, H + u, n] = f
                    G[t, 2 * H + u, n] = g
                    G[t, 3 * H + u, n] = o
                    ck = f * C[t, u, n] + i * g
                    C[t + 1, u, n] = ck
                    tk = tanh(ck)
                    TC[t, u, n] = tk
                    Z[hr + u, t + 1, n] = o * tk


@njit(**_OPTS)
def lstm_forward_loop(W, G, C, TC, Z, XW, b, zc, hr, gemm):
    """Every step: W zc (``_product``), then ``lstm_forward_step``: the layer's loop, no Python between steps."""
    S = np.empty(G.shape[1:], G.dtype)
    for t in range(G.shape[0]):
        _product(gemm, W, zc, S)
        lstm_forward_step(S, G, C, TC, Z, XW, b, zc, t, hr)


@njit(**_OPTS)
def lstm_backward_loop(G, C, TC, dy, dh_next, dc, da, DA, w_hh_T, gemm):
    """Every step of BPTT: ``lstm_backward_step``, then dh_next = W_hh^T da (``_product``)."""
    for t in range(G.shape[0] - 1, -1, -1):
        lstm_backward_step(G, C, TC, dy, dh_next, dc, da, DA, t)
        _product(gemm, w_hh_T, da, dh_next)


@njit(**_OPTS)
def gemm_into(gemm, A, B, out):
    """out = A @ B through BLAS's ``gemm`` (``_blas.gemm``); every operand C-contiguous."""
    M, K = A.shape
    N = B.shape[1]
    one, zero = A.dtype.type(1.0), A.dtype.type(0.0)
    gemm(101, 111, 111, M, N, K, one, A.ctypes.data, K, B.ctypes.data, N, zero, out.ctypes.data, N)  # row-major


@njit(**_OPTS)
def _product(gemm, A, B, out):
    """out = A @ B: written out when ``gemm`` is None (tiny steps, where a BLAS call costs more than the product),
    else by BLAS. numba compiles the loops below once for each (their ``gemm`` None or a function), the other
    branch pruned."""
    if gemm is None:
        _matmul(A, B, out)
    else:
        gemm_into(gemm, A, B, out)


@njit(**_OPTS)
def lstm_forward_tiny(x, h0, c0, w_ih, w_hh, b_ih, b_hh):  # noqa: C901 (to split: docs/design.md lists it)
    """A tiny layer's whole forward (``step_inputs``' narrow layout built here, then
    ``lstm_forward_loop``): returns Z, G, C, TC as ``lstm.forward`` lays them out. At the
    classic examples' scale the NumPy calls that build the operands cost more than the steps."""
    N, T, D = x.shape
    H4, H = w_hh.shape
    K = D + H + 1
    dt = x.dtype
    W = np.empty((H4, K), dt)  # [W_ih | W_hh | b]
    for q in range(H4):
        for d in range(D):
            W[q, d] = w_ih[q, d]
        for j in range(H):
            W[q, D + j] = w_hh[q, j]
        W[q, K - 1] = b_ih[q] + b_hh[q]
    Z = np.empty((K, T + 1, N), dt)  # column block t: [x_t; h_{t-1}; 1]
    for d in range(D):
        for t in range(T):
            for n in range(N):
                Z[d, t, n] = x[n, t, d]
        for n in range(N):
            Z[d, T, n] = 0.0
    for j in range(H):
        for n in range(N):
            Z[D + j, 0, n] = h0[n, j]
    for t in range(T + 1):
        for n in range(N):
            Z[K - 1, t, n] = 1.0
    G = np.empty((T, H4, N), dt)
    C = np.empty((T + 1, H, N), dt)
    TC = np.empty((T, H, N), dt)
    for j in range(H):
        for n in range(N):
            C[0, j, n] = c0[n, j]
    zc = np.empty((K, N), dt)
    for r in range(K):
        for n in range(N):
            zc[r, n] = Z[r, 0, n]
    lstm_forward_loop(W, G, C, TC, Z, np.empty((0, 0, 0), dt), b_ih, zc, D, None)
    return Z, G, C, TC


@njit(**_OPTS)
def lstm_backward_tiny(G, C, TC, Z, dy, dh_T, dc_T, w_ih, w_hh):
    """A tiny layer's whole BPTT (``lstm_backward_loop``, then the weight products written out):
    returns dx (N, T, D), dh0, dc0 (N, H), dW_ih, dW_hh and db, as ``lstm.backward`` computes them."""
    T, H4, N = G.shape
    H = H4 // 4
    D = w_ih.shape[1]
    dt = G.dtype
    dh_next = np.empty((H, N), dt)
    dc = np.empty((H, N), dt)
    for j in range(H):
        for n in range(N):
            dh_next[j, n] = dh_T[n, j]
            dc[j, n] = dc_T[n, j]
    w_hh_T = np.empty((H, H4), dt)
    transpose(w_hh, w_hh_T)
    DA = np.empty((H4, T, N), dt)
    lstm_backward_loop(G, C, TC, dy, dh_next, dc, np.empty((H4, N), dt), DA, w_hh_T, None)
    dw_ih, dw_hh, db = np.zeros((H4, D), dt), np.zeros((H4, H), dt), np.zeros(H4, dt)
    dx = np.zeros((N, T, D), dt)
    for q in range(H4):
        for t in range(T):
            for n in range(N):
                a = DA[q, t, n]
                db[q] += a
                for d in range(D):
                    dw_ih[q, d] += a * Z[d, t, n]
                    dx[n, t, d] += w_ih[q, d] * a
                for j in range(H):
                    dw_hh[q, j] += a * Z[D + j, t, n]
    return dx, dh_next.T.copy(), dc.T.copy(), dw_ih, dw_hh, db


# ---------------------------------------------------------------------------------------- GRU


@njit(**_OPTS)
def gru_forward_step(AX, b_ih, ah, b_hh, G, AHN, Zh, zc, t):
    """Step t. AX (3H, T, N): W_ih x for every step; ah (3H, N): W_hh h_{t-1}; zc (H, N): h_{t-1}.

    Writes r, z, n into G[t], W_hn h_{t-1} + b_hn into AHN[t], and h_t into zc (the next
    product's right-hand side) and Zh[:H, t + 1]. The biases are added here.
    """
    H3, N = ah.shape
    H = H3 // 3
    M = H * N
    gt, at = G[t], AHN[t]
    for q in range(2 * H):  # pre-activations of r and z, and n's two parts
        bq = b_ih[q] + b_hh[q]
        for n in range(N):
            gt[q, n] = AX[q, t, n] + ah[q, n] + bq
    for j in range(H):
        bi, bh = b_ih[2 * H + j], b_hh[2 * H + j]
        for n in range(N):
            gt[2 * H + j, n] = AX[2 * H + j, t, n] + bi
            at[j, n] = ah[2 * H + j, n] + bh
    g, ahn, h = gt.reshape(3 * M), at.reshape(M), zc.reshape(M)
    for k in range(M):  # one flat loop over few arrays: LLVM vectorises it
        r = sigmoid(g[k])
        z = sigmoid(g[M + k])
        nn = tanh(g[2 * M + k] + r * ahn[k])
        g[k], g[M + k], g[2 * M + k] = r, z, nn
        h[k] = nn + z * (h[k] - nn)  # (1 - z) n + z h_{t-1}
    for j in range(H):
        for n in range(N):
            Zh[j, t + 1, n] = zc[j, n]


@njit(**_OPTS)
def gru_backward_step(G, AHN, Zh, dy, rec, carry, hp, dah, dan, DAX, DAH, t):
    """Step t of BPTT. dh_t = dy[:, t] + rec + carry, where rec = W_hh^T dah_{t+1} and carry = z_{t+1} dh_{t+1}.

    Writes the recurrent-part gradients into ``dah`` (3H, N) and DAH[:, t], the input-part
    ones into DAX[:, t], and z_t dh_t into ``carry`` for step t - 1. ``hp`` and ``dan``
    (H, N) are scratch.
    """
    H3, N = dah.shape
    H = H3 // 3
    M = H * N
    one = dah.dtype.type(1.0)
    for j in range(H):  # h_{t-1}, contiguous
        for n in range(N):
            hp[j, n] = Zh[j, t, n]
    _add_output_grad(rec, dy, t)
    g, ahn = G[t].reshape(3 * M), AHN[t].reshape(M)
    dh, c, h_prev, d, dn = rec.reshape(M), carry.reshape(M), hp.reshape(M), dah.reshape(3 * M), dan.reshape(M)
    for k in range(M):
        dh[k] += c[k]  # dh_t, in place of rec
    for k in range(M):
        r, z, nn = g[k], g[M + k], g[2 * M + k]
        dnk = dh[k] * (one - z) * (one - nn * nn)  # on the candidate's pre-activation
        d[k] = dnk * ahn[k] * r * (one - r)  # reset gate
        d[M + k] = dh[k] * (h_prev[k] - nn) * z * (one - z)  # update gate
        d[2 * M + k] = dnk * r  # recurrent part of n: through r
        dn[k] = dnk
        c[k] = dh[k] * z
    for q in range(H3):  # three plain copies: one loop choosing its source row by row ran 6 ms
        for n in range(N):  # slower over the 100 steps at N=64, H=256
            DAH[q, t, n] = dah[q, n]
    for q in range(2 * H):
        for n in range(N):
            DAX[q, t, n] = dah[q, n]
    for j in range(H):
        for n in range(N):
            DAX[2 * H + j, t, n] = dan[j, n]


@njit(**_OPTS)
def gru_forward_loop(AX, b_ih, w_hh, ah, b_hh, G, AHN, Zh, zc, gemm):
    """Every step: ah = W_hh zc (``_product``), then ``gru_forward_step``."""
    for t in range(G.shape[0]):
        _product(gemm, w_hh, zc, ah)
        gru_forward_step(AX, b_ih, ah, b_hh, G, AHN, Zh, zc, t)


@njit(**_OPTS)
def gru_backward_loop(G, AHN, Zh, dy, rec, carry, hp, dah, dan, DAX, DAH, w_hh_T, gemm):
    """Every step of BPTT: ``gru_backward_step``, then rec = W_hh^T dah (``_product``)."""
    for t in range(G.shape[0] - 1, -1, -1):
        gru_backward_step(G, AHN, Zh, dy, rec, carry, hp, dah, dan, DAX, DAH, t)
        _product(gemm, w_hh_T, dah, rec)


# ---------------------------------------------------------------------------------------- RNN


@njit(**_OPTS)
def rnn_forward_step(a, Z, XW, b, zc, t, hr, relu):
    """Step t. a (H, N) holds W z_t, plus XW[:, t] + b (XW is (H, T, N)) when XW is not empty.

    h_t goes to Z[hr:hr + H, t + 1] and into zc, the next product's contiguous copy.
    """
    H, N = a.shape
    zero = a.dtype.type(0.0)
    if XW.shape[0] > 0:
        for j in range(H):
            bj = b[j]
            for n in range(N):
                a[j, n] += XW[j, t, n] + bj
    for j in range(H):
        for n in range(N):
            v = a[j, n]
            if relu:
                Z[hr + j, t + 1, n] = zero if v < zero else v  # NaN stays NaN, as in np.maximum
            else:
                Z[hr + j, t + 1, n] = tanh(v)
    _next_input(Z, zc, t)


@njit(**_OPTS)
def rnn_backward_step(Z, hr, dy, dh_next, da, DA, t, relu):
    """Step t of BPTT: da_t = (dy[:, t] + dh_next) act'(a_t), into ``da`` (H, N) and DA[:, t]."""
    H, N = da.shape
    one, zero = da.dtype.type(1.0), da.dtype.type(0.0)
    _add_output_grad(dh_next, dy, t)
    for j in range(H):
        for n in range(N):
            h = Z[hr + j, t + 1, n]
            dh = dh_next[j, n]
            if relu:
                v = dh if h > zero else zero
            else:
                v = dh * (one - h * h)
            da[j, n] = v
            DA[j, t, n] = v


@njit(**_OPTS)
def rnn_forward_loop(W, a, Z, XW, b, zc, hr, relu, gemm):
    """Every step: a = W zc (``_product``), then ``rnn_forward_step``."""
    for t in range(Z.shape[1] - 1):
        _product(gemm, W, zc, a)
        rnn_forward_step(a, Z, XW, b, zc, t, hr, relu)


@njit(**_OPTS)
def rnn_backward_loop(Z, hr, dy, dh_next, da, DA, w_hh_T, relu, gemm):
    """Every step of BPTT: ``rnn_backward_step``, then dh_next = W_hh^T da (``_product``)."""
    for t in range(Z.shape[1] - 2, -1, -1):
        rnn_backward_step(Z, hr, dy, dh_next, da, DA, t, relu)
        _product(gemm, w_hh_T, da, dh_next)

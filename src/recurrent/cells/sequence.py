"""The sequence machinery the three cells share: input layouts, products over all steps, copies.

Each cell's module (``lstm.py``, ``gru.py``, ``rnn.py``) runs its own step math; what they
share is how the inputs are laid out (one feature-major buffer Z holding [x; h; 1] of every
step, or x's products for all steps at once when the input is wide), the gradient products
summed over every step at once, the exp route for tanh on large arrays, and a few copies
made cache-friendly. The reference cells (``reference.py``) use none of this.
"""

from __future__ import annotations

import numpy as np

from ._buffers import empty


class Cache:
    """A cell's cache: named fields, read as attributes (``cache.G``) or by name (``cache["G"]``).

    Each cell module defines its own (a dataclass with slots; not frozen, whose checks cost a
    microsecond per forward at the classic examples' scale): ``LSTMCache``, ``GRUCache``,
    ``RNNCache`` and ``variants.VariantCache``. Their fields are what that cell's ``backward``
    needs; what every cache offers its readers (``recurrent.trace``, the worked examples) is
    one protocol, in time order and batch-first:

        x                  (N, T, D)       the input
        h                  (N, T + 1, H)   h_0 .. h_T
        c                  (N, T + 1, H)   c_0 .. c_T, or None for a cell without a cell state
        gates              (N, T, G H)     the activated gates in the spec's order (the RNN: h_t)
        preactivations()   (N, T, G H)     each gate's argument before its activation
    """

    __slots__ = ()

    def preactivations(self) -> np.ndarray:
        """Each gate's pre-activation per step (N, T, G H); each cache type says how it gets them."""
        raise NotImplementedError(f"{type(self).__name__}.preactivations")

    def __getitem__(self, key):
        try:
            return getattr(self, key)
        except (AttributeError, TypeError):
            raise KeyError(key) from None


# Below this many elements a single np.tanh call is cheaper than the five calls of the exp
# route (NumPy's per-call cost dominates); above it, exp's lower cost per element wins.
EXP_ROUTE_MIN = 2048


def tanh_into(a, out):
    """tanh(a), into ``out``: np.tanh for small arrays, else 2 / (1 + exp(-2a)) - 1."""
    if a.size < EXP_ROUTE_MIN:
        return np.tanh(a, out=out)
    np.multiply(a, -2.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.divide(2.0, out, out=out)
    out -= 1.0
    return out


def step_inputs(x, w_ih, w_hh, b, h0, scale=None, add_bias=True):
    """The per-step product's weights and right-hand sides, in one of two layouts.

    Narrow input (D <= H / 4, or a tiny step): W = [W_ih | W_hh | b] (4H, K) and
    Z (K, T + 1, N), column block t = z_t = [x_t; h_{t-1}; 1], h starting at row hr = D.
    Wide input: the input parts of all steps and the bias are one product first,
    XW = W_ih X^T + b with X = x in (t, n) row order (T N, D), kept as (4H, T, N); the step
    multiplies W = W_hh by h alone, and Z (H + 1, T + 1, N) holds [h_{t-1}; 1] (hr = 0; the
    row of ones gives db in backward's product). ``scale`` (4H, 1), if given, multiplies
    every gate row of the weights and bias (the NumPy path's activation trick). With
    ``add_bias=False`` XW leaves b out (the fused kernels add it as they read XW: one pass less).
    """
    N, T, D = x.shape
    H = w_hh.shape[1]
    dt = x.dtype
    if 4 * D > H and w_ih.shape[0] * N >= 64:  # (for tiny steps the extra calls cost more; T plays no part,
        #                                              so segments of a sequence choose as the whole does)
        X = time_major(x)
        wx, bx, W = (w_ih, b, w_hh) if scale is None else (w_ih * scale, b * scale[:, 0], w_hh * scale)
        XW = np.matmul(wx, X.T, out=empty((wx.shape[0], T * N), dt))  # (G H, T N): feature-major,
        #                                                                 as the steps read it
        if add_bias:
            XW += bx[:, None]
        Z = empty((H + 1, T + 1, N), dt)
        hr = 0
    else:
        X = XW = None
        W = np.concatenate([w_ih, w_hh, b[:, None]], axis=1, out=empty((w_ih.shape[0], D + H + 1), dt))
        if scale is not None:
            W *= scale
        Z = empty((D + H + 1, T + 1, N), dt)
        Z[:D, :T] = x.transpose(2, 1, 0)
        Z[:D, T] = 0.0
        hr = D
    Z[hr : hr + H, 0] = h0.T
    Z[-1] = 1.0
    return W, Z, hr, X, (XW.reshape(w_ih.shape[0], T, N) if XW is not None else None)


def fused_operands(Z, XW, rows):
    """The fused forward loop's two extra operands (LSTM and RNN): XW, or an empty stand-in
    when the input is in Z (the kernels take no None), and z_0's first ``rows`` rows as a
    contiguous copy, which each step's product multiplies (a copy, never a view: faster)."""
    xw = XW if XW is not None else np.empty((0, 0, 0), dtype=Z.dtype)
    return xw, Z[:rows, 0].copy()


def weight_grads(DA, cache):
    """dx and (dW_ih, dW_hh, db_ih, db_hh) from every step's da (G H, T, N), each in one product.

    Shared by the LSTM and the RNN, whose caches hold the layouts that ``step_inputs`` made.
    """
    GH, T, N = DA.shape
    Z, X, w_ih, H = cache.Z, cache.X, cache.w_ih, cache.w_hh.shape[1]
    D = w_ih.shape[1]
    DA2 = DA.reshape(GH, T * N)
    dt = DA.dtype
    Zs = first_steps(Z, T)  # [x; h; 1] (or [h; 1]) of every step, (K, T N)
    if X is None:  # narrow input: [dW_ih | dW_hh | db] in one product
        dw = np.matmul(DA2, Zs.T, out=empty((GH, Z.shape[0]), dt))
        dw_ih, dw_hh, db = (
            contiguous_copy(dw[:, :D]),
            contiguous_copy(dw[:, D : D + H]),
            np.ascontiguousarray(dw[:, -1]),
        )
        dx = np.matmul(w_ih.T, DA2, out=empty((D, T * N), dt)).reshape(D, T, N).transpose(2, 1, 0)
    else:  # wide input: x in X, in (t, n) row order
        dx, dw_ih, dw_hh, db = wide_input_grads(DA2, DA2, X, Zs, w_ih, N)
    return dx, (dw_ih, dw_hh, db, db.copy())


def wide_input_grads(DX, DH, X, Zs, w_ih, N):
    """dx, dW_ih, dW_hh and db for a wide input, each product into its own array.

    DX and DH (G H, T N) are the gradients on the input and the recurrent parts of the
    pre-activations (the same array for the LSTM and the RNN, two for the GRU), X the input
    in (t, n) row order (T N, D), Zs = [h_{t-1}; 1] of every step (H + 1, T N). db sums DH
    over steps and batch through Zs's row of ones. (Copying dW_hh out of one product
    [dW_hh | db] instead cost up to 12 ms at H=1024.)
    """
    GH, TN = DX.shape
    H, D = Zs.shape[0] - 1, X.shape[1]
    dt = DX.dtype
    dw_ih = np.matmul(DX, X, out=empty((GH, D), dt))
    dw_hh = np.matmul(DH, Zs[:H].T, out=empty((GH, H), dt))
    dx = np.matmul(DX.T, w_ih, out=empty((TN, D), dt)).reshape(TN // N, N, D).transpose(1, 0, 2)
    return dx, dw_ih, dw_hh, DH @ Zs[H]


def first_steps(Z, T):
    """Column blocks 0 .. T - 1 of Z (K, T + 1, N) as one (K, T N) matrix.

    A view, not a copy: its rows are (T + 1) N numbers apart, a row stride that BLAS takes as
    it is (``Z[:, :T].reshape(K, T * N)`` would copy all of it).
    """
    K = Z.shape[0]
    return Z.reshape(K, -1)[:, : T * Z.shape[2]]


def time_major(x):
    """x (N, T, D) as rows in (t, n) order, (T N, D): a copy."""
    N, T, D = x.shape
    X = empty((T * N, D), x.dtype)
    X.reshape(T, N, D)[...] = x.transpose(1, 0, 2)
    return X


def contiguous_copy(a):
    """A C-contiguous copy of ``a``."""
    out = empty(a.shape, a.dtype)
    out[...] = a
    return out


def transposed(w, fz):
    """A C-contiguous copy of w.T (the backward's W_hh^T).

    NumPy's transposed copy writes single numbers a row apart, which thrashes the cache when
    rows are a power of two long (4096 x 1024 float32: 33 ms here). Large arrays go through the
    fused path's compiled transpose (4.5 ms) or, on the NumPy path, in strips of 16 rows (8 ms).
    """
    if w.size < 1 << 18:  # small: NumPy's copy is fine (and a kernel call costs more)
        return np.ascontiguousarray(w.T)
    out = empty(w.shape[::-1], w.dtype)
    if fz is not None:
        fz.transpose(np.ascontiguousarray(w), out)
    else:
        for i in range(0, w.shape[0], 16):
            out[:, i : i + 16] = w[i : i + 16].T
    return out

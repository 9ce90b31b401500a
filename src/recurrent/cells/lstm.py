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
  [W_ih | W_hh | b] @ z_t; h_t is written straight into z_{t+1}.
* One exp for all four gates: sigmoid(a) = 1 / (1 + exp(-a)) and tanh(a) =
  2 sigmoid(2a) - 1, so the forward weights are pre-scaled by -1 (i, f, o rows)
  and -2 (g rows); exp, add 1, reciprocal then give every gate (exp is several
  times cheaper than tanh in NumPy). tanh(c) is computed the same way.
* Backward: every local derivative (the factors multiplying dh_t and dc_t) is
  computed for all steps at once before the loop; the loop keeps only the
  recurrence (a few elementwise products and dh = W_hh^T da). The weight
  gradients [dW_ih | dW_hh | db] come from one product over all steps, and dx
  from another.

The cache also offers batch-first views (``gates`` (N, T, 4H), ``h`` and ``c``
(N, T + 1, H)) that ``recurrent.trace`` reads.
"""

from __future__ import annotations

import numpy as np

GATES = ("i", "f", "g", "o")


def _gate_scale(H, dtype):
    """Forward row scale: -1 for the sigmoid gates (i, f, o), -2 for g (tanh(a) = 2 sigmoid(2a) - 1)."""
    s = np.full((4 * H, 1), -1.0, dtype=dtype)
    s[2 * H:3 * H] = -2.0
    return s


def _tanh(a, out):
    """tanh(a) = 2 / (1 + exp(-2a)) - 1, written into ``out`` (exp is far cheaper than tanh here)."""
    np.multiply(a, -2.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.divide(2.0, out, out=out)
    out -= 1.0
    return out


def forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    """Run the cell over x (N, T, D) from (h0, c0), each (N, H).

    Returns y (N, T, H), the final (h, c) and the cache that ``backward`` and
    ``recurrent.trace`` read.
    """
    N, T, D = x.shape
    H = w_hh.shape[1]
    dt = x.dtype
    K = D + H + 1
    w_cat = np.concatenate([w_ih, w_hh, (b_ih + b_hh)[:, None]], axis=1)
    w_cat *= _gate_scale(H, dt)                      # (4H, K): the step computes -a (and -2a for g)
    Z = np.empty((K, T + 1, N), dtype=dt)            # column block t is z_t = [x_t; h_{t-1}; 1]
    Z[:D, :T] = x.transpose(2, 1, 0)
    Z[:D, T] = 0.0
    Z[D:D + H, 0] = h0.T
    Z[D + H] = 1.0
    C = np.empty((T + 1, H, N), dtype=dt)            # C[t + 1] is c_t, C[0] is c0
    C[0] = c0.T
    G = np.empty((T, 4 * H, N), dtype=dt)            # activated gates i, f, g, o per step
    TC = np.empty((T, H, N), dtype=dt)               # tanh(c_t), reused by backward
    tmp = np.empty((H, N), dtype=dt)
    with np.errstate(over="ignore"):                 # exp(large) = inf gives sigmoid 0, as it should
        for t in range(T):
            g = G[t]
            np.matmul(w_cat, Z[:, t], out=g)         # (4H, N): -a for i, f, o; -2a for g
            np.exp(g, out=g)
            g += 1.0
            np.reciprocal(g, out=g)                  # sigmoid(a); for the g rows sigmoid(2a)
            i, f, gg, o = g[:H], g[H:2 * H], g[2 * H:3 * H], g[3 * H:]
            gg *= 2.0
            gg -= 1.0                                # g = tanh(a) = 2 sigmoid(2a) - 1
            c = C[t + 1]
            np.multiply(f, C[t], out=c)              # c_t = f * c_{t-1} + i * g
            np.multiply(i, gg, out=tmp)
            c += tmp
            _tanh(c, TC[t])
            np.multiply(o, TC[t], out=Z[D:D + H, t + 1])   # h_t, straight into z_{t+1}
    Hs = Z[D:D + H]                                  # (H, T + 1, N): h_0 .. h_T
    cache = {"x": x, "Z": Z, "G": G, "C": C, "TC": TC, "D": D,
             "w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh,
             # batch-first views for readers (no copies)
             "h": Hs.transpose(2, 1, 0), "c": C.transpose(2, 0, 1), "gates": G.transpose(2, 0, 1)}
    return Hs[:, 1:].transpose(2, 1, 0), Hs[:, T].T, C[T].T, cache


def backward(dy, dh_T, dc_T, cache, record=None):
    """Backpropagation through time over the whole sequence.

    dy (N, T, H) is the gradient on every output, dh_T and dc_T (N, H) the
    gradient on the final state. Returns dx (N, T, D), dh0, dc0 and the weight
    gradients (dW_ih, dW_hh, db_ih, db_hh). If ``record`` is a dict, the
    per-step gradients are stored in it: ``dh`` and ``dc`` (N, T, H), the total
    gradient on h_t and c_t, and ``da`` (N, T, 4H) on the pre-activations.
    """
    Z, G, C, TC, D = cache["Z"], cache["G"], cache["C"], cache["TC"], cache["D"]
    w_ih, w_hh = cache["w_ih"], cache["w_hh"]
    T, H4, N = G.shape
    H = H4 // 4
    dt = G.dtype
    i, f, g, o = G[:, :H], G[:, H:2 * H], G[:, 2 * H:3 * H], G[:, 3 * H:]

    # local derivatives for every step at once (T, ., N)
    A = o * (1.0 - TC * TC)                          # dc_t += dh_t * A_t
    P = np.empty((T, 4 * H, N), dtype=dt)
    P[:, :H] = g * i * (1.0 - i)                     # da_i = dc * P_i
    P[:, H:2 * H] = C[:T] * f * (1.0 - f)            # da_f = dc * P_f
    P[:, 2 * H:3 * H] = i * (1.0 - g * g)            # da_g = dc * P_g
    P[:, 3 * H:] = TC * o * (1.0 - o)                # da_o = dh * P_o
    P_cell = P[:, :3 * H].reshape(T, 3, H, N)
    dY = np.ascontiguousarray(dy.transpose(1, 2, 0))  # (T, H, N)

    DA = np.empty((4 * H, T, N), dtype=dt)           # gradient on the pre-activations
    dh_next = dh_T.T.copy()                   # a copy: we update it in place           # (H, N)
    dc = dc_T.T.copy()
    dh = np.empty((H, N), dtype=dt)
    tmp = np.empty((H, N), dtype=dt)
    w_hh_T = np.ascontiguousarray(w_hh.T)            # (H, 4H)
    if record is not None:
        rec_dh, rec_dc = np.empty((T, H, N), dtype=dt), np.empty((T, H, N), dtype=dt)
    for t in reversed(range(T)):
        np.add(dY[t], dh_next, out=dh)               # dh_t: from the output and from step t + 1
        np.multiply(dh, A[t], out=tmp)
        dc += tmp                                    # dc_t
        da = DA[:, t]
        np.multiply(P_cell[t], dc, out=da[:3 * H].reshape(3, H, N))   # da_i, da_f, da_g
        np.multiply(dh, P[t, 3 * H:], out=da[3 * H:])                 # da_o
        if record is not None:
            rec_dh[t], rec_dc[t] = dh, dc
        dc *= f[t]                                   # dc_{t-1}
        np.matmul(w_hh_T, da, out=dh_next)           # dh_{t-1} = W_hh^T da_t
    DA2 = DA.reshape(4 * H, T * N)
    dw = DA2 @ Z[:, :T].reshape(Z.shape[0], T * N).T   # (4H, K): [dW_ih | dW_hh | db] in one product
    dx = (w_ih.T @ DA2).reshape(D, T, N).transpose(2, 1, 0)
    if record is not None:
        record.update(dh=rec_dh.transpose(2, 0, 1), dc=rec_dc.transpose(2, 0, 1), da=DA.transpose(2, 1, 0))
    db = np.ascontiguousarray(dw[:, D + H])
    return (dx, dh_next.T, dc.T,
            (np.ascontiguousarray(dw[:, :D]), np.ascontiguousarray(dw[:, D:D + H]), db, db.copy()))

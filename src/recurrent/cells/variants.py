"""Every variant of the three cells that ONNX and Keras define, a step at a time, with its BPTT.

The fast cells (``lstm.py``, ``gru.py``, ``rnn.py``) compute PyTorch's equations. The
variants here run in plain NumPy over the steps, written like their equations, and the
layers switch to them when an option asks for one:

    activations   per gate, from ONNX's list (``activations.ONNX_ACTIVATIONS``): LSTM (f, g, h),
                  GRU (f, g), RNN (f,): f for the gates, g for the candidate, h for the output
    clip          c: every pre-activation is clipped to [-c, c] before its activation, as
                  ONNX's cell clip ("applied to the input of activations"); the gradient is
                  zero where the clip bites
    LSTM          peepholes p_i, p_f, p_o (ONNX's P, in our gate order i, f, o):
                      i = f(a_i + p_i * c_prev)   f = f(a_f + p_f * c_prev)
                      c = f * c_prev + i * g      o = f(a_o + p_o * c)   (the new cell state)
                  input_forget: the forget gate is coupled, f = 1 - i
    GRU           reset_after=False (ONNX linear_before_reset=0, Keras reset_after=False): the
                  reset gate applies to h before the recurrent product,
                      n = g(W_in x + b_in + W_hn (r * h) + b_hn)
                  instead of PyTorch's n = g(W_in x + b_in + r * (W_hn h + b_hn))
    recurrent dropout (Keras' recurrent_dropout): a mask m (N, H), one per sequence, multiplies
                  h wherever it enters a recurrent product (m * h); the GRU's carry z * h
                  keeps h itself

Weights have PyTorch's names, shapes and gate orders (LSTM i, f, g, o; GRU r, z, n).
``forward`` and ``backward`` have the fast cells' signature, so the layers (and batches of
different lengths) chain them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import activations as act
from .sequence import Cache
from .spec import SPECS

DEFAULTS = {name: spec.defaults for name, spec in SPECS.items()}  # each cell's default activations


@dataclass(frozen=True)
class Options:
    """What makes a cell a variant; ``Options(cell)`` is PyTorch's cell itself."""

    cell: str
    activations: tuple = ()  # (name, alpha, beta) each; () for the defaults
    clip: float | None = None
    peepholes: bool = False  # LSTM
    input_forget: bool = False  # LSTM
    reset_after: bool = True  # GRU

    @property
    def acts(self) -> tuple:
        """The three activations in use (gate, candidate, output), the cell's defaults where none were given."""
        return self.activations or DEFAULTS[self.cell]

    @property
    def plain(self) -> bool:
        """PyTorch's equations exactly: the fast cells can run it."""
        relu_rnn = self.cell == "rnn" and self.acts == (("relu", None, None),)  # PyTorch's nonlinearity="relu"
        return (
            (self.acts == DEFAULTS[self.cell] or relu_rnn)
            and self.clip is None
            and not self.peepholes
            and not self.input_forget
            and self.reset_after
        )


@dataclass(frozen=True)
class VariantCache(Cache):
    """Per-step values for backward (each a list over steps) and the batch-first views the
    layers and ``trace`` read: h (N, T + 1, H), c (N, T + 1, H) or None, gates (N, T, G*H)."""

    opts: Options
    x: np.ndarray
    weights: tuple
    peephole: np.ndarray | None
    mask: np.ndarray | None
    pre: list  # each step's pre-activations (after peepholes, before the clip), (N, G*H)
    h: np.ndarray
    c: np.ndarray | None
    gates: np.ndarray
    extra: list  # GRU: each step's recurrent part of n (W_hn h + b_hn, or W_hn (r h) + b_hn)

    def preactivations(self) -> np.ndarray:
        """(N, T, G H) the pre-activations as forward kept them (peepholes added, before any clip)."""
        return np.stack(self.pre, axis=1)


def _clip(opts, a):
    return a if opts.clip is None else np.clip(a, -opts.clip, opts.clip)


def _dclip(opts, a):
    """The clip's derivative: 1 inside [-c, c], 0 where it bites."""
    return 1.0 if opts.clip is None else (np.abs(a) <= opts.clip).astype(a.dtype)


def forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, *, opts: Options, peephole=None, mask=None):
    """Run the variant over x (N, T, D) from (h0, c0): (y (N, T, H), h_T, c_T or None, VariantCache).

    ``peephole`` (3H,): p_i, p_f, p_o for an LSTM with peepholes; ``mask`` (N, H): recurrent dropout.
    """
    N, T, _ = x.shape
    H = w_hh.shape[1]
    f_act, g_act = opts.acts[0], opts.acts[1] if len(opts.acts) > 1 else None
    hs = np.empty((N, T + 1, H), dtype=x.dtype)
    hs[:, 0] = h0
    cs = None
    if opts.cell == "lstm":
        cs = np.empty((N, T + 1, H), dtype=x.dtype)
        cs[:, 0] = c0
    G = w_hh.shape[0] // H
    gates = np.empty((N, T, G * H), dtype=x.dtype)
    pre, extra = [], []
    for t in range(T):
        h = hs[:, t]
        hm = h if mask is None else h * mask  # what the recurrent products see
        ax = x[:, t] @ w_ih.T + b_ih
        if opts.cell == "lstm":
            c_prev = cs[:, t]
            a = ax + hm @ w_hh.T + b_hh
            a_i, a_f, a_g, a_o = (a[:, k * H : (k + 1) * H] for k in range(4))
            if peephole is not None:
                a_i = a_i + peephole[:H] * c_prev
                a_f = a_f + peephole[H : 2 * H] * c_prev
            i = act.apply(f_act, _clip(opts, a_i))
            f = 1.0 - i if opts.input_forget else act.apply(f_act, _clip(opts, a_f))
            g = act.apply(g_act, _clip(opts, a_g))
            c = f * c_prev + i * g
            if peephole is not None:
                a_o = a_o + peephole[2 * H :] * c  # the output gate sees the new cell state
            o = act.apply(f_act, _clip(opts, a_o))
            hs[:, t + 1] = o * act.apply(opts.acts[2], c)
            cs[:, t + 1] = c
            pre.append(np.concatenate([a_i, a_f, a_g, a_o], axis=1))
            gates[:, t] = np.concatenate([i, f, g, o], axis=1)
        elif opts.cell == "gru":
            xr, xz, xn = ax[:, :H], ax[:, H : 2 * H], ax[:, 2 * H :]
            rz = hm @ w_hh[: 2 * H].T + b_hh[: 2 * H]
            a_r, a_z = xr + rz[:, :H], xz + rz[:, H:]
            r, z = act.apply(f_act, _clip(opts, a_r)), act.apply(f_act, _clip(opts, a_z))
            if opts.reset_after:
                hn = hm @ w_hh[2 * H :].T + b_hh[2 * H :]
                a_n = xn + r * hn
            else:
                hn = (r * hm) @ w_hh[2 * H :].T + b_hh[2 * H :]
                a_n = xn + hn
            n = act.apply(g_act, _clip(opts, a_n))
            hs[:, t + 1] = (1.0 - z) * n + z * h
            pre.append(np.concatenate([a_r, a_z, a_n], axis=1))
            extra.append(hn)
            gates[:, t] = np.concatenate([r, z, n], axis=1)
        else:
            a = ax + hm @ w_hh.T + b_hh
            hs[:, t + 1] = act.apply(f_act, _clip(opts, a))
            pre.append(a)
            gates[:, t] = hs[:, t + 1]
    cache = VariantCache(opts, x, (w_ih, w_hh, b_ih, b_hh), peephole, mask, pre, hs, cs, gates, extra)
    return hs[:, 1:], hs[:, T], (cs[:, T] if cs is not None else None), cache


def backward(dy, dh_T, dc_T, cache: VariantCache, dc_steps=None, record=None):
    """BPTT: (dx, dh0, dc0 or None, grads), grads (dW_ih, dW_hh, db_ih, db_hh) and, with peepholes,
    the peephole gradient (3H,) after them. ``dc_steps`` as the fast LSTM's. If ``record`` is a dict,
    it receives the per-step gradients the fast cells record (N, T, .): ``dh`` (the total on h_t),
    ``dc`` (LSTM: the total on c_t), ``da`` (LSTM, RNN: on each pre-activation), and for the GRU
    ``dax`` (on each pre-activation) and ``dah`` (r, z: the same; n: on its recurrent part)."""
    opts, x, m, p = cache.opts, cache.x, cache.mask, cache.peephole
    w_ih, w_hh, b_ih, b_hh = cache.weights
    N, T, _ = x.shape
    H = w_hh.shape[1]
    f_act, g_act = opts.acts[0], opts.acts[1] if len(opts.acts) > 1 else None
    grads = tuple(np.zeros_like(w) for w in cache.weights)  # dW_ih, dW_hh, db_ih, db_hh, summed over steps
    dW_ih, dW_hh, db_ih, db_hh = grads
    dp = None if p is None else np.zeros_like(p)
    dx = np.empty_like(x)
    dh = np.array(dh_T)
    dc = None if dc_T is None else np.array(dc_T)
    steps = {"dh": [], "dc": [], "da": [], "dah": []}  # kept only for a record, in reverse step order
    for t in reversed(range(T)):
        dh = dh + dy[:, t]
        steps["dh"].append(dh)
        h = cache.h[:, t]
        hm = h if m is None else h * m
        a = cache.pre[t]
        if opts.cell == "lstm":
            if dc_steps is not None:
                dc = dc + dc_steps[:, t]
            c_prev, c = cache.c[:, t], cache.c[:, t + 1]
            i, f, g, o = (cache.gates[:, t, k * H : (k + 1) * H] for k in range(4))
            a_i, a_f, a_g, a_o = (a[:, k * H : (k + 1) * H] for k in range(4))
            hc = act.apply(opts.acts[2], c)
            da_o = dh * hc * act.derivative(f_act, _clip(opts, a_o)) * _dclip(opts, a_o)
            dct = dc + dh * o * act.derivative(opts.acts[2], c)
            if p is not None:
                dct = dct + da_o * p[2 * H :]
            di = dct * g
            dg = dct * i
            df = dct * c_prev
            if opts.input_forget:
                di, df = di - df, np.zeros_like(df)  # f = 1 - i
            da_i = di * act.derivative(f_act, _clip(opts, a_i)) * _dclip(opts, a_i)
            da_f = df * act.derivative(f_act, _clip(opts, a_f)) * _dclip(opts, a_f)
            da_g = dg * act.derivative(g_act, _clip(opts, a_g)) * _dclip(opts, a_g)
            dc = dct * f
            if p is not None:
                dc = dc + da_i * p[:H] + da_f * p[H : 2 * H]
                dp += np.concatenate([(da_i * c_prev).sum(0), (da_f * c_prev).sum(0), (da_o * c).sum(0)])
            da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)
            steps["dc"].append(dct)
            steps["da"].append(da)
            dx[:, t], dh = _through_weights(da, x[:, t], hm, m, cache.weights, grads)
        elif opts.cell == "gru":
            r, z, n = (cache.gates[:, t, k * H : (k + 1) * H] for k in range(3))
            a_r, a_z, a_n = (a[:, k * H : (k + 1) * H] for k in range(3))
            hn = cache.extra[t]
            da_n = dh * (1.0 - z) * act.derivative(g_act, _clip(opts, a_n)) * _dclip(opts, a_n)
            da_z = dh * (h - n) * act.derivative(f_act, _clip(opts, a_z)) * _dclip(opts, a_z)
            dh_carry = dh * z
            if opts.reset_after:
                dr = da_n * hn
                d_hn = da_n * r  # on W_hn h + b_hn
                dW_hh[2 * H :] += d_hn.T @ hm
                dhm = d_hn @ w_hh[2 * H :]
            else:
                d_rh = da_n @ w_hh[2 * H :]  # on r * h
                dr = d_rh * hm
                d_hn = da_n
                dW_hh[2 * H :] += da_n.T @ (r * hm)
                dhm = d_rh * r
            db_hh[2 * H :] += d_hn.sum(0)
            da_r = dr * act.derivative(f_act, _clip(opts, a_r)) * _dclip(opts, a_r)
            d_rz = np.concatenate([da_r, da_z], axis=1)
            dW_hh[: 2 * H] += d_rz.T @ hm
            db_hh[: 2 * H] += d_rz.sum(0)
            dhm = dhm + d_rz @ w_hh[: 2 * H]
            dax = np.concatenate([da_r, da_z, da_n], axis=1)
            steps["da"].append(dax)
            steps["dah"].append(np.concatenate([da_r, da_z, d_hn], axis=1))
            dW_ih += dax.T @ x[:, t]
            db_ih += dax.sum(0)
            dx[:, t] = dax @ w_ih
            dh = dh_carry + dhm * (1.0 if m is None else m)
        else:
            da = dh * act.derivative(f_act, _clip(opts, a)) * _dclip(opts, a)
            steps["da"].append(da)
            dx[:, t], dh = _through_weights(da, x[:, t], hm, m, cache.weights, grads)
    if record is not None:
        record.update({k: np.stack(v[::-1], axis=1) for k, v in steps.items() if v})
        if opts.cell == "gru":
            record["dax"] = record.pop("da")
    return dx, dh, dc, grads + ((dp,) if dp is not None else ())


def _through_weights(da, x_t, hm, m, weights, grads):
    """A step's pre-activation gradient da (N, G*H) through W_ih x + W_hh (m h) + b_ih + b_hh:
    adds to the weight gradients and returns (dx_t, dh_{t-1})."""
    w_ih, w_hh = weights[0], weights[1]
    grads[0][...] += da.T @ x_t
    grads[1][...] += da.T @ hm
    grads[2][...] += da.sum(0)
    grads[3][...] += da.sum(0)
    return da @ w_ih, (da @ w_hh) * (1.0 if m is None else m)

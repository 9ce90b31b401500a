"""Integrated gradients over the library's own backward pass, for the forecaster's networks (``explaining``).

For a network F (a window ``Sequential`` or a ``ForecastNet``), an input x and a baseline x0, output step h's
attribution to input k is (x_k - x0_k) times the integral over a in [0, 1] of dF_h/dx_k at x0 + a (x - x0);
the integral by Gauss-Legendre quadrature, its nodes doubled for a window until the attributions sum to
F_h(x) - F_h(x0) (completeness). ``input_gradients`` is the one place the networks' input gradient is taken.
"""

from __future__ import annotations

import numpy as np

from .network import ForecastNet

MAX_BATCH = 20_000  # windows per forward and backward (m * series * horizon in a chunk)


def gauss_legendre(points: int):
    """Nodes and weights of Gauss-Legendre quadrature on [0, 1]."""
    t, w = np.polynomial.legendre.leggauss(points)
    return (t + 1) / 2, w / 2


def input_gradients(net, x, dy):
    """d(sum(dy * net(x))) / dx for a window network (``Sequential``) or a ``ForecastNet``, float64."""
    if isinstance(net, ForecastNet):
        L, H, K = net.lookback, net.horizon, net.n_future
        xw, xf = net.split(x)
        _, cw = net.window.forward(xw)
        dx = np.zeros_like(x)
        dx[:, :L], _ = net.window.backward(dy, cw)
        dx[:, L:, :K] = (dy @ net.future.params["weight"]).reshape(len(x), H, K)
        return dx
    _, cache = net.forward(x)
    dx, _ = net.backward(dy, cache)
    return dx


def integrated_gradients(net, x, x0, rows, points=16, tol=1e-9):
    """Attributions (len(rows), ...input shape) of output step h of window i, for each (i, h) in ``rows``: each
    input's (x - x0) times the path integral of d net_h / d input, by Gauss-Legendre quadrature on ``points``
    nodes; a row whose attributions miss net_h(x) - net_h(x0) by more than ``tol`` (relative) is done again with
    twice the nodes, up to 256. Returns (attributions, net(x) (B, H), net(x0) (B, H), the nodes each row took)."""
    fx, fx0 = net.forward(x)[0], net.forward(x0)[0]
    rows = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
    out = np.zeros((len(rows),) + x.shape[1:])
    used = np.zeros(len(rows), dtype=np.int64)
    todo = np.arange(len(rows))
    while len(todo):
        out[todo] = _ig_rows(net, x, x0, rows[todo], points)
        used[todo] = points
        i, h = rows[todo, 0], rows[todo, 1]
        want = fx[i, h] - fx0[i, h]
        miss = np.abs(want - out[todo].reshape(len(todo), -1).sum(axis=1))
        todo = todo[miss > tol * np.maximum(np.abs(want), 1e-3)]
        points *= 2
        if points > 256:
            break
    return out, fx, fx0, used


def _ig_rows(net, x, x0, rows, points):
    """``integrated_gradients`` at a fixed number of nodes, one forward and backward per chunk of rows."""
    nodes, weights = gauss_legendre(points)
    H = _outputs(net)
    out = np.zeros((len(rows),) + x.shape[1:])
    per = max(1, MAX_BATCH // points)
    for s in range(0, len(rows), per):
        i, h = rows[s : s + per, 0], rows[s : s + per, 1]
        xs, x0s = x[i], x0[i]
        path = (x0s[None] + nodes[:, None, None, None] * (xs - x0s)[None]).reshape((-1,) + x.shape[1:])
        dy = np.zeros((points * len(i), H))
        dy[np.arange(points * len(i)), np.tile(h, points)] = 1.0  # each copy: its row's output step
        g = input_gradients(net, path, dy).reshape((points, len(i)) + x.shape[1:])
        out[s : s + per] = np.einsum("m,mb...->b...", weights, g) * (xs - x0s)
    return out


def _outputs(net) -> int:
    return net.horizon if isinstance(net, ForecastNet) else net.layers[-1].out_features


def naive_window(x, lookback):
    """The baseline: the relative log values and the covariates 0 (the last value repeated; covariates at their
    training mean), the padding flags kept."""
    x0 = np.zeros_like(x)
    x0[:, :lookback, 1] = x[:, :lookback, 1]
    return x0


def median_shares(outs):
    """(J, B, H): each network's share in the median at each series and step (np.median's own choice)."""
    J = len(outs)
    order = np.argsort(outs, axis=0, kind="stable")
    share = np.zeros_like(outs)
    mids = [J // 2] if J % 2 else [J // 2 - 1, J // 2]
    for m in mids:
        np.put_along_axis(share, order[m : m + 1], 1.0 / len(mids), axis=0)
    return share

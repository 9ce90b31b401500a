"""The statistical benchmarks every forecast is scored against, on the same series.

    naive           repeat the last value
    seasonal_naive  repeat the last season
    naive2          naive on the series seasonally adjusted by classical multiplicative
                    decomposition, when the lag-m autocorrelation is significant at 90%
                    (the M competitions' benchmark), then re-seasonalised
    ses             simple exponential smoothing on the same adjusted series
    theta           the Theta method (Assimakopoulos & Nikolopoulos 2000) as Hyndman &
                    Billah write it: SES plus half the slope of a straight-line fit,
                    on the same adjusted series

All take a 1-D training series, the horizon and the season m, and return the forecast.
The seasonal adjustment is fitted once per series (``seasonal_indices``) and shared.
"""

from __future__ import annotations

import numpy as np


def naive(train, horizon) -> np.ndarray:
    """The last value, repeated ``horizon`` times."""
    return np.full(horizon, float(np.asarray(train)[-1]))


def seasonal_naive(train, horizon, m) -> np.ndarray:
    """Repeat the last full season; with m <= 1 or fewer than m values, the naive forecast."""
    train = np.asarray(train, dtype=np.float64)
    if m is None or m <= 1 or m > len(train):
        return naive(train, horizon)
    return train[-m:][np.arange(horizon) % m]


def acf(x, k) -> float:
    """The autocorrelation of ``x`` at lag ``k`` (0 for a constant series or a lag past its end)."""
    x = np.asarray(x, dtype=np.float64)
    d = x - x.mean()
    den = float(np.dot(d, d))
    return float(np.dot(d[:-k], d[k:]) / den) if den > 0 and k < len(x) else 0.0


def is_seasonal(x, m) -> bool:
    """The M4 seasonality test: |acf(m)| > 1.645 sqrt((1 + 2 sum_{k<m} acf(k)^2) / n), with n >= 3m."""
    x = np.asarray(x, dtype=np.float64)
    if m is None or m <= 1 or len(x) < 3 * m:
        return False
    s = sum(acf(x, k) ** 2 for k in range(1, m))
    return abs(acf(x, m)) > 1.645 * np.sqrt((1 + 2 * s) / len(x))


def seasonal_indices(train, m) -> np.ndarray:
    """Classical multiplicative decomposition's m seasonal indices (mean 1), or ones.

    Ones when the series is not seasonal by ``is_seasonal``, or has a value <= 0. The
    index for position j belongs to the values at t with t % m == j, counted from the
    series' first value; ``seasonal_factors`` extends them over any range of t.
    """
    return seasonal_indices_many(np.asarray(train, dtype=np.float64)[None], m)[0]


def seasonal_factors(indices, start, stop) -> np.ndarray:
    """The seasonal index for each t in start..stop-1."""
    return np.asarray(indices)[np.arange(start, stop) % len(indices)]


def _adjusted(train, m, indices=None):
    x = np.asarray(train, dtype=np.float64)
    si = seasonal_indices(x, m) if indices is None else indices
    return x / seasonal_factors(si, 0, len(x)), si


def naive2(train, horizon, m, indices=None) -> np.ndarray:
    """Naive on the series seasonally adjusted by classical multiplicative decomposition (when the lag-m
    autocorrelation is significant), reseasonalised: the M competitions' benchmark."""
    adj, si = _adjusted(train, m, indices)
    n = len(adj)
    return np.full(horizon, adj[-1]) * seasonal_factors(si, n, n + horizon)


_ALPHAS = np.linspace(0.01, 0.99, 99)


def ses_fit(x):
    """(alpha, level): SES with the smoothing weight and the initial level minimising the
    one-step squared errors (the initial level in closed form for each alpha on a grid)."""
    alpha, level = ses_fit_many(np.asarray(x, dtype=np.float64)[None])
    return float(alpha[0]), float(level[0])


def ses(train, horizon, m=1, indices=None) -> np.ndarray:
    """Simple exponential smoothing (weight and initial level minimising the one-step squared errors,
    ``ses_fit``) on the seasonally adjusted series, reseasonalised: a flat forecast times the factors."""
    adj, si = _adjusted(train, m, indices)
    n = len(adj)
    _, level = ses_fit(adj)
    return np.full(horizon, level) * seasonal_factors(si, n, n + horizon)


def theta(train, horizon, m=1, indices=None) -> np.ndarray:
    """SES forecast plus b/2 (h - 1 + (1 - (1 - alpha)^n) / alpha), b the straight-line slope."""
    adj, si = _adjusted(train, m, indices)
    n = len(adj)
    return theta_many(adj[None], horizon)[0] * seasonal_factors(si, n, n + horizon)


BASELINES = {
    "naive": lambda x, h, m, si: naive(x, h),
    "seasonal_naive": lambda x, h, m, si: seasonal_naive(x, h, m),
    "naive2": naive2,
    "ses": ses,
    "theta": theta,
}


def all_baselines(train, horizon, m, names=("naive", "seasonal_naive", "naive2")) -> dict:
    """{name: forecast} for the named baselines, sharing one seasonal adjustment."""
    si = seasonal_indices(train, m)
    return {k: BASELINES[k](train, horizon, m, si) for k in names}


# ---- the same, for many series of one length at once ------------------------------------------


def seasonal_indices_many(X, m) -> np.ndarray:
    """``seasonal_indices`` for each row of X (S, n): (S, m), ones where a row is not seasonal."""
    X = np.asarray(X, dtype=np.float64)
    S, n = X.shape
    m = max(int(m or 1), 1)
    out = np.ones((S, m))
    if m <= 1 or n < 3 * m:
        return out
    d = X - X.mean(axis=1, keepdims=True)
    den = (d * d).sum(axis=1)
    safe = np.where(den > 0, den, 1.0)
    acfs = np.stack([(d[:, :-k] * d[:, k:]).sum(axis=1) / safe for k in range(1, m + 1)], axis=1)
    acfs[den == 0] = 0.0
    limit = 1.645 * np.sqrt((1 + 2 * (acfs[:, : m - 1] ** 2).sum(axis=1)) / n)
    seasonal = (np.abs(acfs[:, m - 1]) > limit) & np.all(X > 0, axis=1)
    if not seasonal.any():
        return out
    Z = X[seasonal]
    w = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    half = len(w) // 2
    trend = sum(w[k] * Z[:, k : n - len(w) + 1 + k] for k in range(len(w)))
    ratio = Z[:, half : n - half] / trend
    pos = np.arange(half, n - half) % m
    idx = np.stack([ratio[:, pos == j].mean(axis=1) for j in range(m)], axis=1)
    out[seasonal] = idx / idx.mean(axis=1, keepdims=True)
    return out


def ses_fit_many(X, chunk=1000):
    """``ses_fit`` for each row of X (S, n): (alpha (S,), level (S,))."""
    X = np.asarray(X, dtype=np.float64)
    S, n = X.shape
    if n < 2:
        return np.full(S, 0.5), X[:, -1].copy()
    a = _ALPHAS[None, :]
    c = (1 - _ALPHAS[:, None]) ** np.arange(n)  # (alphas, n)
    cc = (c * c).sum(axis=1)
    alphas, levels = np.empty(S), np.empty(S)
    for lo in range(0, S, chunk):
        x = X[lo : lo + chunk]
        A = np.zeros((len(x), len(_ALPHAS)))
        rc = np.zeros_like(A)
        rr = np.zeros_like(A)
        for t in range(n):
            r = x[:, t : t + 1] - A  # (s, alphas)
            rc += r * c[:, t]
            rr += r * r
            A = a * x[:, t : t + 1] + (1 - a) * A
        l0 = rc / cc
        sse = rr - 2 * l0 * rc + l0 * l0 * cc
        k = np.argmin(sse, axis=1)
        rows = np.arange(len(x))
        alphas[lo : lo + chunk] = _ALPHAS[k]
        levels[lo : lo + chunk] = A[rows, k] + (1 - _ALPHAS[k]) ** n * l0[rows, k]
    return alphas, levels


def theta_many(X, horizon) -> np.ndarray:
    """``theta`` (no seasonal adjustment) for each row of X (S, n): (S, horizon)."""
    X = np.asarray(X, dtype=np.float64)
    S, n = X.shape
    alpha, level = ses_fit_many(X)
    if n >= 2:
        t = np.arange(n) - (n - 1) / 2
        slope = (X * t).sum(axis=1) / (t * t).sum()
    else:
        slope = np.zeros(S)
    h = np.arange(horizon)
    return level[:, None] + slope[:, None] / 2 * (h[None, :] + ((1 - (1 - alpha) ** n) / alpha)[:, None])

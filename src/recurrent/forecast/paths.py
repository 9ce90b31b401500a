"""Sample paths drawn from the calibrated forecast distribution (``Forecaster.simulate``).

Each step's distribution is the one the intervals come from: its quantiles at the probabilities
(j + 1/2) / 200, j = 0..199 (``predict(quantiles=...)``), joined linearly; a draw u ~ U(0, 1) is read
off them (held at the outermost quantile beyond them). Steps are drawn independently: the calibration
is per step, not joint, so a path's steps are as far apart as their marginals allow. The empirical
quantiles of many paths converge to ``predict``'s quantiles and intervals (tested).
"""

from __future__ import annotations

import numpy as np

from .. import _checks as chk

GRID = (np.arange(200) + 0.5) / 200


def simulate(f, Y=None, horizon=None, num_samples=100, seed=None, **predict_kw) -> dict:
    """id -> (num_samples, horizon) sample paths of each series' next values."""
    num_samples = chk.positive_int("simulate", "num_samples", num_samples)
    if num_samples > 1_000_000:
        raise ValueError(f"simulate: `num_samples` must be at most 1,000,000, got {num_samples:,}")
    f._check_fitted()
    if not isinstance(Y, dict) and not (Y is None and f.batch_.kind == "dict"):  # before any forecast is made
        raise ValueError("simulate: give the series as a dict of arrays (or none, when the fit took a dict)")
    out = f.predict(Y, horizon=horizon, quantiles=list(GRID), **predict_kw)
    rng = np.random.default_rng(seed)
    paths = {}
    for uid, d in out.items():
        Q = np.array([d[f"q{q:g}"] for q in GRID])  # (200, horizon)
        u = rng.random((num_samples, Q.shape[1]))
        paths[uid] = np.stack([np.interp(u[:, t], GRID, Q[:, t]) for t in range(Q.shape[1])], axis=1)
    return paths


def crps(actual, samples) -> float:
    """The continuous ranked probability score of sample paths (num_samples, h) against ``actual`` (h,),
    averaged over the steps: E|X - y| - E|X - X'| / 2 (the energy form, exact for the samples)."""
    s = np.sort(np.asarray(samples, dtype=np.float64), axis=0)
    y = np.asarray(actual, dtype=np.float64)
    n = len(s)
    term1 = np.mean(np.abs(s - y[None, :]), axis=0)
    w = (2 * np.arange(1, n + 1) - n - 1)[:, None]  # sum_{i<j} |x_i - x_j| from the sorted samples
    term2 = 2 * np.sum(w * s, axis=0) / (n * n)
    return float(np.mean(term1 - 0.5 * term2))

"""The statistical member of the ensemble, and how much weight it gets.

The networks' forecast is combined with the Theta method's, in log values:

    log f = w * log f_networks + (1 - w) * log f_theta

with Theta fitted on the log of the seasonally adjusted series (so its straight-line
drift is a constant growth rate, which cannot extrapolate a declining series below
zero). ``w`` is chosen, once per model, from the validation windows: each series'
latest ``horizon`` values, which the networks chosen by early stopping never saw and
Theta is fitted without. Combining a learned model with a robust statistical one is
what the M4 competition's best methods did (ES-RNN is such a hybrid); choosing the
weight on held-out windows of the training data keeps the choice honest on new data.
"""

from __future__ import annotations

import numpy as np

from . import baselines

WEIGHTS = np.linspace(0.0, 1.0, 11)
HISTORY = 5000  # Theta is fitted on at most a series' latest 5,000 values (the cost is linear in them)


def log_theta(y, horizon, m, shift=0.0) -> np.ndarray:
    """Theta on log(y + shift), seasonally adjusted; returns log(forecast + shift)."""
    yp = np.asarray(y, dtype=np.float64)[-HISTORY:] + shift
    si = baselines.seasonal_indices(yp, m)
    n = len(yp)
    adj = np.log(yp / baselines.seasonal_factors(si, 0, n))
    return baselines.theta(adj, horizon, 1) + np.log(baselines.seasonal_factors(si, n, n + horizon))


def log_theta_many(series, horizon, m, shifts=None) -> list:
    """``log_theta`` for many series at once: those of one length are computed together."""
    shifts = np.zeros(len(series)) if shifts is None else np.asarray(shifts, dtype=np.float64)
    series = [np.asarray(s)[-HISTORY:] for s in series]
    out = [None] * len(series)
    lengths = np.array([len(s) for s in series])
    for n in np.unique(lengths):
        idx = np.flatnonzero(lengths == n)
        X = np.stack([series[i] for i in idx]).astype(np.float64) + shifts[idx, None]
        si = baselines.seasonal_indices_many(X, m)
        mm = si.shape[1]
        past = si[:, np.arange(n) % mm]
        future = si[:, np.arange(n, n + horizon) % mm]
        z = baselines.theta_many(np.log(X / past), horizon) + np.log(future)
        for row, i in enumerate(idx):
            out[i] = z[row]
    return out


def choose_weight(z_net, z_theta, z_true, mask, loss="smape") -> float:
    """The weight on the networks (0..1 in tenths) with the lowest loss on the validation windows: sMAPE, MAPE,
    or for "both" the sum of the two (each in its own units, as 200 tanh(|d| / 2) and 100 |e^d - 1|)."""
    best, best_w = np.inf, 1.0
    for w in WEIGHTS:
        d = w * z_net + (1 - w) * z_theta - z_true
        smape_err, mape_err = 2 * np.tanh(np.abs(d) / 2), np.abs(np.exp(np.clip(d, -5, 5)) - 1)
        err = {"smape": smape_err, "mape": mape_err}.get(loss, smape_err + mape_err)
        loss_w = float((err * mask).sum())
        if loss_w < best - 1e-12:
            best, best_w = loss_w, float(w)
    return best_w

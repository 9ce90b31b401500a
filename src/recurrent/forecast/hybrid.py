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


def log_theta(y, horizon, m, shift=0.0) -> np.ndarray:
    """Theta on log(y + shift), seasonally adjusted; returns log(forecast + shift)."""
    yp = np.asarray(y, dtype=np.float64) + shift
    si = baselines.seasonal_indices(yp, m)
    n = len(yp)
    adj = np.log(yp / baselines.seasonal_factors(si, 0, n))
    return baselines.theta(adj, horizon, 1) + np.log(baselines.seasonal_factors(si, n, n + horizon))


def choose_weight(z_net, z_theta, z_true, mask, loss="smape") -> float:
    """The weight on the networks (0..1 in tenths) with the lowest loss (sMAPE or MAPE) on the
    validation windows."""
    best, best_w = np.inf, 1.0
    for w in WEIGHTS:
        d = w * z_net + (1 - w) * z_theta - z_true
        err = np.tanh(np.abs(d) / 2) if loss == "smape" else np.abs(np.exp(np.clip(d, -5, 5)) - 1)
        loss_w = float((err * mask).sum())
        if loss_w < best - 1e-12:
            best, best_w = loss_w, float(w)
    return best_w

"""The statistical member of the ensemble, and how much weight it gets.

The networks' forecast is combined with the Theta method's, in log values:

    log f = w * log f_networks + (1 - w) * log f_theta
    log f_theta = s * theta + (1 - s) * naive2          s, Theta's share: 1, 1/2 or 0

where ``naive2`` is the last seasonally adjusted value carried forward (the competitions'
Naive2, in logs): ``s`` below 1 damps the straight-line drift Theta extrapolates, which is how
the statistical ensembles win on yearly tourism data (a trend that does not go on).

with Theta fitted on the log of the seasonally adjusted series (so its straight-line
drift is a constant growth rate, which cannot extrapolate a declining series below
zero). ``w`` and ``s`` are chosen, once per model, from the validation windows: each series'
latest ``horizon`` values, which the networks chosen by early stopping never saw and
Theta is fitted without. Combining a learned model with a robust statistical one is
what the M4 competition's best methods did (ES-RNN is such a hybrid); choosing the
weight on held-out windows of the training data keeps the choice honest on new data.
"""

from __future__ import annotations

import numpy as np

from . import baselines

WEIGHTS = np.linspace(0.0, 1.0, 11)
SHARES = (1.0, 0.5, 0.0)  # Theta's share in the statistical member, tried in this order (ties keep the first)
HISTORY = 5000  # Theta is fitted on at most a series' latest 5,000 values (the cost is linear in them)


def log_theta(y, horizon, m, shift=0.0, share=1.0) -> np.ndarray:
    """Theta on log(y + shift), seasonally adjusted, ``share`` of it beside Naive2; returns log(forecast + shift)."""
    yp = np.asarray(y, dtype=np.float64)[-HISTORY:] + shift
    si = baselines.seasonal_indices(yp, m)
    n = len(yp)
    adj = np.log(yp / baselines.seasonal_factors(si, 0, n))
    member = share * baselines.theta(adj, horizon, 1) + (1 - share) * adj[-1]
    return member + np.log(baselines.seasonal_factors(si, n, n + horizon))


def log_theta_many(series, horizon, m, shifts=None, share=1.0) -> list:
    """``log_theta`` for many series at once: those of one length are computed together."""
    theta, naive = log_members_many(series, horizon, m, shifts)
    return [share * t + (1 - share) * v for t, v in zip(theta, naive)] if share != 1 else theta


def log_members_many(series, horizon, m, shifts=None) -> tuple:
    """(Theta's, Naive2's) log forecasts of many series, each a list (seasonal factors included in both)."""
    shifts = np.zeros(len(series)) if shifts is None else np.asarray(shifts, dtype=np.float64)
    series = [np.asarray(s)[-HISTORY:] for s in series]
    out, naive = [None] * len(series), [None] * len(series)
    lengths = np.array([len(s) for s in series])
    for n in np.unique(lengths):
        idx = np.flatnonzero(lengths == n)
        X = np.stack([series[i] for i in idx]).astype(np.float64) + shifts[idx, None]
        si = baselines.seasonal_indices_many(X, m)
        mm = si.shape[1]
        past = si[:, np.arange(n) % mm]
        future = si[:, np.arange(n, n + horizon) % mm]
        adj = np.log(X / past)
        z = baselines.theta_many(adj, horizon) + np.log(future)
        last = adj[:, -1:] + np.log(future)
        for row, i in enumerate(idx):
            out[i], naive[i] = z[row], last[row]
    return out, naive


def _loss(d, mask, loss) -> float:
    """The summed loss of log errors ``d``: sMAPE, MAPE, or for "both" the sum of the two (each in its own units,
    as 200 tanh(|d| / 2) and 100 |e^d - 1|)."""
    smape_err, mape_err = 2 * np.tanh(np.abs(d) / 2), np.abs(np.exp(np.clip(d, -5, 5)) - 1)
    err = {"smape": smape_err, "mape": mape_err}.get(loss, smape_err + mape_err)
    return float((err * mask).sum())


def choose(z_net, members, z_true, mask, loss="smape", shares=SHARES, weights=WEIGHTS) -> tuple:
    """(weight on the networks, Theta's share) with the lowest loss on the validation windows; ``members`` is
    (Theta's, Naive2's) log forecasts there; ``weights``: the weights tried (one, for a fixed weight). Ties keep
    the first tried: the smaller weight, the share listed first."""
    theta, naive = (np.asarray(v, dtype=np.float64) for v in members)
    best, best_w, best_s = np.inf, 1.0, 1.0
    for s in shares:
        z_stat = s * theta + (1 - s) * naive
        for w in weights:
            loss_w = _loss(w * z_net + (1 - w) * z_stat - z_true, mask, loss)
            if loss_w < best - 1e-12:
                best, best_w, best_s = loss_w, float(w), float(s)
    return best_w, best_s

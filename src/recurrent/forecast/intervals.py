"""Prediction intervals calibrated on the model's own held-out errors (split conformal).

The fit holds out each series' latest ``horizon`` values (the validation windows) and
forecasts them with the finished combination of networks and Theta. Those errors, in
log values and divided by each series' own scale, are the calibration scores:

    s_i        = sqrt(mean |z_t - z_{t-m}|) over series i's history      z = log(y + shift)
    e[w, h]    = (z_true - z_forecast)[w, h] / s_i(w)               one per window w, step h

and an interval at level 1 - a for a new forecast is, step by step,

    z_forecast[h] + s_i * [Q_h(a/2), Q_h(1 - a/2)]      Q_h: the conformal quantile of e[:, h]

(the ceil((n + 1) q)-th of the n scores at that step). Dividing by s_i lets one table of
scores serve calm and volatile series; the square root tempers it. Measured on M1 (the
95% MSIS, yearly / quarterly / monthly): no division 49.6 / 27.0 / 13.5, division by the
mean difference itself 354 on yearly (a series whose history grows almost evenly gets a
tiny scale, so its errors become huge scores that widen every other series' band), its
square root 39.8 / 17.1 / 9.2. Working in logs makes the bands relative
(a series of millions gets bands of the same proportion as one of tens) and keeps a
positive series' lower bound positive. The upper quantile never shrinks from one step
to the next, nor does the lower grow: the range widens as the forecast reaches further.
With fewer than ``POOL_BELOW`` scores a step, the steps share one shape: each step's
scores are divided by their own mean absolute value, pooled, and the pooled quantile is
scaled back by that step's mean absolute value (a single short series holds only a few
windows).
"""

from __future__ import annotations

import math

import numpy as np

POOL_BELOW = 100  # fewer scores than this at a step: pool the steps' shapes


def _numbers_in(values, owner, name, top, what) -> list:
    """The values (one number or several) as floats, each strictly between 0 and ``top``."""
    if values is None:
        return []
    one = isinstance(values, (int, float, np.integer, np.floating)) and not isinstance(values, bool)
    out = []
    for v in [values] if one else list(values):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not 0 < v < top:
            raise ValueError(f"{owner}: `{name}` must hold numbers strictly between 0 and {top}{what}, got {v!r}")
        out.append(float(v))
    return out


def check_levels(levels, owner="predict") -> list:
    """Levels in percent, each in (0, 100), as floats; None is []."""
    return _numbers_in(levels, owner, "level", 100, " (percent)")


def check_quantiles(quantiles, owner="predict") -> list:
    """Quantile probabilities, each in (0, 1), as floats; None is []."""
    return _numbers_in(quantiles, owner, "quantiles", 1, "")


def level_name(level) -> str:
    """80 -> "80", 99.5 -> "99.5" (for the lo-80 / hi-80 keys)."""
    return f"{level:g}"


def log_scale(y, m, shift=0.0, history=5000) -> float:
    """sqrt(mean |z_t - z_{t-m}|) of z = log(y + shift) over the latest values (lag 1 when too
    short), floored so that a flat series' bands do not vanish entirely."""
    z = np.log(np.asarray(y, dtype=np.float64)[-history:] + shift)
    lag = m if len(z) > m + 1 else 1
    if len(z) <= lag:
        return 0.03
    d = np.abs(z[lag:] - z[:-lag])
    return max(float(np.sqrt(d.mean())), 0.03)


def scores(z_true, z_pred, mask, scales) -> np.ndarray:
    """(windows, H) normalised signed errors; NaN where the target is missing."""
    e = (np.asarray(z_true) - np.asarray(z_pred)) / np.asarray(scales)[:, None]
    return np.where(np.asarray(mask) > 0, e, np.nan)


def _conformal(sorted_vals, q) -> float:
    """The ceil((n + 1) q)-th smallest (upper side) or floor((n + 1) q)-th (lower side), clipped."""
    n = len(sorted_vals)
    if q >= 0.5:
        k = min(math.ceil((n + 1) * q), n)
    else:
        k = max(math.floor((n + 1) * q), 1)
    return float(sorted_vals[k - 1])


def quantile_table(table, probs) -> np.ndarray:
    """(len(probs), H): the calibrated quantile of the normalised error at each step."""
    table = np.asarray(table, dtype=np.float64)
    H = table.shape[1]
    counts = np.isfinite(table).sum(axis=0)
    out = np.zeros((len(probs), H))
    if counts.min(initial=0) >= POOL_BELOW:
        for h in range(H):
            col = np.sort(table[np.isfinite(table[:, h]), h])
            out[:, h] = [_conformal(col, q) for q in probs]
    else:
        spread = np.array([np.nanmean(np.abs(table[:, h])) if counts[h] else np.nan for h in range(H)])
        spread = _fill_steps(spread)
        pooled = np.sort((table / spread[None, :])[np.isfinite(table)])
        if not len(pooled):
            return np.zeros((len(probs), H))
        out[:] = np.array([_conformal(pooled, q) for q in probs])[:, None] * spread[None, :]
    for r, q in enumerate(probs):  # the range never narrows further out
        if q > 0.5:
            out[r] = np.maximum.accumulate(out[r])
        elif q < 0.5:
            out[r] = np.minimum.accumulate(out[r])
    return out


def _fill_steps(spread):
    """Steps without scores take the nearest earlier step's value (or the first known one)."""
    spread = np.array(spread, dtype=np.float64)
    known = np.flatnonzero(np.isfinite(spread) & (spread > 0))
    if not len(known):
        return np.ones_like(spread)
    for h in range(len(spread)):
        if not (np.isfinite(spread[h]) and spread[h] > 0):
            before = known[known < h]
            spread[h] = spread[before[-1]] if len(before) else spread[known[0]]
    return spread


def probabilities(levels, quantiles) -> list:
    """The error quantiles needed: a/2 and 1 - a/2 for each level, then the quantiles asked for."""
    probs = []
    for lv in levels:
        a = 1 - lv / 100
        probs += [a / 2, 1 - a / 2]
    return probs + list(quantiles)


def calibrated(table, levels, quantiles, horizon) -> np.ndarray:
    """(probs, horizon) quantiles of the normalised error; iterated steps past the table keep its
    last step's widths."""
    qt = quantile_table(table, probabilities(levels, quantiles))
    H = qt.shape[1]
    if horizon > H:
        qt = np.concatenate([qt, np.repeat(qt[:, -1:], horizon - H, axis=1)], axis=1)
    return qt[:, :horizon]


def bands(z_forecast, scale, qt, levels, quantiles) -> dict:
    """For one series: {"lo-80": z, "hi-80": z, ..., "q0.1": z, ...} in log values (+ shift)."""
    out, r = {}, 0
    for lv in levels:
        name = level_name(lv)
        out[f"lo-{name}"] = z_forecast + scale * qt[r]
        out[f"hi-{name}"] = z_forecast + scale * qt[r + 1]
        r += 2
    for q in quantiles:
        out[f"q{q:g}"] = z_forecast + scale * qt[r]
        r += 1
    return out

"""Forecast accuracy, as the forecasting competitions score it.

    smape = mean 200 |y - f| / (|y| + |f|)        (M1, M3, M4; 0 where both are 0)
    mape  = mean 100 |y - f| / |y|                 (Tourism; undefined where y = 0)
    mase  = mean |y - f| / mean |x_t - x_{t-m}|    (scaled by the in-sample seasonal naive)
    rmse, mae
    coverage = percent of y inside [lo, hi]
    msis  = mean (hi - lo + 2/a (lo - y)+ + 2/a (y - hi)+) / mean |x_t - x_{t-m}|   (M4; a = 1 - level)
    pinball = mean max(q (y - f_q), (q - 1)(y - f_q))

Each takes the actual values, the forecast and (for MASE) the training series and the
season m. A metric that cannot be computed (MASE on a series whose seasonal differences
are all zero, MAPE on an actual of zero) is ``nan``, never ``inf``: ``aggregate`` leaves
those series out of the mean and says how many it left out.
"""

from __future__ import annotations

import numpy as np


def _pair(actual, forecast):
    a = np.asarray(actual, dtype=np.float64)
    f = np.asarray(forecast, dtype=np.float64)
    if a.shape != f.shape:
        raise ValueError(f"metrics: actual and forecast must have the same shape, got {a.shape} and {f.shape}")
    return a, f


def rmse(actual, forecast) -> float:
    """Root mean squared error."""
    a, f = _pair(actual, forecast)
    return float(np.sqrt(np.mean((a - f) ** 2)))


def mae(actual, forecast) -> float:
    """Mean absolute error."""
    a, f = _pair(actual, forecast)
    return float(np.mean(np.abs(a - f)))


def smape(actual, forecast) -> float:
    """Symmetric MAPE in percent, 0..200; a point where both are 0 counts as 0.

    >>> smape([100, 200], [110, 200])    # 200 * 10 / 210 at the first point, 0 at the second
    4.761904761904762
    """
    a, f = _pair(actual, forecast)
    den = np.abs(a) + np.abs(f)
    terms = np.where(den > 0, 200.0 * np.abs(a - f) / np.where(den > 0, den, 1.0), 0.0)
    return float(np.mean(terms))


def mape(actual, forecast) -> float:
    """Mean absolute percentage error; nan when an actual value is 0."""
    a, f = _pair(actual, forecast)
    if np.any(a == 0):
        return float("nan")
    return float(np.mean(100.0 * np.abs(a - f) / np.abs(a)))


def mase_scale(train, m=1) -> float:
    """In-sample MAE of the seasonal naive forecast (period m; 1 when the series is too short)."""
    train = np.asarray(train, dtype=np.float64)
    m = m if len(train) > m else 1
    if len(train) < 2:
        return float("nan")
    return float(np.mean(np.abs(train[m:] - train[:-m])))


def scale_dominated(train, m=1, ratio=20.0) -> bool:
    """True when a few jumps make MASE's scale: the mean in-sample seasonal difference is more
    than ``ratio`` times the median one (one outlier in a calm series does that, and then
    every MASE on the series is near 0 whatever the forecast)."""
    train = np.asarray(train, dtype=np.float64)
    m = m if len(train) > m else 1
    d = np.abs(train[m:] - train[:-m])
    if len(d) < 3:
        return False
    med = float(np.median(d))
    return bool(d.mean() > ratio * med) if med > 0 else False


def mase(actual, forecast, train, m=1) -> float:
    """MAE scaled by the in-sample MAE of the seasonal naive forecast; nan when that is 0.

    >>> mase([13, 15], [12, 12], train=[10, 11, 12], m=1)    # MAE 2, naive's in-sample MAE 1
    2.0
    """
    scale = mase_scale(train, m)
    return float(mae(actual, forecast) / scale) if scale > 0 else float("nan")


def coverage(actual, lower, upper) -> float:
    """Percent of the actual values inside [lower, upper]."""
    a, lo = _pair(actual, lower)
    _, hi = _pair(actual, upper)
    return float(100.0 * np.mean((a >= lo) & (a <= hi)))


def msis(actual, lower, upper, train, m=1, level=95.0) -> float:
    """Mean scaled interval score (the M4 competition's): the width, plus 2/a times each miss,
    over the in-sample MAE of the seasonal naive forecast; a = 1 - level/100. nan without a scale."""
    a, lo = _pair(actual, lower)
    _, hi = _pair(actual, upper)
    alpha = 1.0 - level / 100.0
    score = (hi - lo) + (2.0 / alpha) * np.maximum(lo - a, 0.0) + (2.0 / alpha) * np.maximum(a - hi, 0.0)
    scale = mase_scale(train, m)
    return float(np.mean(score) / scale) if scale > 0 else float("nan")


def interval_scores(actual, bands, train, m=1) -> dict:
    """``coverage-80``, ``msis-80``, ... for one series: ``bands`` maps each level to (lower, upper)."""
    out = {}
    for level, (lo, hi) in bands.items():
        out[f"coverage-{level:g}"] = coverage(actual, lo, hi)
        out[f"msis-{level:g}"] = msis(actual, lo, hi, train, m, level)
    return out


def pinball(actual, forecast_q, q) -> float:
    """Mean quantile (pinball) loss of a forecast of the q-th quantile."""
    a, f = _pair(actual, forecast_q)
    d = a - f
    return float(np.mean(np.maximum(q * d, (q - 1.0) * d)))


def scaled_crps(actual, quantiles, train, m=1) -> float:
    """The CRPS of a forecast given by its quantiles ``{q: forecast}`` on an even grid of probabilities, as twice
    the mean pinball loss over the grid (the usual approximation: exact as the grid fills (0, 1)), over the
    in-sample MAE of the seasonal naive forecast (MASE's scale, as MSIS uses); nan without a scale.

    >>> scaled_crps([10.0], {0.25: [9.0], 0.5: [10.0], 0.75: [11.0]}, train=[1.0, 2.0, 3.0])  # 2 * mean(.25, 0, .25)
    0.3333333333333333
    """
    value = 2.0 * float(np.mean([pinball(actual, f, q) for q, f in quantiles.items()]))
    scale = mase_scale(train, m)
    return value / scale if scale > 0 else float("nan")


METRICS = ("smape", "mase", "mape", "rmse")


def score(actual, forecast, train, m=1) -> dict:
    """All four metrics for one series."""
    return {
        "smape": smape(actual, forecast),
        "mase": mase(actual, forecast, train, m),
        "mape": mape(actual, forecast),
        "rmse": rmse(actual, forecast),
    }


def aggregate(per_series: list) -> dict:
    """Mean of each metric over series, leaving out the series where it is nan.

    Returns ``{metric: mean, ..., "left_out": {metric: count}}`` for the point metrics, and
    the mean of every further key the rows carry (coverage, MSIS, pinball); a metric with no
    finite value at all is ``None``.
    """
    out, left = {}, {}
    extra = [k for k in per_series[0] if k not in METRICS] if per_series else []
    for k in (*METRICS, *extra):
        vals = np.array([s[k] for s in per_series], dtype=np.float64)
        ok = np.isfinite(vals)
        out[k] = float(vals[ok].mean()) if ok.any() else None
        if k in METRICS:
            left[k] = int((~ok).sum())
    out["left_out"] = left
    return out

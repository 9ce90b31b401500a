"""Forecast with an exported forecaster using only NumPy and onnxruntime: the recipe of forecaster.json, runnable.

    recurrent forecast sales.csv --id-column store --save model.safetensors
    recurrent export model.safetensors --to onnx -o model_onnx/
    python examples/onnx_forecast.py model_onnx/ 112 118 132 129 121 135 148 148 136 119 104 118

``forecast(folder, y)`` returns what ``Forecaster.predict(level=[80, 95])`` returns for one series over the
fitted horizon: the networks' median in log values, combined with the Theta method when the weight on the
networks is below 1, and the calibrated 80% and 95% intervals (tests/test_examples.py checks it against
``predict`` to 1e-5). Nothing from the ``recurrent`` package is imported here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def log_shift(y):
    """0 for a positive series, else what makes every value positive with room."""
    lo = float(y.min())
    return 0.0 if lo > 0 else -lo + (float(np.mean(np.abs(y))) or 1.0)


def seasonal_indices(x, m):
    """Classical multiplicative decomposition's m indices (mean 1) when the lag-m autocorrelation is
    significant at 90% (and every value positive), else ones."""
    n = len(x)
    if m <= 1 or n < 3 * m or np.any(x <= 0):
        return np.ones(max(m, 1))
    d = x - x.mean()
    den = float(d @ d)
    if den == 0:
        return np.ones(m)
    acf = np.array([float(d[:-k] @ d[k:]) / den for k in range(1, m + 1)])
    if abs(acf[m - 1]) <= 1.645 * np.sqrt((1 + 2 * np.sum(acf[: m - 1] ** 2)) / n):
        return np.ones(m)
    w = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    half = len(w) // 2
    trend = sum(w[k] * x[k : n - len(w) + 1 + k] for k in range(len(w)))
    ratio = x[half : n - half] / trend
    pos = np.arange(half, n - half) % m
    idx = np.array([ratio[pos == j].mean() for j in range(m)])
    return idx / idx.mean()


def theta(x, h):
    """The Theta method: SES (weight and initial level by least squares, weights 0.01..0.99) plus half the
    straight-line slope, b/2 (step - 1 + (1 - (1 - alpha)^n) / alpha)."""
    n = len(x)
    alphas = np.linspace(0.01, 0.99, 99)
    c = (1 - alphas[:, None]) ** np.arange(n)
    level, rc, rr = np.zeros(99), np.zeros(99), np.zeros(99)
    for t in range(n):
        r = x[t] - level
        rc += r * c[:, t]
        rr += r * r
        level = alphas * x[t] + (1 - alphas) * level
    cc = (c * c).sum(axis=1)
    l0 = rc / cc
    k = int(np.argmin(rr - 2 * l0 * rc + l0 * l0 * cc))
    a, final = alphas[k], level[k] + (1 - alphas[k]) ** n * l0[k]
    t = np.arange(n) - (n - 1) / 2
    slope = float(x @ t / (t @ t)) if n >= 2 else 0.0
    return final + slope / 2 * (np.arange(h) + (1 - (1 - a) ** n) / a)


def log_theta(y_shifted, h, m, share=1.0):
    """Theta on the log of the series seasonally adjusted (``share`` of it beside the last adjusted value carried
    forward, Naive2), reseasonalised, in log values (latest 5,000 values)."""
    x = y_shifted[-5000:]
    si = seasonal_indices(x, m)
    n = len(x)
    adj = np.log(x / si[np.arange(n) % len(si)])
    return share * theta(adj, h) + (1 - share) * adj[-1] + np.log(si[np.arange(n, n + h) % len(si)])


def log_scale(y_shifted, m):
    """The series' scale in log values: sqrt(mean |z_t - z_{t-m}|), at least 0.03."""
    z = np.log(y_shifted[-5000:])
    lag = m if len(z) > m + 1 else 1
    if len(z) <= lag:
        return 0.03
    return max(float(np.sqrt(np.abs(z[lag:] - z[:-lag]).mean())), 0.03)


def forecast(folder, y, future=None):
    """{"forecast", "lo-80", "hi-80", "lo-95", "hi-95"} for series ``y`` from the exported forecaster in
    ``folder`` (no covariates; ``future``: its known-ahead covariates over the horizon, (H, K), if it has)."""
    import onnxruntime as ort

    folder = Path(folder)
    desc = json.loads((folder / "forecaster.json").read_text())
    y = np.asarray(y, dtype=np.float64)
    H, m = desc["horizon"], desc["season"]
    if np.ptp(y) == 0:  # a constant series: its last value, certain
        f = np.full(H, y[-1])
        return {"forecast": f, **{k: f.copy() for k in ("lo-80", "hi-80", "lo-95", "hi-95")}}
    shift = log_shift(y)
    z = np.log(y + shift)
    n = len(z)
    if n < desc["min_length"]:  # too short for the networks: the last value repeated, with its bands
        return _with_bands(desc, y, shift, np.full(H, z[-1]))
    outs = []
    for net in desc["networks"]:
        L = net["lookback"]
        pos = n - L + np.arange(L)
        inside = pos >= 0
        x = np.zeros((1, L, 2), dtype=np.float32)
        x[0, :, 0] = np.where(inside, z[np.maximum(pos, 0)] - z[-1], 0.0)
        x[0, :, 1] = ~inside
        feeds = {"x": x}
        if desc.get("known_ahead"):
            K = desc["known_ahead"]
            mean, std = np.array(desc["covariates_mean"][-K:]), np.array(desc["covariates_std"][-K:])
            feeds["future"] = ((np.asarray(future) - mean) / std).astype(np.float32).reshape(1, H * K)
        session = ort.InferenceSession(str(folder / net["file"]))
        outs.append(z[-1] + session.run(None, feeds)[0][0].astype(np.float64))
    log_f = np.median(np.array(outs), axis=0)
    w = desc["combine"]["weight_on_networks"]
    if w < 1:
        share = desc["combine"].get("theta_share", 1.0)
        log_f = w * log_f + (1 - w) * log_theta(y + shift, H, m, share)
    return _with_bands(desc, y, shift, log_f)


def _with_bands(desc, y, shift, log_f):
    """The forecast exp(log_f) - shift and its calibrated intervals."""
    out = {"forecast": np.exp(log_f) - shift}
    table = desc["intervals"]["quantiles"]  # rows: lo-80, hi-80, lo-95, hi-95 of the normalised error
    scale = log_scale(y + shift, desc["season"])
    for r, name in enumerate(desc["intervals"]["rows"]):
        out[name] = np.exp(log_f + scale * np.array(table[r])) - shift
    if y.min() >= 0:  # a series that never went below zero is not forecast below it
        out = {k: np.maximum(v, 0.0) for k, v in out.items()}
    return out


if __name__ == "__main__":
    result = forecast(sys.argv[1], [float(v) for v in sys.argv[2:]])
    for k, v in result.items():
        print(k, np.round(v, 3).tolist())

"""Forecasting with a fitted Forecaster: which series the networks take, and their forecasts.

``forecast_batch`` is what ``Forecaster.predict``, ``evaluate`` and the backtests call: the
networks' median (combined with Theta) for the series they can take, the naive forecast for
the rest, and, when asked, calibrated intervals and quantiles around each.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import baselines, hybrid, intervals
from .panel import Batch
from .windows import Panel, gather, log_shift


def jsonable(uid):
    """A series id as JSON can hold it (NumPy scalars become Python's)."""
    return uid.item() if isinstance(uid, np.generic) else uid


def names(ids, k=5) -> str:
    """The first ``k`` ids, and how many more, for a message."""
    shown = ", ".join(repr(jsonable(u)) for u in ids[:k])
    return shown + (f" and {len(ids) - k} more" if len(ids) > k else "")


def sort_series(batch: Batch, min_length: int, combine, where: str, warn: bool = True, stacklevel: int = 3):
    """(usable positions, id -> method, skipped ids), warning about the short series.

    A series of fewer than 2 values is skipped; one shorter than ``min_length`` or constant
    gets the naive forecast; the rest are ``usable`` by the networks. ``stacklevel``: the
    warnings', as ``warnings.warn`` counts it here (3: the caller's caller).
    """
    usable, methods, skipped = [], {}, []
    for k, (uid, v) in enumerate(zip(batch.ids, batch.values)):
        if len(v) < 2:
            skipped.append(uid)
        elif len(v) < min_length:
            methods[uid] = f"naive ({len(v)} values; the networks need {min_length})"
        elif np.all(v == v[0]):
            methods[uid] = "naive (a constant series)"
        else:
            usable.append(k)
            methods[uid] = "networks+theta" if combine != "networks" else "networks"
    if skipped and warn:
        warnings.warn(
            f"Forecaster.{where}: left out {len(skipped)} series with fewer than 2 values: {names(skipped)}",
            stacklevel=stacklevel,
        )
    short = [u for u, m in methods.items() if m.startswith("naive (") and "constant" not in m]
    if short and warn:
        warnings.warn(
            f"Forecaster.{where}: {len(short)} series shorter than min_length={min_length} "
            f"get the naive forecast: {names(short)}",
            stacklevel=stacklevel,
        )
    return usable, methods, skipped


def standard_covariates(f, batch: Batch, rows):
    """The standardised covariates of the series at ``rows`` of the batch, or None."""
    if not getattr(f, "n_covariates_", 0):
        return None
    return [(batch.covariates[k] - f.cov_mean_) / f.cov_std_ for k in rows]


def forecast_logs(f, series, shifts, horizon: int, covs=None) -> list:
    """log(forecast + shift) for each series, iterating past the fitted horizon (covariates
    held at their last value over the iterated steps: they are known only up to the end)."""
    H = f.horizon
    series = [np.log(s + c) for s, c in zip(series, shifts)]
    produced = [np.zeros(0) for _ in series]
    while len(produced[0]) < horizon:
        if covs is not None:
            covs = [np.concatenate([c, np.repeat(c[-1:], len(s) - len(c), axis=0)]) for c, s in zip(covs, series)]
        pn = Panel(series, covs)
        ends = pn.length - 1
        outs = []
        for L, net in f.networks_:
            x, _, _, lev = gather(pn.values, pn, np.arange(len(series)), ends, L, H)
            outs.append(lev[:, None] + net.predict(x, batch_size=1024).astype(np.float64))
        step = np.median(np.array(outs), axis=0)
        if f.weight_ < 1:
            theta = np.array(hybrid.log_theta_many([np.exp(s) for s in series], H, f.season_))
            step = f.weight_ * step + (1 - f.weight_) * theta
        series = [np.concatenate([s, fc]) for s, fc in zip(series, step)]
        produced = [np.concatenate([p, fc]) for p, fc in zip(produced, step)]
    return [p[:horizon] for p in produced]


def forecast_batch(f, batch: Batch, horizon: int, where: str, warn=True, levels=(), quantiles=()):
    """(id -> forecast, id -> method) for every series of ``batch`` from the fitted ``f``.

    With levels or quantiles each forecast is a dict of arrays: "forecast", "lo-80",
    "hi-80", ..., "q0.1", ...
    """
    usable, methods, skipped = sort_series(batch, f.min_length, f.combine, where, warn, stacklevel=4)
    if not f.networks_:
        methods.update({batch.ids[k]: "naive (no series could train the networks)" for k in usable})
        usable = []
    out, logs = {}, {}  # id -> forecast; id -> (log(forecast + shift), shift)
    if usable:
        series = [batch.values[k] for k in usable]
        shifts = [log_shift(s) for s in series]
        covs = standard_covariates(f, batch, usable)
        for k, zf, c in zip(usable, forecast_logs(f, series, shifts, horizon, covs), shifts):
            out[batch.ids[k]], logs[batch.ids[k]] = np.exp(zf) - c, (zf, c)
    for uid, v in zip(batch.ids, batch.values):
        if uid not in out and uid not in skipped:
            c = log_shift(v)
            out[uid] = baselines.naive(v, horizon)
            logs[uid] = (np.log(out[uid] + c), c)
    values = dict(zip(batch.ids, batch.values))
    nonneg = {uid for uid, v in values.items() if len(v) and np.min(v) >= 0}
    for uid in out:  # a series that never went below zero is not forecast below it
        if uid in nonneg:
            out[uid] = np.maximum(out[uid], 0.0)
    if not (levels or quantiles):
        return out, methods
    constant = {uid for uid, v in values.items() if len(v) and np.ptp(v) == 0}
    if f.calibration_ is None and any(uid not in constant for uid in logs):
        raise ValueError(
            "predict: this forecaster holds no interval calibration (the series it was fitted on were constant or "
            "too short to hold out a validation window, or it was saved before intervals existed); constant series "
            "get zero-width bands, the others need a fit on series with a validation window"
        )
    qt = intervals.calibrated(f.calibration_, levels, quantiles, horizon) if f.calibration_ is not None else None
    for uid, (zf, c) in logs.items():
        if uid in constant:  # a constant series: its forecast is certain, the bands have zero width
            names = [f"{s}-{intervals.level_name(lv)}" for lv in levels for s in ("lo", "hi")]
            names += [f"q{q:g}" for q in quantiles]
            out[uid] = {"forecast": out[uid], **{k: out[uid].copy() for k in names}}
            continue
        parts = intervals.bands(zf, intervals.log_scale(values[uid], f.season_, c), qt, levels, quantiles)
        bands = {k: np.exp(v) - c for k, v in parts.items()}
        if uid in nonneg:
            bands = {k: np.maximum(v, 0.0) for k, v in bands.items()}
        out[uid] = {"forecast": out[uid], **bands}
    return out, methods


def insample(f, batch: Batch, step_size: int) -> dict:
    """id -> {"fitted", "residuals"}: each value from ``min_length`` on (every ``step_size``-th) forecast one
    step ahead from the values before it, as ``predict`` would (NaN where there is no origin)."""
    out = {}
    for k, (uid, v) in enumerate(zip(batch.ids, batch.values)):
        fitted = np.full(len(v), np.nan)
        origins = np.arange(max(f.min_length, 2), len(v), step_size)
        if len(origins):
            covs = None if batch.covariates is None else [batch.covariates[k][:t] for t in origins]
            sub = Batch("list", list(range(len(origins))), [v[:t] for t in origins], covariates=covs)
            fc, _ = forecast_batch(f, sub, 1, "predict_insample", False)
            fitted[origins] = [fc[i][0] for i in range(len(origins))]
        out[uid] = {"fitted": fitted, "residuals": v - fitted}
    return out


def check_covariates(f, batch):
    """Refuse new series whose covariates do not match the fit's (their count, or none where the fit had some)."""
    k = getattr(f, "n_covariates_", 0)
    got = 0 if batch.covariates is None else batch.covariates[0].shape[1]
    if k and not got:
        raise ValueError(
            f"predict: this forecaster was fitted with {k} covariates; pass the new series' "
            "covariates too (predict(Y, covariates=...))"
        )
    if got != k:
        raise ValueError(f"predict: this forecaster was fitted with {k} covariates, got {got}")

"""Forecasting with a fitted Forecaster: which series the networks take, and their forecasts.

``forecast_batch`` is what ``Forecaster.predict``, ``evaluate`` and the backtests call: the
networks' median (combined with Theta) for the series they can take, the naive forecast for
the rest, and, when asked, calibrated intervals and quantiles around each.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _checks as chk
from .._threads import one_blas_thread
from . import baselines, exog, hybrid, intervals, panel
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


def forecast_logs(f, series, shifts, horizon: int, covs=None, ahead=None) -> list:
    """log(forecast + shift) for each series, iterating past the fitted horizon. Over the iterated steps
    the covariates known only up to the end are held at their last value, and the known-ahead ones
    (the last ``f.n_future_``) take their values from ``ahead`` (standardised, (horizon, K) per series)."""
    H, K = f.horizon, getattr(f, "n_future_", 0)
    n0 = [len(s) for s in series]
    series = [np.log(s + c) for s, c in zip(series, shifts)]
    produced = [np.zeros(0) for _ in series]
    while len(produced[0]) < horizon:
        done = len(produced[0])
        if covs is not None:
            covs = [
                _grow(c, len(s), K, None if ahead is None else ahead[i], n0[i])
                for i, (c, s) in enumerate(zip(covs, series))
            ]
        pn = Panel(series, covs, K, None if ahead is None else [a[done:] for a in ahead])
        ends = pn.length - 1
        outs = []
        for L, net in f.networks_:
            x, _, _, lev = gather(pn.values, pn, np.arange(len(series)), ends, L, H)
            outs.append(lev[:, None] + net.predict(x, batch_size=1024).astype(np.float64))
        step = np.median(np.array(outs), axis=0)
        if f.weight_ < 1:
            share = getattr(f, "theta_share_", 1.0)
            theta = np.array(hybrid.log_theta_many([np.exp(s) for s in series], H, f.season_, share=share))
            step = f.weight_ * step + (1 - f.weight_) * theta
        series = [np.concatenate([s, fc]) for s, fc in zip(series, step)]
        produced = [np.concatenate([p, fc]) for p, fc in zip(produced, step)]
    return [p[:horizon] for p in produced]


def _grow(c, n, K, a, n0):
    """Covariates ``c`` extended to ``n`` rows: the known-only-so-far columns held at their last value, the
    last K (known ahead) from ``a``, whose row j is the series' position n0 + j (0 past its end)."""
    r = n - len(c)
    if r <= 0:
        return c
    rows = np.repeat(c[-1:], r, axis=0)
    if K:
        take = np.zeros((r, K)) if a is None else a[len(c) - n0 : n - n0]
        rows[: len(take), c.shape[1] - K :] = take
        rows[len(take) :, c.shape[1] - K :] = 0.0
    return np.concatenate([c, rows])


@one_blas_thread  # small products: a second thread buys nothing here and spins against other work
def forecast_batch(f, batch: Batch, horizon: int, where: str, warn=True, levels=(), quantiles=(), ahead=None):
    """(id -> forecast, id -> method) for every series of ``batch`` from the fitted ``f``. ``ahead``: each
    series' known-ahead covariates over the forecast steps, (horizon, K) in their own units.

    With levels or quantiles each forecast is a dict of arrays: "forecast", "lo-80",
    "hi-80", ..., "q0.1", ...
    """
    usable, methods, skipped = sort_series(batch, f.min_length, f.combine, where, warn, stacklevel=6)
    if not f.networks_:
        methods.update({batch.ids[k]: "naive (no series could train the networks)" for k in usable})
        usable = []
    out, logs = {}, {}  # id -> forecast; id -> (log(forecast + shift), shift)
    if usable:
        series = [batch.values[k] for k in usable]
        shifts = [log_shift(s) for s in series]
        covs = standard_covariates(f, batch, usable)
        fut = None
        if ahead is not None:
            K = f.n_future_
            fut = [(ahead[k] - f.cov_mean_[-K:]) / f.cov_std_[-K:] for k in usable]
        for k, zf, c in zip(usable, forecast_logs(f, series, shifts, horizon, covs, fut), shifts):
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


def insample_of(f, Y, step_size, columns: dict):
    """``Forecaster.predict_insample``: the arguments checked, ``insample`` of ``Y`` (default the training series)
    written in its container."""
    f._check_fitted()
    step_size = chk.positive_int("predict_insample", "step_size", step_size)
    names = (columns.pop("id_col", "unique_id"), columns.pop("time_col", "ds"), columns.pop("target_col", "y"))
    if columns:
        raise TypeError(f"predict_insample: unexpected argument {next(iter(columns))!r}")
    batch = f.batch_ if Y is None else panel.read_batch(Y, "Forecaster.predict_insample", None, names)
    return panel.write_insample(batch, insample(f, batch, step_size), f.alias)


def prepare(f, Y, horizon: int, given: dict, futr_df, columns) -> tuple:
    """(the batch to forecast, its known-ahead values over the horizon or None) for ``predict``: the training
    series or new ones read in the fitted covariate layout; a horizon past the fitted one warned about."""
    if Y is None and any(v is not None for v in given.values()):
        what = next(k for k, v in given.items() if v is not None)
        raise ValueError(
            f"predict: {what} go with new series (predict(Y, {what}=...)); the training series keep their own"
        )
    batch = f.batch_ if Y is None else exog.read_new(f, Y, "Forecaster.predict", given, columns)
    ahead = exog.future_values(f, batch, futr_df, horizon, "predict")
    if horizon > f.horizon and f.networks_:
        warnings.warn(
            f"predict: horizon {horizon} is past the fitted horizon {f.horizon}; each further "
            f"{f.horizon} steps are forecast from the forecast itself (fit with horizon={horizon} "
            "to learn them directly)",
            stacklevel=3,
        )
    if len(batch.values) and all(len(v) < 2 for v in batch.values):
        raise ValueError(
            f"Forecaster.predict: every series has fewer than 2 values "
            f"(the longest has {max(len(v) for v in batch.values)})"
        )
    return batch, ahead

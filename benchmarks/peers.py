"""The peers a practitioner compares with, run on the same series in the same process (``benchmarks.mcomp --peers``).

statsforecast 2.1.1 (n_jobs=2): AutoETS, AutoTheta, DynamicOptimizedTheta, AutoCES, AutoARIMA, each with
its own 80% and 95% intervals, and the median of ETS, DOTM and CES (and ARIMA) with the median of their
bounds as its interval. mlforecast 1.1.0: LightGBM on lags 1..max(season, 3) of each series scaled by its
own mean and spread (no intervals). neuralforecast 3.3.0 (``--neural``, torch 2.13.0 on the CPU): NHITS,
NBEATS and LSTM with Nixtla's M-competition settings (input 2 horizons, 1,000 steps, MAE loss), no
intervals. Each returns ``{name: {series id: {"forecast": (h,), 80: (lo, hi), 95: (lo, hi)}}}`` and its wall
time. The paired comparison (``paired``) is per series: the mean difference of a metric with a bootstrap
95% interval, the share of series we win, and a two-sided sign test.
"""

from __future__ import annotations

import math
import os
import time
import warnings

import numpy as np

LEVELS = (80, 95)
STATS = ("AutoETS", "AutoTheta", "DynamicOptimizedTheta", "AutoCES", "AutoARIMA")


def _long(train: dict):
    import pandas as pd

    return pd.concat(
        [pd.DataFrame({"unique_id": str(k), "ds": np.arange(1, len(v) + 1), "y": v}) for k, v in train.items()],
        ignore_index=True,
    )


def _by_series(pred, name, ids, levels=LEVELS) -> dict:
    out = {}
    groups = dict(tuple(pred.groupby("unique_id", sort=False)))
    for k in ids:
        g = groups[str(k)]
        entry = {"forecast": g[name].to_numpy(float)}
        for lv in levels:
            if f"{name}-lo-{lv}" in g:
                entry[lv] = (g[f"{name}-lo-{lv}"].to_numpy(float), g[f"{name}-hi-{lv}"].to_numpy(float))
        out[k] = entry
    return out


def statsforecast_peers(train: dict, h: int, m: int) -> tuple[dict, dict]:
    """(name -> id -> forecast and bands, name -> wall seconds) of the statistical models and their median."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoCES, AutoETS, AutoTheta, DynamicOptimizedTheta

    df = _long(train)
    models = [AutoETS(season_length=m), AutoTheta(season_length=m), DynamicOptimizedTheta(season_length=m),
              AutoCES(season_length=m), AutoARIMA(season_length=m)]  # fmt: skip
    out, seconds = {}, {}
    for model, name in zip(models, STATS):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred = StatsForecast(models=[model], freq=1, n_jobs=2).forecast(df=df, h=h, level=list(LEVELS))
        seconds[name] = time.perf_counter() - t0
        pred = pred.reset_index() if "unique_id" not in pred.columns else pred
        out[name] = _by_series(pred, model.alias, train)
    for ens, members in (("median(ETS,DOTM,CES)", STATS[0:1] + STATS[2:4]), ("median(ETS,DOTM,CES,ARIMA)",
                                                                             STATS[0:1] + STATS[2:5])):  # fmt: skip
        out[ens] = {
            k: {
                "forecast": np.median([out[n][k]["forecast"] for n in members], axis=0),
                **{lv: tuple(np.median([out[n][k][lv][j] for n in members], axis=0) for j in (0, 1)) for lv in LEVELS},
            }
            for k in train
        }
        seconds[ens] = sum(seconds[n] for n in members)
    return out, seconds


def lightgbm_peer(train: dict, h: int, m: int) -> tuple[dict, float]:
    """LightGBM on lags through mlforecast, each series standardised by its own mean and spread."""
    from lightgbm import LGBMRegressor
    from mlforecast import MLForecast
    from mlforecast.target_transforms import LocalStandardScaler

    shortest = min(len(v) for v in train.values())
    lags = list(range(1, max(min(m, shortest - 2), 3) + 1))
    t0 = time.perf_counter()
    mlf = MLForecast(models=[LGBMRegressor(verbosity=-1, random_state=0, n_jobs=2)], freq=1, lags=lags,
                     target_transforms=[LocalStandardScaler()])  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlf.fit(_long(train), dropna=True)
        pred = mlf.predict(h=h)
    return {"LightGBM": _by_series(pred, "LGBMRegressor", train, ())}, time.perf_counter() - t0


def neural_peers(train: dict, h: int, m: int) -> tuple[dict, dict]:
    """NHITS, NBEATS and LSTM through neuralforecast (Nixtla's M-competition settings), on the CPU."""
    os.environ.setdefault("PYTORCH_ENABLE_MPS_FALLBACK", "1")
    import logging

    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM, NBEATS, NHITS

    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning").setLevel(logging.ERROR)
    shortest = min(len(v) for v in train.values())
    L = max(2, min(2 * h, shortest - h - 1))
    common = dict(h=h, input_size=L, max_steps=1000, scaler_type="standard", random_seed=0,
                  enable_progress_bar=False, enable_model_summary=False, logger=False)  # fmt: skip
    out, seconds = {}, {}
    for cls in (NHITS, NBEATS, LSTM):
        kw = dict(common)
        if cls is LSTM:
            kw.pop("input_size")
            kw.update(input_size=L, inference_input_size=L)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nf = NeuralForecast(models=[cls(**kw)], freq=1)
            nf.fit(_long(train))
            pred = nf.predict()
        pred = pred.reset_index() if "unique_id" not in pred.columns else pred
        out[cls.__name__] = _by_series(pred, cls.__name__, train, ())
        seconds[cls.__name__] = time.perf_counter() - t0
    return out, seconds


def paired(ours: list, theirs: list, rng=None, draws=2000) -> dict:
    """Per-series comparison of a metric (lower is better): mean difference ours - theirs with a bootstrap 95%
    interval, the share of series where ours is lower (ties half), and a two-sided sign test's p-value."""
    a, b = np.asarray(ours, float), np.asarray(theirs, float)
    keep = np.isfinite(a) & np.isfinite(b)
    d = a[keep] - b[keep]
    rng = rng or np.random.default_rng(0)
    boots = d[rng.integers(0, len(d), size=(draws, len(d)))].mean(axis=1)
    wins, losses = int((d < 0).sum()), int((d > 0).sum())
    return {
        "mean_diff": float(d.mean()),
        "ci95": (float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5))),
        "win_rate": float((wins + 0.5 * (len(d) - wins - losses)) / len(d)),
        "sign_p": sign_test(wins, losses),
        "n": int(len(d)),
    }


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact binomial p-value of ``wins`` against ``losses`` (ties dropped) under p = 1/2."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail = sum(math.comb(n, j) for j in range(k + 1)) / 2.0**n
    return float(min(1.0, 2.0 * tail))

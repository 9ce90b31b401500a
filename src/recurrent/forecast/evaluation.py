"""Holdout evaluation: fit without each series' last values, forecast them, score with the baselines.

    report = Forecaster(horizon=12, seed=0).evaluate(Y, holdout=12)
    report["metrics"]["model"], report["wins"], report["losses"], report["verdict"]

Every series is scored by sMAPE, MASE, MAPE and RMSE beside naive, seasonal naive and
Naive2 fitted on the same values; ``wins``/``losses`` count the series where the model's
MAE is below/above seasonal naive's. The verdict is one sentence, and ``notes`` name what
makes a number say little (a MASE scale made by a few jumps).
"""

from __future__ import annotations

import warnings

from .. import _checks as chk
from . import baselines, exog, metrics, panel
from .inference import jsonable, names


def evaluate(f, Y, holdout, covariates=None, future_covariates=None, static_df=None) -> dict:
    """See ``Forecaster.evaluate``."""
    holdout = chk.positive_int("evaluate", "holdout", holdout)
    batch = panel.read_batch(Y, "Forecaster.evaluate", covariates, future=future_covariates)
    kept = exog.plain_calendar(f, batch)  # the histories are plain arrays: their calendar columns come along
    try:
        return _evaluate(f, batch, holdout, static_df)
    finally:
        exog.restore_calendar(f, kept)


def _evaluate(f, batch, holdout, static_df) -> dict:
    keep = [k for k, v in enumerate(batch.values) if len(v) - holdout >= 2]
    if not keep:
        longest = max(len(v) for v in batch.values)
        raise ValueError(
            f"evaluate: holdout {holdout} leaves fewer than 2 values to fit on in every series "
            f"(the longest has {longest})"
        )
    dropped = [batch.ids[k] for k, v in enumerate(batch.values) if len(v) - holdout < 2]
    if dropped:
        warnings.warn(
            f"evaluate: left out {len(dropped)} series too short for holdout {holdout}: {names(dropped)}", stacklevel=3
        )
    train = {batch.ids[k]: batch.values[k][:-holdout] for k in keep}
    actual = {batch.ids[k]: batch.values[k][-holdout:] for k in keep}
    fit_kw, predict_kw = exog.cut(batch, list(train), {u: len(v) for u, v in train.items()}, holdout, static_df)
    f.fit(train, **fit_kw)
    ahead = exog.future_values(f, f.batch_, predict_kw.get("futr_df"), holdout, "evaluate")
    fc, _ = f._forecast(f.batch_, holdout, "evaluate", False, (), (), ahead)
    m = f.season_
    per_series, wins, losses = [], 0, 0
    methods = ("model", "naive", "seasonal_naive", "naive2")
    for uid in train:
        b = baselines.all_baselines(train[uid], holdout, m)
        cands = {"model": fc[uid], **b}
        scores = {k: metrics.score(actual[uid], cands[k], train[uid], m) for k in methods}
        e_model = metrics.mae(actual[uid], fc[uid])
        e_sn = metrics.mae(actual[uid], b["seasonal_naive"])
        wins += e_model < e_sn
        losses += e_model > e_sn
        per_series.append({"id": jsonable(uid), "method": f.methods_[uid], **scores})
    agg = {k: metrics.aggregate([s[k] for s in per_series]) for k in methods}
    report = {
        "holdout": holdout,
        "season": m,
        "n_series": len(per_series),
        "left_out": [jsonable(u) for u in dropped],
        "metrics": agg,
        "per_series": per_series,
        "wins": int(wins),
        "losses": int(losses),
        "ties": len(per_series) - int(wins) - int(losses),
        "forecasts": fc,
        "actuals": actual,
    }
    report["verdict"] = _verdict(report)
    jumpy = [uid for uid in train if metrics.scale_dominated(train[uid], m)]
    report["notes"] = (
        [
            f"MASE of {len(jumpy)} series rests on a few jumps in its history (the mean in-sample "
            f"seasonal difference is over 20 times the median one), so it is near 0 whatever the "
            f"forecast: {names(jumpy)}"
        ]
        if jumpy
        else []
    )
    if len(per_series) == 1:
        uid = next(iter(train))
        b = baselines.all_baselines(train[uid], holdout, m)
        report.update(
            forecast=fc[uid].tolist(), actual=actual[uid].tolist(), baselines={k: v.tolist() for k, v in b.items()}
        )
    return report


def _verdict(report) -> str:
    agg = report["metrics"]
    mod, sn = agg["model"]["smape"], agg["seasonal_naive"]["smape"]
    m = report["season"]
    base = "seasonal naive" if m > 1 else "naive (no season)"
    counts = f" (better on {report['wins']} series, worse on {report['losses']}" + (
        f", equal on {report['ties']})" if report["ties"] else ")"
    )
    if mod is None or sn is None:
        return "No verdict: sMAPE could not be computed on these values."
    if report["n_series"] > 1:
        word = "beats" if mod < sn else "does NOT beat"
        return f"The model {word} {base} on mean sMAPE: {mod:.2f} vs {sn:.2f}{counts}."
    ms, bs = report["per_series"][0]["model"], report["per_series"][0]["seasonal_naive"]
    if bs["rmse"] == 0 and ms["rmse"] == 0:
        return f"Both the model and {base} forecast the held-out values exactly."
    word = "beats" if ms["rmse"] < bs["rmse"] else "does NOT beat"
    tail = "" if ms["rmse"] < bs["rmse"] else ": prefer the baseline here, or give the model more data"
    return f"The model {word} {base}: RMSE {ms['rmse']:.4g} vs {bs['rmse']:.4g}{tail}."

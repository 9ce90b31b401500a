"""Rolling-origin backtests: forecast from several origins at the end of each series.

    report = Forecaster(horizon=6, seed=0).cross_validation(Y, n_windows=3, step=6)

Window w (0 = the oldest) of series i cuts it at

    cutoff[i, w] = n_i - horizon - (n_windows - 1 - w) * step

fits on ``y[:cutoff]`` (every window, with ``refit=True``; once, on the oldest window's
histories, with ``refit=False``), forecasts ``horizon`` values, and scores them against
``y[cutoff:cutoff + horizon]``. The model never reads a value at or past the cutoff of
the window it forecasts. The baselines (naive, seasonal naive, Naive2) are scored on the
same windows; with ``level`` the intervals are scored too (coverage, MSIS as the M4
competition defines it), with ``quantiles`` the pinball loss.
"""

from __future__ import annotations

import numpy as np

from .. import _checks as chk
from . import baselines, exog, frames, intervals, metrics, panel
from .settings import column_names

BASELINES = ("naive", "seasonal_naive", "naive2")


def cutoffs(lengths, horizon, n_windows, step) -> np.ndarray:
    """(series, windows) cutoffs; the oldest window first."""
    back = (n_windows - 1 - np.arange(n_windows)) * step
    return np.asarray(lengths)[:, None] - horizon - back[None, :]


def cross_validation(
    f, Y, n_windows=3, step=None, refit=True, level=None, quantiles=None, covariates=None, columns=frames.COLUMNS,
    future_covariates=None, static_df=None,
) -> dict:  # fmt: skip
    """See the module docstring. Returns a dict:

    ``cutoffs`` (id -> list, one per window), ``forecasts`` (id -> dict of (windows, horizon)
    arrays: "actual", "forecast", the baselines, and "lo-80", ... with intervals; a long
    DataFrame ``unique_id, cutoff, ds, y, <alias>, <alias>-lo-80, ..., naive, ...`` when Y was a DataFrame),
    ``windows`` (per window: ``metrics`` per method), ``metrics`` (over every window and
    series), and ``refit``, ``n_windows``, ``step``.
    """
    n_windows = chk.positive_int("cross_validation", "n_windows", n_windows)
    H = chk.positive_int("cross_validation", "horizon", f.horizon)
    step = H if step is None else chk.positive_int("cross_validation", "step", step)
    levels, qs = (
        intervals.check_levels(level, "cross_validation"),
        intervals.check_quantiles(quantiles, "cross_validation"),
    )
    batch = panel.read_batch(Y, "Forecaster.cross_validation", covariates, columns, future_covariates)
    lengths = np.array([len(v) for v in batch.values])
    need = H + (n_windows - 1) * step + 2  # checked before any array of windows is made
    short = [(uid, n) for uid, n in zip(batch.ids, lengths) if n < need]
    if short:
        names = ", ".join(f"{uid!r} ({n})" for uid, n in short[:5]) + (
            f" and {len(short) - 5} more" if len(short) > 5 else ""
        )
        raise ValueError(
            f"cross_validation: {n_windows} windows of horizon {H}, {step} apart, need at least {need} "
            f"values in each series (2 to fit on before the oldest window); too short: {names}"
        )
    cuts = cutoffs(lengths, H, n_windows, step)
    known = panel.season_of_batch(batch)
    given = f.season
    if given is None and known:  # the histories below are plain arrays: keep the dates' season
        f.season = known
    kept = exog.plain_calendar(f, batch)  # the histories are plain arrays: their calendar columns come along
    try:
        return _run(f, batch, cuts, H, n_windows, step, refit, levels, qs, static_df)
    finally:
        f.season = given
        exog.restore_calendar(f, kept)


def _run(f, batch, cuts, H, n_windows, step, refit, levels, qs, static_df=None):
    want = dict(level=levels or None, quantiles=qs or None)
    per = {uid: {"actual": np.zeros((n_windows, H))} for uid in batch.ids}
    windows = []
    for w in range(n_windows):
        hist = {uid: v[: cuts[k, w]] for k, (uid, v) in enumerate(zip(batch.ids, batch.values))}
        at = {uid: cuts[k, w] for k, uid in enumerate(batch.ids)}
        fit_kw, predict_kw = exog.cut(batch, batch.ids, at, H, static_df)
        if refit or w == 0:
            f.fit(hist, **fit_kw)
        fc = f.predict(hist, **predict_kw, **want)
        season = f.season_
        rows = []
        for k, uid in enumerate(batch.ids):
            v = batch.values[k]
            actual = v[cuts[k, w] : cuts[k, w] + H]
            out = fc[uid] if isinstance(fc[uid], dict) else {"forecast": fc[uid]}
            out.update(baselines.all_baselines(hist[uid], H, season, names=BASELINES))
            per[uid]["actual"][w] = actual
            for name, arr in out.items():
                per[uid].setdefault(name, np.zeros((n_windows, H)))[w] = arr
            rows.append(_scores(actual, out, hist[uid], season, levels, qs))
        windows.append({"window": w, "metrics": _aggregate(rows)})
    all_rows = [
        _scores(
            per[uid]["actual"][w],
            {k: a[w] for k, a in per[uid].items() if k != "actual"},
            batch.values[k][: cuts[k, w]],
            f.season_,
            levels,
            qs,
        )
        for k, uid in enumerate(batch.ids)
        for w in range(n_windows)
    ]
    report = {
        "n_windows": n_windows,
        "step": step,
        "horizon": H,
        "refit": bool(refit),
        "cutoffs": {uid: cuts[k].tolist() for k, uid in enumerate(batch.ids)},
        "forecasts": per,
        "windows": windows,
        "metrics": _aggregate(all_rows),
    }
    if batch.kind == "frame":
        report["forecasts"] = _frame(batch, per, cuts, H, f.alias)
    return report


def _scores(actual, out, train, m, levels, quantiles) -> dict:
    """{method: {metric: value}} for one series and window."""
    row = {name: metrics.score(actual, out[name], train, m) for name in ("forecast",) + BASELINES}
    model = row.pop("forecast")
    names = [intervals.level_name(lv) for lv in levels]
    model.update(
        metrics.interval_scores(
            actual, {lv: (out[f"lo-{n}"], out[f"hi-{n}"]) for lv, n in zip(levels, names)}, train, m
        )
    )
    for q in quantiles:
        model[f"pinball-{q:g}"] = metrics.pinball(actual, out[f"q{q:g}"], q)
    return {"model": model, **row}


def _aggregate(rows) -> dict:
    """Means over rows of each method's metrics (``metrics.aggregate``: nan left out)."""
    return {method: metrics.aggregate([r[method] for r in rows]) for method in rows[0]}


def _frame(batch, per, cuts, H, alias):
    """The windows as a long DataFrame in the Nixtla libraries' columns (y, <alias>, <alias>-lo-80, ...)."""
    import pandas as pd

    parts = []
    for k, uid in enumerate(batch.ids):
        dates = batch.dates[k] if batch.dates is not None else None
        for w, cut in enumerate(cuts[k]):
            ds = dates[cut : cut + H] if dates is not None else np.arange(cut, cut + H)
            cutoff = dates[cut - 1] if dates is not None else cut - 1
            names = column_names(alias, per[uid])
            cols = {names[name]: arr[w] for name, arr in per[uid].items() if name != "actual"}
            parts.append(
                pd.DataFrame(
                    {
                        "unique_id": [uid] * H,
                        "cutoff": [cutoff] * H,
                        "ds": np.asarray(ds),
                        "y": per[uid]["actual"][w],
                        **cols,
                    }
                )
            )
    out = pd.concat(parts, ignore_index=True)
    id_col, time_col, target_col = batch.columns
    return frames.from_pandas(out.rename(columns={"unique_id": id_col, "ds": time_col, "y": target_col}), batch.library)

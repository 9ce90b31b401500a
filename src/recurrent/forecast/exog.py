"""The covariates a forecaster's networks read, laid out once at fit and the same at every predict.

Each series' covariates are columns side by side, in this order:

    past        known up to the series' end (``covariates=``): held at their last value ahead
    static      one value per series (``static_df``): numbers as they are, categories one column per level
    future      known ahead (``future_covariates=``): their values over the forecast steps from ``futr_df``
    calendar    generated from the dates (``calendar=``, ``holidays=``): known ahead by construction

All are standardised with the training values' mean and spread (a category's column too). The last
``n_future_`` (future and calendar) are the ones the future readout reads over the forecast steps
(``recurrent.forecast.network``); every column is read over the lookback.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import ahead, panel
from .frames import future_dates


def static_spec(rows: dict, owner: str) -> list:
    """[(column, None) for a numeric feature, (column, [levels]) for a categorical one], from the training rows."""
    first = next(iter(rows.values()))
    spec = []
    for c in first:
        values = [r[c] for r in rows.values()]
        if all(ahead.is_number(v) for v in values):
            spec.append((str(c), None))
            continue
        bad = [v for v in values if v is None or (isinstance(v, float) and not np.isfinite(v))]
        if bad:
            raise ValueError(f"{owner}: static feature {c!r} is missing for a series; fill it first")
        levels = sorted({str(v) for v in values})
        if len(levels) > ahead.MAX_LEVELS:
            raise ValueError(f"{owner}: static feature {c!r} has {len(levels):,} levels (at most {ahead.MAX_LEVELS:,})")
        spec.append((str(c), levels))
    return spec


def static_names(spec) -> list:
    """The static columns' names: the feature's for a number, ``feature=level`` for each level of a category."""
    return [c if levels is None else f"{c}={v}" for c, levels in spec for v in (levels or [None])]


def static_row(spec, row: dict, uid, owner: str) -> np.ndarray:
    """One series' static columns. A level not seen at fit is all zeros (no level), with a warning naming it."""
    out = []
    for c, levels in spec:
        if c not in row:
            raise ValueError(f"{owner}: static_df has no feature {c!r} for series {uid!r}")
        v = row[c]
        if levels is None:
            if not ahead.is_number(v):
                raise ValueError(f"{owner}: static feature {c!r} of series {uid!r} is {v!r}; expected a number")
            out.append(float(v))
            continue
        hot = np.array([str(v) == lv for lv in levels], dtype=np.float64)
        if not hot.any():
            warnings.warn(
                f"{owner}: static feature {c!r} of series {uid!r} has the level {str(v)[:40]!r}, unseen at fit; "
                "it is read as no level (every column of the feature 0)",
                stacklevel=4,
            )
        out.extend(hot)
    return np.array(out, dtype=np.float64)


def calendar_of(f, batch, k, n_ahead: int = 0, owner: str = "fit") -> np.ndarray:
    """Series k's calendar columns over its own dates (and ``n_ahead`` dates after them)."""
    dates = ahead.as_datetimes(batch.dates[k] if batch.dates is not None else None, owner)
    if n_ahead:
        more = future_dates(dates, batch.freq, n_ahead, batch.rule)
        dates = dates.append(ahead.as_datetimes(more, owner))
    return ahead.calendar_features(dates, f.calendar_, f.holidays_, batch.freq, owner)


def lay_out(f, batch, static_df, owner: str) -> None:
    """At fit: add the static and calendar columns to ``batch.covariates`` and record the layout on ``f``."""
    f.calendar_ = ahead.check_calendar(owner, f.calendar, f.holidays)
    f.holidays_ = f.holidays
    past = batch.covariates
    width = 0 if past is None else past[0].shape[1]
    names = list(batch.names) if batch.names else [f"c{j}" for j in range(width)]
    n_future = batch.n_future
    f.static_ = []
    if static_df is not None:
        rows = ahead.read_static(static_df, batch.ids, owner)
        f.static_ = static_spec(rows, owner)
    f.cov_names_ = names[: width - n_future] + static_names(f.static_) + names[width - n_future :]
    f.cov_names_ += ahead.calendar_names(f.calendar_, f.holidays_)
    f.future_names_ = names[width - n_future :]
    f.n_future_ = n_future + len(ahead.calendar_names(f.calendar_, f.holidays_))
    batch.covariates = assemble(f, batch, static_df, owner)


def assemble(f, batch, static_df, owner: str):
    """Each series' covariates in the fitted layout (past, static, future, calendar), or None without any."""
    if not getattr(f, "cov_names_", None):
        return None
    if f.static_ and static_df is None:
        raise ValueError(f"{owner}: this forecaster was fitted with static features; pass static_df for these series")
    rows = ahead.read_static(static_df, batch.ids, owner) if f.static_ else None
    k_user = len(f.future_names_)
    out = []
    for k, (uid, v) in enumerate(zip(batch.ids, batch.values)):
        given = batch.covariates[k] if batch.covariates is not None else np.zeros((len(v), 0))
        width = given.shape[1]
        parts = [given[:, : width - k_user]]
        if rows is not None:
            parts.append(np.repeat(static_row(f.static_, rows[uid], uid, owner)[None], len(v), axis=0))
        parts.append(given[:, width - k_user :])
        if f.calendar_ or f.holidays_:
            parts.append(calendar_of(f, batch, k, 0, owner))
        out.append(np.concatenate(parts, axis=1))
    return out


def future_values(f, batch, futr, horizon: int, owner: str) -> list | None:
    """Each series' known-ahead columns over the next ``horizon`` steps (horizon, n_future_), or None."""
    if not getattr(f, "n_future_", 0):
        if futr is not None:
            raise ValueError(f"{owner}: futr_df is for a forecaster fitted with future_covariates; this one has none")
        return None
    user = None
    if f.future_names_ and futr is not None and batch.kind != "frame":
        user = panel._read_covariates(futr, batch, owner, "futr_df", lengths=[horizon] * len(batch.values))
        if user[0].shape[1] != len(f.future_names_):
            raise ValueError(f"{owner}: futr_df has {user[0].shape[1]} columns, expected {len(f.future_names_)}")
    elif f.future_names_:
        user = ahead.read_future(futr, batch, f.future_names_, horizon, owner)
    out = []
    for k in range(len(batch.values)):
        parts = [user[k]] if user is not None else []
        if f.calendar_ or f.holidays_:
            parts.append(calendar_of(f, batch, k, horizon, owner)[-horizon:])
        out.append(np.concatenate(parts, axis=1))
    return out


def read_new(f, Y, owner: str, given: dict, columns):
    """New series for ``predict``: read with their covariates in the fitted layout (a frame's columns by their
    fitted names unless named), static and calendar columns added, the count checked against the fit's."""
    past, future = given.get("covariates"), given.get("future_covariates")
    names = getattr(f, "cov_names_", None) or []
    k_past = getattr(f, "n_covariates_", 0) - getattr(f, "n_future_", 0) - len(static_names(getattr(f, "static_", [])))
    if panel.frame_library(Y) is not None and f.batch_.kind == "frame":
        past = names[:k_past] if past is None and k_past else past
        future = list(f.future_names_) if future is None and f.future_names_ else future
    batch = panel.read_batch(Y, owner, past, columns, future)
    got = 0 if batch.covariates is None else batch.covariates[0].shape[1]
    want = k_past + len(getattr(f, "future_names_", []))
    if got != want:
        if want and not got:
            raise ValueError(
                f"predict: this forecaster was fitted with {want} covariates; pass the new series' covariates too "
                "(predict(Y, covariates=..., future_covariates=...))"
            )
        raise ValueError(f"predict: this forecaster was fitted with {want} covariates, got {got}")
    batch.covariates = assemble(f, batch, given.get("static_df"), owner)
    return batch


def layout_json(f) -> dict:
    """The covariate layout as a file stores it."""
    return {
        "names": [str(n) for n in getattr(f, "cov_names_", [])],
        "n_future": int(getattr(f, "n_future_", 0)),
        "future": [str(n) for n in getattr(f, "future_names_", [])],
        "static": [[c, levels] for c, levels in getattr(f, "static_", [])],
        "calendar": list(getattr(f, "calendar_", ())),
        "holidays": getattr(f, "holidays_", None),
    }


def read_layout(f, d, width: int) -> None:
    """The layout a file describes (or, for a file without one, ``width`` past covariates), checked: set on ``f``."""
    if d is None:
        d = {"names": [f"c{j}" for j in range(width)], "n_future": 0, "future": [], "static": [], "calendar": []}

    def short_strings(name, v, n=None):
        if (
            not isinstance(v, list)
            or (n is not None and len(v) != n)
            or not all(isinstance(x, str) and 0 < len(x) <= 200 for x in v)
        ):
            raise ValueError(f"`covariates.{name}` must be a list of short strings")
        return v

    if not isinstance(d, dict):
        raise ValueError("`covariates` must be an object")
    names = short_strings("names", d.get("names"), width)
    n_future = d.get("n_future")
    if isinstance(n_future, bool) or not isinstance(n_future, int) or not 0 <= n_future <= width:
        raise ValueError(f"`covariates.n_future` must be a whole number in [0, {width}]")
    future = short_strings("future", d.get("future"))
    static = d.get("static")
    if not isinstance(static, list) or not all(
        isinstance(e, list)
        and len(e) == 2
        and isinstance(e[0], str)
        and (e[1] is None or short_strings("static", e[1]))
        for e in static
    ):
        raise ValueError("`covariates.static` must list [feature, null or its levels]")
    f.calendar_ = ahead.check_calendar("the file", d.get("calendar"), d.get("holidays"))
    f.holidays_ = d.get("holidays")
    f.static_ = [(c, levels) for c, levels in static]
    extra = len(static_names(f.static_)) + len(future) + len(ahead.calendar_names(f.calendar_, f.holidays_))
    if len(future) > n_future or extra > width:
        raise ValueError(f"`covariates` lays out more columns than the {width} the file holds")
    f.cov_names_, f.n_future_, f.future_names_ = names, n_future, future


def plain_calendar(f, batch) -> tuple:
    """For a backtest, whose histories are plain arrays without dates: the calendar columns computed once from the
    batch's dates and appended to its known-ahead covariates, and the settings that generate them set aside.
    Returns what ``restore_calendar`` puts back."""
    kept = (f.calendar, f.holidays)
    kinds = ahead.check_calendar("cross_validation", f.calendar, f.holidays)
    if kinds or f.holidays:
        cal = [
            ahead.calendar_features(ahead.as_datetimes(batch.dates[k] if batch.dates is not None else None,
                                                       "cross_validation"), kinds, f.holidays, batch.freq)
            for k in range(len(batch.values))
        ]  # fmt: skip
        given = batch.covariates or [np.zeros((len(v), 0)) for v in batch.values]
        batch.covariates = [np.concatenate([g, c], axis=1) for g, c in zip(given, cal)]
        batch.n_future += cal[0].shape[1]
        f.calendar, f.holidays = None, None
    return kept


def restore_calendar(f, kept) -> None:
    """Put back the calendar settings ``plain_calendar`` set aside."""
    f.calendar, f.holidays = kept


def cut(batch, ids, cuts, horizon, static_df) -> tuple:
    """(fit's keywords, predict's keywords) for plain histories cut at ``cuts`` (one per series of ``ids``): the
    past and known-ahead covariates up to each cut, and the known-ahead ones of the next ``horizon`` steps as
    ``futr_df`` (covariates only: y after the cut is never read)."""
    fit_kw = {} if static_df is None else {"static_df": static_df}  # only what was given: fit's own defaults else
    predict_kw = dict(fit_kw)
    if batch.covariates is None:
        return fit_kw, predict_kw
    K = batch.n_future
    pos = {uid: k for k, uid in enumerate(batch.ids)}
    covs = {uid: batch.covariates[pos[uid]] for uid in ids}
    width = next(iter(covs.values())).shape[1]
    past = {uid: c[: cuts[uid], : width - K] for uid, c in covs.items()} if width > K else None
    fut = {uid: c[: cuts[uid], width - K :] for uid, c in covs.items()} if K else None
    given = {k: v for k, v in (("covariates", past), ("future_covariates", fut)) if v is not None}
    fit_kw.update(given)
    predict_kw.update(given)
    if K:
        predict_kw["futr_df"] = {uid: c[cuts[uid] : cuts[uid] + horizon, width - K :] for uid, c in covs.items()}
    return fit_kw, predict_kw

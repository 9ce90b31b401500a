"""What is known beyond the values: known-ahead covariates over the forecast steps, calendar features,
public holidays and static features per series.

    read_future(futr_df, batch, names, horizon, "predict")   # each series' (horizon, K) known-ahead values
    calendar_features(dates, ["month", "dayofweek"], "US")   # (n, C) columns generated from the dates
    read_static(static_df, ids, "fit")                        # id -> {column: value}, checked

A future frame is Nixtla's ``futr_df``: ``unique_id``, ``ds`` and the known-ahead columns, one row
per forecast step of every series, starting right after each series' last date (by its calendar).
Calendar features are known ahead by construction: months, quarters, weekdays and hours as
indicators (one column per level), weeks, days of the year and days of the month as a sine and
cosine pair. ``holidays="US"`` (the ``holidays`` package, an optional extra) adds one column: how
many public holidays fall in each step's period (a day, a week, a month).
"""

from __future__ import annotations

import numbers

import numpy as np

from .frames import ds_keys, frame_library, future_dates, to_pandas

ONE_HOT = {"month": 12, "quarter": 4, "dayofweek": 7, "hour": 24}
CYCLIC = {"weekofyear": 52.1775, "dayofyear": 365.25, "dayofmonth": 30.4375}
CALENDAR = (*ONE_HOT, *CYCLIC)
MAX_LEVELS = 1_000  # levels of one categorical static column


def check_calendar(owner: str, kinds, holidays) -> tuple:
    """``calendar`` as a tuple of known names (TypeError/ValueError naming a bad one); ``holidays`` a country code."""
    if kinds is None:
        kinds = ()
    elif isinstance(kinds, str):
        kinds = (kinds,)
    if not isinstance(kinds, (list, tuple)) or not all(isinstance(k, str) for k in kinds):
        raise TypeError(f"{owner}: `calendar` must be a list of names such as ['month', 'dayofweek'], got {kinds!r}")
    unknown = [k for k in kinds if k not in CALENDAR]
    if unknown:
        raise ValueError(f"{owner}: unknown calendar feature {unknown[0]!r}; the features are {', '.join(CALENDAR)}")
    if len(set(kinds)) != len(kinds):
        raise ValueError(f"{owner}: `calendar` names a feature twice: {list(kinds)}")
    if holidays is not None and not (isinstance(holidays, str) and 2 <= len(holidays) <= 3 and holidays.isalpha()):
        raise ValueError(f"{owner}: `holidays` must be a country code such as 'US' or 'DE', got {holidays!r}")
    return tuple(kinds)


def calendar_names(kinds, holidays) -> list:
    """The generated columns' names, in order: ``month=1`` .. ``month=12``, ``weekofyear_sin``, ..., ``holidays``."""
    names = []
    for k in kinds:
        if k in ONE_HOT:
            first = 0 if k in ("dayofweek", "hour") else 1
            names += [f"{k}={v}" for v in range(first, first + ONE_HOT[k])]
        else:
            names += [f"{k}_sin", f"{k}_cos"]
    return names + (["holidays"] if holidays else [])


def as_datetimes(dates, owner):
    """A series' ds as a pandas DatetimeIndex: dates as they are, text parsed; numbered labels refused."""
    import pandas as pd

    if isinstance(dates, pd.DatetimeIndex):
        return dates
    arr = np.asarray(dates)
    if dates is None or np.issubdtype(arr.dtype, np.number):
        raise ValueError(
            f"{owner}: calendar features and holidays need dates (a DataFrame whose ds are dates), "
            f"got {'no dates' if dates is None else 'numbered steps'}"
        )
    try:
        return pd.DatetimeIndex(pd.to_datetime(pd.Index(arr).astype(str), format="mixed"))
    except (ValueError, TypeError):
        raise ValueError(f"{owner}: calendar features need dates; ds {str(arr[0])!r} is not one") from None


def calendar_features(dates, kinds, holidays=None, freq=None, owner="fit") -> np.ndarray:
    """(n, C) calendar columns for the DatetimeIndex ``dates`` (see ``calendar_names`` for their order)."""
    cols = []
    for k in kinds:
        if k in ONE_HOT:
            v = {"month": dates.month, "quarter": dates.quarter, "dayofweek": dates.dayofweek, "hour": dates.hour}[k]
            first = 0 if k in ("dayofweek", "hour") else 1
            cols.append(np.asarray(v)[:, None] == np.arange(first, first + ONE_HOT[k])[None, :])
        else:
            v = {
                "weekofyear": dates.isocalendar().week.to_numpy(),
                "dayofyear": dates.dayofyear,
                "dayofmonth": dates.day,
            }[k]
            angle = 2 * np.pi * np.asarray(v, dtype=np.float64) / CYCLIC[k]
            cols.append(np.stack([np.sin(angle), np.cos(angle)], axis=1))
    if holidays:
        cols.append(holiday_counts(dates, holidays, freq, owner)[:, None])
    if not cols:
        return np.zeros((len(dates), 0))
    return np.concatenate([np.asarray(c, dtype=np.float64) for c in cols], axis=1)


def holiday_counts(dates, country, freq, owner) -> np.ndarray:
    """How many public holidays of ``country`` fall in each date's period (its day, week, month, ...)."""
    try:
        import holidays as hol
    except ImportError:
        raise ImportError(f"{owner}: holidays need the holidays package: pip install 'recurrent[holidays]'") from None
    import pandas as pd

    years = range(int(dates.min().year) - 1, int(dates.max().year) + 2)
    try:
        days = hol.country_holidays(country.upper(), years=years)
    except (NotImplementedError, KeyError):
        raise ValueError(f"{owner}: the holidays package knows no country {country!r}") from None
    marked = pd.DatetimeIndex(sorted(days)).normalize()
    period = _period_of(freq)
    if period is None:  # days, business days, hours and finer: is the step's day a holiday
        return np.isin(dates.normalize(), marked).astype(np.float64)
    periods = dates.to_period(period)
    start, end = periods.start_time.normalize(), periods.end_time.normalize()
    lo = np.searchsorted(marked.values, start.values, side="left")
    hi = np.searchsorted(marked.values, end.values, side="right")
    return (hi - lo).astype(np.float64)


def _period_of(freq):
    """The calendar period a step of ``freq`` spans, as pandas' period alias ("M", "Q", "Y", "W-SUN"), or None
    for a day or less (and for an unknown frequency)."""
    text = str(freq or "").lstrip("0123456789").upper()
    if text.startswith("W"):
        return text if "-" in text else "W-SUN"
    for head, period in (("M", "M"), ("Q", "Q"), ("Y", "Y"), ("A", "Y"), ("BM", "M"), ("BQ", "Q")):
        if text.startswith(head) and not text.startswith("MIN"):
            return period
    return None


def read_future(futr, batch, names, horizon: int, owner: str = "predict") -> list:
    """Each series' known-ahead covariates over its next ``horizon`` steps, (horizon, K) float arrays.

    ``futr``: Nixtla's ``futr_df`` (``unique_id``, ``ds`` and the columns ``names``) for series that came
    in a frame (the array containers' (horizon, K) arrays are read by ``exog.future_values``). Every
    series, step and column must be there, finite, the steps starting right after each series' end;
    a ValueError names the id, date and column otherwise.
    """
    K = len(names)
    if futr is None:
        raise ValueError(
            f"{owner}: this forecaster was fitted with {K} known-ahead covariates ({', '.join(map(str, names))}); "
            f"pass their values over the {horizon} forecast steps (futr_df=...)"
        )
    library = frame_library(futr)
    if library is None:
        raise TypeError(f"{owner}: the series came in a DataFrame, so futr_df must be one too (unique_id, ds, ...)")
    df = futr if library == "pandas" else to_pandas(futr, library, owner)
    id_col, time_col = batch.columns[0], batch.columns[1]  # a future frame has no target column
    if (id_col, time_col) != ("unique_id", "ds"):
        df = df.rename(columns={id_col: "unique_id", time_col: "ds"})
    missing = [c for c in ("unique_id", "ds", *names) if c not in df.columns]
    if missing:
        raise ValueError(f"{owner}: futr_df has no column {missing[0]!r} (it has {list(df.columns)})")
    groups = dict(tuple(df.groupby("unique_id", sort=False)))
    out = []
    for k, uid in enumerate(batch.ids):
        part = groups.get(uid)
        if part is None:
            raise ValueError(f"{owner}: futr_df has no rows for series {uid!r}")
        out.append(_one_future(part, batch, k, uid, names, horizon, owner))
    return out


def _one_future(part, batch, k, uid, names, horizon, owner) -> np.ndarray:
    """One series' rows of futr_df: the next ``horizon`` dates after its end, in order, every value finite."""
    import pandas as pd

    keys = _comparable(ds_keys(part["ds"], owner))
    part = part.iloc[np.argsort(keys, kind="stable")]
    keys = np.sort(keys, kind="stable")
    dates = batch.dates[k] if batch.dates is not None else None
    want = future_dates(dates, batch.freq, horizon, batch.rule) if dates is not None else None
    if want is not None:
        want_keys = _comparable(ds_keys(pd.Series(want), owner))
        have = dict(zip(keys.tolist(), range(len(keys))))
        rows = []
        for step, (wk, wd) in enumerate(zip(want_keys.tolist(), want)):
            if wk not in have:
                first = part["ds"].iloc[0] if len(part) else None
                raise ValueError(
                    f"{owner}: futr_df has no row for series {uid!r} at ds {_show(wd)} (forecast step {step + 1}); "
                    f"its rows must start right after the series' last date"
                    + (f" (its first is {_show(first)})" if step == 0 and first is not None else "")
                )
            rows.append(have[wk])
        part = part.iloc[rows]
    elif len(part) < horizon:
        raise ValueError(f"{owner}: futr_df has {len(part)} rows for series {uid!r}, expected {horizon}")
    else:
        part = part.iloc[:horizon]
    values = np.empty((horizon, len(names)))
    for j, c in enumerate(names):
        v = pd.to_numeric(part[c], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(v))
        if len(bad):
            r = int(bad[0])
            raise ValueError(
                f"{owner}: futr_df has {c} = {_show(part[c].iloc[r])} for series {uid!r} at ds "
                f"{_show(part['ds'].iloc[r])}; expected a number"
            )
        values[:, j] = v
    return values


def _comparable(keys) -> np.ndarray:
    """Date keys in one unit (nanoseconds), so that dates read at different precisions compare equal."""
    keys = np.asarray(keys)
    return keys.astype("datetime64[ns]").astype(np.int64) if np.issubdtype(keys.dtype, np.datetime64) else keys


def _show(v) -> str:
    return repr(v.item() if isinstance(v, np.generic) else v)[:40]


def read_static(static, ids, owner: str) -> dict:
    """id -> {column: value} from ``static_df`` (a frame: ``unique_id`` and the feature columns, one row per
    series) or a dict id -> {column: value}. Every series of ``ids`` must have exactly one row."""
    library = frame_library(static)
    if library is not None:
        df = static if library == "pandas" else to_pandas(static, library, owner)
        if "unique_id" not in df.columns:
            raise ValueError(f"{owner}: static_df has no unique_id column (it has {list(df.columns)})")
        dup = df["unique_id"].duplicated()
        if dup.any():
            raise ValueError(f"{owner}: static_df has two rows for series {df['unique_id'][dup].iloc[0]!r}")
        cols = [c for c in df.columns if c != "unique_id"]
        rows = {u: {c: v for c, v in zip(cols, r)} for u, *r in df[["unique_id", *cols]].itertuples(index=False)}
    elif isinstance(static, dict):
        rows = static
        if not all(isinstance(r, dict) for r in rows.values()):
            raise TypeError(f"{owner}: static_df as a dict maps each series' id to a dict of its features")
    else:
        raise TypeError(
            f"{owner}: static_df must be a DataFrame (unique_id, features...) or a dict, got {type(static).__name__}"
        )
    missing = [u for u in ids if u not in rows]
    if missing:
        raise ValueError(f"{owner}: static_df has no row for series {missing[0]!r}")
    columns = None
    for u in ids:
        if columns is None:
            columns = list(rows[u])
        elif list(rows[u]) != columns:
            raise ValueError(f"{owner}: static_df's features differ between series ({columns} and {list(rows[u])})")
    return {u: rows[u] for u in ids}


def is_number(v) -> bool:
    """A real number (not a bool) that is finite."""
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and np.isfinite(v)

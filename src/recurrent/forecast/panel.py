"""Many series in, many forecasts out, in the container they came in.

    one 1-D array                 -> one array
    a list of 1-D arrays          -> a list of arrays (the same order)
    a dict {id: 1-D array}        -> a dict {id: array}
    a pandas DataFrame in long    -> a DataFrame ``unique_id, ds, forecast`` with the
      format: unique_id, ds, y       future ``ds`` continued from each series' dates

pandas is imported only when a DataFrame is given.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from . import calendar
from .frames import (
    COLUMNS,
    check_long_columns,
    ds_keys,
    frame_library,
    from_pandas,
    future_dates,
    infer_freq,
    insample_frame,
    is_dask_frame,
    labels_of,
    rename_in,
    season_of_freq,
    to_pandas,
)
from .settings import column_names
from .settle import settle


@dataclass
class Batch:
    """Series as read from the user's container: ids, float arrays, and what to answer in."""

    kind: str  # "array", "list", "dict" or "frame"
    ids: list
    values: list
    dates: list = field(default=None)  # per series: the ds values (pandas Index) or None
    freq: str = None  # the pandas frequency of the dates, when one is found
    covariates: list = field(default=None)  # per series: (n_i, K) floats, or None; the last n_future known ahead
    library: str = "pandas"  # a frame's library ("pandas", "polars", "arrow"): answers come in the same
    columns: tuple = ("unique_id", "ds", "y")  # a frame's id, time and target columns, as the caller named them
    rule: object = None  # the dates' calendar rule (calendar.Rule), when a frame's ds are dates or numbered
    n_future: int = 0  # how many of the covariates' last columns are known ahead (their future values given)
    names: list = field(default=None)  # a frame's covariate column names, past then known-ahead


def _one(owner, what, value) -> np.ndarray:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{owner}: expected {what} as a 1-D array of numbers, got {type(value).__name__}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{owner}: expected {what} as a 1-D array of numbers, got values that are not numbers"
        ) from None
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{owner}: expected {what} as a 1-D series, got shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if len(bad):
        raise ValueError(
            f"{owner}: {what} has a missing or infinite value at position {int(bad[0])} "
            f"({arr[bad[0]]}); fill or drop it first"
        )
    return arr


def _show(v) -> str:
    return repr(v.item() if isinstance(v, np.generic) else v)


def _is_frame(Y) -> bool:
    return type(Y).__name__ == "DataFrame" and hasattr(Y, "columns") and not is_dask_frame(Y)


def read_batch(Y, owner="Forecaster.fit", covariates=None, columns=COLUMNS, future=None) -> Batch:
    """Check and unpack any of the accepted containers (and the covariates that go with them).
    ``columns``: a frame's (id, time, target) column names. ``covariates`` are known up to each series'
    end, ``future`` also ahead of it (promotions, prices): both give their values over the series' own
    span here (a frame: their column names), and ``batch.covariates`` holds them side by side, the
    known-ahead ones last (``batch.n_future`` of them)."""
    library = frame_library(Y)
    if library is not None:
        frame = Y if library == "pandas" else to_pandas(Y, library, owner)
        batch = _read_frame(rename_in(frame, columns, owner), owner, covariates, future)
        batch.library, batch.columns = library, tuple(columns)
        return batch
    if _is_frame(Y):
        return _read_frame(Y, owner, covariates, future)
    batch = _read_plain(Y, owner)
    parts = [
        _read_covariates(c, batch, owner, what)
        for c, what in ((covariates, "covariates"), (future, "future_covariates"))
        if c is not None
    ]
    if parts:
        batch.covariates = [np.concatenate(cs, axis=1) for cs in zip(*parts)]
        batch.n_future = parts[-1][0].shape[1] if future is not None else 0
    return batch


def _cov_one(owner, what, value, n) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: expected {what} as numbers, one row per value") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n:
        raise ValueError(
            f"{owner}: expected {what} of shape ({n}, K), one row per value of the series; got shape {arr.shape}"
        )
    bad = np.argwhere(~np.isfinite(arr))
    if len(bad):
        raise ValueError(f"{owner}: {what} has a missing or infinite value at row {int(bad[0][0])}; fill it first")
    return arr


def _read_covariates(C, batch, owner, what="covariates", lengths=None) -> list:
    """Covariates in the container the series came in: an array (n, K) for one series, a list, a dict.
    ``lengths``: the rows each series' needs (default: one per value of the series)."""
    lengths = [len(v) for v in batch.values] if lengths is None else lengths
    if batch.kind == "array":
        out = [_cov_one(owner, what, C, lengths[0])]
    elif batch.kind == "list":
        if not isinstance(C, (list, tuple)) or len(C) != len(batch.values):
            raise ValueError(f"{owner}: expected {what} as a list of {len(batch.values)} arrays, one per series")
        out = [_cov_one(owner, f"{what} of series {k}", c, n) for k, (c, n) in enumerate(zip(C, lengths))]
    else:
        if not isinstance(C, dict) or set(C) != set(batch.ids):
            missing = [k for k in batch.ids if not isinstance(C, dict) or k not in C]
            raise ValueError(
                f"{owner}: expected {what} as a dict with the series' ids; "
                f"{'missing ' + repr(missing[0]) if missing else 'extra ids'}"
            )
        out = [_cov_one(owner, f"{what} of series {k!r}", C[k], n) for k, n in zip(batch.ids, lengths)]
    widths = {c.shape[1] for c in out}
    if len(widths) > 1:
        raise ValueError(f"{owner}: every series needs the same number of {what}, got {sorted(widths)}")
    return out


def _read_plain(Y, owner) -> Batch:
    if isinstance(Y, dict):
        if not Y:
            raise ValueError(f"{owner}: expected at least one series, got an empty dict")
        return Batch("dict", list(Y), [_one(owner, f"series {k!r}", v) for k, v in Y.items()])
    if isinstance(Y, (list, tuple)):
        if not Y:
            raise ValueError(f"{owner}: expected at least one series, got an empty list")
        if all(isinstance(v, numbers.Number) for v in Y):
            return Batch("array", [0], [_one(owner, "y", Y)])
        return Batch("list", list(range(len(Y))), [_one(owner, f"series {k}", v) for k, v in enumerate(Y)])
    if isinstance(Y, np.ndarray) or hasattr(Y, "__array__"):
        arr = np.asarray(Y)
        if arr.ndim == 2 and arr.shape[1] > 1:
            raise ValueError(
                f"{owner}: expected y as a 1-D series (or a list of series), got shape {arr.shape}; "
                f"for one series per column pass list(Y.T)"
            )
        return Batch("array", [0], [_one(owner, "y", arr)])
    raise TypeError(
        f"{owner}: expected a 1-D array, a list of arrays, a dict of arrays or a pandas DataFrame "
        f"(unique_id, ds, y), got {type(Y).__name__}"
    )


def _names(owner, what, cols) -> list:
    names = [cols] if isinstance(cols, str) else list(cols or [])
    if not all(isinstance(c, str) for c in names):
        raise TypeError(f"{owner}: with a DataFrame, name the {what} columns ({what}=['price', ...])")
    return names


def _read_frame(df, owner, covariates=None, future=None) -> Batch:
    import pandas as pd

    past, ahead = _names(owner, "covariates", covariates), _names(owner, "future_covariates", future)
    both = [c for c in past if c in ahead]
    if both:
        raise ValueError(f"{owner}: column {both[0]!r} is named both as a covariate and as a known-ahead one")
    cov_cols = past + ahead
    absent = [c for c in cov_cols if c not in df.columns]
    if absent:
        raise ValueError(f"{owner}: covariate column {absent[0]!r} is not in the DataFrame ({list(df.columns)})")
    check_long_columns(df.columns, owner)
    if len(df) == 0:
        raise ValueError(f"{owner}: expected at least one series, got an empty DataFrame")
    if df["unique_id"].isna().any():
        row = int(np.flatnonzero(df["unique_id"].isna().to_numpy())[0])
        raise ValueError(f"{owner}: row {row} has no unique_id")
    y = pd.to_numeric(df["y"], errors="coerce")
    bad = np.flatnonzero(~np.isfinite(y.to_numpy(dtype=np.float64)))
    if len(bad):
        r = int(bad[0])
        raise ValueError(
            f"{owner}: row {r} (unique_id {_show(df['unique_id'].iloc[r])}) has y = "
            f"{_show(df['y'].iloc[r])}; expected a number (fill or drop missing values first)"
        )
    has_ds = "ds" in df.columns
    frame = pd.DataFrame({"unique_id": df["unique_id"].to_numpy(), "y": y.to_numpy(dtype=np.float64)})
    for c in cov_cols:
        v = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(v)):
            r = int(np.flatnonzero(~np.isfinite(v))[0])
            raise ValueError(f"{owner}: row {r} has covariate {c} = {_show(df[c].iloc[r])}; expected a number")
        frame["cov:" + c] = v
    if has_ds:
        frame["ds"] = df["ds"].to_numpy()
        frame["key"] = ds_keys(frame["ds"], owner)
        dup = frame.duplicated(["unique_id", "key"])
        if dup.any():
            r = int(np.flatnonzero(dup.to_numpy())[0])
            raise ValueError(
                f"{owner}: row {r} repeats unique_id {_show(frame['unique_id'].iloc[r])} at ds "
                f"{_show(frame['ds'].iloc[r])}; expected one value per (unique_id, ds)"
            )
        frame = frame.sort_values(["unique_id", "key"], kind="stable")  # in date order, judged on parsed dates
    ids, values, dates, covs = [], [], [], []
    for uid, part in frame.groupby("unique_id", sort=False):
        ids.append(uid)
        values.append(part["y"].to_numpy())
        dates.append(pd.Index(part["ds"]) if has_ds else None)
        covs.append(part[["cov:" + c for c in cov_cols]].to_numpy(dtype=np.float64))
    rule = None
    if has_ds:  # the calendar's checks: one frequency, no gap, named by series and date
        labels = {uid: labels_of(d) for uid, d in zip(ids, dates)}
        _, _, rule = settle(
            dict(zip(ids, values)), labels, where=owner, hint="fill the missing dates first (reindex, then fill)"
        )
    freq = (rule.alias if rule is not None and rule.unit not in ("step", "M") else None) if has_ds else None
    freq = freq or (infer_freq(dates) if has_ds else None)
    batch = Batch("frame", ids, values, dates if has_ds else None, freq, covs if cov_cols else None)
    batch.rule, batch.n_future, batch.names = rule, len(ahead), cov_cols
    return batch


def season_of_batch(batch) -> int | None:
    """The season a batch's dates imply: its calendar rule's, else its pandas frequency's."""
    if getattr(batch, "rule", None) is not None:
        return calendar.season_of(batch.rule)
    return season_of_freq(batch.freq)


def write_batch(batch: Batch, forecasts: dict, horizon, alias="recurrent"):
    """Forecasts (id -> array, or id -> dict of arrays with intervals) into the batch's own container.

    Series left out (too short to forecast) are absent from a dict and a DataFrame and
    NaN in a list, which keeps its positions. A DataFrame gets one column per array, named as
    the Nixtla libraries name a model's: ``alias``, ``<alias>-lo-80``, ...
    """

    first = next(iter(forecasts.values()), None)
    keys = list(first) if isinstance(first, dict) else None
    missing = {k: np.full(horizon, np.nan) for k in keys} if keys else np.full(horizon, np.nan)
    if batch.kind == "array":
        return forecasts[batch.ids[0]]
    if batch.kind == "list":
        return [forecasts.get(i, missing) for i in batch.ids]
    if batch.kind == "dict":
        return {i: forecasts[i] for i in batch.ids if i in forecasts}
    import pandas as pd

    id_col, time_col, _ = batch.columns
    parts = []
    for k, uid in enumerate(batch.ids):
        if uid not in forecasts:
            continue
        ds = future_dates(batch.dates[k], batch.freq, horizon, batch.rule) if batch.dates is not None else None
        cols = forecasts[uid] if keys else {"forecast": forecasts[uid]}
        cols = {column_names(alias, cols)[k]: v for k, v in cols.items()}
        parts.append(
            pd.DataFrame(
                {"unique_id": [uid] * horizon, "ds": ds if ds is not None else np.arange(1, horizon + 1), **cols}
            )
        )
    if not parts:
        names = column_names(alias, keys or ["forecast"])
        out = pd.DataFrame({"unique_id": [], "ds": [], **{names[k]: [] for k in (keys or ["forecast"])}})
    else:
        out = pd.concat(parts, ignore_index=True)
    return from_pandas(out.rename(columns={"unique_id": id_col, "ds": time_col}), batch.library)


def write_insample(batch: Batch, out: dict, alias="recurrent"):
    """In-sample fits (id -> {"fitted", "residuals"}) into the batch's own container: the dict itself for an array,
    a list or a dict of them, or the long frame ``id, ds, y, <alias>`` for a DataFrame."""
    if batch.kind == "array":
        return out[batch.ids[0]]
    if batch.kind == "list":
        return [out[i] for i in batch.ids]
    if batch.kind == "dict":
        return out
    return insample_frame(batch, out, alias)

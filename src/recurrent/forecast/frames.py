"""DataFrames at the edge: which library a frame is from (pandas, polars, pyarrow) and the
conversions through pandas, the Nixtla-style column names, the frames' dates (sorted as dates,
their pandas frequency, continued) and the in-sample table. ``panel`` reads frames with these.
"""

from __future__ import annotations

import numpy as np

from . import calendar

FREQ_SEASON = {
    "H": 24,
    "h": 24,
    "D": 7,
    "B": 5,
    "W": 52,
    "M": 12,
    "MS": 12,
    "ME": 12,
    "Q": 4,
    "QS": 4,
    "QE": 4,
    "Y": 1,
    "YS": 1,
    "YE": 1,
    "A": 1,
    "AS": 1,
}

COLUMNS = ("unique_id", "ds", "y")


def is_dask_frame(Y) -> bool:
    """A Dask DataFrame (checked without importing Dask)."""
    return type(Y).__module__.startswith("dask.") and hasattr(Y, "map_partitions")


def frame_library(Y) -> str | None:
    """ "pandas", "polars" or "arrow" for a DataFrame (or pyarrow Table) of that library, else None."""
    root = type(Y).__module__.split(".")[0]
    if root == "polars" and type(Y).__name__ == "DataFrame":
        return "polars"
    if root == "pyarrow" and type(Y).__name__ == "Table":
        return "arrow"
    if root == "pandas" and type(Y).__name__ == "DataFrame":
        return "pandas"
    return None


def to_pandas(Y, library, owner):
    """A polars DataFrame or pyarrow Table as a pandas DataFrame (converted at the edge: one frame
    path inside, and the answer converted back by ``write_batch``)."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        raise ImportError(f"{owner}: {library} frames are converted through pandas: pip install pandas") from None
    return Y.to_pandas()


def from_pandas(df, library):
    """A pandas DataFrame as the caller's library's frame."""
    if library == "polars":
        import polars as pl

        return pl.from_pandas(df)
    if library == "arrow":
        import pyarrow as pa

        return pa.Table.from_pandas(df, preserve_index=False)
    return df


def rename_in(df, columns, owner):
    """The caller's id, time and target columns renamed to unique_id, ds, y."""
    columns = tuple(columns)
    if columns == COLUMNS:
        return df
    if len(columns) != 3 or not all(isinstance(c, str) for c in columns):
        raise TypeError(f"{owner}: id_col, time_col and target_col must be column names, got {columns}")
    absent = [c for c, canon in zip(columns, COLUMNS) if c not in df.columns and canon != "ds"]
    if absent:
        raise ValueError(f"{owner}: column {absent[0]!r} is not in the DataFrame ({list(df.columns)})")
    clash = [c for c in COLUMNS if c in df.columns and c not in columns]
    return df.drop(columns=clash).rename(columns=dict(zip(columns, COLUMNS)))


def check_long_columns(columns, owner) -> None:
    """ValueError unless a DataFrame's columns hold unique_id and y (long format)."""
    missing = [c for c in ("unique_id", "y") if c not in columns]
    if missing:
        raise ValueError(
            f"{owner}: a DataFrame needs the columns unique_id, ds, y (long format); "
            f"missing {missing}, got {list(columns)}"
        )


def ds_keys(ds, owner) -> np.ndarray:
    """Sortable keys for a frame's ds: dates and numbers as they are, text parsed as dates (or
    numbered labels) so that "2000-9" sorts before "2000-10"; other text as text."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(ds) or pd.api.types.is_numeric_dtype(ds):
        return ds.to_numpy()
    text = ds.astype(str).str.strip()
    uniq = pd.unique(text)
    parsed = calendar.parse(list(uniq), where=f"{owner}: ds")
    if parsed is None:
        return text.to_numpy()
    return text.map(dict(zip(uniq, parsed.values.astype(np.int64)))).to_numpy()


def labels_of(d) -> list:
    """A series' ds as text labels for the calendar: ISO for timestamps, as given otherwise."""
    import pandas as pd

    if isinstance(d, pd.DatetimeIndex):
        timed = bool(((d - d.normalize()) != pd.Timedelta(0)).any())
        return list(d.strftime("%Y-%m-%d %H:%M:%S" if timed else "%Y-%m-%d"))
    return [str(v).strip() for v in d]


def infer_freq(dates):
    """The pandas frequency string shared by the series' dates, or None (integers: None)."""
    import pandas as pd

    for d in dates:
        if d is not None and len(d) >= 3 and isinstance(d, pd.DatetimeIndex):
            f = _infer(pd, d)
            if f:
                return f
    return None


def _infer(pd, index):
    """pandas' inferred frequency as a string, on pandas that return strings and on those that
    return offsets (asking for the offset where pandas offers the choice, which it warns about)."""
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            f = pd.infer_freq(index)
    except (KeyError, AttributeError):  # pandas without the option (OptionError is both)
        f = pd.infer_freq(index)
    return getattr(f, "freqstr", f)


def season_of_freq(freq):
    """The seasonal period a pandas frequency implies (weekly 52, monthly 12, ...), or None."""
    if not freq:
        return None
    base = freq.split("-")[0].lstrip("0123456789")
    return FREQ_SEASON.get(base)


def future_dates(last_dates, freq, horizon, rule=None):
    """The next ``horizon`` ds after one series' dates: continued by the calendar ``rule`` when there
    is one (dates as dates, text dates as text in their layout, numbered labels by their step), else
    by the pandas frequency for dates and by the usual step for integers; None otherwise."""
    import pandas as pd

    if last_dates is None or len(last_dates) == 0:
        return None
    if rule is not None:
        if isinstance(last_dates, pd.DatetimeIndex) and rule.unit != "step":
            nxt = calendar.advance(np.datetime64(last_dates[-1].to_datetime64(), "s"), rule, horizon)
            return pd.DatetimeIndex(nxt)
        arr = np.asarray(last_dates)
        if np.issubdtype(arr.dtype, np.integer):
            return arr[-1] + rule.n * np.arange(1, horizon + 1)
        parsed = calendar.parse(labels_of(last_dates))
        if parsed is not None:
            return np.array(parsed.format(calendar.advance(parsed.values[-1], rule, horizon)), dtype=object)
    if isinstance(last_dates, pd.DatetimeIndex):
        f = freq or (_infer(pd, last_dates) if len(last_dates) >= 3 else None)
        if f is None:
            return None
        return pd.date_range(last_dates[-1], periods=horizon + 1, freq=f)[1:]
    arr = np.asarray(last_dates)
    if np.issubdtype(arr.dtype, np.integer):
        step = int(np.median(np.diff(arr))) if len(arr) > 1 else 1
        return arr[-1] + step * np.arange(1, horizon + 1)
    return None


def insample_frame(batch, out: dict, alias: str):
    """In-sample fitted values as the long frame ``id, ds, y, <alias>`` of the batch's library."""
    import pandas as pd

    id_col, time_col, target_col = batch.columns
    parts = []
    for k, uid in enumerate(batch.ids):
        n = len(batch.values[k])
        ds = batch.dates[k] if batch.dates is not None else np.arange(1, n + 1)
        parts.append(
            pd.DataFrame(
                {id_col: [uid] * n, time_col: np.asarray(ds), target_col: batch.values[k], alias: out[uid]["fitted"]}
            )
        )
    return from_pandas(pd.concat(parts, ignore_index=True), batch.library)

"""Series in and forecasts out: the bundled data or a CSV file in, JSON or a long CSV file out.

``load_series`` picks the reader a file's layout needs (long with an id column, wide with a
column per series, or one value column) and says what it read: the series, their date labels,
a label for the collection, the season the labels imply and whether there are many series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .files import group_long, read_long_csv, read_wide_csv, write_long_csv


@dataclass(frozen=True)
class LoadedSeries:
    """What ``load_series`` read."""

    series: dict  # id -> values
    dates: dict  # id -> date labels (a list) or None
    label: str  # the file, or the bundled series with its unit
    season: int | None  # the season the labels imply (or the bundled series' own), None when unknown
    many: bool  # a long or wide file (many series), not one value column
    freq: object = None  # the dates' frequency (a calendar.Rule), None without dates


def load_series(
    csv=None,
    *,
    dataset="airline",
    id_column=None,
    columns=None,
    wide=False,
    date_column="auto",
    column=None,
    header=None,
    delimiter=None,
    fill=None,
    decimal=None,
    thousands=None,
    freq=None,
    dayfirst=None,
) -> LoadedSeries:
    """Read a CSV file, or the bundled ``dataset`` when ``csv`` is None.

    ``id_column`` reads a long file (one row per id and date), ``columns`` (comma-separated names)
    or ``wide`` a wide one (a column per series); otherwise one value column (``column``) is read.
    ``decimal`` and ``thousands`` (detected when None) apply to every layout. The dates are
    parsed, checked and their frequency inferred (``calendar.settle``; ``freq`` overrides it, a
    pandas alias, and ``dayfirst`` settles 01/02/2000); a missing period is refused unless ``fill``.
    """
    from .. import datasets
    from ..data import read_csv

    number = dict(decimal=decimal, thousands=thousands)
    if csv is None:
        if id_column or columns or wide:
            raise ValueError("load_series: id_column, columns and wide read a CSV file; none was given")
        values = datasets.load(dataset)
        label = f"{dataset} ({datasets.unit_of(dataset)}, bundled)"
        return LoadedSeries({label: values.values}, {label: values.dates}, label, datasets.season_of(dataset), False)
    if str(csv).lower().endswith(".parquet"):
        Y, dates, many = read_parquet(csv, id_column, date_column, column)
        return _dated(Y, dates, str(csv), many, freq, dayfirst, fill)
    if id_column:
        date_col = date_column
        Y, dates = read_long_csv(
            csv,
            id_column=id_column,
            date_column=date_col,
            dayfirst=dayfirst,
            column=column or "y",
            delimiter=delimiter,
            fill=fill,
            **number,
        )
        return _dated(Y, dates, str(csv), True, freq, dayfirst, fill)
    if columns or wide:
        cols = columns.split(",") if isinstance(columns, str) else columns
        Y, per = read_wide_csv(csv, columns=cols, date_column=date_column, delimiter=delimiter, fill=fill, **number)
        return _dated(Y, per or dict.fromkeys(Y), str(csv), True, freq, dayfirst, fill)
    one = read_csv(csv, column=column, date_column=date_column, header=header, delimiter=delimiter, fill=fill, **number)
    label = f"{'standard input' if str(csv) == '-' else csv} ({one.name})"
    return _dated({label: one.values}, {label: one.dates}, label, False, freq, dayfirst, fill)


def _parquet():
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("Parquet files need pyarrow: pip install 'recurrent[parquet]'") from None
    return pq


def read_parquet(path, id_column=None, date_column="auto", column=None):
    """({id: values}, {id: date labels}, many) from a Parquet file: long (an id column: ``id_column``,
    else ``unique_id`` when present) or one series (a date column and a value column). The file is
    read as a regular file of bounded size, its columns as Arrow arrays; dates become ISO labels."""
    from ..io import MAX_TEXT_BYTES, open_regular

    pq = _parquet()
    with open_regular(path, "Parquet file", MAX_TEXT_BYTES) as f:
        try:
            table = pq.read_table(f)
        except Exception as exc:  # pyarrow's ArrowInvalid and kin
            raise ValueError(f"{path}: not a readable Parquet file ({str(exc)[:200]})") from None
    names = table.column_names
    ic = id_column or ("unique_id" if "unique_id" in names else None)
    vc = column or ("y" if "y" in names else names[-1])
    dc = None if date_column is None else (date_column if date_column not in (None, "auto") else None)
    if dc is None and date_column == "auto":
        dc = "ds" if "ds" in names else next((n for n in names if n not in (ic, vc)), None)
    for what, name in (("id column", ic), ("column", vc), ("date column", dc)):
        if name is not None and name not in names:
            raise ValueError(f"{path}: no {what} {name!r} (the file has {', '.join(names)})")
    y = np.asarray(table.column(vc).to_numpy(zero_copy_only=False), dtype=np.float64)
    if not np.all(np.isfinite(y)):
        r = int(np.flatnonzero(~np.isfinite(y))[0])
        raise ValueError(f"{path}, row {r}: {vc} is missing or not finite; fill it first (--fill applies to CSV cells)")
    dcodes = dlabels = None
    if dc is not None:
        dcodes, distinct = _encoded(table.column(dc), path, dc)
        if np.issubdtype(np.asarray(distinct).dtype, np.datetime64):
            secs = np.asarray(distinct).astype("datetime64[s]")
            timed = bool(np.any(secs != secs.astype("datetime64[D]")))
            dlabels = [str(v).replace("T", " ") if timed else str(v)[:10] for v in secs]
        else:
            dlabels = [str(v).strip() for v in distinct]
    if ic is None:
        label = f"{path} ({vc})"
        labels = None if dcodes is None else [dlabels[k] for k in dcodes]
        return {label: y}, {label: labels}, False
    codes, ids = _encoded(table.column(ic), path, ic)
    got = group_long(codes, [str(u).strip() for u in ids], y, dcodes, dlabels)
    if got is None:
        raise ValueError(f"{path}: an empty id, or a series whose dates are repeated or out of order")
    return got[0], got[1], True


def _encoded(column, path, name):
    """(codes, distinct values) of an Arrow column: one code per row into its distinct values."""
    enc = column.dictionary_encode().combine_chunks()
    if enc.null_count:
        raise ValueError(f"{path}: column {name!r} has a missing value")
    codes = enc.indices.to_numpy(zero_copy_only=False)
    return codes.astype(np.int64), enc.dictionary.to_numpy(zero_copy_only=False)


def write_parquet(path, columns: list, rows: list) -> bytes:
    """Rows (tuples in ``columns`` order) as a Parquet file, atomically; ISO date labels become
    timestamps, numbers float64. Returns the bytes written."""
    import io as _io

    import pyarrow as pa

    from ..io import atomic_write_bytes

    pq = _parquet()
    data = {}
    for k, name in enumerate(columns):
        cells = [r[k] for r in rows]
        if name in ("ds", "cutoff"):
            try:
                data[name] = pa.array(np.array(cells, dtype="datetime64[s]"))
                continue
            except ValueError:
                pass
        data[name] = pa.array(cells)
    buf = _io.BytesIO()
    pq.write_table(pa.table(data), buf)
    atomic_write_bytes(path, buf.getvalue())
    return buf.getvalue()


def _dated(Y, dates, label, many, freq, dayfirst, fill) -> LoadedSeries:
    """The series with their dates checked and completed (``calendar.settle``) and the season
    and frequency the dates imply."""
    from . import calendar

    Y, dates, rule = calendar.settle(Y, dates, freq=freq, dayfirst=dayfirst, fill=fill, where=label)
    return LoadedSeries(Y, dates, label, calendar.season_of(rule), many, rule)


def forecasts_json(fc, labels, many, bands=None) -> dict:
    """Forecasts (and bands) as JSON: {"forecast", "dates"} for one series, {"forecasts", "dates"} keyed
    by id for many; ``bands`` (id -> {"lo-80": array, ...}) add "intervals"."""
    if not many:
        uid = next(iter(fc))
        out = {"forecast": fc[uid].tolist(), "dates": labels[uid]}
        if bands:
            out["intervals"] = {k: v.tolist() for k, v in bands[uid].items()}
        return out
    out = {"forecasts": {str(u): f.tolist() for u, f in fc.items()}, "dates": {str(u): labels[u] for u in fc}}
    if bands:
        out["intervals"] = {str(u): {k: v.tolist() for k, v in b.items()} for u, b in bands.items()}
    return out


def write_forecasts(path, fc, labels, actual=None, bands=None, alias="recurrent") -> bytes:
    """Long format, atomically, in the Nixtla libraries' columns: unique_id, ds, <alias>[, <alias>-lo-80,
    <alias>-hi-80, ...][, y (the actuals)]; returns the bytes written."""
    from .settings import column_names

    keys = list(next(iter(bands.values()))) if bands else []
    rows = [
        (u, labels[u][k], float(f[k]))
        + tuple(float(bands[u][b][k]) for b in keys)
        + ((float(actual[u][k]),) if actual else ())
        for u, f in fc.items()
        for k in range(len(f))
    ]
    names = column_names(alias, ["forecast", *keys, *(["actual"] if actual else [])])
    return write_long_csv(path, rows, ["unique_id", "ds", *names.values()])


def write_backtest(path, per, cutoffs, dates, horizon, alias="recurrent") -> None:
    """Every backtest window's forecasts in long format (unique_id, cutoff, ds, actual, then the
    forecast, baselines and bands): ``per`` and ``cutoffs`` as ``cross_validation`` returns
    them, ``dates`` id -> date labels (or None: positions counted from 1)."""
    keys = [k for k in next(iter(per.values())) if k != "actual"]
    rows = []
    for u, d in per.items():
        lab = dates.get(u)
        for w, cut in enumerate(cutoffs[u]):
            origin = lab[cut - 1] if lab else str(cut)
            for k in range(horizon):
                ds = lab[cut + k] if lab else str(cut + k + 1)
                rows.append((u, origin, ds, float(d["actual"][w, k])) + tuple(float(d[c][w, k]) for c in keys))
    from .settings import column_names

    names = column_names(alias, ["actual", *keys])
    write_long_csv(path, rows, ["unique_id", "cutoff", "ds", *names.values()])

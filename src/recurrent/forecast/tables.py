"""Series in and forecasts out: the bundled data or a CSV file in, JSON or a long CSV file out.

``load_series`` picks the reader a file's layout needs (long with an id column, wide with a
column per series, or one value column) and says what it read: the series, their date labels,
a label for the collection, the season the labels imply and whether there are many series.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import datasets
from ..data import read_csv
from . import calendar
from .files import read_long_csv, read_wide_csv, write_long_csv
from .parquet import read_parquet, write_parquet
from .settings import column_names
from .settle import settle


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
    parsed, checked and their frequency inferred (``settle.settle``; ``freq`` overrides it, a
    pandas alias, and ``dayfirst`` settles 01/02/2000); a missing period is refused unless ``fill``.
    """

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


def write_table(path, rows, columns) -> bytes:
    """Rows as a long CSV file, or Parquet where the path ends in ``.parquet``; atomically."""
    if str(path).lower().endswith(".parquet"):
        return write_parquet(path, list(columns), rows)
    return write_long_csv(path, rows, columns)


def _dated(Y, dates, label, many, freq, dayfirst, fill) -> LoadedSeries:
    """The series with their dates checked and completed (``settle.settle``) and the season
    and frequency the dates imply."""
    Y, dates, rule = settle(Y, dates, freq=freq, dayfirst=dayfirst, fill=fill, where=label)
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

    keys = list(next(iter(bands.values()))) if bands else []
    rows = [
        (u, labels[u][k], float(f[k]))
        + tuple(float(bands[u][b][k]) for b in keys)
        + ((float(actual[u][k]),) if actual else ())
        for u, f in fc.items()
        for k in range(len(f))
    ]
    names = column_names(alias, ["forecast", *keys, *(["actual"] if actual else [])])
    return write_table(path, rows, ["unique_id", "ds", *names.values()])


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

    names = column_names(alias, ["actual", *keys])
    write_table(path, rows, ["unique_id", "cutoff", "ds", *names.values()])

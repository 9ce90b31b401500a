"""Many series from CSV files, and forecasts back to one, without pandas.

    long:  one row per (id, date, value): ``unique_id,ds,y``        read_long_csv
    wide:  one column per series, one row per date                  read_wide_csv
    out:   long format ``unique_id,ds,forecast[,...]``, atomically  write_long_csv

Numbers may use a decimal comma (``316,10`` with ``decimal=","``) and thousands
separators (``2,710.3`` with ``thousands=","``); ``detect_number_format`` finds them
where the file leaves no doubt. Every refusal names the file, the line, the id and
what was expected.
"""

from __future__ import annotations

import csv
import io as _io
import math
from pathlib import Path

import numpy as np

from ..data import _fill, _hint, _number, _parse, _resolve_column, _sniff_delimiter, csv_rows, detect_number_format
from ..safefiles import atomic_write_bytes, read_regular
from . import calendar
from .fastread import date_order, find_date_column, read_long_columns, read_long_pandas


def _read_rows(path, delimiter):
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path}: is a folder, expected a CSV file")
    try:
        text = read_regular(path, "CSV file").decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise ValueError(f"{path}: the file is empty")
    delim = delimiter or _sniff_delimiter(text.lstrip("\r\n").splitlines()[0])
    rows = [(ln, r) for ln, r in csv_rows(path, text, delim) if (r and r[0].strip()) or "".join(r).strip()]
    if len(rows) < 2:
        raise ValueError(f"{path}: no data rows after the header")
    header = [c.strip() for c in rows[0][1]]
    return path, header, rows[1:], delim


def _value(path, ln, what, cell, decimal, thousands):
    try:
        v = _parse(cell, decimal, thousands)
    except ValueError:
        raise ValueError(
            f"{path}, line {ln}, {what}: {cell.strip()!r} is not a number{_hint(cell, decimal, thousands)}"
        ) from None
    if v is not None and math.isinf(v):
        raise ValueError(f"{path}, line {ln}, {what}: {cell.strip()!r} is not finite")
    return v


def _finish(path, uid, vals, lines, fill):
    y = np.array([np.nan if v is None else v for v in vals], dtype=np.float64)
    if np.isnan(y).any():
        if fill is None:
            ln = lines[int(np.flatnonzero(np.isnan(y))[0])]
            raise ValueError(
                f"{path}, line {ln}, id {uid!r}: missing value (refused; fill gaps with "
                f"--fill ffill or --fill interpolate)"
            )
        y = _fill(y, fill, path, uid)
    return y


def _check_date_order(path, dates, lines, dayfirst) -> None:
    """Each id's dates in order, each once, judged on the parsed dates; the refusal names the line."""
    for uid, ds in dates.items():
        try:
            keys = date_order(ds, dayfirst, f"{path}, id {uid!r}")
        except calendar.DateError as e:
            raise ValueError(f"{path}, line {lines[uid][ds.index(e.cell)]}, id {uid!r}: {e.reason}") from None
        for k in range(1, len(ds)):
            if keys[k] == keys[k - 1]:
                raise ValueError(
                    f"{path}, line {lines[uid][k]}, id {uid!r}: date {ds[k]!r} appears twice; "
                    "expected one row per (id, date)"
                )
            if keys[k] < keys[k - 1]:
                raise ValueError(
                    f"{path}, line {lines[uid][k]}, id {uid!r}: date {ds[k]!r} comes after {ds[k - 1]!r}; "
                    f"expected the rows of each id in date order"
                )


def read_long_csv(
    path,
    id_column="unique_id",
    date_column="ds",
    column="y",
    delimiter=None,
    decimal=None,
    thousands=None,
    fill=None,
    dayfirst=None,
):
    """Read a long file: returns ({id: values}, {id: date labels or None}), ids in first-seen order.

    Refused: a row without an id, a value that is not a number, a missing value (unless
    ``fill``), the same (id, date) twice, dates out of order within an id.

    A regular file (every row complete, plain numbers, each id's dates in order, once) is read by
    pandas' C parser where pandas is installed (``fastread.read_long_pandas``); anything else by the
    careful reader, so a refusal still names its line. The two agree exactly.
    """
    if decimal in (None, ".") and thousands is None and str(path) != "-":
        fast = read_long_pandas(path, id_column, date_column, column, delimiter, dayfirst)
        if fast is not None:
            return fast
    path, header, body, delim = _read_rows(path, delimiter)
    ic = _resolve_column(id_column, header, len(header), "id column", path)
    vc = _resolve_column(column, header, len(header), "column", path)
    if date_column == "auto":
        date_column = find_date_column(header, body, exclude=(ic, vc))
    dc = (
        _resolve_column(date_column, header, len(header), "date column", path)
        if date_column is not None and (date_column in header or str(date_column).isdigit())
        else None
    )
    if decimal in (None, ".") and thousands is None:
        fast = read_long_columns(len(header), body, ic, vc, dc, dayfirst)
        if fast is not None:
            return fast
    if decimal is None and thousands is None:
        decimal, thousands = detect_number_format([r[vc] for _, r in body if len(r) > vc], delim)
    decimal = decimal or "."
    values, dates, lines = {}, {}, {}
    for ln, r in body:
        if len(r) != len(header):
            raise ValueError(f"{path}, line {ln}: expected {len(header)} fields like the header, got {len(r)}")
        uid = r[ic].strip()
        if not uid:
            raise ValueError(f"{path}, line {ln}: no id in column {header[ic]!r}")
        v = _value(path, ln, f"id {uid!r}", r[vc], decimal, thousands)
        values.setdefault(uid, []).append(v)
        lines.setdefault(uid, []).append(ln)
        if dc is not None:
            dates.setdefault(uid, []).append(r[dc].strip())
    _check_date_order(path, dates, lines, dayfirst)
    out = {uid: _finish(path, uid, vals, lines[uid], fill) for uid, vals in values.items()}
    return out, {uid: dates.get(uid) for uid in out}


def read_wide_csv(path, columns=None, date_column=None, delimiter=None, decimal=None, thousands=None, fill=None):
    """Read a wide file (a series per column): ({name: values}, {name: its date labels} or None).

    ``columns``: names or indices; None takes every column whose first value is a number
    (the date column excepted). ``date_column="auto"``: the first column when its first
    value is not a number. Empty cells at the start of a column (a series that starts
    later) and at its end (one that ends earlier) are dropped, so each column is a series of
    its own span with its own dates; gaps inside it need ``fill``.
    """
    path, header, body, delim = _read_rows(path, delimiter)
    if date_column == "auto":
        try:
            _number(body[0][1][0])
            date_column = None
        except (ValueError, IndexError):
            date_column = 0
    dc = _resolve_column(date_column, header, len(header), "date column", path) if date_column is not None else None
    if columns is None:
        cand = [k for k in range(len(header)) if k != dc]
    else:
        cand = [_resolve_column(c.strip(), header, len(header), "column", path) for c in columns]
    if decimal is None and thousands is None:
        decimal, thousands = detect_number_format([r[k] for _, r in body for k in cand if len(r) > k], delim)
    decimal = decimal or "."
    if columns is None:  # every column whose first filled cell is a number
        cols = []
        for k in cand:
            first = next((r[k] for _, r in body if len(r) > k and r[k].strip()), "")
            try:
                if _parse(first, decimal, thousands) is not None:
                    cols.append(k)
            except ValueError:
                continue
        if not cols:
            raise ValueError(f"{path}: no numeric columns found; name them with --columns")
    else:
        cols = cand
    out, spans = {}, {}
    for k in cols:
        name = header[k]
        vals, lines = [], []
        for ln, r in body:
            if len(r) != len(header):
                raise ValueError(f"{path}, line {ln}: expected {len(header)} fields like the header, got {len(r)}")
            vals.append(_value(path, ln, f"column {name!r}", r[k], decimal, thousands))
            lines.append(ln)
        start = next((i for i, v in enumerate(vals) if v is not None), len(vals))
        if start == len(vals):
            raise ValueError(f"{path}, column {name!r}: every value is missing")
        end = len(vals) - next(i for i, v in enumerate(reversed(vals)) if v is not None)
        out[name] = _finish(path, name, vals[start:end], lines[start:end], fill)
        spans[name] = (start, end)
    if dc is None:
        return out, None
    dates = [r[dc].strip() for _, r in body]
    return out, {name: dates[a:b] for name, (a, b) in spans.items()}


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as the start of a formula


def safe_cell(v: str) -> str:
    """A text cell a spreadsheet will not run: one beginning with =, +, -, @, tab or carriage return
    gets a leading apostrophe (OWASP's rule for CSV injection), unless it is a number ("-3", "+1")."""
    if v.startswith(FORMULA_START):
        try:
            float(v)
        except ValueError:
            return "'" + v
    return v


def write_long_csv(path, rows, columns) -> bytes:
    """Write rows (tuples in ``columns`` order) as a CSV file, atomically; returns the bytes written.
    Text cells that a spreadsheet would read as a formula are escaped (``safe_cell``)."""

    buf = _io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([safe_cell(str(c)) for c in columns])
    for r in rows:
        w.writerow([f"{v:.10g}" if isinstance(v, float) else safe_cell(v) if isinstance(v, str) else v for v in r])
    data = buf.getvalue().encode()
    atomic_write_bytes(path, data)
    return data


def next_labels(dates, k, freq=None, dayfirst=None):
    """The ``k`` labels after ``dates`` (date labels as read), in their layout, by calendar arithmetic:
    the frequency inferred from the dates (``calendar.infer``) or ``freq`` (a pandas alias or a
    ``calendar.Rule``); labels that are neither dates nor numbered get ``+1, +2, ...``."""
    if dates:
        try:
            parsed = calendar.parse(dates, dayfirst=dayfirst)
        except ValueError:
            parsed = None
        if parsed is not None:
            rule = calendar.from_alias(freq) if isinstance(freq, str) else freq
            rule = rule or calendar.infer(parsed.values)
            if rule is not None and (rule.unit == "step") != parsed.is_date:
                return parsed.format(calendar.advance(parsed.values[-1], rule, k))
            if rule is None and not parsed.is_date:  # one numbered label: the next numbers
                return parsed.format(parsed.values[-1] + np.arange(1, k + 1))
    return [f"+{h}" for h in range(1, k + 1)]


def season_of_labels(dates, freq=None, dayfirst=None):
    """The period the date labels imply (``calendar.season_of``: monthly 12, business days 5, ...), or None."""
    if freq is not None:
        return calendar.season_of(calendar.from_alias(freq) if isinstance(freq, str) else freq)
    if not dates or len(dates) < 2:
        return None
    try:
        parsed = calendar.parse(dates, dayfirst=dayfirst)
        return calendar.season_of(calendar.infer(parsed.values)) if parsed is not None else None
    except ValueError:
        return None

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
import re
from pathlib import Path

import numpy as np

from ..data import _fill, _hint, _number, _parse, _resolve_column, _sniff_delimiter, csv_rows, detect_number_format
from ..io import read_regular
from . import calendar


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


def _date_order(cells, dayfirst=None, where="dates"):
    """Sortable keys for date cells, parsed as dates (``calendar.parse``) so that 2000-9 comes
    before 2000-10; numbered labels by their number; other text as text."""
    from . import calendar

    parsed = calendar.parse(cells, dayfirst=dayfirst, where=where)
    if parsed is None:
        return list(cells)
    return parsed.values.astype(np.int64).tolist()


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
    pandas' C parser where pandas is installed (``_read_long_pandas``); anything else by the
    careful reader, so a refusal still names its line. The two agree exactly.
    """
    if decimal in (None, ".") and thousands is None and str(path) != "-":
        fast = _read_long_pandas(path, id_column, date_column, column, delimiter, dayfirst)
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
        fast = _read_long_fast(len(header), body, ic, vc, dc, dayfirst)
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
    for uid, ds in dates.items():  # in date order, each date once: judged on the parsed dates
        try:
            keys = _date_order(ds, dayfirst, f"{path}, id {uid!r}")
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
    out = {uid: _finish(path, uid, vals, lines[uid], fill) for uid, vals in values.items()}
    return out, {uid: dates.get(uid) for uid in out}


def _read_long_pandas(path, id_column, date_column, column, delimiter, dayfirst):
    """The common large long file read by pandas: ({id: values}, {id: labels}) exactly as the
    careful reader gives them, or None (pandas absent, or anything irregular: the careful reader
    then reads the file and names the line). The labels of all series share one string object per
    distinct date, so 10 million rows hold about 100 distinct strings, not 10 million."""
    try:
        import pandas as pd
    except ImportError:
        return None
    from ..io import MAX_TEXT_BYTES, open_regular

    with open_regular(path, "CSV file", MAX_TEXT_BYTES) as f:
        first = f.readline().decode("utf-8-sig", errors="replace")
        if not first.strip():
            return None
        delim = delimiter or _sniff_delimiter(first)
        header = [c.strip() for c in next(csv.reader([first], delimiter=delim))]
        try:
            ic = _resolve_column(id_column, header, len(header), "id column", path)
            vc = _resolve_column(column, header, len(header), "column", path)
        except ValueError:
            return None
        if date_column == "auto":
            sample = [next(csv.reader([f.readline().decode("utf-8", errors="replace")], delimiter=delim), [])]
            date_column = find_date_column(header, [(2, r) for r in sample], exclude=(ic, vc))
        dc = (
            _resolve_column(date_column, header, len(header), "date column", path)
            if date_column is not None and (date_column in header or str(date_column).isdigit())
            else None
        )
        f.seek(0)
        names = [header[ic], header[vc]] + ([header[dc]] if dc is not None else [])
        if len(set(names)) != len(names) or len(set(header)) != len(header):
            return None
        try:
            df = pd.read_csv(
                f,
                sep=delim,
                usecols=names,
                dtype={header[ic]: "category", **({header[dc]: "category"} if dc is not None else {})},
                encoding="utf-8-sig",
                keep_default_na=False,
                na_values={header[vc]: ["", "nan", "NaN", "NA", "N/A", "null", "None", "-"]},
                skipinitialspace=False,
            )
        except Exception:  # a ragged row, a bad byte, a value pandas cannot read: the careful reader says where
            return None
    if len(df) == 0 or df[header[vc]].dtype.kind != "f" and df[header[vc]].dtype.kind != "i":
        return None
    y = df[header[vc]].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(y)):
        return None
    got = _category_codes(df[header[ic]])
    if got is None:
        return None
    dgot = _category_codes(df[header[dc]]) if dc is not None else (None, None)
    if dgot is None:
        return None
    return group_long(got[0], got[1], y, dgot[0], dgot[1], dayfirst)


def group_long(codes, uniq, y, dcodes=None, duniq=None, dayfirst=None):
    """({id: values}, {id: labels}) from a long table held as codes: ``codes`` (each row's id, an
    index into ``uniq``), ``y``, and the dates as ``dcodes`` into the distinct labels ``duniq``.
    Ids in first-seen order, rows in file order; None when an id is empty or a series' dates are
    not strictly increasing (the careful reader then names the line). Series with the same dates
    share one list of labels."""
    import pandas as pd

    if any(u == "" for u in uniq):
        return None
    first = pd.unique(codes)  # the ids in first-seen order, as the careful reader keeps them
    renum = np.empty(len(uniq), dtype=np.int64)
    renum[first] = np.arange(len(first))
    codes, uniq = renum[codes], [uniq[k] for k in first]
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes))[:-1]
    values = np.split(y[order], bounds)
    if dcodes is None:
        return dict(zip(uniq, values)), dict.fromkeys(uniq)
    try:
        keys = np.asarray(_date_order(list(duniq), dayfirst))
    except ValueError:
        return None
    if keys.dtype == object or len(set(keys.tolist())) != len(keys):
        return None
    rk = keys[dcodes][order]
    same = codes[order][1:] == codes[order][:-1]
    if np.any(same & (rk[1:] <= rk[:-1])):  # a repeated or earlier date: the careful reader names the line
        return None
    cells = np.asarray(duniq, dtype=object)
    shared = {}  # series with the same dates share one list of labels (10 million rows, a few lists)
    dates = {}
    for u, c in zip(uniq, np.split(dcodes[order], bounds)):
        key = c.tobytes()
        if key not in shared:
            shared[key] = cells[c].tolist()
        dates[u] = shared[key]
    return dict(zip(uniq, values)), dates


def _category_codes(col):
    """(codes, stripped categories) of a categorical column, or None when a cell is missing or two
    categories are one once stripped."""
    if (col.cat.codes < 0).any():
        return None
    cats = [str(c).strip() for c in col.cat.categories]
    if len(set(cats)) != len(cats):
        return None
    return col.cat.codes.to_numpy(dtype=np.int64), cats


def find_date_column(header, body, exclude=()):
    """The date column of a long file under any name: ``ds``, else a column named like a date
    (date, time, timestamp, period, month, week, day, year), else the first whose cells parse as
    dates; None when there is none."""
    from . import calendar

    names = [h.strip().lower() for h in header]
    if "ds" in names:
        return header[names.index("ds")]
    free = [k for k in range(len(header)) if k not in exclude]
    for k in free:
        if re.search(r"date|time|stamp|period|month|week|day|year", names[k]):
            return header[k]
    sample = [r for _, r in body[:20] if len(r) == len(header)]
    for k in free:
        try:
            got = calendar.parse([r[k] for r in sample])
        except ValueError:
            continue
        if got is not None and got.is_date:
            return header[k]
    return None


def _read_long_fast(n_columns, body, ic, vc, dc, dayfirst=None):
    """The common long file read a column at a time: every row complete, every value a finite
    number as Python's float reads it (a plain decimal point; NumPy parses the same), every id
    present and each id's dates strictly increasing. None when any row is otherwise: the
    row-by-row reader then runs and its refusal names the line, so the answer is the same
    either way (4.8 us a row there, about a quarter of that here).
    """
    rows = [r for _, r in body]
    if any(len(r) != n_columns for r in rows):
        return None
    try:
        y = np.array([r[vc] for r in rows], dtype=np.float64)
    except ValueError:
        return None
    if not np.all(np.isfinite(y)):
        return None
    ids = [r[ic].strip() for r in rows]
    if not all(ids):
        return None
    first: dict = {}
    code = np.array([first.setdefault(u, len(first)) for u in ids])  # each id's number, in first-seen order
    order = np.argsort(code, kind="stable")  # the rows of each id together, in file order
    bounds = np.cumsum(np.bincount(code))[:-1]
    values = np.split(y[order], bounds)
    if dc is None:
        return dict(zip(first, values)), dict.fromkeys(first)
    ds = [r[dc].strip() for r in rows]
    distinct = sorted(set(ds))
    try:
        keys = _date_order(distinct, dayfirst)
    except ValueError:  # a date unlike the others: the careful reader names its line
        return None
    if len(set(keys)) != len(keys):  # two spellings of one date: the careful reader names the line
        return None
    rank = {d: k for k, (_, d) in enumerate(sorted(zip(keys, distinct)))}  # each distinct date parsed once
    rk = np.array([rank[d] for d in ds])[order]
    same_id = code[order][1:] == code[order][:-1]
    if np.any(same_id & (rk[1:] <= rk[:-1])):  # a repeated or earlier date: the careful reader says where
        return None
    cells = np.array(ds, dtype=object)[order]
    return dict(zip(first, values)), {u: list(d) for u, d in zip(first, np.split(cells, bounds))}


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
    from ..io import atomic_write_bytes

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
    from . import calendar

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
    from . import calendar

    if freq is not None:
        return calendar.season_of(calendar.from_alias(freq) if isinstance(freq, str) else freq)
    if not dates or len(dates) < 2:
        return None
    try:
        parsed = calendar.parse(dates, dayfirst=dayfirst)
        return calendar.season_of(calendar.infer(parsed.values)) if parsed is not None else None
    except ValueError:
        return None

"""Loading a series from a CSV file, with errors that name the line and the column.

    series = read_csv("sales.csv", column="units", date_column="month")
    series.values   # float64 array
    series.dates    # list of str, or None
    series.name     # the column's name

Accepted: a header row or none (detected, or told), comma, semicolon or tab
(detected, or told), UTF-8 with or without a byte-order mark, LF or CRLF line
ends. Refused with a one-line ``ValueError``: an empty file, a header with no
rows, a ragged row, a cell that is not a number, a missing or NaN cell (unless
``fill`` is given), an infinite value.
"""

from __future__ import annotations

import csv
import io as _io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .safefiles import read_regular

FILLS = ("ffill", "interpolate")


@dataclass
class Series:
    """A univariate series with optional dates (one label per value)."""

    values: np.ndarray
    dates: list | None = None
    name: str = "value"

    def __len__(self):
        return len(self.values)


def _number(text):
    """float, or None for an empty/NaN cell; raises ValueError for anything else."""
    t = text.strip()
    if t == "" or t.lower() in ("nan", "na", "n/a", "null", "none", "-"):
        return None
    return float(t)


def detect_number_format(cells, delimiter):
    """(decimal, thousands) where the cells leave no doubt, else ('.', None)."""
    cells = [c.strip() for c in cells if c.strip()]
    if delimiter != "," and any(re.fullmatch(r"-?\d+,\d+", c) for c in cells) and not any("." in c for c in cells):
        return ",", None  # 316,10 in a ;-separated file
    if (
        delimiter != ","
        and any(re.fullmatch(r"-?\d{1,3}(\.\d{3})+,\d+", c) for c in cells)
        and all(re.fullmatch(r"-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?", c) for c in cells)
    ):
        return ",", "."  # 15.136,00 in a ;-separated European export
    if (
        any(re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", c) for c in cells)
        and all(re.fullmatch(r"-?(\d{1,3}(,\d{3})+|\d{1,3})(\.\d+)?|-?\d+(\.\d+)?", c) for c in cells)
        and any(re.fullmatch(r"-?\d{1,3}(,\d{3})+\.\d+", c) for c in cells)
    ):
        return ".", ","  # 2,710.3 (quoted in a comma file)
    return ".", None


def _parse(cell, decimal, thousands):
    t = cell.strip()
    if thousands:
        t = t.replace(thousands, "")
    if decimal != ".":
        t = t.replace(decimal, ".")
    return _number(t)


def _hint(cell, decimal, thousands):
    if decimal == "." and re.fullmatch(r"-?\d{1,3}(\.\d{3})+,\d+", cell.strip()):
        return " (a European number? use --decimal , --thousands .)"
    if decimal == "." and re.fullmatch(r"-?\d+,\d+", cell.strip()):
        return " (a decimal comma? use --decimal ,)"
    if thousands is None and re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", cell.strip()):
        return " (a thousands separator? use --thousands ,)"
    return ""


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def _resolve_column(spec, header, ncols, what, path):
    if spec is None:
        return None
    if isinstance(spec, int) or (
        isinstance(spec, str) and spec.lstrip("-").isdigit() and (header is None or spec not in header)
    ):
        k = int(spec)
        if not -ncols <= k < ncols:
            raise ValueError(f"{path}: {what} index {k} is out of range; the file has {ncols} columns")
        return k % ncols
    if header is None:
        raise ValueError(f"{path}: {what} {spec!r} given by name, but the file has no header row")
    if spec not in header:
        raise ValueError(f"{path}: no column named {spec!r}; the columns are {', '.join(map(repr, header))}")
    return header.index(spec)


def csv_rows(path, text: str, delimiter: str) -> list:
    """[(line number, cells)] of a CSV text; a malformed one (a field longer than the csv module's
    limit, a stray quote) is a ValueError naming the line."""
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [(i + 1, r) for i, r in enumerate(reader)]
    except csv.Error as e:
        raise ValueError(f"{path}: line {reader.line_num}: not readable as CSV ({e})") from None


def _has_header(first, column, ncols, path) -> bool:
    """Whether the first row is a header: it is when the column is chosen by name, or when its value cell is not
    a number."""
    if isinstance(column, str) and not column.lstrip("-").isdigit():
        return True  # a column chosen by name needs a header
    k = _resolve_column(column, None, ncols, "column", path)
    try:
        _number(first[ncols - 1 if k is None else k])
    except ValueError:
        return True
    return False


def read_csv(
    path, column=None, date_column="auto", header=None, delimiter=None, fill=None, decimal=None, thousands=None
) -> Series:
    """Read one numeric column of a CSV file.

    Args:
        column: name or 0-based index of the values (default: the last column).
        date_column: name or index of a date/label column to keep; "auto" (the default, as
            the command line) takes the first column when the file has several and the values
            are elsewhere; None keeps none.
        header: True/False, or None to detect (a first row whose value cell is not a number).
        delimiter: ',', ';' or '\\t', or None to detect from the first line.
        fill: None to refuse gaps, 'ffill' (repeat the previous value) or 'interpolate' (linear).
        decimal, thousands: the number format (``decimal=","`` reads ``316,10``, with
            ``thousands="."`` ``15.136,00``); detected when both are None and the cells leave no doubt.
    """
    path = Path(path)
    if fill is not None and fill not in FILLS:
        raise ValueError(f"`fill` must be one of {FILLS} or None, got {fill!r}")
    raw = read_regular(path, "CSV file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise ValueError(f"{path}: the file is empty")
    first_line = text.lstrip("\r\n").splitlines()[0]
    delim = delimiter or _sniff_delimiter(first_line)
    rows = csv_rows(path, text, delim)
    rows = [(ln, r) for ln, r in rows if any(c.strip() for c in r)]  # skip blank lines
    ncols = len(rows[0][1])
    first = rows[0][1]
    if header is None:
        header = _has_header(first, column, ncols, path)
    names = [c.strip() for c in first] if header else None
    col = _resolve_column(column, names, ncols, "column", path)
    col = ncols - 1 if col is None else col
    if date_column == "auto":
        date_column = 0 if ncols > 1 and col != 0 else None
    dcol = _resolve_column(date_column, names, ncols, "date column", path)
    body = rows[1:] if header else rows
    colname = names[col] if names else f"column {col}"
    if not body:
        raise ValueError(f"{path}: no data rows after the header")

    if decimal is None and thousands is None:
        decimal, thousands = detect_number_format([r[col] for _, r in body if len(r) > col], delim)
    decimal = decimal or "."
    values, dates = [], []
    for ln, r in body:
        if len(r) != ncols:
            raise ValueError(f"{path}, line {ln}: expected {ncols} fields like the first row, got {len(r)}")
        cell = r[col]
        try:
            v = _parse(cell, decimal, thousands)
        except ValueError:
            raise ValueError(
                f"{path}, line {ln}, column {colname!r}: {cell.strip()!r} is not a number"
                + _hint(cell, decimal, thousands)
            ) from None
        if v is not None and math.isinf(v):
            raise ValueError(f"{path}, line {ln}, column {colname!r}: {cell.strip()!r} is not finite")
        if v is None and fill is None:
            raise ValueError(
                f"{path}, line {ln}, column {colname!r}: missing value "
                f"(refused; fill gaps with --fill ffill|interpolate on the command line, "
                f"fill='ffill' or 'interpolate' in read_csv)"
            )
        values.append(np.nan if v is None else v)
        if dcol is not None:
            dates.append(r[dcol].strip())
    y = np.array(values, dtype=np.float64)
    if fill is not None and np.isnan(y).any():
        y = _fill(y, fill, path, colname)
    return Series(y, dates if dcol is not None else None, colname)


def _fill(y, how, path, colname):
    ok = ~np.isnan(y)
    if not ok.any():
        raise ValueError(f"{path}, column {colname!r}: every value is missing")
    idx = np.arange(len(y))
    if how == "interpolate":
        return np.interp(idx, idx[ok], y[ok])
    first = int(np.argmax(ok))
    if first > 0:
        raise ValueError(
            f"{path}, column {colname!r}: the first value is missing; 'ffill' has nothing to repeat (use 'interpolate')"
        )
    last = np.maximum.accumulate(np.where(ok, idx, 0))
    return y[last]

"""Date labels read as dates: the layouts a file writes them in, parsed to ``datetime64`` and
written back in the same layout (``Dates.format``). ``calendar`` infers their frequency and continues
them.

    parse(["31.12.1990", "01.01.1991"]).values       # datetime64[s]
    parse(["9/1/2000", "10/1/2000"]).kind             # "mdy/": month first (no day over 12 says otherwise)

Layouts: ``YYYY-MM-DD`` (with a time or not), ``YYYY-MM``, ``YYYY``, ``YYYYQn``, ``DD.MM.YYYY``,
``MM/DD/YYYY`` and ``DD/MM/YYYY`` (told apart by a day over 12, else by ``dayfirst``, which ISO
dates ignore), and labels ending in a number (``day 9``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_YM = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_Y = re.compile(r"^(\d{4})$")
_Q = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)
_DMY_DOT = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_SLASH = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_NUMBERED = re.compile(r"^(.*?)(-?\d+)$")


@dataclass
class Dates:
    """Parsed date labels: ``values`` (datetime64[s], or int64 for numbered labels) and the layout
    to write new ones in (``kind``: "iso", "isotime", "ym", "y", "q", "dmy.", "dmy/", "mdy/",
    "number"; ``prefix`` for numbered labels such as ``day 9``)."""

    values: np.ndarray
    kind: str
    prefix: str = ""
    sep: str = "/"
    time: bool = False
    pad: bool = True  # month and day written with two digits (9/1/2000 is not)

    @property
    def is_date(self) -> bool:
        """True for dates, False for numbered labels."""
        return np.issubdtype(self.values.dtype, np.datetime64)

    def format(self, values) -> list[str]:
        """Labels for ``values`` in this layout."""
        if not self.is_date:
            return [f"{self.prefix}{int(v)}" for v in values]
        out = []
        for v in np.asarray(values, dtype="datetime64[s]"):
            s = str(v)  # YYYY-MM-DDTHH:MM:SS
            y, m, d, t = s[:4], s[5:7], s[8:10], s[11:19]
            if self.kind == "y":
                out.append(y)
            elif self.kind == "ym":
                out.append(f"{y}-{m}")
            elif self.kind == "q":
                out.append(f"{y}Q{(int(m) - 1) // 3 + 1}")
            else:
                if not self.pad:
                    d, m = str(int(d)), str(int(m))
                date = {
                    "dmy.": f"{d}.{m}.{y}",
                    "dmy/": f"{d}{self.sep}{m}{self.sep}{y}",
                    "mdy/": f"{m}{self.sep}{d}{self.sep}{y}",
                }.get(self.kind, f"{y}-{m}-{d}")
                out.append(f"{date} {t}" if self.time else date)
        return out


def _dt(y, m, d, hh=0, mm=0, ss=0):
    return np.datetime64(f"{int(y):04d}-{int(m):02d}-{int(d):02d}T{int(hh):02d}:{int(mm):02d}:{int(ss):02d}", "s")


def _valid(y, m, d) -> bool:
    if not (1 <= m <= 12 and d >= 1):
        return False
    last = (np.datetime64(f"{y:04d}-{m:02d}", "M") + 1).astype("datetime64[D]") - 1
    return d <= int(str(last)[8:10])


def parse(cells, dayfirst: bool | None = None, where: str = "dates") -> Dates | None:
    """The labels as dates (or numbered labels); None when they are neither (then kept as text).

    ValueError naming the first label that breaks a layout the others share."""
    cells = [str(c).strip() for c in cells]
    if not cells:
        return None
    first = cells[0]
    for layout in (_iso, _ym, _year, _quarter, _dotted, _slashed):
        got = layout(cells, first, dayfirst, where)
        if got is not None:
            return got
    return _numbered(cells)


class DateError(ValueError):
    """A label that breaks the layout the others share; ``cell`` is the label, ``reason`` the why."""

    def __init__(self, where, cell, what):
        self.cell, self.reason = cell, f"{cell!r} is not a date like the others ({what})"
        super().__init__(f"{where}: {self.reason}")


def _fail(where, cell, what):
    raise DateError(where, cell, what)


def _iso(cells, first, dayfirst, where):
    if not _ISO.match(first):
        return None
    out, timed = [], False
    for c in cells:
        m = _ISO.match(c)
        if not m:
            _fail(where, c, "YYYY-MM-DD")
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
        if not _valid(y, mo, d):
            _fail(where, c, "no such day")
        timed = timed or m[4] is not None
        out.append(_dt(y, mo, d, m[4] or 0, m[5] or 0, m[6] or 0))
    return Dates(np.array(out, dtype="datetime64[s]"), "iso", time=timed)


def _ym(cells, first, dayfirst, where):
    if not _YM.match(first):
        return None
    out = []
    for c in cells:
        m = _YM.match(c)
        if not m or not 1 <= int(m[2]) <= 12:
            _fail(where, c, "YYYY-MM")
        out.append(_dt(m[1], m[2], 1))
    return Dates(np.array(out, dtype="datetime64[s]"), "ym")


def _year(cells, first, dayfirst, where):
    if not (_Y.match(first) and all(_Y.match(c) for c in cells)):
        return None
    years = [int(c) for c in cells]
    if not all(1000 <= y <= 2999 for y in years):
        return None  # plain numbers, not years
    return Dates(np.array([_dt(y, 1, 1) for y in years], dtype="datetime64[s]"), "y")


def _quarter(cells, first, dayfirst, where):
    if not _Q.match(first):
        return None
    out = []
    for c in cells:
        m = _Q.match(c)
        if not m:
            _fail(where, c, "YYYYQn")
        out.append(_dt(m[1], 3 * int(m[2]) - 2, 1))
    return Dates(np.array(out, dtype="datetime64[s]"), "q")


def _dotted(cells, first, dayfirst, where):
    if not _DMY_DOT.match(first):
        return None
    out, timed = [], False
    for c in cells:
        m = _DMY_DOT.match(c)
        if not m or not _valid(int(m[3]), int(m[2]), int(m[1])):
            _fail(where, c, "DD.MM.YYYY")
        timed = timed or m[4] is not None
        out.append(_dt(m[3], m[2], m[1], m[4] or 0, m[5] or 0, m[6] or 0))
    return Dates(np.array(out, dtype="datetime64[s]"), "dmy.", time=timed)


def _slashed(cells, first, dayfirst, where):
    if not _SLASH.match(first):
        return None
    parts = []
    for c in cells:
        m = _SLASH.match(c)
        if not m:
            _fail(where, c, "MM/DD/YYYY or DD/MM/YYYY")
        parts.append(m)
    a_big = any(int(m[1]) > 12 for m in parts)
    b_big = any(int(m[2]) > 12 for m in parts)
    if a_big and b_big:
        _fail(where, next(m[0] for m in parts if int(m[2]) > 12), "the day comes first in other rows")
    day_first = a_big or (not b_big and bool(dayfirst))
    out = []
    for m in parts:
        d, mo = (int(m[1]), int(m[2])) if day_first else (int(m[2]), int(m[1]))
        if not _valid(int(m[3]), mo, d):
            _fail(where, m[0], "no such day")
        out.append(_dt(m[3], mo, d, m[4] or 0, m[5] or 0, m[6] or 0))
    sep = "/" if "/" in parts[0][0] else "-"
    timed = any(m[4] is not None for m in parts)
    pad = all(len(m[1]) == 2 and len(m[2]) == 2 for m in parts)
    kind = "dmy/" if day_first else "mdy/"
    return Dates(np.array(out, dtype="datetime64[s]"), kind, sep=sep, time=timed, pad=pad)


def _numbered(cells):
    """Labels ending in an integer (``17``, ``day 9``, ``t-3``) with one shared prefix."""
    ms = [_NUMBERED.match(c) for c in cells]
    if not all(ms) or len({m[1] for m in ms}) != 1:
        return None
    return Dates(np.array([int(m[2]) for m in ms], dtype=np.int64), "number", prefix=ms[0][1])

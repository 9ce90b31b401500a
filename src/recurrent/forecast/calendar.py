"""Dates as a calendar reads them: parsed, their frequency inferred as a rule, continued.

    dates = parse(["1990-10-01", "1990-11-01", "1990-12-01"])      # Dates: datetime64 values + their layout
    rule = infer(dates.values)                                    # Rule("MS"): month starts
    dates.format(advance(dates.values[-1], rule, 3))              # ['1991-01-01', '1991-02-01', '1991-03-01']
    season_of(rule)                                               # 12

A rule is a pandas alias: ``YS``/``YE`` (year starts and ends), ``QS``/``QE``, ``MS``/``ME``,
``M`` (a month apart on the same day, clipped to the month's end), ``W-SUN`` .. ``W-SAT``,
``B`` (business days), ``D``, ``h``, ``min``, ``s``, with a multiple where the steps are
(``2W-MON``, ``30min``, ``6h``). Continuation is calendar arithmetic in NumPy's ``datetime64``
(months by month count, business days by ``busday_offset``), so no pandas is needed; the
labels come back in the layout they were read in (``1990-12``, ``31.12.1990``, ``12/31/1990``,
``1990Q4``, ``2000-08-27 23:30:00``).

Dates are parsed before their order is judged: ``2000-9`` comes before ``2000-10``, and
``9/1/2000`` before ``10/1/2000``. Day-first and month-first layouts are told apart by a day
over 12; where no day is, ``dayfirst`` decides (month-first unless given; it is ignored for
ISO dates, which are never misread). Labels that are not dates but end in a number (``day 9``,
``t10``, ``17``) are ordered by that number and continued by their usual step.
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

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
SEASON = {"B": 5, "D": 7, "W": 52, "M": 12, "MS": 12, "ME": 12, "Q": 4, "QS": 4, "QE": 4, "Y": 1, "YS": 1, "YE": 1}


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


# ---- frequencies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A frequency: ``unit`` "Y", "Q", "M" (calendar months), "W", "B", "D", "h", "min", "s" or
    "step" (numbered labels), ``n`` units a step, ``anchor`` "start", "end", "day" (months) or a
    weekday (weeks)."""

    unit: str
    n: int = 1
    anchor: str = ""

    @property
    def alias(self) -> str:
        k = "" if self.n == 1 else str(self.n)
        if self.unit in ("Y", "Q", "M"):
            suffix = {"start": "S", "end": "E"}.get(self.anchor, "")
            return f"{k}{self.unit}{suffix}"
        if self.unit == "W":
            return f"{k}W-{self.anchor}"
        return f"{k}{self.unit}"

    def __str__(self) -> str:
        return self.alias


UNITS = ("Y", "Q", "M", "W", "B", "D", "h", "min", "s", "step")


def rule_to_json(rule: Rule | None):
    return None if rule is None else {"unit": rule.unit, "n": rule.n, "anchor": rule.anchor}


def rule_from_json(d) -> Rule | None:
    """A Rule from ``rule_to_json``'s dict, every field checked (ValueError otherwise)."""
    if d is None:
        return None
    if not isinstance(d, dict) or set(d) != {"unit", "n", "anchor"}:
        raise ValueError(f"a frequency must be an object of unit, n and anchor, got {str(d)[:60]}")
    unit, n, anchor = d["unit"], d["n"], d["anchor"]
    if unit not in UNITS or isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10**6:
        raise ValueError(f"a frequency's unit must be one of {', '.join(UNITS)} and n a positive whole number")
    if anchor not in ("", "start", "end", "day", *WEEKDAYS):
        raise ValueError(f"a frequency's anchor {str(anchor)[:20]!r} is not one this library writes")
    return Rule(unit, n, anchor)


_ALIAS = re.compile(r"^(\d*)(YS|YE|Y|A|AS|QS|QE|Q|MS|ME|M|W|B|D|h|H|min|T|s|S)(?:-([A-Za-z]{3}))?$")


def from_alias(text: str) -> Rule:
    """A Rule from a pandas alias (``MS``, ``W-SUN``, ``30min``, ``QE-DEC``); ValueError otherwise."""
    m = _ALIAS.match(str(text).strip())
    if not m:
        raise ValueError(
            f"freq {text!r} is not a frequency this library continues "
            "(MS, ME, QS, QE, YS, YE, W-SUN, B, D, h, 30min, ...)"
        )
    n = int(m[1] or 1)
    base = {"A": "Y", "AS": "YS", "H": "h", "T": "min", "S": "s"}.get(m[2], m[2])
    if n < 1:
        raise ValueError(f"freq {text!r}: the multiple must be positive")
    if base in ("YS", "YE", "QS", "QE", "MS", "ME"):
        return Rule(base[0], n, "start" if base[1] == "S" else "end")
    if base in ("Y", "Q", "M"):
        return Rule(base, n, "end")  # pandas' "M", "Q", "Y" are period ends
    if base == "W":
        day = (m[3] or "SUN").upper()
        if day not in WEEKDAYS:
            raise ValueError(f"freq {text!r}: {day!r} is not a weekday (MON ... SUN)")
        return Rule("W", n, day)
    return Rule(base, n)


def _months(v) -> np.ndarray:
    return v.astype("datetime64[M]").astype(np.int64)


def _day(v) -> np.ndarray:
    return (v.astype("datetime64[D]") - v.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1


def _is_month_end(v) -> np.ndarray:
    return (v.astype("datetime64[D]") + 1).astype("datetime64[M]") != v.astype("datetime64[M]")


def infer(values, where: str = "dates") -> Rule | None:
    """The calendar rule the dates follow, or None for fewer than 2 dates. A date that fits no
    rule shared with the rest is a ValueError naming it with the two steps that disagree."""
    v = np.asarray(values)
    if len(v) < 2:
        return None
    if not np.issubdtype(v.dtype, np.datetime64):
        steps = np.diff(v.astype(np.int64))
        step = int(np.min(steps)) if len(steps) else 1
        return Rule("step", max(step, 1))
    v = v.astype("datetime64[s]")
    secs = np.diff(v).astype(np.int64)
    if np.any(secs <= 0):
        k = int(np.flatnonzero(secs <= 0)[0])
        raise ValueError(f"{where}: {v[k + 1]} does not come after {v[k]}")
    midnight = np.all(v.astype("datetime64[D]") == v)
    if midnight:
        months = np.diff(_months(v))
        same_time_in_month = np.all(months > 0)
        if same_time_in_month:
            step = int(np.min(months))
            ends, days = _is_month_end(v), _day(v)
            anchor = "start" if np.all(days == 1) else "end" if np.all(ends) else "day" if len(set(days)) == 1 else None
            if anchor and np.all(months % step == 0):
                for unit, size in (("Y", 12), ("Q", 3)):
                    if step % size == 0 and anchor != "day":
                        return Rule(unit, step // size, anchor)
                return Rule("M", step, anchor)
        dow = v.astype("datetime64[D]").astype(np.int64) % 7  # 0 = Thursday
        weekdays = (dow + 3) % 7  # 0 = Monday
        days = secs // 86400
        if np.all(secs % 86400 == 0) and np.all(weekdays < 5) and np.any(days == 3) and np.all(days <= 4):
            return Rule("B")  # business days (a holiday may leave a longer gap)
    step = int(np.min(secs))
    off = np.flatnonzero(secs % step)
    if len(off):  # a step that is no whole number of the shortest: no single frequency fits
        a, b = int(np.argmin(secs)), int(off[0])
        raise ValueError(
            f"{where}: the dates fit no single frequency: {_show(v[a])} to {_show(v[a + 1])} is {_span_text(secs[a])} "
            f"but {_show(v[b])} to {_show(v[b + 1])} is {_span_text(secs[b])}; give the frequency with --freq"
        )
    for unit, size in (("W", 7 * 86400), ("D", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if step % size == 0 and (unit != "W" or midnight):
            if unit == "W":
                day = WEEKDAYS[int((v[0].astype("datetime64[D]").astype(np.int64) + 3) % 7)]
                return Rule("W", step // size, day)
            return Rule(unit, step // size)
    return Rule("s", step)


def _show(v) -> str:
    return str(v).replace("T00:00:00", "").replace("T", " ")


def _span_text(seconds) -> str:
    s = int(seconds)
    for size, name in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if s % size == 0:
            k = s // size
            return f"{k} {name}{'s' if k != 1 else ''}"
    return f"{s} seconds"


def gaps(values, rule: Rule) -> list:
    """[(position, expected date)] where the rule expects a date the values lack (B: none)."""
    v = np.asarray(values)
    if rule is None or rule.unit == "B" or len(v) < 2:
        return []
    if rule.unit == "step":
        d = np.diff(v.astype(np.int64))
        return [(k + 1, int(v[k]) + rule.n) for k in np.flatnonzero(d != rule.n)]
    nxt = advance(v[:-1], rule, 1, each=True)
    bad = np.flatnonzero(nxt != v[1:].astype(nxt.dtype))
    return [(int(k) + 1, nxt[k]) for k in bad]


def advance(last, rule: Rule, k: int, each: bool = False) -> np.ndarray:
    """The next ``k`` dates after ``last`` by ``rule`` (``each``: one step after each of ``last``)."""
    if each:
        last = np.asarray(last)
        steps = np.ones(1, dtype=np.int64)
    else:
        last = np.asarray([last])
        steps = np.arange(1, k + 1, dtype=np.int64)
    if rule.unit == "step":
        return (last.astype(np.int64)[:, None] + rule.n * steps[None, :]).ravel()
    last = last.astype("datetime64[s]")
    if rule.unit in ("Y", "Q", "M"):
        per = {"Y": 12, "Q": 3, "M": 1}[rule.unit] * rule.n
        month = last.astype("datetime64[M]")[:, None] + per * steps[None, :]
        if rule.anchor == "start":
            out = month.astype("datetime64[D]")
        elif rule.anchor == "end":
            out = (month + 1).astype("datetime64[D]") - 1
        else:  # the same day of the month, clipped to the month's end
            day = _day(last)[:, None] - 1
            end = (month + 1).astype("datetime64[D]") - 1
            out = np.minimum(month.astype("datetime64[D]") + day, end)
        return out.astype("datetime64[s]").ravel()
    if rule.unit == "B":
        days = last.astype("datetime64[D]")
        out = np.busday_offset(days[:, None], steps[None, :], roll="forward")
        return out.astype("datetime64[s]").ravel()
    size = {"W": 7 * 86400, "D": 86400, "h": 3600, "min": 60, "s": 1}[rule.unit] * rule.n
    return (last[:, None] + (size * steps)[None, :].astype("timedelta64[s]")).ravel()


def season_of(rule: Rule | None) -> int | None:
    """The seasonal period a rule implies: B 5, D 7, W 52, months 12, quarters 4, hours 24,
    sub-hourly steps a day's worth (30min 48), seconds 60; a multiple divides it where it can."""
    if rule is None or rule.unit == "step":
        return None
    if rule.unit in ("h", "min", "s"):
        size = {"h": 3600, "min": 60, "s": 1}[rule.unit] * rule.n
        if rule.unit == "s" and size < 60:
            return 60 // size if 60 % size == 0 else None
        return 86400 // size if 86400 % size == 0 and 86400 // size > 1 else None
    base = SEASON.get(rule.unit)
    if base is None:
        return None
    if rule.n == 1:
        return base
    return base // rule.n if base % rule.n == 0 and base // rule.n > 1 else 1


def settle(Y: dict, labels: dict, freq=None, dayfirst=None, fill=None, where="the file", hint=None):
    """Check and complete many series' date labels: each parsed and in order, one frequency for
    all (``freq`` when given, which the dates must follow), missing periods named, or inserted as
    missing values and filled with ``fill`` ("ffill" or "interpolate"). Returns (Y, labels, rule);
    rule is None where the labels are not dates or numbered. ValueError naming the series and date."""
    from ..data import _fill

    given = from_alias(freq) if isinstance(freq, str) else freq
    rules, parsed = {}, {}
    shared = _parse_shared(labels, dayfirst)  # the distinct labels of all series, parsed once
    inferred = {}  # a series' keys (bytes) -> its rule: series sharing their dates are inferred once
    made = {}  # id of a list of labels -> its Dates, for lists that series share
    for uid, lab in labels.items():
        if not lab:
            continue
        if shared is not None:
            lookup, layout = shared
            if id(lab) not in made:
                made[id(lab)] = Dates(np.array([lookup[x] for x in lab], dtype="datetime64[s]"), **layout)
            p = made[id(lab)]
        else:
            p = parse(lab, dayfirst=dayfirst, where=f"{where}, series {uid!r}")
        if p is None:
            if given is not None:
                raise ValueError(f"{where}, series {uid!r}: --freq {given} needs dates; {lab[0]!r} is not one")
            return Y, labels, None
        keys = p.values.astype(np.int64)
        bad = np.flatnonzero(np.diff(keys) <= 0)
        if len(bad):
            k = int(bad[0]) + 1
            what = "appears twice" if keys[k] == keys[k - 1] else f"comes after {lab[k - 1]!r}"
            raise ValueError(f"{where}, series {uid!r}: date {lab[k]!r} {what}; expected the dates in order, once each")
        parsed[uid] = p
        sig = keys.tobytes()
        if sig not in inferred:
            inferred[sig] = given or infer(p.values, f"{where}, series {uid!r}")
        rules[uid] = inferred[sig]
    found = {r for r in rules.values() if r is not None}
    if given is not None:  # the dates must lie on the given rule's steps
        for uid, p in parsed.items():
            try:
                _span(p.values, given, f"{where}, series {uid!r}")
            except ValueError as e:
                raise ValueError(f"{e} (--freq {given} contradicts the dates)") from None
    if given is None and len(found) > 1:
        counts = {r: sum(1 for x in rules.values() if x == r) for r in found}
        major = max(counts, key=counts.get)
        minority = [u for u, r in rules.items() if r is not None and r != major]
        raise ValueError(
            f"{where}: the series have different frequencies: {len(rules) - len(minority)} are {major}, but "
            f"{', '.join(repr(u) for u in minority[:5])}{' and more' if len(minority) > 5 else ''} "
            f"{'is' if len(minority) == 1 else 'are'} {rules[minority[0]]}; forecast each frequency from its own file, "
            "or give --freq"
        )
    rule = given or (found.pop() if found else None)
    if rule is None:
        return Y, labels, None
    Y, labels = dict(Y), dict(labels)
    checked = {}  # keys (bytes) -> gaps, once per distinct date vector
    for uid, p in parsed.items():
        sig = p.values.tobytes()
        if sig not in checked:
            checked[sig] = gaps(p.values, rule)
        missing = checked[sig]
        if not missing:
            continue
        k, expected = missing[0]
        if fill is None:
            raise ValueError(
                f"{where}, series {uid!r}: no value for {p.format([expected])[0]} (between {labels[uid][k - 1]} and "
                f"{labels[uid][k]} by the frequency {rule}); {len(missing)} such gap(s): "
                + (hint or "fill them with --fill ffill or --fill interpolate, or give the frequency with --freq")
            )
        full = _span(p.values, rule, f"{where}, series {uid!r}")
        at = np.searchsorted(full, p.values.astype(full.dtype))
        values = np.full(len(full), np.nan)
        values[at] = Y[uid]
        Y[uid] = _fill(values, fill, where, uid)
        labels[uid] = p.format(full)
    return Y, labels, rule


def _parse_shared(labels: dict, dayfirst):
    """(label -> datetime64[s], the layout) for the distinct labels of all series parsed together,
    or None when they are not dates of one layout (each series is then parsed on its own)."""
    lists = {id(lab): lab for lab in labels.values() if lab}  # series often share one list of labels
    distinct = list(dict.fromkeys(x for lab in lists.values() for x in lab))
    if not distinct:
        return None
    try:
        p = parse(distinct, dayfirst=dayfirst)
    except ValueError:
        return None
    if p is None or not p.is_date:
        return None
    layout = {"kind": p.kind, "prefix": p.prefix, "sep": p.sep, "time": p.time, "pad": p.pad}
    return dict(zip(distinct, p.values)), layout


def _span(values, rule, where, most=10_000_000):
    """Every date by ``rule`` from the first of ``values`` to its last; ValueError when the dates
    do not lie on the rule's steps."""
    first, last = values[0], values[-1]
    out = [np.asarray([first])]
    cur = first
    total = 1
    while True:
        chunk = advance(cur, rule, 4096)
        chunk = chunk[chunk <= last.astype(chunk.dtype)]
        out.append(chunk)
        total += len(chunk)
        if total > most:
            raise ValueError(f"{where}: more than {most:,} steps of {rule} between the first and last date")
        if len(chunk) < 4096:
            break
        cur = chunk[-1]
    full = np.concatenate(out).astype(np.asarray(values).dtype)
    if not np.all(np.isin(values, full)):
        off = values[~np.isin(values, full)][0]
        shown = str(off).replace("T00:00:00", "").replace("T", " ")
        raise ValueError(f"{where}: {shown} does not lie on the steps of the frequency {rule}")
    return full

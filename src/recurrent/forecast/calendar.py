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

from .dates import DateError, Dates, parse  # noqa: F401  (read through calendar too)

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
SEASON = {"B": 5, "D": 7, "W": 52, "M": 12, "MS": 12, "ME": 12, "Q": 4, "QS": 4, "QE": 4, "Y": 1, "YS": 1, "YE": 1}


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
        """The pandas alias of the rule (``MS``, ``W-SUN``, ``30min``, ...)."""
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
    """The rule as a JSON object (unit, n, anchor), or None."""
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

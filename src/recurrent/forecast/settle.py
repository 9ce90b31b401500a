"""Many series' dates checked and completed together (``settle``): each parsed and in order, one
calendar rule for all (or the one given), missing periods named or filled. The command line's
files and the DataFrames pass through it.
"""

from __future__ import annotations

import numpy as np

from ..data import _fill
from .calendar import advance, from_alias, gaps, infer
from .dates import Dates, parse


def settle(Y: dict, labels: dict, freq=None, dayfirst=None, fill=None, where="the file", hint=None):
    """Check and complete many series' date labels: each parsed and in order, one frequency for
    all (``freq`` when given, which the dates must follow), missing periods named, or inserted as
    missing values and filled with ``fill`` ("ffill" or "interpolate"). Returns (Y, labels, rule);
    rule is None where the labels are not dates or numbered. ValueError naming the series and date."""
    given = from_alias(freq) if isinstance(freq, str) else freq
    parsed, rules = _parsed(labels, given, dayfirst, where)
    if parsed is None:
        return Y, labels, None
    rule = _one_rule(parsed, rules, given, where)
    if rule is None:
        return Y, labels, None
    return (*_completed(Y, labels, parsed, rule, fill, where, hint), rule)


def _parsed(labels, given, dayfirst, where):
    """({id: Dates}, {id: rule}) with each series' dates in order, once each; (None, None) where
    the labels are not dates or numbered."""
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
            return None, None
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
    return parsed, rules


def _one_rule(parsed, rules, given, where):
    """The rule every series follows: ``given`` (which the dates must lie on), else the one inferred;
    a panel of different rules is refused naming the minority."""
    if given is not None:  # the dates must lie on the given rule's steps
        for uid, p in parsed.items():
            try:
                _span(p.values, given, f"{where}, series {uid!r}")
            except ValueError as e:
                raise ValueError(f"{e} (--freq {given} contradicts the dates)") from None
        return given
    found = {r for r in rules.values() if r is not None}
    if len(found) > 1:
        counts = {r: sum(1 for x in rules.values() if x == r) for r in found}
        major = max(counts, key=counts.get)
        minority = [u for u, r in rules.items() if r is not None and r != major]
        raise ValueError(
            f"{where}: the series have different frequencies: {len(rules) - len(minority)} are {major}, but "
            f"{', '.join(repr(u) for u in minority[:5])}{' and more' if len(minority) > 5 else ''} "
            f"{'is' if len(minority) == 1 else 'are'} {rules[minority[0]]}; forecast each frequency from its own file, "
            "or give --freq"
        )
    return found.pop() if found else None


def _completed(Y, labels, parsed, rule, fill, where, hint):
    """(Y, labels) with each missing period by ``rule`` named, or inserted and filled with ``fill``."""

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
    return Y, labels


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

"""``recurrent forecast ... --explain [ID]``: one series' forecast taken apart (``Forecaster.explain``)."""

from __future__ import annotations

import sys

from ..forecast import why_page
from ..plot import plot_explanation
from ..safefiles import atomic_write_bytes
from ._common import UsageError, _check_output_path, _require_matplotlib


def add_options(p) -> None:
    """The --explain options of ``forecast``."""
    p.add_argument(
        "--explain",
        nargs="?",
        const="",
        metavar="ID",
        help="take the forecast of series ID (default: the first) apart: its level, networks, Theta and weight, "
        "and each past value's and covariate's attribution (integrated gradients from the naive window)",
    )
    p.add_argument(
        "--explain-plot", metavar="PNG", help="with --explain: the series, the forecast and the attributions"
    )
    p.add_argument(
        "--explain-html",
        metavar="FILE.html",
        help="with --explain: one self-contained page, hover a forecast step to see which inputs drove it",
    )


def check(args) -> None:
    """Fail before training on a bad --explain-plot."""
    for path, what in ((args.explain_plot, "--explain-plot"), (args.explain_html, "--explain-html")):
        if path and args.explain is None:
            raise UsageError(f"recurrent: {what} goes with --explain [ID]")
        _check_output_path(path, what)
    if args.explain_plot:
        _require_matplotlib()


def check_id(args, ids) -> None:
    """Fail before training when --explain names a series the input does not hold."""
    if not args.explain or ids is None:
        return
    ids = [str(u) for u in ids]
    if args.explain not in ids:
        shown = ", ".join(repr(u) for u in ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        raise UsageError(f"recurrent: --explain {args.explain!r}: no such series (the series are {shown})")


def explanation(args, forecaster, futr=None, dates=None) -> tuple:
    """(the explanation as JSON, its text) for ``--explain``; the picture written when asked. ``futr``: the
    known-ahead covariates over the forecast steps, as ``predict`` took them."""
    ids = list(forecaster.batch_.ids)
    want = args.explain
    if want == "":
        uid = ids[0]
    else:
        match = [u for u in ids if str(u) == want]
        if not match:
            shown = ", ".join(repr(str(u)) for u in ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
            raise UsageError(f"recurrent: --explain {want!r}: no such series (the series are {shown})")
        uid = match[0]
    ex = forecaster.explain(ids=[uid], futr_df=futr)[uid]
    labels = (dates or {}).get(uid)
    if ex.labels is None and labels is not None and len(labels) > int(ex.positions[-1]):
        ex.labels = [str(labels[int(p)]) for p in ex.positions]  # the file's dates, as it wrote them
    values = forecaster.batch_.values[ids.index(uid)]
    if args.explain_plot:
        plot_explanation(ex, values, args.explain_plot)
    if args.explain_html:
        atomic_write_bytes(args.explain_html, why_page.to_html(ex, values).encode())
    for path in (args.explain_plot, args.explain_html):
        if path and not args.quiet:
            print(f"wrote {path}", file=sys.stderr)
    why = f"Why series {uid!r} is forecast as it is (log values; attributions from the naive window):"
    return ex.to_json(), ["", why, ex.table()]


def attach(args, forecaster, result: dict, futr=None, dates=None) -> list:
    """With --explain: the explanation put in ``result`` (for --json) and its text lines returned; else []."""
    if args.explain is None:
        return []
    result["explanation"], text = explanation(args, forecaster, futr, dates)
    return text

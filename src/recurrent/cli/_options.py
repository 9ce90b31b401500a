"""The options that forecast, backtest and predict share: the model, the CSV layout, the levels, reports."""

from __future__ import annotations

import argparse

from ..cells.spec import CELL_NAMES
from ._common import _positive_int


def _between(what, top):
    """An argparse type: a number strictly between 0 and ``top`` (``what`` names it in the error)."""

    def read(text):
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what} between 0 and {top}, got {text!r}") from None
        if not 0 < v < top:
            raise argparse.ArgumentTypeError(f"expected {what} strictly between 0 and {top}, got {text}")
        return v

    return read


_level = _between("a percentage", 100)
_quantile = _between("a probability", 1)


def add_model_options(p):
    """The Forecaster's settings, shared by forecast and backtest."""
    p.add_argument("--lookback", type=_positive_int, help="values per input window (default: 2 and 3 horizons)")
    p.add_argument("--cell", choices=CELL_NAMES, default="lstm", help="the recurrent cell (default lstm)")
    p.add_argument("--hidden-size", type=_positive_int, default=32, help="units per network (default 32)")
    p.add_argument("--models", type=_positive_int, default=2, help="networks per lookback (default 2)")
    p.add_argument(
        "--steps",
        type=_positive_int,
        default=3000,
        help="most training steps per network (early stopping; default 3000)",
    )
    p.add_argument("--seed", type=int, default=0, help="makes the fit reproducible, bitwise (default 0)")
    p.add_argument("--jobs", type=_positive_int, help="worker processes training the networks (default: every core)")
    add_scheduler_option(p)
    add_level_option(p)


def add_scheduler_option(p):
    p.add_argument(
        "--scheduler",
        metavar="S",
        help="forecast partitions of the series on a Dask cluster: local:N (N local worker processes) or "
        "tcp://host:port (needs the dask extra)",
    )


def add_level_option(p):
    p.add_argument(
        "--level",
        type=_level,
        nargs="+",
        metavar="L",
        help="prediction intervals at these levels in percent (e.g. --level 80 95): lo-L and hi-L "
        "columns, calibrated on each series' held-out latest values",
    )
    p.add_argument(
        "--quantiles",
        type=_quantile,
        nargs="+",
        metavar="Q",
        help="forecast quantiles (e.g. --quantiles 0.1 0.5 0.9): q0.1 ... columns, calibrated as the intervals",
    )


def add_csv_options(p):
    p.add_argument("csv", nargs="?", help="a CSV file (default: a bundled series, see --dataset)")
    p.add_argument(
        "--column", help="name or 0-based index of the value column (default: the last; with --id-column: y)"
    )
    p.add_argument(
        "--date-column",
        default="auto",
        help="name or index of a date/label column (default: the first column, if not the values; "
        "with --id-column: ds, else a column named or formatted like dates)",
    )
    p.add_argument(
        "--freq",
        help="the dates' frequency as a pandas alias (MS, ME, QS, QE, YS, W-SUN, B, D, h, 30min, ...; "
        "default: inferred from the dates)",
    )
    p.add_argument(
        "--dayfirst",
        action="store_true",
        default=None,
        help="read 01/02/2000 as 1 February (default: month first unless a day over 12 shows otherwise; "
        "ISO dates are never misread)",
    )
    p.add_argument("--id-column", help="a long file: the column naming each row's series (e.g. unique_id)")
    p.add_argument("--columns", help="a wide file: these columns, one series each (a,b,c)")
    p.add_argument("--wide", action="store_true", help="a wide file: every numeric column is a series")
    p.add_argument(
        "--delimiter",
        choices=[",", ";", "\t"],
        metavar="{',',';',tab}",
        type=lambda t: "\t" if t.lower() in ("tab", "\\t") else t,
        help="the field separator (default: detected)",
    )
    p.add_argument(
        "--decimal",
        choices=[",", "."],
        metavar="{',','.'}",
        help="decimal mark (default: detected where unambiguous)",
    )
    p.add_argument(
        "--thousands",
        choices=[",", ".", " ", "'"],
        metavar="{',','.',' ',\"'\"}",
        help="thousands separator (default: detected)",
    )
    hdr = p.add_mutually_exclusive_group()
    hdr.add_argument("--header", dest="header", action="store_const", const=True, help="the first row is a header")
    hdr.add_argument("--no-header", dest="header", action="store_const", const=False, help="there is no header")
    p.add_argument(
        "--fill",
        choices=["ffill", "interpolate"],
        help="fill missing cells and missing dates, per series (default: refuse them)",
    )
    p.add_argument(
        "--dataset",
        choices=["airline", "sunspots"],
        default="airline",
        help="bundled series used when no CSV is given (default: airline)",
    )


def add_report_flags(p):
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")

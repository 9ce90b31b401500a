"""Command line: thin subcommands over the public API.

Machine output on stdout, messages on stderr; bad input exits 2 with one line,
never a traceback. ``forecasting`` holds forecast, ``predict`` predict, ``backtest`` backtest,
``tracing`` trace and explain, ``models`` gradcheck, export and import, ``learning`` check and flow.
"""

from __future__ import annotations

import argparse
import sys

from .._version import __version__
from . import backtest, forecasting, learning, models, tracing
from ._common import UsageError, _Parser

__all__ = ["UsageError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(prog="recurrent", description="LSTM, GRU and RNN from first principles.")
    parser.add_argument("--version", action="version", version=f"recurrent {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    forecasting.add_parsers(sub)
    backtest.add_parsers(sub)
    tracing.add_parsers(sub)
    models.add_parsers(sub)
    learning.add_parsers(sub)
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    print(f"recurrent: note: {message}", file=sys.stderr)


def main(argv=None) -> int:
    """Run the command line on ``argv`` (default: sys.argv); returns the exit status (2 for bad input, one line on
    stderr)."""
    import warnings

    with warnings.catch_warnings():  # restores the caller's warning display afterwards
        warnings.showwarning = _one_line_warning  # a library warning is a one-line note here
        return _main(argv)


def _levels_before_files(argv):
    """``--level 80 95 FILE``: the levels are the numbers after --level; a word after them is the
    file (argparse would read it as a level), so it moves before --level."""
    argv = list(argv)
    out, i = [], 0
    while i < len(argv):
        out.append(argv[i])
        i += 1
        if out[-1] != "--level":
            continue
        at = len(out) - 1
        while i < len(argv) and _is_number(argv[i]):
            out.append(argv[i])
            i += 1
        moved = []
        while i < len(argv) and not argv[i].startswith("-") or (i < len(argv) and argv[i] == "-"):
            moved.append(argv[i])
            i += 1
        out[at:at] = moved
    return out


def _from_dask(exc) -> bool:
    return type(exc).__module__.split(".")[0] in ("distributed", "dask", "tornado", "msgpack")


def _quiet_dask() -> None:
    """After a failure, Dask's threads would log the same fault again (reconnect attempts) on the
    way out: silence them, where Dask was used at all."""
    if "distributed" not in sys.modules:
        return
    import logging

    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] in ("distributed", "tornado", "asyncio"):
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)


def _is_number(text) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _main(argv) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(_levels_before_files(argv if argv is not None else sys.argv[1:]))
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return 2
        return args.func(args)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"recurrent: error: no such file: {exc.filename}", file=sys.stderr)
        return 2
    except MemoryError:
        print("recurrent: error: out of memory (a size asked for is larger than this machine holds)", file=sys.stderr)
        return 2
    except Exception as exc:  # a TypeError is a bug here, and shows its traceback
        if _from_dask(exc):  # a Dask cluster's own faults (a worker lost, a scheduler gone) end in one line
            _quiet_dask()
            text = " ".join(str(exc).split())[:300]
            print(f"recurrent: error: the Dask cluster failed: {type(exc).__name__}: {text}", file=sys.stderr)
            return 2
        if not isinstance(exc, (ValueError, OSError)):
            raise
        _quiet_dask()
        print(f"recurrent: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("recurrent: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""What every subcommand shares: the one-line usage error, the parser that raises it, small helpers."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..plot import require_matplotlib
from ..safefiles import output_target


class UsageError(Exception):
    """Bad input from the command line: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse would print the usage too)
        raise UsageError(f"{self.prog}: {message} (see --help)")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _check_output_path(path, what):
    """Refuse before fitting an output the run could not write (``safefiles.output_target``)."""
    if path is None:
        return

    if Path(path).is_dir():
        raise UsageError(f"recurrent: {what} {path} is a folder, expected a file name")
    try:
        output_target(path, what)
    except ValueError as e:
        raise UsageError(f"recurrent: {what} {e}") from None


def _require_matplotlib():

    try:
        return require_matplotlib()
    except ImportError:
        raise UsageError("recurrent: --plot needs matplotlib: pip install 'recurrent[plot]'") from None


def _num(v, fmt):
    return "n/a" if v is None or not np.isfinite(v) else format(v, fmt)


def _json_default(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")

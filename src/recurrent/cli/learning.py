"""For learners: ``recurrent check FILE.py`` (your step forward and backward checked, ``explain.exercises``) and
``recurrent flow`` (how far back the gradient reaches, ``explain.flow``)."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from ..explain import exercises, flow
from ..explain.flow_page import to_html_flow
from ..plot import plot_flow
from ..safefiles import atomic_write_bytes
from ._common import _check_output_path, _positive_int, _require_matplotlib


def cmd_check(args) -> int:
    """Check each cell the file writes, scalar and vector; exit 0 when all are right, 1 when one is wrong."""
    functions = exercises.load(args.file)
    results = exercises.check(functions, cells=[args.cell] if args.cell else None, seed=args.seed)
    if not results:
        raise ValueError(f"check: {args.file} defines no {args.cell}_step (it has {', '.join(sorted(functions))})")
    if args.json:
        rows = [
            {
                "cell": r.cell,
                "case": r.case,
                "ok": r.ok,
                "quantity": r.quantity,
                "mistake": r.mistake,
                "hint": r.hint,
                "expected": None if r.expected is None else np.asarray(r.expected, dtype=float).tolist(),
                "got": _plain(r.got),
                "fd_error": None if not np.isfinite(r.fd_error) else r.fd_error,
            }
            for r in results
        ]
        print(json.dumps({"file": str(args.file), "ok": all(r.ok for r in results), "results": rows}))
    else:
        print("\n".join(str(r) for r in results))
    return 0 if all(r.ok for r in results) else 1


def _plain(v):
    try:
        return None if v is None else np.asarray(v, dtype=float).tolist()
    except (TypeError, ValueError):
        return repr(v)


def cmd_flow(args) -> int:
    """The per-step gradient norms of the RNN, GRU and LSTM on the same inputs: a table, JSON or a picture."""
    if args.html:
        _check_output_path(args.html, "--html")
        atomic_write_bytes(args.html, to_html_flow(seed=args.seed).encode())
        print(f"wrote {args.html}", file=sys.stderr)
        return 0
    if args.plot:
        _require_matplotlib()
        _check_output_path(args.plot, "--plot")
    result = flow.gradient_flow(
        steps=args.steps,
        hidden=args.hidden,
        forget_bias=args.forget_bias,
        recurrent_scale=args.recurrent_scale,
        truncate=args.truncate,
        seed=args.seed,
        cells=args.cell or None,
        clip=args.clip,
    )
    if args.plot:
        plot_flow(result, args.plot)
    if args.json:
        doc = {c: {q: r[q].tolist() for q in ("dh", "dc") if q in r} | {"loss": r["loss"]} for c, r in result.items()}
        print(json.dumps({"steps": args.steps, "forget_bias": args.forget_bias, "cells": doc}))
    else:
        print(flow.table(result, every=args.every))
    return 0


def _finite(text):
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not np.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return v


def add_parsers(sub) -> None:
    """Add the ``check`` and ``flow`` subcommands to ``sub``."""
    p = sub.add_parser(
        "flow",
        help="how far back the gradient reaches: |dL/dh_t| per step for the RNN, GRU and LSTM",
        description="The loss reads the last step only (L = v . h_T); the table gives the norm of dL/dh_t (and the "
        "LSTM's dL/dc_t) at every step t, from the layers' own BPTT, for the three cells on the same inputs.",
    )
    p.add_argument("--steps", type=_positive_int, default=30, help="sequence length T (default 30)")
    p.add_argument("--hidden", type=_positive_int, default=8, help="units (default 8)")
    p.add_argument(
        "--forget-bias",
        type=_finite,
        default=0.0,
        help="the LSTM's forget-gate bias and the GRU's update-gate bias (default 0; try 3)",
    )
    p.add_argument("--recurrent-scale", type=_finite, default=1.0, help="W_hh multiplied by this (default 1; try 3)")
    p.add_argument("--truncate", type=_positive_int, help="truncated BPTT: backpropagate through the last K steps")
    p.add_argument("--clip", type=_finite, help="clip the gradient's global norm at this value (as fit's clip_norm)")
    p.add_argument("--cell", action="append", choices=list(flow.CELLS), help="only this cell (repeatable)")
    p.add_argument("--seed", type=int, default=0, help="the weights' and inputs' seed (default 0)")
    p.add_argument("--every", type=_positive_int, help="print every K-th step (default: about 20 rows)")
    p.add_argument("--plot", metavar="PNG", help="the norms on a log scale (needs matplotlib)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument(
        "--html",
        metavar="FILE.html",
        help="write the lab as one self-contained page instead: sliders for the forget bias, W_hh's scale and "
        "truncation (40 steps, 8 units; the numbers computed here)",
    )
    p.set_defaults(func=cmd_flow)

    p = sub.add_parser(
        "check",
        help="check your own step forward and backward (lstm_step, gru_step, rnn_step and their _backward)",
        description="Runs FILE (your code, as Python runs it) and checks each cell's step forward and backward "
        "against the reference cells and finite differences, naming the first wrong quantity and, for the "
        "classic mistakes, a hint. Starters: examples/exercises/.",
    )
    p.add_argument("file", help="a Python file defining lstm_step and lstm_step_backward (and/or gru_, rnn_)")
    p.add_argument("--cell", choices=list(exercises.CELLS), help="check only this cell (default: every one written)")
    p.add_argument("--seed", type=int, default=0, help="the random inputs' seed (default 0)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_check)

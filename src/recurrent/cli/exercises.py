"""``recurrent check FILE.py``: a learner's step forward and backward checked (``explain.exercises``)."""

from __future__ import annotations

import json

import numpy as np

from ..explain import exercises


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


def add_parsers(sub) -> None:
    """Add the ``check`` subcommand to ``sub``."""
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

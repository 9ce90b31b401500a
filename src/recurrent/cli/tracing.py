"""trace and explain: every number of a small model, as a table, a worked example or an explorable page."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from .. import classic
from ..cells.spec import CELL_NAMES
from ..classic import EXAMPLES
from ..explain import to_html
from ..handwork import hand_note
from ..plot import plot_trace
from ..safefiles import atomic_write_bytes, read_regular
from ..sequential import Sequential, load
from ..trace import trace
from ._common import UsageError, _check_output_path, _require_matplotlib


def _parse_numbers(text, option):
    """'1,2,3' -> [1, 2, 3]; '1,0;2,1' -> [[1, 0], [2, 1]] (steps separated by ';')."""
    rows = []
    for part in text.split(";"):
        row = []
        for tok in part.replace(" ", "").split(","):
            if tok == "":
                raise UsageError(f"recurrent: {option}: empty value in {text!r}")
            try:
                row.append(float(tok))
            except ValueError:
                raise UsageError(f"recurrent: {option}: {tok!r} is not a number") from None
            if not np.isfinite(row[-1]):
                raise UsageError(f"recurrent: {option}: {tok!r} is not finite")
        rows.append(row)
    widths = [len(r) for r in rows]
    if len(set(widths)) > 1:
        raise UsageError(
            f"recurrent: {option}: every step needs the same number of values, got "
            f"{', '.join(map(str, widths))} in {text!r}"
        )
    return rows[0] if len(rows) == 1 else rows


def _read_weights(path):
    p = Path(path)
    try:
        data = json.loads(read_regular(p, "JSON file", 1 << 30).decode("utf-8-sig"))
    except RecursionError:
        raise UsageError(f"recurrent: {path}: nested too deeply to be a JSON object of weights") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"recurrent: {path}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"recurrent: {path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(f"recurrent: {path}: expected a JSON object of weights (W_f, W_hf, b_f, ...)")

    def numbers(v):  # a number, or (nested) lists of numbers; shapes are checked later
        if isinstance(v, list):
            return all(numbers(e) for e in v)
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    for k, v in data.items():
        if not numbers(v):
            raise UsageError(
                f"recurrent: {path}: weight {k!r} must be a number or a list of numbers, got {json.dumps(v)}"
            )
    return data


def _trace_from_args(args, example_target=False):
    """Build the model and trace; the example's own target is used only when ``example_target``."""

    if args.model:
        model = load(args.model)
        if not isinstance(model, Sequential):
            raise UsageError(f"recurrent: {args.model} holds a forecaster; trace takes a sequence model")
        if args.inputs is None:
            raise UsageError("recurrent: --model needs --inputs")
        inputs = args.inputs
        target = args.target
    else:
        name = args.example or (f"{args.cell}-scalar" if args.cell else "lstm-scalar")
        ex = classic.example(name)
        cell = args.cell or ex["cell"]
        if args.weights:
            weights = _read_weights(args.weights)
            many_to_one = True
        else:
            if args.cell and args.cell != ex["cell"]:
                raise UsageError(f"recurrent: --example {name} is a {ex['cell']}; drop --cell or give --weights")
            weights, many_to_one = ex["weights"], ex["many_to_one"]
        model = classic.example_model(weights, cell, many_to_one)
        inputs = args.inputs if args.inputs is not None else ex["inputs"]
        own = ex["target"] if example_target and not (args.weights or args.inputs) else None
        target = args.target if args.target is not None else own
    x = np.asarray(inputs, dtype=np.float64)
    D = model.layers[0].input_size
    if x.ndim == 1 and D > 1 and x.size == D:
        x = x[None]
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] != D:
        raise UsageError(
            f"recurrent: --inputs: the model takes {D} feature(s) per step, got shape {x.shape} "
            f"(separate steps with ';' and features with ',')"
        )
    return trace(model, x, target=target)


def cmd_trace(args) -> int:
    """Every gate at every step of a small model (and, with --target, the backward pass)."""
    if args.plot:
        _require_matplotlib()
    tr = _trace_from_args(args)
    if args.plot:
        plot_trace(tr, args.plot)
    if args.format == "json":
        print(json.dumps(tr.to_json()))
    elif args.format == "markdown":
        print(tr.markdown(lr=args.lr), end="")
    else:
        print(tr.table(digits=None if args.digits == 0 else args.digits), end="")
    return 0


def cmd_explain(args) -> int:
    """The full worked example as a Markdown document."""

    tr = _trace_from_args(args, example_target=True)
    if args.html:
        if args.output:
            raise UsageError("recurrent: give -o FILE.md or --html FILE.html, not both")
        _check_output_path(args.html, "--html")

        atomic_write_bytes(args.html, to_html(tr, lr=args.lr).encode())
        print(f"wrote {args.html}", file=sys.stderr)
        return 0
    notes = None
    is_classic = (
        not (args.model or args.weights or args.inputs)
        and (args.example or "lstm-scalar") == "lstm-scalar"
        and not args.cell
    )
    if is_classic:
        notes = hand_note(tr)
    text = tr.markdown(lr=args.lr if tr.loss is not None else None, notes=notes)
    if args.output:
        atomic_write_bytes(args.output, text.encode())
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text, end="")
    return 0


def _add_trace_options(p):

    p.add_argument("--example", choices=EXAMPLES, help="a built-in example (default lstm-scalar)")
    p.add_argument("--cell", choices=CELL_NAMES, help="cell for --weights (alone: its scalar example)")
    p.add_argument("--weights", metavar="FILE.json", help="weights in hand notation: W_f, W_hf, b_f, ..., W_y, b_y")
    p.add_argument("--model", metavar="FILE", help="a saved sequence model instead")
    p.add_argument(
        "--inputs",
        type=lambda t: _parse_numbers(t, "--inputs"),
        help="the sequence: '1,2,3'; vectors as '1,0;2,1' (steps separated by ';')",
    )
    p.add_argument(
        "--target",
        type=lambda t: _parse_numbers(t, "--target"),
        help="what the output should be: adds the loss and the backward pass",
    )
    p.add_argument("--lr", type=float, default=0.01, help="learning rate of the update shown (default 0.01)")


def add_parsers(sub) -> None:
    """Add the ``trace`` and ``explain`` subcommands to ``sub``."""
    p = sub.add_parser(
        "trace",
        help="print every gate at every step of a small model",
        description="With no options: the classic scalar LSTM (W_f=0.5, ...) on [1, 2, 3], predicting 4 * h_3.",
    )
    _add_trace_options(p)
    p.add_argument("--format", choices=["table", "markdown", "json"], default="table")
    p.add_argument("--digits", type=int, default=3, help="decimals in the table (0: every digit)")
    p.add_argument("--plot", metavar="PNG", help="heatmaps of the gates over time (needs matplotlib)")
    p.set_defaults(func=cmd_trace)

    p = sub.add_parser(
        "explain", help="write the full worked example, forward and backward, as Markdown or an explorable page"
    )
    _add_trace_options(p)
    p.add_argument("-o", "--output", metavar="FILE.md", help="write to a file instead of stdout")
    p.add_argument(
        "--html",
        metavar="FILE.html",
        help="write one self-contained page instead: every number live, the inputs and weights of a scalar "
        "model editable in the browser",
    )
    p.set_defaults(func=cmd_explain)

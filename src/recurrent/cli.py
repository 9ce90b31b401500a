"""Command line: thin subcommands over the public API.

Machine output on stdout, messages on stderr; bad input exits 2 with one line,
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from . import __version__


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


# ---- demo --------------------------------------------------------------------------------------

def cmd_demo(args) -> int:
    """The classic scalar LSTM: every gate at every step, then the prediction."""
    from . import classic

    layer, readout, x, target = classic.scalar_lstm()
    y, _, cache = layer.forward(x)
    c = cache["layers"][0][0]
    names = [("Forget gate (f_t)", 1), ("Input gate (i_t)", 0), ("Candidate cell state (C_tilde_t)", 2)]
    out = []
    for t in range(x.shape[1]):
        gates = c["gates"][0, t]
        out.append(f"Time Step {t + 1}:")
        out += [f"  {label}: {gates[k]:.3f}" for label, k in names]
        out.append(f"  Cell state (C_t): {c['c'][0, t + 1, 0]:.3f}")
        out.append(f"  Output gate (o_t): {gates[3]:.3f}")
        out.append(f"  Hidden state (h_t): {y[0, t, 0]:.3f}")
        out.append("")
    pred = float(readout(y[:, -1])[0, 0])
    out.append(f"Predicted next value: {pred:.3f} (target {target:g})")
    print("\n".join(out))
    return 0


# ---- gradcheck ---------------------------------------------------------------------------------

def cmd_gradcheck(args) -> int:
    """Finite differences against backward for a random layer; exit 1 if they disagree."""
    from . import GRU, LSTM, RNN, gradcheck

    cls = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[args.cell]
    rng = np.random.default_rng(args.seed)
    layer = cls(args.input_size, args.hidden_size, num_layers=args.layers,
                bidirectional=args.bidirectional, dtype=np.float64, seed=args.seed)
    x = rng.normal(size=(args.batch, args.steps, args.input_size))
    result = gradcheck(layer, x, seed=args.seed)
    if args.json:
        print(json.dumps({"layer": repr(layer), "errors": result.errors,
                          "max_error": result.max_error, "ok": result.ok}))
    else:
        print(f"{layer!r} on x {x.shape}, central differences eps=1e-6")
        print(result)
    return 0 if result.ok else 1


# ---- parser ------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="recurrent", description="LSTM, GRU and RNN from first principles.")
    parser.add_argument("--version", action="version", version=f"recurrent {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("demo", help="the classic scalar LSTM on [1, 2, 3], every gate printed")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("gradcheck", help="check backward against finite differences")
    p.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    p.add_argument("--input-size", type=_positive_int, default=3)
    p.add_argument("--hidden-size", type=_positive_int, default=4)
    p.add_argument("--layers", type=_positive_int, default=1)
    p.add_argument("--bidirectional", action="store_true")
    p.add_argument("--batch", type=_positive_int, default=2)
    p.add_argument("--steps", type=_positive_int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_gradcheck)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return 2
        return args.func(args)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError) as exc:
        print(f"recurrent: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("recurrent: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

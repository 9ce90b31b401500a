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


# ---- forecast and predict ------------------------------------------------------------------------

def _next_labels(dates, k):
    """Continue YYYY-MM or YYYY labels k steps; otherwise '+1', '+2', ..."""
    import re

    if dates:
        last = dates[-1]
        if re.fullmatch(r"\d{4}-\d{2}", last):
            y, m = int(last[:4]), int(last[5:])
            out = []
            for _ in range(k):
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
                out.append(f"{y:04d}-{m:02d}")
            return out
        if re.fullmatch(r"\d{4}", last):
            return [str(int(last) + h) for h in range(1, k + 1)]
    return [f"+{h}" for h in range(1, k + 1)]


def _load_series(args):
    from . import datasets
    from .data import read_csv

    if args.csv is None:
        series = datasets.load(args.dataset)
        return series, f"{args.dataset} ({series.name}, bundled)", datasets.season_of(args.dataset)
    series = read_csv(args.csv, column=args.column, date_column=args.date_column, header=args.header,
                      delimiter=args.delimiter, fill=args.fill)
    return series, f"{args.csv} ({series.name})", None


def _require_matplotlib():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("recurrent: --plot needs matplotlib: pip install 'recurrent[plot]'") from None
    return plt


def _plot_forecast(path, series, n_train, forecast, labels, title):
    plt = _require_matplotlib()
    from .io import atomic_write_bytes
    import io as _io

    y = series.values
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(range(n_train), y[:n_train], color="0.3", label="history")
    if n_train < len(y):
        ax.plot(range(n_train, len(y)), y[n_train:], color="tab:green", label="held out (actual)")
    ax.plot(range(n_train, n_train + len(forecast)), forecast, color="tab:red", marker=".", label="forecast")
    ax.axvline(n_train - 0.5, color="0.7", lw=1, ls="--")
    ax.set_title(title)
    ax.set_xlabel("step")
    ax.set_ylabel(series.name)
    ax.legend(loc="upper left")
    fig.tight_layout()
    buf = _io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def cmd_forecast(args) -> int:
    """Fit a Forecaster on a series, forecast what comes next, and (with --holdout) score it."""
    import time

    from .forecast import Forecaster

    if args.plot:
        _require_matplotlib()                          # fail before training, not after
    series, label, known_season = _load_series(args)
    season = args.season if args.season is not None else known_season
    horizon = args.horizon or args.holdout or 12
    forecaster = Forecaster(cell=args.cell, hidden_size=args.hidden_size, lookback=args.lookback,
                            horizon=horizon, season=season, n_models=args.models, epochs=args.epochs,
                            seed=args.seed, progress=not args.quiet)
    n = len(series)
    n_train = n - (args.holdout or 0)
    if not args.quiet:
        print(f"fitting {args.models} {args.cell.upper()} network(s) on {n_train} values of {label}...",
              file=sys.stderr)
    t0 = time.perf_counter()
    result = {"series": label, "n": n}
    if args.holdout:
        report = forecaster.evaluate(series.values, holdout=args.holdout)
        forecast = np.array(report["forecast"])
        labels = series.dates[n_train:] if series.dates else [f"{t + 1}" for t in range(n_train, n)]
        result.update(report)
    else:
        forecast = forecaster.fit(series.values).predict(horizon)
        labels = _next_labels(series.dates, horizon)
        result["forecast"] = forecast.tolist()
    seconds = time.perf_counter() - t0
    result.update({"dates": labels, "season": forecaster.season_, "lookback": forecaster.lookback_,
                   "horizon": horizon, "fit_seconds": round(seconds, 2)})
    if not args.quiet:
        print(f"done in {seconds:.1f} s (season {forecaster.season_}, lookback {forecaster.lookback_})",
              file=sys.stderr)
    if args.save:
        forecaster.save(args.save)
    if args.plot:
        _plot_forecast(args.plot, series, n_train, forecast, labels, f"{label}: forecast of {horizon} steps")
    if args.json:
        print(json.dumps(result))
        return 0
    out = []
    if args.holdout:
        b = report["baselines"]
        out.append(f"{label}: fitted on the first {n_train} values, forecast the last {args.holdout} in one go")
        out.append(f"{'step':>10}  {'actual':>10}  {'model':>10}  {'naive':>10}  {'seas.naive':>10}")
        for k in range(args.holdout):
            out.append(f"{labels[k]:>10}  {report['actual'][k]:10.2f}  {forecast[k]:10.2f}  "
                       f"{b['naive'][k]:10.2f}  {b['seasonal_naive'][k]:10.2f}")
        out.append("")
        out.append(f"{'':16}{'RMSE':>10}{'MAE':>10}{'MASE':>10}")
        for key, name in (("model", "model"), ("naive", "naive"), ("seasonal_naive", "seasonal naive")):
            m = report["metrics"][key]
            out.append(f"{name:16}{m['rmse']:10.2f}{m['mae']:10.2f}{m['mase']:10.3f}")
        out.append("")
        out.append(report["verdict"])
    else:
        out.append(f"{label}: the next {horizon} values")
        out += [f"{lab:>10}  {v:10.2f}" for lab, v in zip(labels, forecast)]
    print("\n".join(out))
    return 0


def cmd_predict(args) -> int:
    """Forecast with a saved forecaster, after its own series or after a new CSV."""
    from .forecast import Forecaster
    from .model import load

    model = load(args.model)
    if not isinstance(model, Forecaster):
        raise UsageError(f"recurrent: {args.model} holds a sequence model, not a forecaster")
    if args.csv:
        series, label, _ = _load_series(args)
        forecast = model.predict(args.horizon, y=series.values)
        dates = series.dates
    else:
        forecast, label, dates = model.predict(args.horizon), str(args.model), None
    labels = _next_labels(dates, len(forecast))
    if args.json:
        print(json.dumps({"forecast": forecast.tolist(), "dates": labels}))
    else:
        print(f"{label}: the next {len(forecast)} values")
        print("\n".join(f"{lab:>10}  {v:10.2f}" for lab, v in zip(labels, forecast)))
    return 0


def _add_csv_options(p):
    p.add_argument("csv", nargs="?", help="a CSV file (default: a bundled series, see --dataset)")
    p.add_argument("--column", help="name or 0-based index of the value column (default: the last)")
    p.add_argument("--date-column", default="auto",
                   help="name or index of a date/label column (default: the first column, if not the values)")
    p.add_argument("--delimiter", choices=[",", ";", "\t"], help="default: detected")
    hdr = p.add_mutually_exclusive_group()
    hdr.add_argument("--header", dest="header", action="store_const", const=True, help="the first row is a header")
    hdr.add_argument("--no-header", dest="header", action="store_const", const=False, help="there is no header")
    p.add_argument("--fill", choices=["ffill", "interpolate"], help="fill missing cells (default: refuse them)")
    p.add_argument("--dataset", choices=["airline", "sunspots"], default="airline",
                   help="bundled series used when no CSV is given (default: airline)")


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
    p = sub.add_parser("forecast", help="fit a forecaster on a series and forecast what comes next",
                       description="Fit on a series (a CSV file, or the bundled airline passengers) and forecast. "
                                   "With --holdout K: fit on all but the last K values, forecast them, and compare "
                                   "with the naive and seasonal-naive baselines.")
    _add_csv_options(p)
    p.add_argument("--horizon", type=_positive_int, help="steps to forecast (default: --holdout, else 12)")
    p.add_argument("--holdout", type=_positive_int, help="hold out the last K values and score the forecast")
    p.add_argument("--season", type=_positive_int, help="seasonal period (default: known or detected; 1: none)")
    p.add_argument("--lookback", type=_positive_int, help="steps per input window (default: 3 seasons)")
    p.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    p.add_argument("--hidden-size", type=_positive_int, default=32)
    p.add_argument("--models", type=_positive_int, default=5, help="networks averaged (default 5)")
    p.add_argument("--epochs", type=_positive_int, default=300, help="most epochs per network (early stopping)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save", metavar="MODEL", help="save the fitted forecaster (safetensors)")
    p.add_argument("--plot", metavar="PNG", help="draw history, holdout and forecast (needs matplotlib)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_forecast)

    p = sub.add_parser("predict", help="forecast with a saved forecaster")
    p.add_argument("model", help="a file written by `recurrent forecast --save`")
    _add_csv_options(p)
    p.add_argument("--horizon", type=_positive_int, help="steps to forecast (default: the model's)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_predict)
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
    except FileNotFoundError as exc:
        print(f"recurrent: error: no such file: {exc.filename}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError) as exc:
        print(f"recurrent: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("recurrent: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Command line: thin subcommands over the public API.

Machine output on stdout, messages on stderr; bad input exits 2 with one line,
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from . import __version__
from .cells.facts import CELL_NAMES


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


# ---- gradcheck ---------------------------------------------------------------------------------

def cmd_gradcheck(args) -> int:
    """Finite differences against backward for a random layer; exit 1 if they disagree."""
    from . import gradcheck
    from .layers import CELLS

    cls = CELLS[args.cell]
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

def _load_series(args):
    """(dict id -> values, dict id -> date labels or None, label, known season, many?)."""
    from . import datasets
    from .data import read_csv
    from .forecast import files

    number = dict(decimal=args.decimal, thousands=args.thousands)
    if args.csv is None:
        given = [flag for flag, v in (("--id-column", args.id_column), ("--columns", args.columns),
                                      ("--wide", args.wide)) if v]
        if given:
            raise UsageError(f"recurrent: {given[0]} reads a CSV file; name one (without a file the bundled "
                             f"{args.dataset} series is used)")
        series = datasets.load(args.dataset)
        label = f"{args.dataset} ({datasets.unit_of(args.dataset)}, bundled)"
        return {label: series.values}, {label: series.dates}, label, datasets.season_of(args.dataset), False
    if Path(args.csv).is_dir():
        raise UsageError(f"recurrent: {args.csv} is a folder, expected a CSV file")
    if args.id_column:
        date_col = "ds" if args.date_column == "auto" else args.date_column
        Y, dates = files.read_long_csv(args.csv, id_column=args.id_column, date_column=date_col,
                                       column=args.column or "y", delimiter=args.delimiter, fill=args.fill, **number)
        first = next(iter(dates.values()))
        return Y, dates, args.csv, files.season_of_labels(first), True
    if args.columns or args.wide:
        cols = args.columns.split(",") if args.columns else None
        Y, dates = files.read_wide_csv(args.csv, columns=cols, date_column=args.date_column, delimiter=args.delimiter,
                                       fill=args.fill, **number)
        per = {k: (dates[len(dates) - len(v):] if dates else None) for k, v in Y.items()}
        return Y, per, args.csv, files.season_of_labels(dates), True
    if args.decimal or args.thousands:
        raise UsageError("recurrent: --decimal and --thousands apply to --id-column and --columns files")
    series = read_csv(args.csv, column=args.column, date_column=args.date_column, header=args.header,
                      delimiter=args.delimiter, fill=args.fill)
    label = f"{args.csv} ({series.name})"
    return {label: series.values}, {label: series.dates}, label, files.season_of_labels(series.dates), False


def _check_output_path(path, what):
    """Refuse before fitting an output the run could not write."""
    if path is None:
        return
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"recurrent: {what} {path} is a folder, expected a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"recurrent: {what} {path}: the folder {parent} does not exist")


def _require_matplotlib():
    from .plot import require_matplotlib

    try:
        return require_matplotlib()
    except ImportError:
        raise UsageError("recurrent: --plot needs matplotlib: pip install 'recurrent[plot]'") from None


def _num(v, fmt):
    return "n/a" if v is None or not np.isfinite(v) else format(v, fmt)


def _forecast_listing(fc, labels, title=None, limit=10, bands=None):
    """The next values of the first ``limit`` series, as text lines (``title`` names a lone series);
    with ``bands`` (id -> {"lo-80": array, ...}) a column each."""
    out = []
    for uid in list(fc)[:limit]:
        extra = (bands or {}).get(uid, {})
        out.append(f"{title if title and len(fc) == 1 else uid}: the next {len(fc[uid])} values")
        if extra:
            out.append(f"{'':>10}  {'forecast':>10}" + "".join(f"  {k:>10}" for k in extra))
        out += [f"{lab:>10}  {v:10.2f}" + "".join(f"  {b[k]:10.2f}" for b in extra.values())
                for k, (lab, v) in enumerate(zip(labels[uid], fc[uid]))]
    if len(fc) > limit:
        out.append(f"... and {len(fc) - limit} more series (write them all with -o FILE.csv or --json)")
    return out


def _forecasts_json(fc, labels, many, bands=None) -> dict:
    if not many:
        uid = next(iter(fc))
        out = {"forecast": fc[uid].tolist(), "dates": labels[uid]}
        if bands:
            out["intervals"] = {k: v.tolist() for k, v in bands[uid].items()}
        return out
    out = {"forecasts": {str(u): f.tolist() for u, f in fc.items()}, "dates": {str(u): labels[u] for u in fc}}
    if bands:
        out["intervals"] = {str(u): {k: v.tolist() for k, v in b.items()} for u, b in bands.items()}
    return out


def _write_forecasts(path, fc, labels, actual=None, bands=None) -> None:
    """Long format, atomically: unique_id, ds, forecast[, lo-80, hi-80, ...][, actual]."""
    from .forecast.files import write_long_csv

    keys = list(next(iter(bands.values()))) if bands else []
    rows = [(u, labels[u][k], float(f[k])) + tuple(float(bands[u][b][k]) for b in keys)
            + ((float(actual[u][k]),) if actual else ()) for u, f in fc.items() for k in range(len(f))]
    write_long_csv(path, rows, ["unique_id", "ds", "forecast"] + keys + (["actual"] if actual else []))


def _bands(forecaster, Y, horizon, levels):
    """id -> {"lo-80": array, "hi-80": array, ...} from predict(level=...), or None without levels."""
    if not levels:
        return None
    out = forecaster.predict(Y, horizon=horizon, level=levels)
    return {u: {k: v for k, v in d.items() if k != "forecast"} for u, d in out.items()}


def _make_forecaster(args, horizon, season):
    from .forecast import Forecaster

    return Forecaster(cell=args.cell, hidden_size=args.hidden_size, lookbacks=args.lookback, horizon=horizon,
                      season=season, n_models=args.models, max_steps=args.steps, seed=args.seed,
                      progress=not args.quiet)


def cmd_backtest(args) -> int:
    """Rolling-origin backtest: forecast from several origins at the end of each series, score every window."""
    import time

    from .forecast.files import write_long_csv

    _check_output_path(args.output, "-o")
    Y, dates, label, known_season, many = _load_series(args)
    season = args.season if args.season is not None else known_season
    horizon = args.horizon or 12
    forecaster = _make_forecaster(args, horizon, season)
    if not args.quiet:
        print(f"backtesting {len(Y)} series from {label}: {args.windows} windows of {horizon}, "
              f"{'refit each window' if args.refit else 'fitted once'}...", file=sys.stderr)
    t0 = time.perf_counter()
    report = forecaster.cross_validation(Y, n_windows=args.windows, step=args.step, refit=args.refit,
                                         level=args.level)
    seconds = time.perf_counter() - t0
    per = report.pop("forecasts")
    if args.output:
        keys = [k for k in next(iter(per.values())) if k != "actual"]
        rows = []
        for u, d in per.items():
            for w, cut in enumerate(report["cutoffs"][u]):
                lab = dates.get(u)
                for k in range(horizon):
                    ds = lab[cut + k] if lab else str(cut + k + 1)
                    origin = lab[cut - 1] if lab else str(cut)
                    rows.append((u, origin, ds, float(d["actual"][w, k])) + tuple(float(d[c][w, k]) for c in keys))
        write_long_csv(args.output, rows, ["unique_id", "cutoff", "ds", "actual"] + keys)
    report["fit_seconds"] = round(seconds, 2)
    report["cutoffs"] = {str(u): c for u, c in report["cutoffs"].items()}
    if args.json:
        print(json.dumps(report, default=_json_default))
        return 0
    cols = [("smape", "sMAPE", "10.2f"), ("mase", "MASE", "10.3f"), ("rmse", "RMSE", "12.2f")]
    for lv in args.level or []:
        cols += [(f"coverage-{lv:g}", f"cover {lv:g}", "10.1f"), (f"msis-{lv:g}", f"MSIS {lv:g}", "10.2f")]
    head = f"{'':22}" + "".join(f"{name:>{fmt.split('.')[0]}}" for _, name, fmt in cols)
    out = [f"{label}: {len(Y)} series, {args.windows} windows of {horizon} values, {report['step']} apart "
           f"({'refit each window' if args.refit else 'fitted once, on the oldest window'}), in {seconds:.1f} s"]
    names = (("model", "model"), ("naive", "naive"), ("seasonal_naive", "seasonal naive"), ("naive2", "Naive2"))
    for title, metrics_ in [(f"window {w['window'] + 1}", w["metrics"]) for w in report["windows"]] + \
            [("all windows", report["metrics"])]:
        out += ["", title, head]
        for key, name in names:
            m = metrics_[key]
            out.append(f"{name:22}" + "".join(_num(m.get(c), fmt) if m.get(c) is not None or c in m else
                                             f"{'':>{fmt.split('.')[0]}}" for c, _, fmt in cols))
    print("\n".join(out))
    return 0


def cmd_forecast(args) -> int:
    """Fit a Forecaster on one series or many, forecast what comes next, and (with --holdout) score it."""
    import time

    from .forecast.files import next_labels

    for path, what in ((args.save, "--save"), (args.plot, "--plot"), (args.output, "-o")):
        _check_output_path(path, what)
    if args.plot:
        if Path(args.plot).suffix.lower() not in (".png", ".pdf", ".svg"):
            raise UsageError(f"recurrent: --plot {args.plot}: expected a .png, .pdf or .svg file name")
        _require_matplotlib()                          # fail before training, not after
    Y, dates, label, known_season, many = _load_series(args)
    season = args.season if args.season is not None else known_season
    horizon = args.horizon or args.holdout or 12
    longest = max(len(v) for v in Y.values())
    if args.holdout and args.holdout >= longest - 1:
        raise UsageError(f"recurrent: --holdout {args.holdout} leaves fewer than 2 values to fit on "
                         f"(the longest series has {longest})")
    n_fit = longest - (args.holdout or 0)
    if horizon > max(n_fit, 2 * (season or 1)):
        raise UsageError(f"recurrent: --horizon {horizon} is longer than the {n_fit} values to learn from; "
                         f"a forecast that far is an extrapolation of its own output (give at most {n_fit})")
    forecaster = _make_forecaster(args, horizon, season)
    if not args.quiet:
        what = f"{len(Y)} series from {label}" if many else f"{n_fit} values of {label}"
        print(f"fitting {args.cell.upper()} networks on {what}...", file=sys.stderr)
    t0 = time.perf_counter()
    result = {"series": label, "n_series": len(Y)}
    if args.holdout:
        report = forecaster.evaluate(Y, holdout=args.holdout)
        fc = report.pop("forecasts")
        actual = report.pop("actuals")
        result.update(report)
    else:
        fc = forecaster.fit(Y).predict(horizon=horizon)
        actual = None
    seconds = time.perf_counter() - t0
    result.update({"season": forecaster.season_, "lookbacks": forecaster.lookbacks_, "horizon": horizon,
                   "weight_networks": forecaster.weight_, "fit_seconds": round(seconds, 2),
                   "methods": {str(k): v for k, v in forecaster.methods_.items()}})
    if not args.quiet:
        print(f"done in {seconds:.1f} s (season {forecaster.season_}, lookbacks {forecaster.lookbacks_}, "
              f"weight on the networks {forecaster.weight_:.1f})", file=sys.stderr)
    bands = _bands(forecaster, None, horizon, args.level)
    if bands and args.holdout:
        from .forecast.metrics import coverage

        result["coverage"] = {f"{lv:g}": coverage(np.concatenate([actual[u] for u in fc]),
                                                  np.concatenate([bands[u][f"lo-{lv:g}"] for u in fc]),
                                                  np.concatenate([bands[u][f"hi-{lv:g}"] for u in fc]))
                              for lv in args.level}
    if args.save:
        if args.holdout:
            if not args.quiet:
                print("refitting on every value before saving (--save keeps the model of the whole series)",
                      file=sys.stderr)
            forecaster.fit(Y)
        forecaster.save(args.save)
    if args.holdout:
        labels = {u: (dates[u][len(dates[u]) - args.holdout:] if dates.get(u) else
                      [f"{t + 1}" for t in range(len(Y[u]) - args.holdout, len(Y[u]))]) for u in fc}
    else:
        labels = {u: next_labels(dates.get(u), horizon) for u in fc}
    result.update(_forecasts_json(fc, labels, many, bands))
    if args.output:
        _write_forecasts(args.output, fc, labels, actual, bands)
    if args.plot:
        _plot(args, forecaster, Y, fc, bands, dates, labels, label)
    if args.json:
        print(json.dumps(result, default=_json_default))
        return 0
    print("\n".join(_forecast_text(args, result, fc, actual, labels, many, label, bands)))
    return 0


def _plot(args, forecaster, Y, fc, bands, dates, labels, label):
    """--plot: the one series with its baselines, or a grid of the first six."""
    from .plot import plot_forecast, plot_many

    m = forecaster.season_
    n_train = {u: len(Y[u]) - (args.holdout or 0) for u in fc}
    shade = {u: {lv: (bands[u][f"lo-{lv:g}"], bands[u][f"hi-{lv:g}"]) for lv in args.level} for u in fc} \
        if bands else {}
    if len(fc) > 1:
        shown = list(fc)[:6]
        plot_many(args.plot, [(u, Y[u], n_train[u], fc[u], shade.get(u)) for u in shown], season=m,
                  total=len(fc), title=str(label))
        if len(fc) > len(shown) and not args.quiet:
            print(f"recurrent: note: --plot draws the first {len(shown)} of {len(fc)} series", file=sys.stderr)
        return
    from .forecast.baselines import all_baselines

    uid = next(iter(fc))
    base = all_baselines(Y[uid][:n_train[uid]], len(fc[uid]), m, names=("seasonal_naive", "naive2") if m > 1
                         else ("naive",))
    plot_forecast(args.plot, Y[uid], n_train[uid], fc[uid], labels=dates.get(uid),
                  future_labels=None if args.holdout else labels[uid], baselines=base, season=m,
                  bands=shade.get(uid), title=f"{uid}: forecast of {len(fc[uid])} steps")


def _json_default(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def _forecast_text(args, result, fc, actual, labels, many, label, bands=None):
    out = []
    if args.holdout and not many:
        uid = next(iter(fc))
        b = result["baselines"]
        out.append(f"{label}: fitted without the last {args.holdout} values, forecast them in one go")
        out.append(f"{'step':>10}  {'actual':>10}  {'model':>10}  {'naive':>10}  {'seas.naive':>10}  {'naive2':>10}")
        for k in range(args.holdout):
            out.append(f"{labels[uid][k]:>10}  {result['actual'][k]:10.2f}  {fc[uid][k]:10.2f}  "
                       f"{b['naive'][k]:10.2f}  {b['seasonal_naive'][k]:10.2f}  {b['naive2'][k]:10.2f}")
        out.append("")
    if args.holdout:
        if many:
            out.append(f"{label}: {result['n_series']} series, each fitted without its last {args.holdout} values")
            if result["left_out"]:
                out.append(f"left out (too short to hold out from): {', '.join(map(str, result['left_out']))}")
        out.append(f"{'':16}{'sMAPE':>10}{'MASE':>10}{'MAPE':>10}{'RMSE':>12}")
        for key, name in (("model", "model"), ("naive", "naive"), ("seasonal_naive", "seasonal naive"),
                          ("naive2", "Naive2")):
            m = result["metrics"][key]
            out.append(f"{name:16}{_num(m['smape'], '10.2f')}{_num(m['mase'], '10.3f')}{_num(m['mape'], '10.2f')}"
                       f"{_num(m['rmse'], '12.2f')}")
        left = result["metrics"]["model"]["left_out"]
        notes = [f"MASE left out {left['mase']} series whose history never changes (no scale)"] if left["mase"] else []
        notes += [f"MAPE left out {left['mape']} series with a zero actual value"] if left["mape"] else []
        notes += result.get("notes", [])
        out += [f"note: {n}" for n in notes]
        for lv, pct in result.get("coverage", {}).items():
            out.append(f"the {lv}% interval held {pct:.1f}% of the held-out values")
        out.append("")
        out.append(result["verdict"])
        return out
    return out + _forecast_listing(fc, labels, bands=bands)


def cmd_predict(args) -> int:
    """Forecast with a saved forecaster: after the series it was fitted on, or after new ones from a CSV."""
    from .forecast import Forecaster
    from .forecast.files import next_labels
    from .model import load

    model = load(args.model)
    if not isinstance(model, Forecaster):
        raise UsageError(f"recurrent: {args.model} holds a sequence model, not a forecaster")
    horizon = args.horizon or model.horizon
    if args.level and getattr(model, "calibration_", None) is None:
        raise UsageError(f"recurrent: {args.model} holds no interval calibration (saved before intervals existed, "
                         "or its series were too short to hold out from); refit it to use --level")
    if args.csv:
        Y, dates, label, _, many = _load_series(args)
        fc = model.predict(Y, horizon=horizon)
    else:
        if args.column or args.id_column or args.columns:
            raise UsageError("recurrent: --column, --id-column and --columns need a CSV file to read")
        b = model.batch_
        Y = dict(zip(b.ids, b.values))
        fc = model.predict(Y, horizon=horizon)
        dates, label, many = {}, f"{args.model} (after the series it was fitted on, stored in the file)", len(Y) > 1
        if not args.json:
            print(f"{label}", file=sys.stderr)
    labels = {u: next_labels(dates.get(u), horizon) for u in fc}
    bands = _bands(model, Y, horizon, args.level)
    if args.output:
        _write_forecasts(args.output, fc, labels, bands=bands)
    if args.json:
        print(json.dumps(_forecasts_json(fc, labels, many, bands)))
    else:
        print("\n".join(_forecast_listing(fc, labels, title=label, bands=bands)))
    return 0


def _level(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage between 0 and 100, got {text!r}") from None
    if not 0 < v < 100:
        raise argparse.ArgumentTypeError(f"expected a percentage strictly between 0 and 100, got {text}")
    return v


def _add_model_options(p):
    """The Forecaster's settings, shared by forecast and backtest."""
    p.add_argument("--lookback", type=_positive_int, help="values per input window (default: 2 and 3 horizons)")
    p.add_argument("--cell", choices=CELL_NAMES, default="lstm", help="the recurrent cell (default lstm)")
    p.add_argument("--hidden-size", type=_positive_int, default=32, help="units per network (default 32)")
    p.add_argument("--models", type=_positive_int, default=3, help="networks per lookback (default 3)")
    p.add_argument("--steps", type=_positive_int, default=3000, help="most training steps per network "
                                                                     "(early stopping; default 3000)")
    p.add_argument("--seed", type=int, default=0, help="makes the fit reproducible, bitwise (default 0)")
    _add_level_option(p)


def _add_level_option(p):
    p.add_argument("--level", type=_level, nargs="+", metavar="L",
                   help="prediction intervals at these levels in percent (e.g. --level 80 95): lo-L and hi-L "
                        "columns, calibrated on each series' held-out latest values")


def _add_csv_options(p):
    p.add_argument("csv", nargs="?", help="a CSV file (default: a bundled series, see --dataset)")
    p.add_argument("--column", help="name or 0-based index of the value column (default: the last; "
                                    "with --id-column: y)")
    p.add_argument("--date-column", default="auto",
                   help="name or index of a date/label column (default: the first column, if not the values; "
                        "with --id-column: ds)")
    p.add_argument("--id-column", help="a long file: the column naming each row's series (e.g. unique_id)")
    p.add_argument("--columns", help="a wide file: these columns, one series each (a,b,c)")
    p.add_argument("--wide", action="store_true", help="a wide file: every numeric column is a series")
    p.add_argument("--delimiter", choices=[",", ";", "\t"], metavar="{',',';',tab}",
                   type=lambda t: "\t" if t.lower() in ("tab", "\\t") else t,
                   help="the field separator (default: detected)")
    p.add_argument("--decimal", choices=[",", "."], metavar="{',','.'}",
                   help="decimal mark in --id-column/--columns files "
                                                         "(default: detected where unambiguous)")
    p.add_argument("--thousands", choices=[",", ".", " ", "'"], metavar="{',','.',' ',\"'\"}",
                   help="thousands separator (default: detected)")
    hdr = p.add_mutually_exclusive_group()
    hdr.add_argument("--header", dest="header", action="store_const", const=True, help="the first row is a header")
    hdr.add_argument("--no-header", dest="header", action="store_const", const=False, help="there is no header")
    p.add_argument("--fill", choices=["ffill", "interpolate"], help="fill missing cells, per series "
                                                                   "(default: refuse them)")
    p.add_argument("--dataset", choices=["airline", "sunspots"], default="airline",
                   help="bundled series used when no CSV is given (default: airline)")


# ---- trace and explain ---------------------------------------------------------------------------

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
        raise UsageError(f"recurrent: {option}: every step needs the same number of values, got "
                         f"{', '.join(map(str, widths))} in {text!r}")
    return rows[0] if len(rows) == 1 else rows


def _read_weights(path):
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise UsageError(f"recurrent: {path}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                         f"{exc.msg})") from None
    if not isinstance(data, dict):
        raise UsageError(f"recurrent: {path}: expected a JSON object of weights (W_f, W_hf, b_f, ...)")
    def numbers(v):                      # a number, or (nested) lists of numbers; shapes are checked later
        if isinstance(v, list):
            return all(numbers(e) for e in v)
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    for k, v in data.items():
        if not numbers(v):
            raise UsageError(f"recurrent: {path}: weight {k!r} must be a number or a list of numbers, "
                             f"got {json.dumps(v)}")
    return data


def _trace_from_args(args, example_target=False):
    """Build the model and trace; the example's own target is used only when ``example_target``."""
    from . import classic
    from .model import Sequential, load
    from .trace import trace

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
        raise UsageError(f"recurrent: --inputs: the model takes {D} feature(s) per step, got shape {x.shape} "
                         f"(separate steps with ';' and features with ',')")
    return trace(model, x, target=target)


def cmd_trace(args) -> int:
    """Every gate at every step of a small model (and, with --target, the backward pass)."""
    if args.plot:
        _require_matplotlib()
    tr = _trace_from_args(args)
    if args.plot:
        from .plot import plot_trace

        plot_trace(tr, args.plot)
    if args.format == "json":
        print(json.dumps(tr.to_json()))
    elif args.format == "markdown":
        print(tr.markdown(lr=args.lr), end="")
    else:
        print(tr.table(digits=None if args.digits == 0 else args.digits), end="")
    return 0


HAND_SLIP = """A hand calculation of this example that circulates widely gets step 1 right and then drifts:
it carries $h_1 = 0.257$ (exactly {h1:.5f}), and for the output gate at step 2 it uses
$\\sigma(1.436) = 0.808$. The pre-activation is $0.8 \\cdot 2 + 0.4 \\cdot h_1 = {a2:.5f}$, so
$o_2 = \\sigma({a2:.4f}) = {o2:.3f}$, as above. Every later number inherits the slip ($h_2 = 0.611$
instead of {h2:.3f}, $h_3 = 0.841$ instead of {h3:.3f}), and it then runs a fourth step on $x_4 = 4$, the
value it is trying to predict. The model's prediction is $W_y h_3 = {pred:.3f}$.

A common training slip for this model: taking the sigmoid's derivative of the gate's *output*
again, $\\sigma(o)(1 - \\sigma(o))$, where the derivative is $o(1 - o)$; and updating the weights
from each step's own error without carrying $\\partial L / \\partial h$ and $\\partial L / \\partial C$
back through time, as the backward pass above does."""


def cmd_explain(args) -> int:
    """The full worked example as a Markdown document."""
    from .io import atomic_write_bytes

    tr = _trace_from_args(args, example_target=True)
    notes = None
    is_classic = not (args.model or args.weights or args.inputs) and (args.example or "lstm-scalar") == "lstm-scalar" \
        and not args.cell
    if is_classic:
        v = tr.main.values
        notes = HAND_SLIP.format(h1=float(v["h"][0, 0]), a2=float(v["a_o"][1, 0]), o2=float(v["o"][1, 0]),
                                 h2=float(v["h"][1, 0]), h3=float(v["h"][2, 0]), pred=float(np.ravel(tr.prediction)[0]))
    text = tr.markdown(lr=args.lr if tr.loss is not None else None, notes=notes)
    if args.output:
        atomic_write_bytes(args.output, text.encode())
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text, end="")
    return 0


# ---- export and import ---------------------------------------------------------------------------

def cmd_export(args) -> int:
    """A saved model to ONNX, or its weights to PyTorch's or Keras' layout (safetensors).

    A saved forecaster becomes a folder: one ONNX graph per network and forecaster.json.
    """
    from . import interop
    from .io import atomic_write_bytes
    from .model import Sequential, load

    model = load(args.model)
    if not isinstance(model, Sequential):
        if args.to != "onnx":
            raise UsageError(f"recurrent: {args.model} holds a forecaster; export it with --to onnx "
                             "(a folder of ONNX graphs and forecaster.json)")
        from .forecast.export import export_onnx

        out = export_onnx(model, args.output, opset=args.opset)
        print(f"wrote {out}/ ({len(model.networks_)} ONNX networks and forecaster.json)", file=sys.stderr)
        return 0
    if args.to == "onnx":
        interop.to_onnx(model, args.output, opset=args.opset)
    else:
        from safetensors.numpy import save

        rnn = model.layers[0]
        if args.to == "torch":
            tensors = {k: np.ascontiguousarray(v) for k, v in model.state_dict().items()}
        else:
            if not rnn.is_recurrent:
                raise UsageError("recurrent: --to keras needs a model that starts with a recurrent layer")
            w = interop.to_keras(rnn)
            per_layer = [w] if rnn.num_layers == 1 else w
            names = ["kernel", "recurrent_kernel", "bias"]
            tensors = {}
            for k, lw in enumerate(per_layer):
                for j, a in enumerate(lw):
                    direction = "backward/" if j >= 3 else ""
                    tensors[f"layer{k}/{direction}{names[j % 3]}"] = np.ascontiguousarray(a)
            for i, layer in enumerate(model.layers[1:], start=1):
                for name, a in layer.params.items():       # Dense: kernel = weight^T
                    tensors[f"{i}.{'kernel' if name == 'weight' else name}"] = np.ascontiguousarray(
                        a.T if name == "weight" else a)
        meta = {"format": args.to, "recurrent_layers": json.dumps(model.config())}
        atomic_write_bytes(args.output, save(tensors, metadata=meta))
    print(f"wrote {args.output} ({args.to})", file=sys.stderr)
    return 0


def cmd_import(args) -> int:
    """An ONNX file, or a PyTorch state_dict saved as safetensors, into a recurrent model file."""
    from . import interop
    from .layers import LastStep
    from .model import Sequential

    path = Path(args.file)
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    if path.suffix == ".onnx":
        try:
            obj = interop.from_onnx(path)
        except Exception as exc:
            if isinstance(exc, (ValueError, ImportError)):
                raise
            raise UsageError(f"recurrent: {path}: not a readable ONNX model ({type(exc).__name__})") from None
    else:
        from safetensors import safe_open
        from safetensors.numpy import load

        try:
            data = path.read_bytes()
            tensors = load(data)
            with safe_open(str(path), framework="numpy") as f:
                meta = f.metadata() or {}
        except Exception:
            raise UsageError(f"recurrent: {path}: expected an .onnx file or a safetensors file of a PyTorch "
                             "state_dict") from None
        if meta.get("format") == "torch" and "recurrent_layers" in meta:       # written by `export --to torch`
            from .model import model_from_meta

            obj = model_from_meta({"layers": json.loads(meta["recurrent_layers"])}, tensors, path)
        elif meta.get("format") == "keras":
            raise UsageError(f"recurrent: {path}: Keras-layout files are for Keras' set_weights(); "
                             "import the model file it came from")
        elif "recurrent" in meta:                                               # one of our own files
            kind = json.loads(meta["recurrent"]).get("kind", "model")
            what = "a forecaster (use it with predict, or export --to onnx)" if kind == "forecaster" else \
                f"a recurrent {kind} file already (load it directly)"
            raise UsageError(f"recurrent: {path} is {what}; import takes ONNX files and PyTorch state_dicts")
        else:
            obj = interop.from_torch(tensors, cell=args.cell, nonlinearity=args.nonlinearity)
    model = obj if isinstance(obj, Sequential) else Sequential([obj] + ([LastStep()] if args.last_step else []))
    model.save(args.output)
    print(f"wrote {args.output}: {' -> '.join(type(m).__name__ for m in model.layers)}", file=sys.stderr)
    return 0


def _add_trace_options(p):
    from .classic import EXAMPLES

    p.add_argument("--example", choices=EXAMPLES, help="a built-in example (default lstm-scalar)")
    p.add_argument("--cell", choices=CELL_NAMES, help="cell for --weights (alone: its scalar example)")
    p.add_argument("--weights", metavar="FILE.json", help="weights in hand notation: W_f, W_hf, b_f, ..., W_y, b_y")
    p.add_argument("--model", metavar="FILE", help="a saved sequence model instead")
    p.add_argument("--inputs", type=lambda t: _parse_numbers(t, "--inputs"),
                   help="the sequence: '1,2,3'; vectors as '1,0;2,1' (steps separated by ';')")
    p.add_argument("--target", type=lambda t: _parse_numbers(t, "--target"),
                   help="what the output should be: adds the loss and the backward pass")
    p.add_argument("--lr", type=float, default=0.01, help="learning rate of the update shown (default 0.01)")


# ---- parser ------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="recurrent", description="LSTM, GRU and RNN from first principles.")
    parser.add_argument("--version", action="version", version=f"recurrent {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("forecast", help="fit a forecaster on one series or many and forecast what comes next",
                       description="Fit on one series (a CSV file, or the bundled airline passengers) or many "
                                   "(--id-column for a long file, --columns/--wide for one series per column) and "
                                   "forecast. With --holdout K: fit without each series' last K values, forecast "
                                   "them, and score against naive, seasonal naive and Naive2. With --save, the "
                                   "saved model is always fitted on every value (after --holdout it is refitted).")
    _add_csv_options(p)
    p.add_argument("--horizon", type=_positive_int, help="steps to forecast (default: --holdout, else 12)")
    p.add_argument("--holdout", type=_positive_int, help="hold out each series' last K values and score the forecast")
    p.add_argument("--season", type=_positive_int, help="seasonal period (default: from the dates, else detected; "
                                                        "1: none)")
    _add_model_options(p)
    p.add_argument("--save", metavar="MODEL", help="save the forecaster fitted on every value (safetensors)")
    p.add_argument("--plot", metavar="PNG", help="draw history, holdout and forecast of the first series")
    p.add_argument("-o", "--output", metavar="CSV", help="write the forecasts in long format (unique_id, ds, "
                                                         "forecast[, actual])")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_forecast)

    p = sub.add_parser("backtest", help="score a forecaster from several origins at the end of each series",
                       description="Rolling-origin backtest: for each of --windows origins, --step values apart "
                                   "(default: the horizon), fit on each series' values before the origin, forecast "
                                   "the next --horizon values and score them (sMAPE, MASE, RMSE; coverage and MSIS "
                                   "with --level) beside naive, seasonal naive and Naive2 on the same windows.")
    _add_csv_options(p)
    p.add_argument("--horizon", type=_positive_int, default=None, help="steps forecast from each origin (default 12)")
    p.add_argument("--windows", type=_positive_int, default=3, help="how many origins (default 3)")
    p.add_argument("--step", type=_positive_int, help="values between origins (default: the horizon)")
    p.add_argument("--no-refit", dest="refit", action="store_false",
                   help="fit once, on the oldest window's histories, and forecast every window with it")
    p.add_argument("--season", type=_positive_int, help="seasonal period (default: from the dates, else detected)")
    _add_model_options(p)
    p.add_argument("-o", "--output", metavar="CSV", help="write every window's forecasts in long format "
                                                         "(unique_id, cutoff, ds, actual, forecast, baselines, bands)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_backtest)

    p = sub.add_parser("predict", help="forecast with a saved forecaster",
                       description="Without a CSV: forecast after the series the model was fitted on (they are "
                                   "stored in the model file). With a CSV: forecast its series, which the model "
                                   "may never have seen.")
    p.add_argument("model", help="a file written by `recurrent forecast --save`")
    _add_csv_options(p)
    p.add_argument("--horizon", type=_positive_int, help="steps to forecast (default: the model's)")
    _add_level_option(p)
    p.add_argument("-o", "--output", metavar="CSV", help="write the forecasts in long format")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("trace", help="print every gate at every step of a small model",
                       description="With no options: the classic scalar LSTM (W_f=0.5, ...) on [1, 2, 3], "
                                   "predicting 4 * h_3.")
    _add_trace_options(p)
    p.add_argument("--format", choices=["table", "markdown", "json"], default="table")
    p.add_argument("--digits", type=int, default=3, help="decimals in the table (0: every digit)")
    p.add_argument("--plot", metavar="PNG", help="heatmaps of the gates over time (needs matplotlib)")
    p.set_defaults(func=cmd_trace)

    p = sub.add_parser("explain", help="write the full worked example, forward and backward, as Markdown")
    _add_trace_options(p)
    p.add_argument("-o", "--output", metavar="FILE.md", help="write to a file instead of stdout")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("export", help="a saved model to ONNX, or its weights in PyTorch's or Keras' layout")
    p.add_argument("model", help="a file written by Sequential.save, or a forecaster (forecast --save)")
    p.add_argument("--to", choices=["onnx", "torch", "keras"], required=True)
    p.add_argument("-o", "--output", required=True,
                   help="the file to write (.onnx, or .safetensors); for a forecaster, a new folder that "
                        "receives one ONNX graph per network and forecaster.json (the recipe)")
    p.add_argument("--opset", type=int, choices=[14, 22], default=14)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="an ONNX file or a PyTorch state_dict (safetensors) into a model file")
    p.add_argument("file", help="model.onnx, or a safetensors file of torch.nn.LSTM/GRU/RNN.state_dict()")
    p.add_argument("-o", "--output", required=True, help="the model file to write")
    p.add_argument("--cell", choices=CELL_NAMES, help="for a state_dict (default: from the shapes)")
    p.add_argument("--nonlinearity", choices=["tanh", "relu"], default="tanh", help="for an RNN state_dict")
    p.add_argument("--last-step", action="store_true", help="append LastStep to an imported bare layer")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("gradcheck", help="check backward against finite differences")
    p.add_argument("--cell", choices=CELL_NAMES, default="lstm", help="the cell (default lstm)")
    p.add_argument("--input-size", type=_positive_int, default=3, help="features per step (default 3)")
    p.add_argument("--hidden-size", type=_positive_int, default=4, help="units (default 4)")
    p.add_argument("--layers", type=_positive_int, default=1, help="stacked layers (default 1)")
    p.add_argument("--bidirectional", action="store_true", help="both directions")
    p.add_argument("--batch", type=_positive_int, default=2, help="sequences in the batch (default 2)")
    p.add_argument("--steps", type=_positive_int, default=5, help="time steps (default 5)")
    p.add_argument("--seed", type=int, default=0, help="the random weights' and inputs' seed (default 0)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_gradcheck)
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    print(f"recurrent: note: {message}", file=sys.stderr)


def main(argv=None) -> int:
    import warnings

    with warnings.catch_warnings():                    # restores the caller's warning display afterwards
        warnings.showwarning = _one_line_warning       # a library warning is a one-line note here
        return _main(argv)


def _main(argv) -> int:
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
    except (ValueError, OSError) as exc:          # a TypeError is a bug here, and shows its traceback
        print(f"recurrent: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("recurrent: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

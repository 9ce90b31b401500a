"""forecast and predict: one series or many, from the bundled data or CSV files."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from ..forecast.baselines import all_baselines
from ..forecast.files import next_labels
from ..forecast.metrics import coverage
from ..forecast.tables import forecasts_json
from ..plot import plot_forecast, plot_many
from . import covariates, explaining
from ._common import UsageError, _check_output_path, _json_default, _num, _positive_int, _require_matplotlib
from ._options import add_csv_options, add_level_option, add_model_options, add_report_flags, add_scheduler_option
from .predict import cmd_predict
from .series import (
    _bands,
    _date_labels,
    _forecast_listing,
    _write_output,
    check_output,
    check_season,
    load_series,
    make_forecaster,
)

# ---- forecast and predict ------------------------------------------------------------------------


def _horizon(args, Y, season) -> tuple[int, int]:
    """(the horizon, the values left to fit on), refusing a holdout or a horizon the series cannot hold."""
    check_season(args.season, Y)
    horizon = args.horizon or args.holdout or 12
    longest = max(len(v) for v in Y.values())
    if args.holdout and args.holdout >= longest - 1:
        raise UsageError(
            f"recurrent: --holdout {args.holdout} leaves fewer than 2 values to fit on "
            f"(the longest series has {longest})"
        )
    n_fit = longest - (args.holdout or 0)
    if horizon > max(n_fit, 2 * (season or 1)):
        raise UsageError(
            f"recurrent: --horizon {horizon} is longer than the {n_fit} values to learn from; "
            f"a forecast that far is an extrapolation of its own output (give at most {n_fit})"
        )
    return horizon, n_fit


def _coverage(fc, actual, bands, levels) -> dict:
    """level -> the share of held-out values inside that level's interval, over every series."""
    return {
        f"{lv:g}": coverage(
            np.concatenate([actual[u] for u in fc]),
            np.concatenate([bands[u][f"lo-{lv:g}"] for u in fc]),
            np.concatenate([bands[u][f"hi-{lv:g}"] for u in fc]),
        )
        for lv in levels
    }


def cmd_forecast(args) -> int:
    """Fit a Forecaster on one series or many, forecast what comes next, and (with --holdout) score it."""

    for path, what in ((args.save, "--save"), (args.plot, "--plot")):
        _check_output_path(path, what)
    check_output(args.output)
    explaining.check(args)
    if args.plot:
        if Path(args.plot).suffix.lower() not in (".png", ".pdf", ".svg"):
            raise UsageError(f"recurrent: --plot {args.plot}: expected a .png, .pdf or .svg file name")
        _require_matplotlib()  # fail before training, not after
    Y, dates, label, known_season, many, groups = load_series(args)
    explaining.check_id(args, list(Y) if many and isinstance(Y, dict) else None)
    season = args.season if args.season is not None else known_season
    horizon, n_fit = _horizon(args, Y, season)
    forecaster = make_forecaster(args, horizon, season)
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
    result.update(
        {
            "season": forecaster.season_,
            "lookbacks": forecaster.lookbacks_,
            "horizon": horizon,
            "weight_networks": forecaster.weight_,
            "fit_seconds": round(seconds, 2),
            "methods": {str(k): v for k, v in forecaster.methods_.items()},
        }
    )
    if not args.quiet:
        print(
            f"done in {seconds:.1f} s (season {forecaster.season_}, lookbacks {forecaster.lookbacks_}, "
            f"weight on the networks {forecaster.weight_:.1f})",
            file=sys.stderr,
        )
    bands = _bands(forecaster, None, horizon, args.level, args.quantiles)
    if bands and args.holdout and args.level:
        result["coverage"] = _coverage(fc, actual, bands, args.level)
    if args.save:
        if args.holdout:
            if not args.quiet:
                print(
                    "refitting on every value before saving (--save keeps the model of the whole series)",
                    file=sys.stderr,
                )
            forecaster.fit(Y)
        forecaster.date_labels_ = _date_labels(dates, args)
        forecaster.save(args.save)
    if args.holdout:
        labels = {
            u: (
                dates[u][len(dates[u]) - args.holdout :]
                if dates.get(u)
                else [f"{t + 1}" for t in range(len(Y[u]) - args.holdout, len(Y[u]))]
            )
            for u in fc
        }
    else:
        labels = {u: next_labels(dates.get(u), horizon, args.freq, args.dayfirst) for u in fc}
    result.update(forecasts_json(fc, labels, many, bands))
    if args.output:
        _write_output(args.output, groups, fc, labels, actual, bands, horizon, forecaster.alias)
    if args.plot:
        _plot(args, forecaster, Y, fc, bands, dates, labels, label)
    why = explaining.attach(args, forecaster, result, dates=dates)
    if args.json:
        print(json.dumps(result, default=_json_default))
        return 0
    print("\n".join(_forecast_text(args, result, fc, actual, labels, many, label, bands) + why))
    return 0


def _plot(args, forecaster, Y, fc, bands, dates, labels, label):
    """--plot: the one series with its baselines, or a grid of the first six."""

    m = forecaster.season_
    n_train = {u: len(Y[u]) - (args.holdout or 0) for u in fc}
    shade = (
        {u: {lv: (bands[u][f"lo-{lv:g}"], bands[u][f"hi-{lv:g}"]) for lv in args.level} for u in fc}
        if bands and args.level
        else {}
    )
    if len(fc) > 1:
        shown = list(fc)[:6]
        plot_many(
            args.plot,
            [(u, Y[u], n_train[u], fc[u], shade.get(u)) for u in shown],
            season=m,
            total=len(fc),
            title=str(label),
        )
        if len(fc) > len(shown) and not args.quiet:
            print(f"recurrent: note: --plot draws the first {len(shown)} of {len(fc)} series", file=sys.stderr)
        return

    uid = next(iter(fc))
    base = all_baselines(
        Y[uid][: n_train[uid]], len(fc[uid]), m, names=("seasonal_naive", "naive2") if m > 1 else ("naive",)
    )
    plot_forecast(
        args.plot,
        Y[uid],
        n_train[uid],
        fc[uid],
        labels=dates.get(uid),
        future_labels=None if args.holdout else labels[uid],
        baselines=base,
        season=m,
        bands=shade.get(uid),
        title=f"{uid}: forecast of {len(fc[uid])} steps",
    )


def _forecast_text(args, result, fc, actual, labels, many, label, bands=None):
    out = []
    if args.holdout and not many:
        uid = next(iter(fc))
        b = result["baselines"]
        out.append(f"{label}: fitted without the last {args.holdout} values, forecast them in one go")
        out.append(f"{'step':>10}  {'actual':>10}  {'model':>10}  {'naive':>10}  {'seas.naive':>10}  {'naive2':>10}")
        for k in range(args.holdout):
            out.append(
                f"{labels[uid][k]:>10}  {result['actual'][k]:10.2f}  {fc[uid][k]:10.2f}  "
                f"{b['naive'][k]:10.2f}  {b['seasonal_naive'][k]:10.2f}  {b['naive2'][k]:10.2f}"
            )
        out.append("")
    if args.holdout:
        if many:
            out.append(f"{label}: {result['n_series']} series, each fitted without its last {args.holdout} values")
            if result["left_out"]:
                out.append(f"left out (too short to hold out from): {', '.join(map(str, result['left_out']))}")
        out.append(f"{'':16}{'sMAPE':>10}{'MASE':>10}{'MAPE':>10}{'RMSE':>12}")
        for key, name in (
            ("model", "model"),
            ("naive", "naive"),
            ("seasonal_naive", "seasonal naive"),
            ("naive2", "Naive2"),
        ):
            m = result["metrics"][key]
            out.append(
                f"{name:16}{_num(m['smape'], '10.2f')}{_num(m['mase'], '10.3f')}{_num(m['mape'], '10.2f')}"
                f"{_num(m['rmse'], '12.2f')}"
            )
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
    return out + _forecast_listing(fc, labels, bands=bands, written=args.output)


def _forecast_any(args) -> int:
    """forecast: with covariates (cli/covariates.py) or without."""
    return (covariates.cmd_forecast_covariates if covariates.wanted(args) else cmd_forecast)(args)


def add_parsers(sub) -> None:
    """Add the ``forecast`` and ``predict`` subcommands to ``sub``."""
    p = sub.add_parser(
        "forecast",
        help="fit a forecaster on one series or many and forecast what comes next",
        description="Fit on one series (a CSV file, or the bundled airline passengers) or many "
        "(--id-column for a long file, --columns/--wide for one series per column) and "
        "forecast. With --holdout K: fit without each series' last K values, forecast "
        "them, and score against naive, seasonal naive and Naive2. With --save, the "
        "saved model is always fitted on every value (after --holdout it is refitted).",
    )
    add_csv_options(p)
    p.add_argument("--horizon", type=_positive_int, help="steps to forecast (default: --holdout, else 12)")
    p.add_argument("--holdout", type=_positive_int, help="hold out each series' last K values and score the forecast")
    p.add_argument(
        "--season", type=_positive_int, help="seasonal period (default: from the dates, else detected; 1: none)"
    )
    add_model_options(p)
    p.add_argument("--save", metavar="MODEL", help="save the forecaster fitted on every value (safetensors)")
    p.add_argument("--plot", metavar="PNG", help="draw history, holdout and forecast of the first series")
    p.add_argument(
        "-o",
        "--output",
        metavar="CSV",
        help="write the forecasts in long format (unique_id, ds, forecast[, actual]) to a file, or to a folder "
        "(a name ending with /): one file per input file and manifest.json, the folder written whole or not at all",
    )
    covariates.add_options(p)
    explaining.add_options(p)
    add_report_flags(p)
    p.set_defaults(func=_forecast_any)

    p = sub.add_parser(
        "predict",
        help="forecast with a saved forecaster",
        description="Without a CSV: forecast after the series the model was fitted on (they are "
        "stored in the model file). With a CSV: forecast its series, which the model "
        "may never have seen.",
    )
    p.add_argument("model", help="a file written by `recurrent forecast --save`")
    add_csv_options(p)
    p.add_argument("--horizon", type=_positive_int, help="steps to forecast (default: the model's)")
    add_scheduler_option(p)
    add_level_option(p)
    p.add_argument(
        "-o",
        "--output",
        metavar="CSV",
        help="write the forecasts in long format to a file, or to a folder (a name ending with /): one file per "
        "input file, each read, forecast and written on its own (on a worker with --scheduler), and manifest.json",
    )
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_predict)

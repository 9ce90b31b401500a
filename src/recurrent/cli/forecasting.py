"""forecast and predict: one series or many, from the bundled data or CSV files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from ..forecast.tables import forecasts_json, write_forecasts
from ._common import UsageError, _check_output_path, _json_default, _num, _positive_int, _require_matplotlib
from ._options import add_csv_options, add_level_option, add_model_options, add_report_flags, add_scheduler_option

# ---- forecast and predict ------------------------------------------------------------------------


def read_options(args) -> dict:
    """How to read the CSV files: ``tables.load_series``'s keywords from the options."""
    return dict(
        dataset=args.dataset,
        id_column=args.id_column,
        columns=args.columns,
        wide=args.wide,
        date_column=args.date_column,
        column=args.column,
        header=args.header,
        delimiter=args.delimiter,
        fill=args.fill,
        decimal=args.decimal,
        thousands=args.thousands,
        freq=getattr(args, "freq", None),
        dayfirst=getattr(args, "dayfirst", None),
    )


def csv_paths(args) -> list:
    """The files the CSV argument names: one file, or every file a pattern matches."""
    from ..forecast import parts

    if not parts.is_pattern(args.csv):
        return [args.csv]
    try:
        return parts.expand(args.csv)
    except ValueError as e:
        raise UsageError(f"recurrent: {e}") from None


def load_series(args):
    """(dict id -> values, dict id -> date labels or None, label, known season, many?, [(file, ids)]).

    A pattern ("data/*.csv") reads every file it matches (on the workers with --scheduler)."""
    from ..forecast import parts
    from ..forecast.tables import load_series

    if args.csv is None:
        given = [
            flag
            for flag, v in (("--id-column", args.id_column), ("--columns", args.columns), ("--wide", args.wide))
            if v
        ]
        if given:
            raise UsageError(
                f"recurrent: {given[0]} reads a CSV file; name one (without a file the bundled "
                f"{args.dataset} series is used)"
            )
    elif Path(args.csv).is_dir():
        raise UsageError(f"recurrent: {args.csv} is a folder, expected a CSV file")
    if args.csv is not None and parts.is_pattern(args.csv):
        paths = csv_paths(args)
        Y, dates, season, groups = parts.read_files(paths, read_options(args), scheduler_of(args))
        return Y, dates, f"{len(paths)} files matching {args.csv}", season, True, groups
    got = load_series(args.csv, **read_options(args))
    return got.series, got.dates, got.label, got.season, got.many, [(args.csv, list(got.series))]


def check_output(path) -> None:
    """-o before any work: a file name whose folder exists, or a folder (ending with /) for one file per part."""
    from ..forecast import parts

    if not parts.is_folder_target(path):
        _check_output_path(path, "-o")
        return
    try:
        parts.check_folder(path)
    except ValueError as e:
        raise UsageError(f"recurrent: -o {e}") from None


def _forecast_listing(fc, labels, title=None, limit=10, bands=None, written=None):
    """The next values of the first ``limit`` series, as text lines (``title`` names a lone series);
    with ``bands`` (id -> {"lo-80": array, ...}) a column each; ``written``: where -o put them all."""
    out = []
    for uid in list(fc)[:limit]:
        extra = (bands or {}).get(uid, {})
        out.append(f"{title if title and len(fc) == 1 else uid}: the next {len(fc[uid])} values")
        if extra:
            out.append(f"{'':>10}  {'forecast':>10}" + "".join(f"  {k:>10}" for k in extra))
        out += [
            f"{lab:>10}  {v:10.2f}" + "".join(f"  {b[k]:10.2f}" for b in extra.values())
            for k, (lab, v) in enumerate(zip(labels[uid], fc[uid]))
        ]
    if len(fc) > limit:
        where = f"all of them are in {written}" if written else "write them all with -o FILE.csv or --json"
        out.append(f"... and {len(fc) - limit} more series ({where})")
    return out


def _bands(forecaster, Y, horizon, levels):
    """id -> {"lo-80": array, "hi-80": array, ...} from predict(level=...), or None without levels."""
    if not levels:
        return None
    out = forecaster.predict(Y, horizon=horizon, level=levels)
    return {u: {k: v for k, v in d.items() if k != "forecast"} for u, d in out.items()}


def check_season(season, Y) -> None:
    """A season longer than every series cannot be learnt or used: refused before any work."""
    longest = max(len(v) for v in Y.values())
    if season is not None and season > longest:
        raise UsageError(f"recurrent: --season {season} is longer than the longest series ({longest} values)")


def make_forecaster(args, horizon, season):
    """The Forecaster the options describe, its settings checked before any data is fitted."""
    from ..forecast import Forecaster, settings

    f = Forecaster(
        cell=args.cell,
        hidden_size=args.hidden_size,
        lookbacks=args.lookback,
        horizon=horizon,
        season=season,
        n_models=args.models,
        max_steps=args.steps,
        seed=args.seed,
        progress=not args.quiet,
        scheduler=scheduler_of(args),
    )
    settings.check(f)
    return f


def scheduler_of(args):
    """The --scheduler value, checked (a one-line error for a bad one), or None."""
    value = getattr(args, "scheduler", None)
    if value is None:
        return None
    import importlib.util

    from ..forecast.cluster import check_scheduler

    if importlib.util.find_spec("distributed") is None:
        raise UsageError("recurrent: --scheduler needs Dask: pip install 'recurrent[dask]'")
    try:
        check_scheduler(value)
    except ValueError as e:
        raise UsageError(f"recurrent: --scheduler: {str(e).split(': ', 1)[1]}") from None
    return value


def cmd_forecast(args) -> int:  # noqa: C901 (to split: docs/design.md lists it)
    """Fit a Forecaster on one series or many, forecast what comes next, and (with --holdout) score it."""
    import time

    from ..forecast.files import next_labels

    for path, what in ((args.save, "--save"), (args.plot, "--plot")):
        _check_output_path(path, what)
    check_output(args.output)
    if args.plot:
        if Path(args.plot).suffix.lower() not in (".png", ".pdf", ".svg"):
            raise UsageError(f"recurrent: --plot {args.plot}: expected a .png, .pdf or .svg file name")
        _require_matplotlib()  # fail before training, not after
    Y, dates, label, known_season, many, groups = load_series(args)
    season = args.season if args.season is not None else known_season
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
    bands = _bands(forecaster, None, horizon, args.level)
    if bands and args.holdout:
        from ..forecast.metrics import coverage

        result["coverage"] = {
            f"{lv:g}": coverage(
                np.concatenate([actual[u] for u in fc]),
                np.concatenate([bands[u][f"lo-{lv:g}"] for u in fc]),
                np.concatenate([bands[u][f"hi-{lv:g}"] for u in fc]),
            )
            for lv in args.level
        }
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
    if args.json:
        print(json.dumps(result, default=_json_default))
        return 0
    print("\n".join(_forecast_text(args, result, fc, actual, labels, many, label, bands)))
    return 0


def _write_output(path, groups, fc, labels, actual, bands, horizon, alias):
    """-o: one long CSV file, or a folder of one file per input file with a manifest."""
    from ..forecast import parts

    if parts.is_folder_target(path):
        parts.write_parts(path, groups, fc, labels, actual, bands, horizon, alias)
    else:
        write_forecasts(path, fc, labels, actual, bands, alias)


def _plot(args, forecaster, Y, fc, bands, dates, labels, label):
    """--plot: the one series with its baselines, or a grid of the first six."""
    from ..plot import plot_forecast, plot_many

    m = forecaster.season_
    n_train = {u: len(Y[u]) - (args.holdout or 0) for u in fc}
    shade = (
        {u: {lv: (bands[u][f"lo-{lv:g}"], bands[u][f"hi-{lv:g}"]) for lv in args.level} for u in fc} if bands else {}
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
    from ..forecast.baselines import all_baselines

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


def cmd_predict(args) -> int:
    """Forecast with a saved forecaster: after the series it was fitted on, or after new ones from a CSV."""
    from ..forecast import Forecaster
    from ..forecast.files import next_labels
    from ..model import load

    model = load(args.model)
    if not isinstance(model, Forecaster):
        raise UsageError(f"recurrent: {args.model} holds a sequence model, not a forecaster")
    model.scheduler = scheduler_of(args)
    horizon = args.horizon or model.horizon
    check_output(args.output)
    from ..forecast import parts

    if args.csv and parts.is_folder_target(args.output):
        return _predict_parts(args, model, horizon)
    if args.csv:
        Y, dates, label, _, many, groups = load_series(args)
        _check_predict_horizon(model, Y, horizon)
        fc = model.predict(Y, horizon=horizon)
    else:
        if args.column or args.id_column or args.columns:
            raise UsageError("recurrent: --column, --id-column and --columns need a CSV file to read")
        b = model.batch_
        Y = dict(zip(b.ids, b.values))
        _check_predict_horizon(model, Y, horizon)
        fc = model.predict(Y, horizon=horizon)
        stored = getattr(model, "date_labels_", None) or {"rule": None, "tails": {}}
        dates = stored["tails"]
        label, many = f"{args.model} (after the series it was fitted on, stored in the file)", len(Y) > 1
        groups = [(args.model, list(Y))]
        if not args.json:
            print(f"{label}", file=sys.stderr)
    rule = args.freq or (None if args.csv else stored["rule"])
    labels = {u: next_labels(dates.get(u), horizon, rule, args.dayfirst) for u in fc}
    bands = _bands(model, Y, horizon, args.level)
    if args.output:
        _write_output(args.output, groups, fc, labels, None, bands, horizon, model.alias)
    if args.json:
        print(json.dumps(forecasts_json(fc, labels, many, bands)))
    else:
        print("\n".join(_forecast_listing(fc, labels, title=label, bands=bands, written=args.output)))
    return 0


def _date_labels(dates, args):
    """What a saved forecaster keeps of its series' dates: each one's last labels and the rule they
    follow (``--freq`` or inferred), so ``predict MODEL`` continues them."""
    from ..forecast import calendar

    tails = {u: list(d[-3:]) for u, d in dates.items() if d}
    if not tails:
        return None
    rule = calendar.from_alias(args.freq) if getattr(args, "freq", None) else None
    if rule is None:
        u = next(iter(tails))
        try:
            parsed = calendar.parse(dates[u], dayfirst=getattr(args, "dayfirst", None))
            rule = calendar.infer(parsed.values) if parsed is not None else None
        except ValueError:
            rule = None
    return {"rule": rule, "tails": tails}


def _check_predict_horizon(model, Y, horizon) -> None:
    """predict --horizon capped as forecast caps it: no further than the longest series is long
    (or two seasons, or the model's own horizon)."""
    longest = max(len(v) for v in Y.values())
    most = max(longest, 2 * model.season_, model.horizon)
    if horizon > most:
        raise UsageError(
            f"recurrent: --horizon {horizon} is longer than the {longest} values forecast from; "
            f"a forecast that far is an extrapolation of its own output (give at most {most})"
        )


def _predict_parts(args, model, horizon) -> int:
    """predict FILES -o FOLDER/: each file read, forecast and written on its own (on a worker with
    --scheduler); this process sees file names and the manifest only."""
    from ..forecast import parts

    paths = csv_paths(args)
    manifest = parts.predict_files(
        model, paths, args.output, horizon=horizon, level=args.level, model=str(args.model), **read_options(args)
    )
    if args.json:
        print(json.dumps(manifest))
        return 0
    for part in manifest["parts"]:
        for w in part.get("warnings", []):
            print(f"recurrent: note: {Path(part['source']).name}: {w}", file=sys.stderr)
    print(
        f"{manifest['series']} series from {len(paths)} file{'s' if len(paths) > 1 else ''}: "
        f"{manifest['rows']} forecast rows in {len(manifest['parts'])} part files under {args.output} "
        f"(listed in {parts.MANIFEST})"
    )
    return 0


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
    add_report_flags(p)
    p.set_defaults(func=cmd_forecast)

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

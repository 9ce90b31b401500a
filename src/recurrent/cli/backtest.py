"""backtest: score a forecaster from several origins at the end of each series."""

from __future__ import annotations

import json
import sys

from ..forecast.tables import write_backtest
from ._common import UsageError, _check_output_path, _json_default, _num, _positive_int
from ._options import add_csv_options, add_model_options, add_report_flags
from .series import check_season, load_series, make_forecaster


def cmd_backtest(args) -> int:
    """Rolling-origin backtest: forecast from several origins at the end of each series, score every window."""
    import time

    _check_output_path(args.output, "-o")
    Y, dates, label, known_season, many, _ = load_series(args)
    season = args.season if args.season is not None else known_season
    check_season(args.season, Y)
    horizon = args.horizon or 12
    forecaster = make_forecaster(args, horizon, season)
    need = horizon + (args.windows - 1) * (args.step or horizon) + 2
    shortest = min(len(v) for v in Y.values())
    if need > shortest:
        raise UsageError(
            f"recurrent: --windows {args.windows} of --horizon {horizon}, {args.step or horizon} apart, need "
            f"{need:,} values in each series; too short: the shortest has {shortest}"
        )
    if not args.quiet:
        print(
            f"backtesting {len(Y)} series from {label}: {args.windows} windows of {horizon}, "
            f"{'refit each window' if args.refit else 'fitted once'}...",
            file=sys.stderr,
        )
    t0 = time.perf_counter()
    report = forecaster.cross_validation(Y, n_windows=args.windows, step=args.step, refit=args.refit, level=args.level)
    seconds = time.perf_counter() - t0
    per = report.pop("forecasts")
    if args.output:
        write_backtest(args.output, per, report["cutoffs"], dates, horizon, forecaster.alias)
    report["fit_seconds"] = round(seconds, 2)
    report["cutoffs"] = {str(u): c for u, c in report["cutoffs"].items()}
    if args.json:
        print(json.dumps(report, default=_json_default))
        return 0
    cols = [("smape", "sMAPE", "10.2f"), ("mase", "MASE", "10.3f"), ("rmse", "RMSE", "12.2f")]
    for lv in args.level or []:
        cols += [(f"coverage-{lv:g}", f"cover {lv:g}", "10.1f"), (f"msis-{lv:g}", f"MSIS {lv:g}", "10.2f")]
    head = f"{'':22}" + "".join(f"{name:>{fmt.split('.')[0]}}" for _, name, fmt in cols)
    out = [
        f"{label}: {len(Y)} series, {args.windows} windows of {horizon} values, {report['step']} apart "
        f"({'refit each window' if args.refit else 'fitted once, on the oldest window'}), in {seconds:.1f} s"
    ]
    names = (("model", "model"), ("naive", "naive"), ("seasonal_naive", "seasonal naive"), ("naive2", "Naive2"))
    for title, metrics_ in [(f"window {w['window'] + 1}", w["metrics"]) for w in report["windows"]] + [
        ("all windows", report["metrics"])
    ]:
        out += ["", title, head]
        for key, name in names:
            m = metrics_[key]
            out.append(
                f"{name:22}"
                + "".join(
                    _num(m.get(c), fmt) if m.get(c) is not None or c in m else f"{'':>{fmt.split('.')[0]}}"
                    for c, _, fmt in cols
                )
            )
    print("\n".join(out))
    return 0


def add_parsers(sub) -> None:
    """Add the ``backtest`` subcommand to ``sub``."""
    p = sub.add_parser(
        "backtest",
        help="score a forecaster from several origins at the end of each series",
        description="Rolling-origin backtest: for each of --windows origins, --step values apart "
        "(default: the horizon), fit on each series' values before the origin, forecast "
        "the next --horizon values and score them (sMAPE, MASE, RMSE; coverage and MSIS "
        "with --level) beside naive, seasonal naive and Naive2 on the same windows.",
    )
    add_csv_options(p)
    p.add_argument("--horizon", type=_positive_int, default=None, help="steps forecast from each origin (default 12)")
    p.add_argument("--windows", type=_positive_int, default=3, help="how many origins (default 3)")
    p.add_argument("--step", type=_positive_int, help="values between origins (default: the horizon)")
    p.add_argument(
        "--no-refit",
        dest="refit",
        action="store_false",
        help="fit once, on the oldest window's histories, and forecast every window with it",
    )
    p.add_argument("--season", type=_positive_int, help="seasonal period (default: from the dates, else detected)")
    add_model_options(p)
    p.add_argument(
        "-o",
        "--output",
        metavar="CSV",
        help="write every window's forecasts in long format "
        "(unique_id, cutoff, ds, actual, forecast, baselines, bands)",
    )
    add_report_flags(p)
    p.set_defaults(func=cmd_backtest)

"""forecast with covariates: what the business knows ahead (--future), beside the series, per series (--static),
and from the calendar (--calendar, --holidays).

    recurrent forecast sales.csv --id-column store --future-columns price,promo --future next.csv --horizon 8
    recurrent forecast sales.csv --id-column store --calendar month --holidays US --static stores.csv

The input is a long file (id, date, value and the covariate columns); the known-ahead values over the
forecast steps come in a file of the same layout (id, date and the --future-columns). It is read whole
(pandas, the ``pandas`` extra) and fitted as ``Forecaster.fit(frame, covariates=..., future_covariates=...,
static_df=...)`` does; every bad input is one line naming the series, date and column.
"""

from __future__ import annotations

import io
import json
import sys
import time

from ..forecast.files import safe_cell
from ..safefiles import atomic_write_bytes, read_regular
from . import explaining
from ._common import UsageError
from .series import check_output, make_forecaster


def wanted(args) -> bool:
    """Whether the options ask for covariates (this path) rather than the plain series readers."""
    return any(getattr(args, k, None) for k in ("future_columns", "covariate_columns", "future", "static", "calendar",
                                                  "holidays"))  # fmt: skip


def _names(text):
    return [c.strip() for c in text.split(",") if c.strip()] if text else []


def _read_frame(path, what):
    try:
        import pandas as pd
    except ImportError:
        raise UsageError(
            "recurrent: covariates on the command line need pandas: pip install 'recurrent[pandas]'"
        ) from None
    try:
        return pd.read_csv(io.BytesIO(read_regular(path, what)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"recurrent: {path}: not a CSV file pandas can read ({str(exc)[:120]})") from None


def _columns(args, df, path) -> tuple:
    """(id, date, value) column names of the input, as the options name them, each checked to be there."""
    id_col = args.id_column or "unique_id"
    date_col = args.date_column if args.date_column not in (None, "auto") else "ds"
    value_col = args.column or "y"
    for flag, c in (("--id-column", id_col), ("--date-column", date_col), ("--column", value_col)):
        if c not in df.columns:
            have = ", ".join(map(str, df.columns))
            raise UsageError(f"recurrent: {path} has no column {c!r} ({flag}); its columns: {have}")
    return id_col, date_col, value_col


def cmd_forecast_covariates(args) -> int:
    """Fit with the covariates the options name, forecast (or score a holdout), write and print the forecasts."""
    if args.csv is None:
        raise UsageError("recurrent: covariates need a long CSV file of the series (id, date, value, covariates)")
    if args.future_columns and not args.future and not args.holdout:
        raise UsageError("recurrent: --future-columns need --future FILE.csv: their values over the forecast steps")
    check_output(args.output)
    explaining.check(args)
    if args.explain is not None and args.holdout:
        raise UsageError("recurrent: --explain with covariates explains a forecast: leave out --holdout")
    df = _read_frame(args.csv, "CSV file")
    id_col, date_col, value_col = _columns(args, df, args.csv)
    past, ahead = _names(args.covariate_columns), _names(args.future_columns)
    for c in past + ahead:
        if c not in df.columns:
            raise UsageError(f"recurrent: {args.csv} has no covariate column {c!r}")
    static = _read_frame(args.static, "static file").rename(columns={id_col: "unique_id"}) if args.static else None
    horizon = args.horizon or args.holdout or 12
    f = make_forecaster(args, horizon, args.season)
    f.set_params(calendar=_names(args.calendar) or None, holidays=args.holidays)
    cols = dict(id_col=id_col, time_col=date_col, target_col=value_col)
    t0 = time.perf_counter()
    if args.holdout:
        frame = df.rename(columns={id_col: "unique_id", date_col: "ds", value_col: "y"})
        report = f.evaluate(frame, args.holdout, past or None, future_covariates=ahead or None, static_df=static)
        report.pop("forecasts", None), report.pop("actuals", None)
        result = {
            "series": args.csv,
            "holdout": args.holdout,
            **report,
            "fit_seconds": round(time.perf_counter() - t0, 2),
        }
        print(json.dumps(result, default=str) if args.json else _holdout_text(result))
        return 0
    f.fit(df, past or None, future_covariates=ahead or None, static_df=static, **cols)
    futr = _read_frame(args.future, "future file") if args.future else None
    out = f.predict(futr_df=futr, level=args.level or None, **cols)
    seconds = time.perf_counter() - t0
    if args.save:
        f.save(args.save)
    if args.output:
        atomic_write_bytes(args.output, _csv_bytes(out))
    why = explaining.explanation(args, f, futr) if args.explain is not None else None
    if args.json:
        records = json.loads(out.to_json(orient="records", date_format="iso"))
        print(json.dumps({"forecasts": records, "explanation": why[0]}) if why else json.dumps(records))
        return 0
    if not args.quiet:
        print(f"fitted in {seconds:.1f} s with covariates {', '.join(f.cov_names_) or '(none)'}", file=sys.stderr)
    print(out.to_string(index=False, max_rows=40))
    if why:
        print("\n".join(why[1]))
    return 0


def _csv_bytes(out) -> bytes:
    """The forecasts as CSV, every text cell made safe for a spreadsheet."""
    text = out.copy()
    for c in text.columns:
        if text[c].dtype == object:
            text[c] = text[c].map(lambda v: safe_cell(str(v)))
    return text.to_csv(index=False).encode()


def _holdout_text(result) -> str:
    lines = [f"holdout of {result['holdout']} values in {result['n_series']} series of {result['series']}:"]
    for name, m in result["metrics"].items():
        lines.append(f"  {name:15s} sMAPE {m['smape']:.2f}  MASE {m['mase']:.3f}")
    return "\n".join(lines)


def add_options(p) -> None:
    """The covariate options of ``forecast``."""
    p.add_argument("--future-columns", metavar="A,B", help="columns of the input known ahead (prices, promotions)")
    p.add_argument("--future", metavar="CSV", help="their values over the forecast steps: id, date and those columns")
    p.add_argument("--covariate-columns", metavar="A,B", help="columns of the input known only up to each series' end")
    p.add_argument("--static", metavar="CSV", help="one row per series: its id and features (categories one-hot)")
    p.add_argument("--calendar", metavar="A,B", help="calendar features from the dates: month, quarter, dayofweek, "
                   "hour, weekofyear, dayofyear, dayofmonth")  # fmt: skip
    p.add_argument("--holidays", metavar="CC", help="public holidays of a country (US, DE, ...) as a feature")

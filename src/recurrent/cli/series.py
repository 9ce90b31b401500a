"""What forecast, predict and backtest share: reading the series the options name, checking the
outputs and the model's settings before any work, listing and writing the forecasts."""

from __future__ import annotations

from pathlib import Path

from ..forecast import Forecaster, calendar, parts, settings, tables
from ..forecast.cluster import check_scheduler
from ..forecast.tables import write_forecasts
from ._common import UsageError, _check_output_path


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

    if not parts.is_pattern(args.csv):
        return [args.csv]
    try:
        return parts.expand(args.csv)
    except ValueError as e:
        raise UsageError(f"recurrent: {e}") from None


def load_series(args):
    """(dict id -> values, dict id -> date labels or None, label, known season, many?, [(file, ids)]).

    A pattern ("data/*.csv") reads every file it matches (on the workers with --scheduler)."""
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
    got = tables.load_series(args.csv, **read_options(args))
    return got.series, got.dates, got.label, got.season, got.many, [(args.csv, list(got.series))]


def check_output(path) -> None:
    """-o before any work: a file name whose folder exists, or a folder (ending with /) for one file per part."""

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


def _bands(forecaster, Y, horizon, levels, quantiles=None):
    """id -> {"lo-80": array, "hi-80": array, ..., "q0.1": array, ...} from predict(level=..., quantiles=...),
    or None without levels and quantiles."""
    if not levels and not quantiles:
        return None
    out = forecaster.predict(Y, horizon=horizon, level=levels or None, quantiles=quantiles or None)
    return {u: {k: v for k, v in d.items() if k != "forecast"} for u, d in out.items()}


def check_season(season, Y) -> None:
    """A season longer than every series cannot be learnt or used: refused before any work."""
    longest = max(len(v) for v in Y.values())
    if season is not None and season > longest:
        raise UsageError(f"recurrent: --season {season} is longer than the longest series ({longest} values)")


def make_forecaster(args, horizon, season):
    """The Forecaster the options describe, its settings checked before any data is fitted."""

    f = Forecaster(
        cell=args.cell,
        hidden_size=args.hidden_size,
        lookbacks=args.lookback,
        horizon=horizon,
        season=season,
        n_models=args.models,
        max_steps=args.steps,
        seed=args.seed,
        n_jobs=getattr(args, "jobs", None),
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

    if importlib.util.find_spec("distributed") is None:
        raise UsageError("recurrent: --scheduler needs Dask: pip install 'recurrent[dask]'")
    try:
        check_scheduler(value)
    except ValueError as e:
        raise UsageError(f"recurrent: --scheduler: {str(e).split(': ', 1)[1]}") from None
    return value


def _write_output(path, groups, fc, labels, actual, bands, horizon, alias):
    """-o: one long CSV file, or a folder of one file per input file with a manifest."""

    if parts.is_folder_target(path):
        parts.write_parts(path, groups, fc, labels, actual, bands, horizon, alias)
    else:
        write_forecasts(path, fc, labels, actual, bands, alias)


def _date_labels(dates, args):
    """What a saved forecaster keeps of its series' dates: each one's last labels and the rule they
    follow (``--freq`` or inferred), so ``predict MODEL`` continues them."""

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

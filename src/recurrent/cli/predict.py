"""predict: forecast with a saved forecaster, after the series it holds or after a file's."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..forecast import Forecaster, parts
from ..forecast.files import next_labels
from ..forecast.tables import forecasts_json
from ..sequential import load
from ._common import UsageError
from .series import (
    _bands,
    _forecast_listing,
    _write_output,
    check_output,
    csv_paths,
    load_series,
    read_options,
    scheduler_of,
)


def cmd_predict(args) -> int:
    """Forecast with a saved forecaster: after the series it was fitted on, or after new ones from a CSV."""

    model = load(args.model)
    if not isinstance(model, Forecaster):
        raise UsageError(f"recurrent: {args.model} holds a sequence model, not a forecaster")
    model.scheduler = scheduler_of(args)
    horizon = args.horizon or model.horizon
    check_output(args.output)

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
    bands = _bands(model, Y, horizon, args.level, getattr(args, "quantiles", None))
    if args.output:
        _write_output(args.output, groups, fc, labels, None, bands, horizon, model.alias)
    if args.json:
        print(json.dumps(forecasts_json(fc, labels, many, bands)))
    else:
        print("\n".join(_forecast_listing(fc, labels, title=label, bands=bands, written=args.output)))
    return 0


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

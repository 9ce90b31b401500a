"""Many files in, a file per part out: collections of series kept in several CSV files.

    recurrent forecast "sales/*.csv" --id-column unique_id -o forecasts/
    recurrent predict model.safetensors "sales/*.csv" --id-column unique_id -o forecasts/ --scheduler local:2

A pattern (with ``*``, ``?`` or ``[``) names the files, taken in sorted order; each file is a
part and every series lies in one file (the same id in two files is refused, naming both).
With a scheduler the files are read on the workers. ``predict_files`` goes further: each
part is read, forecast and written on a worker, so the calling process handles file names
and small summaries only, never the series.

An output folder receives one long CSV file per part (``part-00000.csv``, ...) and
``manifest.json``, which names each part's file with its source, number of series and rows,
and SHA-256. The parts are written into a hidden folder beside the target, which is renamed
to the target once every part and the manifest are written: the folder appears whole or not
at all. A part is written atomically, so a task that Dask reruns (its worker lost) rewrites
the same file whole.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import stat
import tempfile
import warnings
from pathlib import Path

from ..safefiles import atomic_write_bytes, process_alive
from . import cluster, intervals
from .files import next_labels
from .tables import load_series, write_forecasts

MANIFEST = "manifest.json"
PATTERN_CHARS = "*?["


def is_pattern(text) -> bool:
    """Whether ``text`` is a file pattern rather than one file's name."""
    return isinstance(text, str) and any(c in text for c in PATTERN_CHARS)


def expand(pattern) -> list:
    """The files a pattern names, as absolute paths in sorted order (ValueError when there are none)."""
    found = sorted(p for p in glob.glob(os.path.expanduser(pattern)) if not os.path.isdir(p))
    if not found:
        raise ValueError(f"no file matches {pattern!r}; expected a pattern such as 'data/*.csv'")
    return [os.path.abspath(p) for p in found]


def is_folder_target(path) -> bool:
    """``-o`` names a folder (one file per part) when it ends with a slash or is an existing folder."""
    return path is not None and (str(path).endswith(("/", os.sep)) or Path(path).is_dir())


def read_file(path, options):
    """One file's series (``tables.load_series`` with ``options``)."""

    return load_series(path, **options)


def merge(loaded, paths):
    """The parts' series as one collection: (id -> values, id -> dates, season, [(file, its ids)]);
    an id in two files is refused."""
    groups = [(path, list(got.series)) for got, path in zip(loaded, paths)]
    check_one_file_each(groups)
    Y = {uid: v for got in loaded for uid, v in got.series.items()}
    dates = {uid: got.dates.get(uid) for got in loaded for uid in got.series}
    return Y, dates, loaded[0].season if loaded else None, groups


def check_one_file_each(groups) -> None:
    """ValueError naming both files where a series id is in two of ``groups``' (file, ids)."""
    origin = {}
    for source, ids in groups:
        for uid in ids:
            if uid in origin:
                raise ValueError(
                    f"series {uid!r} is in {origin[uid]} and in {source}; expected each series in one file"
                )
            origin[uid] = source


def read_files(paths, options, scheduler=None):
    """Every file's series, read on the scheduler's workers when there is one, merged as ``merge`` does."""
    if scheduler is None:
        loaded = [read_file(p, options) for p in paths]
    else:
        loaded = cluster.map_parts(scheduler, read_file, [(p, options) for p in paths])
    return merge(loaded, paths)


class Folder:
    """An output folder written whole or not at all: the parts go to a hidden folder beside the
    target, renamed to it by ``commit`` (``abandon`` removes it)."""

    def __init__(self, target):
        self.target = Path(os.path.realpath(target))  # a symlinked folder: its target is written
        check_folder(self.target)
        clean_partials(self.target)
        self.tmp = self.target.with_name(f".{self.target.name}.partial-{os.getpid()}")
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir()

    def part(self, k: int) -> str:
        """The path of part ``k`` inside the hidden folder."""
        return str(self.tmp / f"part-{k:05d}.csv")

    def commit(self, manifest: dict) -> dict:
        """Write the manifest and rename the hidden folder to the target: the folder appears whole."""

        atomic_write_bytes(self.tmp / MANIFEST, (json.dumps(manifest, indent=1) + "\n").encode())
        if self.target.is_dir():  # checked empty when the run began
            self.target.rmdir()
        os.rename(self.tmp, self.target)
        return manifest

    def abandon(self) -> None:
        """Remove the hidden folder and whatever was written into it."""
        shutil.rmtree(self.tmp, ignore_errors=True)


def check_folder(path) -> None:
    """ValueError unless ``path`` can become an output folder: new or empty (a symlink is followed),
    in a folder that exists and is writable (probed)."""
    p = Path(os.path.realpath(path))
    if p.exists() and not p.is_dir():
        raise ValueError(f"{path} is a file; expected a folder for one file per part")
    if p.is_dir() and any(p.iterdir()):
        raise ValueError(f"{path} is not empty; expected a new or empty folder (nothing there is overwritten)")
    if not p.parent.is_dir():
        raise ValueError(f"{path}: the folder {p.parent} does not exist")
    try:
        probe = tempfile.mkdtemp(prefix=f".{p.name}.", suffix=".probe", dir=p.parent)
        os.rmdir(probe)
    except OSError as e:
        raise ValueError(f"{path}: the folder {p.parent} is not writable ({e.strerror})") from None


def clean_partials(target: Path) -> list:
    """Remove the hidden ``.<name>.partial-<pid>`` folders a killed run left beside ``target``
    (ours, their process gone). Returns the names removed."""

    removed = []
    prefix = f".{target.name}.partial-"
    try:
        names = os.listdir(target.parent)
    except OSError:
        return removed
    for name in names:
        pid = name[len(prefix) :]
        if not name.startswith(prefix) or not pid.isdigit() or process_alive(int(pid)):
            continue
        p = target.parent / name
        try:
            st = os.lstat(p)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid():
            shutil.rmtree(p, ignore_errors=True)
            removed.append(name)
    return removed


def entry(out_path, data: bytes, source, n_series, ids) -> dict:
    """A part's line in the manifest from the bytes written to ``out_path`` (with its ids and
    header, which the manifest takes and leaves out)."""
    return {
        "file": Path(out_path).name,
        "source": source,
        "series": n_series,
        "rows": data.count(b"\n") - 1,
        "sha256": hashlib.sha256(data).hexdigest(),
        "ids": ids,
        "columns": data[: data.index(b"\n")].decode().split(","),
    }


def _manifest(entries, horizon, sources, model=None) -> dict:
    check_one_file_each([(src, e["ids"]) for e, src in zip(entries, sources)])
    columns = max((e["columns"] for e in entries), key=len)  # a part without series has no band columns
    parts = [{k: v for k, v in e.items() if k not in ("ids", "columns")} for e in entries]
    return {
        "format": "recurrent forecasts: one long CSV file per part",
        "columns": columns,
        "horizon": horizon,
        "model": model,
        "series": sum(p["series"] for p in parts),
        "rows": sum(p["rows"] for p in parts),
        "parts": parts,
    }


def write_parts(folder, groups, fc, labels, actual=None, bands=None, horizon=None, alias="recurrent") -> dict:
    """Forecasts held in this process written as one file per part: ``groups`` is a list of
    (source, ids); returns the manifest."""

    out = Folder(folder)
    try:
        entries = []
        for k, (source, ids) in enumerate(groups):
            path = out.part(k)
            pick = [u for u in ids if u in fc]
            data = write_forecasts(
                path,
                {u: fc[u] for u in pick},
                labels,
                None if actual is None else {u: actual[u] for u in pick},
                None if bands is None else {u: bands[u] for u in pick},
                alias,
            )
            entries.append(entry(path, data, source, len(pick), [str(u) for u in pick]))
        return out.commit(_manifest(entries, horizon, [g[0] for g in groups]))
    except BaseException:
        out.abandon()
        raise


def predict_file(forecaster, source, options, horizon, levels, out_path) -> dict:
    """One part, wherever it runs: read ``source``, forecast its series, write them to ``out_path``
    (atomically); returns the part's manifest entry and the warnings the forecast gave."""

    got = read_file(source, options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = forecaster.predict(got.series, horizon=horizon, level=list(levels) or None)
    if levels:
        fc = {u: d["forecast"] for u, d in out.items()}
        bands = {u: {k: v for k, v in d.items() if k != "forecast"} for u, d in out.items()}
    else:
        fc, bands = out, None
    labels = {u: next_labels(got.dates.get(u), horizon, got.freq) for u in fc}
    data = write_forecasts(out_path, fc, labels, bands=bands, alias=forecaster.alias)
    e = entry(out_path, data, source, len(fc), [str(u) for u in fc])
    e["warnings"] = sorted({str(w.message) for w in caught})
    return e


def predict_files(forecaster, paths, folder, horizon=None, level=None, model=None, **options) -> dict:
    """Forecast every file's series into ``folder`` (one file per part, plus the manifest),
    each part read, forecast and written on a worker of the forecaster's scheduler, or here in
    turn without one. ``options``: how to read the files (``tables.load_series``'s keywords).
    Returns the manifest, each part's entry with the warnings its forecast gave."""

    forecaster._check_fitted()
    levels = intervals.check_levels(level)
    horizon = forecaster.horizon if horizon is None else horizon
    paths = [os.path.abspath(p) for p in paths]
    out = Folder(folder)
    try:
        args = [(p, options, horizon, levels, out.part(k)) for k, p in enumerate(paths)]
        if forecaster.scheduler is None:
            entries = [predict_file(forecaster, *a) for a in args]
        else:
            entries = cluster.map_parts(forecaster.scheduler, predict_file, args, shared=forecaster)
        notes = [e.pop("warnings") for e in entries]
        manifest = _manifest(entries, horizon, paths, model)
        for part, w in zip(manifest["parts"], notes):
            if w:
                part["warnings"] = w
        return out.commit(manifest)
    except BaseException:
        out.abandon()
        raise

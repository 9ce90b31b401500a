"""A fitted Forecaster in one safetensors file: the networks, the training series, the settings.

Tensors: ``net{k}/<parameter>`` for each network, ``series/values`` and
``series/lengths`` (the training series, so ``predict()`` after loading forecasts after
them, as before saving). Metadata: the settings, what the fit learnt (season,
lookbacks, the weight on the networks), the series' ids, their container and how
their dates continue. The file's checksum covers all of it (``recurrent.store``).
"""

from __future__ import annotations

import re

import numpy as np

from .. import store
from ..layers import Patches
from ..sequential import model_from_meta
from . import calendar, exog, frames, panel, settings
from .network import ForecastNet
from .windows import Panel

SERIES_KINDS = ("array", "list", "dict", "frame")
_FREQ = re.compile(r"^[0-9]{0,6}[A-Za-z]{1,6}(-[A-Za-z]{1,6})?$")  # a pandas alias: "MS", "W-SUN", "30min"


def _ds_meta(batch):
    """How each series' dates continue: the last date and frequency, or the last integer and step."""
    if batch.dates is None:
        return None
    out = []
    for d in batch.dates:
        arr = np.asarray(d)
        if np.issubdtype(arr.dtype, np.datetime64):
            out.append({"last": str(d[-1]), "freq": batch.freq or (frames.infer_freq([d]) if len(d) >= 3 else None)})
        elif np.issubdtype(arr.dtype, np.integer):
            step = int(np.median(np.diff(arr))) if len(arr) > 1 else 1
            out.append({"last": int(arr[-1]), "step": step})
        elif batch.rule is not None:  # dates given as text: their last labels, continued by the rule
            out.append({"labels": [str(v) for v in arr[-3:]]})
        else:
            out.append(None)
    return out


def _ds_rebuild(entries):
    if entries is None:
        return None, None
    import pandas as pd

    dates, freq = [], None
    for e in entries:
        if e is None:
            dates.append(None)
        elif "labels" in e:
            dates.append(pd.Index(e["labels"], dtype=object))
        elif "freq" in e:
            freq = freq or e["freq"]
            dates.append(pd.DatetimeIndex([pd.Timestamp(e["last"])]))
        else:
            dates.append(np.array([e["last"] - e["step"], e["last"]], dtype=np.int64))
    return dates, freq


def save_forecaster(f, path) -> None:
    """Write a fitted Forecaster ``f`` to ``path`` (see the module docstring for the layout)."""
    b = f.batch_
    tensors = {"series/values": np.concatenate(b.values), "series/lengths": np.array([len(v) for v in b.values])}
    if getattr(f, "n_covariates_", 0):
        meta_covariates = exog.layout_json(f)
        tensors["series/covariates"] = np.ascontiguousarray(np.concatenate(b.covariates), dtype=np.float64)
        tensors["covariates/mean"] = np.asarray(f.cov_mean_, dtype=np.float64)
        tensors["covariates/std"] = np.asarray(f.cov_std_, dtype=np.float64)
    if getattr(f, "calibration_", None) is not None:
        tensors["intervals/scores"] = np.ascontiguousarray(f.calibration_, dtype=np.float32)
    layers = []
    for k, (_, net) in enumerate(f.networks_):
        tensors.update({f"net{k}/{name}": v for name, v in net.state_dict().items()})
        layers.append(net.config())
    ids = [i.item() if isinstance(i, np.generic) else i for i in b.ids]
    if not all(isinstance(i, (int, str)) and not isinstance(i, bool) for i in ids):
        ids = [str(i) for i in ids]
    meta = {
        "kind": "forecaster",
        "settings": {k: getattr(f, k) for k in settings.SETTINGS},  # never the scheduler: a run-time choice
        "layers": layers,
        "fitted": {
            "season": int(f.season_),
            "lookbacks": [int(L) for L, _ in f.networks_],
            "weight": float(f.weight_),
            "theta_share": float(getattr(f, "theta_share_", 1.0)),
            "methods": [f.methods_.get(i) for i in b.ids],
            "skipped": [str(i) for i in f.skipped_],
        },
        "series": {"kind": b.kind, "ids": ids, "dates": _ds_meta(b), "freq": b.freq},
    }
    if getattr(f, "n_covariates_", 0):
        meta["covariates"] = meta_covariates
    if b.kind == "frame":
        meta["series"]["frame"] = {"library": b.library, "columns": list(b.columns)}
        meta["series"]["rule"] = calendar.rule_to_json(b.rule)
    labels = getattr(f, "date_labels_", None)
    if labels:  # the date labels a file's series ended with (the command line's): predict continues them
        tails = [labels["tails"].get(i) for i in b.ids]
        meta["series"]["labels"] = {"rule": calendar.rule_to_json(labels["rule"]), "tails": tails}
    store.save_file(path, tensors, meta)


def _fail(what):
    raise ValueError(what)


def _int(name, v, lo=0, hi=None):
    if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
        _fail(f"`{name}` must be a whole number in [{lo}, {hi if hi is not None else 'inf'}], got {str(v)[:40]}")
    return v


def _list(name, v, n=None):
    if not isinstance(v, list) or (n is not None and len(v) != n):
        _fail(f"`{name}` must be a list{'' if n is None else f' of {n}'}, got {str(v)[:60]}")
    return v


def read_settings(cls, raw):
    """A Forecaster from a file's settings: an allow-list of keys, each value checked as ``fit``
    checks it. Nothing from a file chooses a scheduler, a host, a path or code."""
    if not isinstance(raw, dict):
        _fail(f"`settings` must be an object, got {type(raw).__name__}")
    for key in raw:
        if key not in settings.SETTINGS:
            _fail(
                f"setting {str(key)[:60]!r} is not one a file may carry (it may carry {', '.join(settings.SETTINGS)})"
            )
    f = cls(**raw)
    settings.check(f)
    if f.seed is not None:
        _int("seed", f.seed)
    if not isinstance(f.progress, bool):
        _fail(f"`progress` must be true or false, got {str(f.progress)[:40]}")
    return f


def _check_series(s, n_series):
    if not isinstance(s, dict):
        _fail(f"`series` must be an object, got {type(s).__name__}")
    if s.get("kind") not in SERIES_KINDS:
        _fail(f"series `kind` must be one of {', '.join(SERIES_KINDS)}, got {str(s.get('kind'))[:40]}")
    ids = _list("series.ids", s.get("ids"), n_series)
    if not all(isinstance(i, (int, str)) and not isinstance(i, bool) for i in ids):
        _fail("series ids must be whole numbers or strings")
    if len(set(ids)) != len(ids):
        seen = set()
        dup = next(i for i in ids if i in seen or seen.add(i))
        _fail(f"series id {str(dup)[:60]!r} appears twice")
    freq = s.get("freq")
    if freq is not None and not (isinstance(freq, str) and _FREQ.match(freq)):
        _fail(f"series `freq` must be a frequency alias such as 'MS' or 'W-SUN', got {str(freq)[:40]!r}")
    dates = s.get("dates")
    if dates is None:
        return
    for e in _list("series.dates", dates, n_series):
        if e is None:
            continue
        if not isinstance(e, dict):
            _fail(f"a series' dates must be an object or null, got {str(e)[:60]}")
        if "labels" in e:
            if not (
                isinstance(e["labels"], list)
                and 0 < len(e["labels"]) <= 3
                and all(isinstance(x, str) and len(x) <= 64 for x in e["labels"])
            ):
                _fail("a series' last date labels must be up to 3 short strings")
        elif "freq" in e:
            if e["freq"] is not None and not (isinstance(e["freq"], str) and _FREQ.match(e["freq"])):
                _fail(f"a series' date frequency must be an alias such as 'MS', got {str(e['freq'])[:40]!r}")
            try:
                np.datetime64(e["last"])
            except (KeyError, TypeError, ValueError):
                _fail(f"a series' last date must be an ISO date, got {str(e.get('last'))[:40]!r}")
        else:
            _int("dates.last", e.get("last"), lo=-(2**62), hi=2**62)
            _int("dates.step", e.get("step"), lo=1, hi=2**40)


def load_forecaster(cls, tensors, meta, path="forecaster"):
    """The Forecaster a file describes (``cls`` is the Forecaster class), every value checked first."""
    try:
        f = read_settings(cls, meta["settings"])
        fitted, s = meta["fitted"], meta["series"]
        if not isinstance(fitted, dict):
            _fail(f"`fitted` must be an object, got {type(fitted).__name__}")
        f.season_ = _int("fitted.season", fitted["season"], lo=1, hi=settings.MAX_SEASON)
        weight = fitted["weight"]
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not (0 <= weight <= 1):
            _fail(f"`fitted.weight` must be a number in [0, 1], got {str(weight)[:40]}")
        f.weight_ = float(weight)
        share = fitted.get("theta_share", 1.0)  # files saved before the damped member: Theta alone
        if share not in (1.0, 0.5, 0.0) or isinstance(share, bool):
            _fail(f"`fitted.theta_share` must be 1, 0.5 or 0, got {str(share)[:40]}")
        f.theta_share_ = float(share)
        _read_networks(f, tensors, meta, fitted, path)
        f.batch_ = _read_series(f, tensors, s)
        exog.read_layout(f, meta.get("covariates"), f.n_covariates_)
        for _, net in f.networks_:  # a readout of the known-ahead covariates exactly when the layout has them
            k = getattr(net, "n_future", 0)
            if k != f.n_future_:
                _fail(f"a network reads {k} known-ahead covariates, the layout has {f.n_future_}")
        ids = f.batch_.ids
        methods = _list("fitted.methods", fitted["methods"], len(ids))
        if not all(m is None or (isinstance(m, str) and len(m) < 200) for m in methods):
            _fail("`fitted.methods` must hold short strings or null")
        f.methods_ = {i: m for i, m in zip(ids, methods) if m is not None}
        skipped = _list("fitted.skipped", fitted["skipped"])
        if not all(isinstance(i, str) for i in skipped):
            _fail("`fitted.skipped` must hold strings")
        f.skipped_ = list(skipped)
        if s.get("labels") is not None:
            f.date_labels_ = _read_labels(s["labels"], ids)
        f.records_ = []
        f.calibration_ = tensors.get("intervals/scores")  # absent in files saved before intervals
        if f.calibration_ is not None and (f.calibration_.ndim != 2 or f.calibration_.shape[1] != f.horizon):
            _fail(f"interval scores of shape {f.calibration_.shape} for horizon {f.horizon}")
        if f.calibration_ is not None and not np.all(np.isfinite(f.calibration_)):
            _fail("the interval scores hold NaN or infinity")
    except (KeyError, TypeError, ValueError, OverflowError, IndexError, RecursionError) as exc:
        raise ValueError(f"{path}: the forecaster description is damaged or not allowed ({str(exc)[:300]})") from None
    return f


def _read_networks(f, tensors, meta, fitted, path) -> None:
    """``f.networks_`` (lookback, network) and their patch sizes, each declared size checked."""
    lookbacks = _list("fitted.lookbacks", fitted["lookbacks"])
    layers = _list("layers", meta["layers"])
    per_net = bool(layers) and isinstance(layers[0], (list, dict))  # older files: one description for all
    if per_net and len(layers) != len(lookbacks):
        _fail(f"{len(layers)} network descriptions for {len(lookbacks)} lookbacks")
    prefixes = {name.split("/", 1)[0] for name in tensors if name.startswith("net")}
    if len(prefixes) != len(lookbacks):
        _fail(f"{len(prefixes)} networks' tensors for {len(lookbacks)} lookbacks")
    f.networks_ = []
    for k, L in enumerate(lookbacks):
        _int("fitted.lookbacks", L, lo=1, hi=settings.MAX_SEASON * 4)
        prefix = f"net{k}/"
        part = {name[len(prefix) :]: v for name, v in tensors.items() if name.startswith(prefix)}
        own = layers[k] if per_net else layers
        net = (
            ForecastNet.from_meta(own, part, path)
            if isinstance(own, dict)
            else model_from_meta({"layers": own}, part, path)
        )
        f.networks_.append((int(L), net))
    sizes = {L: net.layers[0].size if isinstance(net.layers[0], Patches) else 1 for L, net in f.networks_}
    f.lookbacks_ = sorted(sizes)
    f.patches_ = [sizes[L] for L in f.lookbacks_]


def _read_series(f, tensors, s) -> panel.Batch:
    """The training series (values, ids, dates, covariates, a frame's library and columns), checked."""
    values_t, lengths_t = tensors["series/values"], tensors["series/lengths"]
    if values_t.ndim != 1 or lengths_t.ndim != 1 or not np.issubdtype(lengths_t.dtype, np.integer):
        _fail("series/values and series/lengths must be one-dimensional, the lengths whole numbers")
    lengths = lengths_t.astype(np.int64)
    if len(lengths) == 0 or lengths.min() < 0 or int(lengths.sum()) != len(values_t):
        _fail(f"series lengths summing to {int(lengths.sum())} for {len(values_t)} values")
    if not np.all(np.isfinite(values_t)):
        _fail("the series values hold NaN or infinity")
    _check_series(s, len(lengths))
    pn = Panel([])
    pn.values, pn.length = values_t, lengths
    pn.start = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    values = [pn.series(i).copy() for i in range(len(lengths))]
    dates, freq = _ds_rebuild(s.get("dates"))
    covs = _read_covariates(f, tensors, pn.start, lengths)
    batch = panel.Batch(s["kind"], list(s["ids"]), values, dates, s.get("freq") or freq, covs)
    frame = s.get("frame")
    if frame is not None:
        cols = frame.get("columns") if isinstance(frame, dict) else None
        if (
            not isinstance(frame, dict)
            or frame.get("library") not in ("pandas", "polars", "arrow")
            or not isinstance(cols, list)
            or len(cols) != 3
            or not all(isinstance(c, str) and 0 < len(c) <= 64 for c in cols)
        ):
            _fail("`series.frame` must name a library (pandas, polars, arrow) and three column names")
        batch.library, batch.columns = frame["library"], tuple(cols)
        batch.rule = calendar.rule_from_json(s.get("rule"))
    return batch


def _read_covariates(f, tensors, starts, lengths):
    """Each series' covariates and their standardisation, or None; ``f.n_covariates_`` set."""
    covs = None
    if "series/covariates" in tensors:
        flat = tensors["series/covariates"]
        if flat.ndim != 2 or len(flat) != int(lengths.sum()):
            _fail(f"covariates of shape {flat.shape} for {int(lengths.sum())} values")
        mean, std = tensors["covariates/mean"], tensors["covariates/std"]
        if mean.shape != (flat.shape[1],) or std.shape != (flat.shape[1],) or not np.all(std > 0):
            _fail(f"covariate mean {mean.shape} and std {std.shape} for {flat.shape[1]} covariates")
        covs = [flat[a : a + n].copy() for a, n in zip(starts, lengths)]
        f.cov_mean_, f.cov_std_ = mean, std
    f.n_covariates_ = 0 if covs is None else covs[0].shape[1]
    return covs


def _read_labels(labels, ids) -> dict:
    """The command line's date continuation (each series' last labels and the rule), checked."""
    if not isinstance(labels, dict) or set(labels) != {"rule", "tails"}:
        _fail("`series.labels` must hold rule and tails")
    tails = _list("series.labels.tails", labels["tails"], len(ids))
    for t in tails:
        if t is not None and not (
            isinstance(t, list) and len(t) <= 3 and all(isinstance(x, str) and len(x) <= 64 for x in t)
        ):
            _fail("`series.labels.tails` must hold up to 3 short date labels per series")
    return {"rule": calendar.rule_from_json(labels["rule"]), "tails": {i: t for i, t in zip(ids, tails) if t}}

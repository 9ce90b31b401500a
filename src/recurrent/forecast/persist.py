"""A fitted Forecaster in one safetensors file: the networks, the training series, the settings.

Tensors: ``net{k}/<parameter>`` for each network, ``series/values`` and
``series/lengths`` (the training series, so ``predict()`` after loading forecasts after
them, as before saving). Metadata: the settings, what the fit learnt (season,
lookbacks, the weight on the networks), the series' ids, their container and how
their dates continue. The file's checksum covers all of it (``recurrent.io``).
"""

from __future__ import annotations

import numpy as np

from .. import io
from ..layers import Patches
from ..model import model_from_meta
from . import panel
from .windows import Panel


def _ds_meta(batch):
    """How each series' dates continue: the last date and frequency, or the last integer and step."""
    if batch.dates is None:
        return None
    out = []
    for d in batch.dates:
        arr = np.asarray(d)
        if np.issubdtype(arr.dtype, np.datetime64):
            out.append({"last": str(d[-1]), "freq": batch.freq or (panel.infer_freq([d]) if len(d) >= 3 else None)})
        elif np.issubdtype(arr.dtype, np.integer):
            step = int(np.median(np.diff(arr))) if len(arr) > 1 else 1
            out.append({"last": int(arr[-1]), "step": step})
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
        elif "freq" in e:
            freq = freq or e["freq"]
            dates.append(pd.DatetimeIndex([pd.Timestamp(e["last"])]))
        else:
            dates.append(np.array([e["last"] - e["step"], e["last"]], dtype=np.int64))
    return dates, freq


def save_forecaster(f, path) -> None:
    b = f.batch_
    tensors = {"series/values": np.concatenate(b.values), "series/lengths": np.array([len(v) for v in b.values])}
    if getattr(f, "n_covariates_", 0):
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
        "settings": f.get_params(),
        "layers": layers,
        "fitted": {
            "season": int(f.season_),
            "lookbacks": [int(L) for L, _ in f.networks_],
            "weight": float(f.weight_),
            "methods": [f.methods_.get(i) for i in b.ids],
            "skipped": [str(i) for i in f.skipped_],
        },
        "series": {"kind": b.kind, "ids": ids, "dates": _ds_meta(b), "freq": b.freq},
    }
    io.save_file(path, tensors, meta)


def load_forecaster(cls, tensors, meta, path="forecaster"):
    """The Forecaster a file describes (``cls`` is the Forecaster class)."""
    try:
        f = cls(**meta["settings"])
        fitted, s = meta["fitted"], meta["series"]
        f.season_, f.weight_ = int(fitted["season"]), float(fitted["weight"])
        f.networks_ = []
        for k, L in enumerate(fitted["lookbacks"]):
            prefix = f"net{k}/"
            part = {name[len(prefix) :]: v for name, v in tensors.items() if name.startswith(prefix)}
            own = meta["layers"][k] if isinstance(meta["layers"][0], list) else meta["layers"]  # older: one for all
            f.networks_.append((int(L), model_from_meta({"layers": own}, part, path)))
        sizes = {L: net.layers[0].size if isinstance(net.layers[0], Patches) else 1 for L, net in f.networks_}
        f.lookbacks_ = sorted(sizes)
        f.patches_ = [sizes[L] for L in f.lookbacks_]
        lengths = tensors["series/lengths"].astype(np.int64)
        pn = Panel([])
        pn.values, pn.length = tensors["series/values"], lengths
        pn.start = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        values = [pn.series(i).copy() for i in range(len(lengths))]
        ids = list(s["ids"])
        if len(ids) != len(values):
            raise ValueError(f"{len(ids)} ids for {len(values)} series")
        dates, freq = _ds_rebuild(s.get("dates"))
        covs = None
        if "series/covariates" in tensors:
            flat = tensors["series/covariates"]
            if flat.ndim != 2 or len(flat) != int(lengths.sum()):
                raise ValueError(f"covariates of shape {flat.shape} for {int(lengths.sum())} values")
            covs = [flat[a : a + n].copy() for a, n in zip(pn.start, lengths)]
            f.cov_mean_, f.cov_std_ = tensors["covariates/mean"], tensors["covariates/std"]
        f.n_covariates_ = 0 if covs is None else covs[0].shape[1]
        f.batch_ = panel.Batch(s["kind"], ids, values, dates, s.get("freq") or freq, covs)
        f.methods_ = {i: m for i, m in zip(ids, fitted["methods"]) if m is not None}
        f.skipped_ = list(fitted["skipped"])
        f.records_ = []
        f.calibration_ = tensors.get("intervals/scores")  # absent in files saved before intervals
        if f.calibration_ is not None and (f.calibration_.ndim != 2 or f.calibration_.shape[1] != f.horizon):
            raise ValueError(f"interval scores of shape {f.calibration_.shape} for horizon {f.horizon}")
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: the forecaster description is damaged ({exc})") from None
    return f

"""A fitted Forecaster as portable files: one ONNX graph per network and a JSON recipe.

    recurrent export forecaster.safetensors --to onnx -o forecaster_onnx/
    recurrent.forecast.export_onnx(f, "forecaster_onnx/")

The folder holds ``network0.onnx``, ``network1.onnx``, ... and ``forecaster.json``. Each
graph maps windows ``x`` (N, lookback, 2 + K) float32 to ``y`` (N, horizon): log-ratios of
the next values to the window's last one. The recipe that turns a series into a
forecast with them (what ``Forecaster.predict`` does for one horizon) is written in
``forecaster.json`` and here:

    shift = 0 if min(y) > 0 else -min(y) + mean(|y|)      the series made positive
    z     = log(y + shift)
    for each network (lookback L):
        x[k, 0] = z[n - L + k] - z[n - 1]   (0 before the series starts)    k = 0..L-1
        x[k, 1] = 1 before the series starts, else 0                         (padding flag)
        x[k, 2:] = (covariates[n - L + k] - mean) / std  (0 before the start; K of them, if any)
        out_j   = z[n - 1] + network_j(x)                                     (horizon,)
    log_f = median over the networks of out_j
    log_f = w * log_f + (1 - w) * theta                  only when w < 1 (``weight_on_networks``)
    forecast = exp(log_f) - shift
    bands    = exp(log_f + scale * quantiles) - shift        the calibrated 80% and 95% intervals (``intervals``)

``examples/onnx_forecast.py`` runs this recipe, Theta and the intervals included, with nothing but NumPy
and onnxruntime (checked against ``predict`` to 1e-5).

``theta`` is ``recurrent.forecast.hybrid.log_theta(y + shift, horizon, season, share)``: the
classic Theta method on the log of the series seasonally adjusted by classical
multiplicative decomposition (when the lag-``season`` autocorrelation is significant
at 90%), fitted on at most the latest 5,000 values; ``share`` (``theta_share``: 1, 0.5 or 0)
of it beside ``1 - share`` of the last adjusted value carried forward (Naive2). A forecaster fitted with
``combine="networks"`` has w = 1 and needs nothing but the graphs.

A forecaster fitted with known-ahead covariates (future covariates, calendar features,
holidays: the last ``known_ahead`` of ``covariates``) has graphs with a second input,
``future`` (N, horizon * K_f): their standardised values at the forecast steps, step by step
(step 1's K_f values, then step 2's, ...); the graph adds their readout to the window's. Series the
forecaster gives the naive forecast (fewer than ``min_length`` values, or constant)
repeat their last value. Beyond the horizon, ``predict`` appends the forecast to the
series and runs the recipe again.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from ..interop.onnx import to_onnx
from ..layers import Patches
from ..safefiles import atomic_write_bytes
from . import intervals
from .network import ForecastNet

FORMAT = "recurrent-forecaster-onnx"


def recipe(f) -> dict:
    """The description ``forecaster.json`` holds (without writing anything)."""
    nets = []
    for k, (L, net) in enumerate(f.networks_):
        first = net.layers[0]
        nets.append(
            {"file": f"network{k}.onnx", "lookback": int(L), "patch": first.size if isinstance(first, Patches) else 1}
        )
    return {
        "format": FORMAT,
        "version": 1,
        "horizon": int(f.horizon),
        "season": int(f.season_),
        "min_length": int(f.min_length),
        "networks": nets,
        "input": "x (N, lookback, 2 + K) float32: [z[t] - z[n-1], 0, c[t]] for t inside the series, [0, 1, 0] "
        "before it; z = log(y + shift), shift = 0 if min(y) > 0 else -min(y) + mean(|y|); c[t] = "
        "(covariates[t] - covariates_mean) / covariates_std (K = 0 without covariates)",
        "covariates": [str(n) for n in getattr(f, "cov_names_", [])],
        "known_ahead": int(getattr(f, "n_future_", 0)),
        "future": "future (N, horizon * K_f) float32, only when known_ahead = K_f > 0: the last K_f covariates at "
        "the forecast steps n..n+horizon-1, standardised as c[t], step-major",
        "covariates_mean": [float(v) for v in getattr(f, "cov_mean_", [])] if getattr(f, "n_covariates_", 0) else [],
        "covariates_std": [float(v) for v in getattr(f, "cov_std_", [])] if getattr(f, "n_covariates_", 0) else [],
        "output": "y (N, horizon): z of the next values minus z[n-1]",
        "combine": {
            "networks": "median",
            "weight_on_networks": float(f.weight_),
            "theta_share": float(getattr(f, "theta_share_", 1.0)),
            "other": "theta: recurrent.forecast.hybrid.log_theta(y + shift, horizon, season, theta_share), "
            "log values: theta_share * Theta + (1 - theta_share) * Naive2 of the seasonally adjusted log series; "
            "used only when weight_on_networks < 1",
        },
        "forecast": "exp(w * (z[n-1] + median_j network_j(x_j)) + (1 - w) * theta) - shift",
        "fallback": "series with fewer than min_length values: the last value repeated (log_f = z[n-1]), with its "
        "bands; a constant series: its value, the bands of zero width",
        "dates": _dates(f),
        "intervals": _intervals(f),
    }


def _intervals(f) -> dict | None:
    """The calibrated quantiles of the normalised log error (rows lo-80, hi-80, lo-95, hi-95, one column per
    step) and how a series' bands follow from them."""
    if getattr(f, "calibration_", None) is None:
        return None
    qt = intervals.calibrated(f.calibration_, [80, 95], [], f.horizon)
    return {
        "rows": ["lo-80", "hi-80", "lo-95", "hi-95"],
        "quantiles": [[float(v) for v in row] for row in qt],
        "band": "exp(log_f + scale * quantiles[row]) - shift, scale = max(sqrt(mean |z[t] - z[t-m]|), 0.03) over "
        "the latest 5,000 values (lag 1 when the series is not longer than m + 1); clipped at 0 with log_f for "
        "a series never below 0 (examples/onnx_forecast.py)",
    }


def _dates(f) -> dict | None:
    """How the forecast's dates continue: the calendar rule (a pandas alias and its parts) the
    series' dates follow, or None where the series had no dates."""
    rule = getattr(f.batch_, "rule", None) or (getattr(f, "date_labels_", None) or {}).get("rule")
    if rule is None:
        return None
    return {
        "rule": rule.alias,
        "unit": rule.unit,
        "n": rule.n,
        "anchor": rule.anchor,
        "continue": "each forecast step is the next date by the rule after the series' last date "
        "(recurrent.forecast.calendar.advance): months by month count, business days skipping weekends",
    }


def export_onnx(f, directory, opset=14) -> Path:
    """Write ``f``'s networks and recipe into ``directory`` (created whole, or not at all)."""
    if not hasattr(f, "networks_"):
        raise ValueError("export_onnx: the Forecaster is not fitted yet: call fit(Y) first")
    target = Path(directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ValueError(f"export_onnx: {target} exists and is not an empty folder; name a new folder")
    if not target.parent.is_dir():
        raise ValueError(f"export_onnx: the folder {target.parent} does not exist")
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        desc = recipe(f)
        for entry, (_, net) in zip(desc["networks"], f.networks_):
            if isinstance(net, ForecastNet):
                atomic_write_bytes(tmp / entry["file"], with_future_input(net, opset).SerializeToString())
            else:
                to_onnx(net, tmp / entry["file"], opset=opset)
        (tmp / "forecaster.json").write_text(json.dumps(desc, indent=1) + "\n")
        if target.exists():
            target.rmdir()
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def with_future_input(net: ForecastNet, opset: int = 14):
    """The ONNX model of a network with a future readout: the window network's graph, a second input ``future``
    (N, H K) and ``y = window(x) + future W^T + b`` (Gemm and Add), checked by onnx's full checker."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = to_onnx(net.window, None, opset=opset)
    g = model.graph
    for node in g.node:  # the window's output becomes an intermediate value
        node.output[:] = ["window_y" if o == "y" else o for o in node.output]
    H, K = net.horizon, net.n_future
    g.input.append(helper.make_tensor_value_info("future", TensorProto.FLOAT, ["N", H * K]))
    g.initializer.extend(
        [
            numpy_helper.from_array(np.asarray(net.future.params["weight"], dtype=np.float32), "future_W"),
            numpy_helper.from_array(np.asarray(net.future.params["bias"], dtype=np.float32), "future_b"),
        ]
    )
    g.node.extend(
        [
            helper.make_node("Gemm", ["future", "future_W", "future_b"], ["future_y"], transB=1),
            helper.make_node("Add", ["window_y", "future_y"], ["y"]),
        ]
    )
    onnx.checker.check_model(model, full_check=True)
    return model

"""Sequential models: layers composed, trained, evaluated, saved.

    model = Sequential([LSTM(3, 16, seed=0), LastStep(), Linear(16, 2, seed=1)])
    history = model.fit(X, Y, loss="mse", optimizer=Adam(lr=1e-2), epochs=50, seed=0)
    model.predict(X_new); model.evaluate(X_test, Y_test); model.save("model.safetensors")
    model = recurrent.load("model.safetensors")

Parameters are named as PyTorch's ``nn.Sequential`` names them: ``"0.weight_ih_l0"``,
``"2.weight"``. ``model.params`` holds the layers' own arrays (not copies), so an
optimizer updating it in place updates the layers.
"""

from __future__ import annotations

import inspect
import os
from typing import TYPE_CHECKING

import numpy as np

from . import losses, store
from ._checks import positive_int, shape_str
from .layers import GRU, LSTM, RNN, LastStep, Linear, Patches
from .layers import lengths as lengths_
from .layers.module import Module, in_mode, without_init
from .train import check_data, fit, mean_loss

LAYER_TYPES = {cls.__name__: cls for cls in (LSTM, GRU, RNN, Linear, LastStep, Patches)}


def _layer_config(layer) -> dict:
    cfg = dict(layer._config())
    if cfg.get("dtype") is not None:
        cfg["dtype"] = np.dtype(cfg["dtype"]).name
    return {"type": type(layer).__name__, "config": cfg}


def _layer_from_config(entry) -> Module:
    """A layer from its saved description, its parameters left empty (``without_init``)."""
    if not isinstance(entry, dict) or entry.get("type") not in LAYER_TYPES:
        raise ValueError(f"unknown layer in model description: {str(entry)[:200]}")
    config = entry.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"a {entry['type']} layer's config must be an object, got {type(config).__name__}")
    cls = LAYER_TYPES[entry["type"]]
    allowed = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    for key in config:
        if key not in allowed:
            raise ValueError(
                f"a {entry['type']} layer has no setting {str(key)[:80]!r} (it takes {', '.join(allowed)})"
            )
    with without_init():
        return cls(**config)


if TYPE_CHECKING:
    from .train import History


class Sequential(Module):
    """Layers applied in order. Recurrent layers start from a zero state and pass on y.

    >>> from recurrent import LSTM, LastStep, Linear
    >>> model = Sequential([LSTM(1, 8, seed=0), LastStep(), Linear(8, 1, seed=0)])
    >>> model.predict(np.zeros((5, 12, 1))).shape           # five sequences of 12 steps, one value each
    (5, 1)
    >>> sorted(model.params)[:2]
    ['0.bias_hh_l0', '0.bias_ih_l0']
    """

    is_recurrent = False

    def __init__(self, layers):
        layers = list(layers)
        if not layers:
            raise ValueError("Sequential: needs at least one layer")
        for k, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"Sequential: layer {k} must be a recurrent layer, Linear or LastStep, got {type(layer).__name__}"
                )
        dtypes = {layer.dtype for layer in layers if layer.dtype is not None}
        if len(dtypes) > 1:
            raise TypeError(f"Sequential: all layers must share one dtype, got {sorted(d.name for d in dtypes)}")
        self.layers = layers
        self.dtype = dtypes.pop() if dtypes else np.dtype(np.float64)

    # ---- parameters ----------------------------------------------------------------------
    @property
    def params(self) -> dict:
        """Every layer's parameters by PyTorch's ``nn.Sequential`` names (``0.weight_ih_l0``): the arrays themselves."""
        return {f"{k}.{name}": arr for k, layer in enumerate(self.layers) for name, arr in layer.params.items()}

    def load_state_dict(self, state_dict) -> Sequential:
        """Copy parameters in by name; every key and shape must match, and nothing changes unless all do."""
        expected = self.params
        missing = [k for k in expected if k not in state_dict]
        extra = [k for k in state_dict if k not in expected]
        if missing or extra:
            what = f"missing key '{missing[0]}'" if missing else f"unexpected key '{extra[0]}'"
            raise ValueError(f"Sequential.load_state_dict: {what}")
        staged = []
        for k, layer in enumerate(self.layers):  # check every layer before changing any
            sub = {name: state_dict[f"{k}.{name}"] for name in layer.params}
            staged.append(layer._like(layer.dtype).load_state_dict(sub).params if sub else {})
        for layer, new in zip(self.layers, staged):
            for name, arr in new.items():
                layer.params[name][...] = arr
        return self

    def _like(self, dtype):
        return Sequential([layer._like(dtype) for layer in self.layers])

    def astype(self, dtype) -> Sequential:
        """A copy of the model in ``dtype`` (float32 or float64)."""
        return Sequential([layer.astype(dtype) if layer.params else layer._like(dtype) for layer in self.layers])

    def config(self) -> list:
        """Each layer's type and settings, as saved in a file."""
        return [_layer_config(layer) for layer in self.layers]

    def __repr__(self):
        inner = "".join(f"\n  ({k}) {layer!r}" for k, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"

    # ---- forward and backward ------------------------------------------------------------
    def forward(self, x, segment: int | None = None, *, lengths=None, mask=None) -> tuple[np.ndarray, dict]:
        """Returns ``(y, cache)``. ``segment``: see ``LSTM.forward`` (memory for time).

        ``lengths`` (N,) or a right-padded ``mask`` (N, T): a batch of different lengths.
        The recurrent layers stop each sequence at its length (see ``LSTM.forward``) and
        ``LastStep`` takes each one's last real step; per-step layers (``Linear``) leave
        padded steps to the loss, which ignores them (``recurrent.losses.masked``).
        """
        lengths = self.check_lengths(x, lengths, mask)
        caches = []
        for layer in self.layers:
            if layer.is_recurrent:
                x, _, c = layer.forward(x, segment=segment, lengths=lengths)
            elif isinstance(layer, LastStep):
                x, c = layer.forward(x, lengths)
                lengths = None  # one value per sequence from here on
            elif isinstance(layer, Patches) and lengths is not None:
                raise ValueError("Sequential: Patches cannot read a batch of different lengths")
            else:
                x, c = layer.forward(x)
            caches.append(c)
        # "lengths": those that still apply to the output (per-step outputs), for the loss
        return x, {"module": "Sequential", "caches": caches, "lengths": lengths}

    def check_lengths(self, x, lengths=None, mask=None):
        """The lengths (int64, (N,)) that ``lengths`` or ``mask`` give for x, or None (every step real)."""

        if lengths is None and mask is None:
            return None
        shape = np.shape(x)
        if len(shape) != 3:
            raise ValueError(f"Sequential: lengths need x of shape (N, T, D), got {shape}")
        return lengths_.read_lengths("Sequential", lengths, mask, shape[0], shape[1])

    def __call__(self, x, lengths=None, mask=None):
        return self.forward(x, lengths=lengths, mask=mask)[0]

    def backward(self, dy, cache: dict, record: dict | None = None) -> tuple[np.ndarray, dict]:
        """Returns ``(dx, grads)``; grads has the keys of ``params``.

        If ``record`` is a dict, it receives for each recurrent layer k
        ``record[k] = {"dy": gradient on its output, "cells": its per-step record}``.
        """
        if (
            not isinstance(cache, dict)
            or cache.get("module") != "Sequential"
            or len(cache["caches"]) != len(self.layers)
        ):
            raise ValueError("Sequential.backward: `cache` must come from this model's forward")
        grads = {}
        for k in reversed(range(len(self.layers))):
            layer, c = self.layers[k], cache["caches"][k]
            if layer.is_recurrent:
                rec = None
                if record is not None:
                    record[k] = {"dy": dy, "cells": {}}
                    rec = record[k]["cells"]
                dy, _, g = layer.backward(dy, c, record=rec)
            else:
                dy, g = layer.backward(dy, c)
            grads.update({f"{k}.{name}": v for name, v in g.items()})
        return dy, {k: grads[k] for k in self.params}

    # ---- using it ------------------------------------------------------------------------
    def predict(self, X, batch_size: int = 256, *, lengths=None, mask=None) -> np.ndarray:
        """Outputs for X (N, T, D), computed in batches in evaluation mode (no dropout);
        ``lengths``/``mask``: see ``forward``."""

        batch_size = positive_int("predict", "batch_size", batch_size)
        X = np.asarray(X)
        L = self.check_lengths(X, lengths, mask)
        with in_mode(self, False):  # no dropout
            outs = [
                self.forward(X[i : i + batch_size], lengths=None if L is None else L[i : i + batch_size])[0]
                for i in range(0, max(len(X), 1), batch_size)
            ]
        return np.concatenate(outs, axis=0)

    def evaluate(self, X, Y, loss="mse", batch_size=256, *, lengths=None, mask=None) -> float:
        """Mean loss over all of X, Y (each batch weighted by its size; with ``lengths``,
        by its real steps when the output is per step)."""

        batch_size = positive_int("evaluate", "batch_size", batch_size)
        X, Y = check_data(self, X, Y, loss if isinstance(loss, str) else None, "evaluate")
        L = self.check_lengths(X, lengths, mask)
        with in_mode(self, False):  # no dropout
            return mean_loss(self, X, Y, losses.get(loss), batch_size, L)

    def fit(self, X, Y, **kwargs) -> History:
        """Train with minibatch BPTT; see ``recurrent.train.fit`` for the arguments."""

        return fit(self, X, Y, **kwargs)

    def save(self, path) -> None:
        """Write weights and architecture to a safetensors file, atomically."""
        store.save_file(path, self.state_dict(), {"kind": "sequential", "layers": self.config()})


def load(path: str | os.PathLike) -> Sequential | object:
    """Load a model saved by ``Sequential.save`` (or a forecaster saved by ``Forecaster.save``)."""
    return store.load(path)


def model_from_meta(meta, tensors, path="model") -> Sequential:
    """The Sequential a file describes: every declared size is checked against the tensors
    before any parameter is allocated, and the weights are the file's, never drawn first."""
    try:
        entries = meta["layers"]
        if not isinstance(entries, list) or not entries:
            raise ValueError(f"`layers` must be a non-empty list, got {str(entries)[:80]}")
        layers = [_layer_from_config(e) for e in entries]
        expected = {
            f"{k}.{name}": shape for k, layer in enumerate(layers) for name, shape in layer.param_shapes().items()
        }
        for name, shape in expected.items():
            if name not in tensors:
                raise ValueError(f"no tensor {name!r} (the layers declare one of shape {shape_str(shape)})")
            if tuple(tensors[name].shape) != tuple(shape):
                raise ValueError(
                    f"tensor {name!r} has shape {shape_str(tensors[name].shape)}, the layers declare {shape_str(shape)}"
                )
        extra = [name for name in tensors if name not in expected]
        if extra:
            raise ValueError(f"tensor {extra[0]!r} belongs to no layer")
        model = Sequential(layers)
        for k, layer in enumerate(layers):
            layer.load_state_dict({name: tensors[f"{k}.{name}"] for name in layer.param_shapes()})
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"{path}: the model description is damaged ({exc})") from None
    return model


store.register_kind("sequential", lambda tensors, meta, path: model_from_meta(meta, tensors, path))

"""The forecaster's network when covariates are known ahead: a window network plus a future readout.

    out = window(x[:, :L])  +  future(x[:, L:, :K] flattened)
          (Patches, cell,      (Linear: the K known-ahead covariates of the H forecast
           LastStep, Linear)    steps -> the H log-ratios, zero at the start)

The window network is the one every forecaster trains (``training.build_network``); it reads
the lookback, the known-ahead covariates included as channels over it (what a promotion did
before). The future readout reads the same covariates over the forecast steps, so a promotion
announced for step h moves step h (and, if the data say so, the steps around it). In the log
values the networks work in, an additive term is a multiplicative lift: 200 tanh(|a - b| / 2)
trains it on the sMAPE as the rest.

Its input is one array (B, L + H, F): the lookback's L steps, then H steps whose first K
channels hold the known-ahead covariates of the forecast steps (the rest zero; ``windows.gather``
packs it), so batches are cut, shared out and predicted as a Sequential's are.
"""

from __future__ import annotations

import numpy as np

from .._checks import positive_int
from ..layers import Linear
from ..layers.module import Module, in_mode
from ..sequential import Sequential, model_from_meta


class ForecastNet(Module):
    """A window network (``Sequential``) and a ``Linear`` readout of the known-ahead covariates, summed."""

    is_recurrent = False

    def __init__(self, window: Sequential, future: Linear, lookback: int, n_future: int):
        self.window, self.future = window, future
        self.lookback, self.n_future = int(lookback), int(n_future)
        self.horizon = future.out_features
        if future.in_features != self.n_future * self.horizon:
            raise ValueError(
                f"ForecastNet: the future readout takes {future.in_features} values, expected "
                f"{self.n_future} covariates x {self.horizon} steps"
            )
        self.dtype = window.dtype

    @classmethod
    def build(cls, window: Sequential, lookback: int, n_future: int, horizon: int, seed: int) -> ForecastNet:
        """``window`` with a zeroed future readout for ``n_future`` covariates over ``horizon`` steps."""
        future = Linear(n_future * horizon, horizon, dtype=window.dtype, seed=seed + 2)
        for p in future.params.values():
            p[...] = 0.0  # no covariate moves the forecast before training says so
        return cls(window, future, lookback, n_future)

    @property
    def layers(self) -> list:
        """The window network's layers (where a patch size or a cell is looked up)."""
        return self.window.layers

    @property
    def params(self) -> dict:
        """The window network's parameters (``0.weight_ih_l0``, ...), then ``future.weight`` and ``future.bias``."""
        return {**self.window.params, **{f"future.{k}": v for k, v in self.future.params.items()}}

    def load_state_dict(self, state_dict) -> ForecastNet:
        """Copy parameters in by name: every key and shape must match, and nothing changes unless all do."""
        window = {k: v for k, v in state_dict.items() if not k.startswith("future.")}
        future = {k.removeprefix("future."): v for k, v in state_dict.items() if k.startswith("future.")}
        self.future._like(self.future.dtype).load_state_dict(future)  # checked before anything changes
        self.window.load_state_dict(window)
        self.future.load_state_dict(future)
        return self

    def _like(self, dtype):
        return ForecastNet(self.window._like(dtype), self.future._like(dtype), self.lookback, self.n_future)

    def astype(self, dtype) -> ForecastNet:
        """A copy in ``dtype`` (float32 or float64)."""
        return ForecastNet(self.window.astype(dtype), self.future.astype(dtype), self.lookback, self.n_future)

    def train(self, mode: bool = True) -> ForecastNet:
        """Training mode (dropout on) or evaluation mode, for the window network. Returns self."""
        super().train(mode)
        self.window.train(mode)
        return self

    def split(self, x):
        """(the lookback (B, L, F), the known-ahead covariates of the forecast steps flattened (B, H K))."""
        x = np.asarray(x)
        L, H, K = self.lookback, self.horizon, self.n_future
        if x.ndim != 3 or x.shape[1] != L + H:
            raise ValueError(f"ForecastNet: expected x of shape (B, {L} + {H}, F), got {x.shape}")
        return x[:, :L], np.ascontiguousarray(x[:, L:, :K]).reshape(len(x), H * K)

    def forward(self, x) -> tuple[np.ndarray, dict]:
        """``(out (B, H), cache)``: the window network's output plus the future readout's."""
        xw, xf = self.split(x)
        yw, cw = self.window.forward(xw)
        yf, cf = self.future.forward(xf)
        return yw + yf, {"module": "ForecastNet", "window": cw, "future": cf}

    def __call__(self, x):
        return self.forward(x)[0]

    def backward(self, dy, cache: dict) -> tuple[None, dict]:
        """``(None, grads)``: the gradient of every parameter (the input's is not needed)."""
        if not isinstance(cache, dict) or cache.get("module") != "ForecastNet":
            raise ValueError("ForecastNet.backward: `cache` must come from this network's forward")
        _, gw = self.window.backward(dy, cache["window"])
        _, gf = self.future.backward(dy, cache["future"])
        return None, {**gw, **{f"future.{k}": v for k, v in gf.items()}}

    def predict(self, X, batch_size: int = 256) -> np.ndarray:
        """Outputs for X (B, L + H, F), in batches, in evaluation mode."""
        batch_size = positive_int("predict", "batch_size", batch_size)
        X = np.asarray(X)
        with in_mode(self, False):
            outs = [self.forward(X[i : i + batch_size])[0] for i in range(0, max(len(X), 1), batch_size)]
        return np.concatenate(outs, axis=0)

    def config(self) -> dict:
        """What a file stores to rebuild it: the window network's layers, the readout's, the lookback and K."""
        return {
            "window": self.window.config(),
            "future": Sequential([self.future]).config()[0],
            "lookback": self.lookback,
            "n_future": self.n_future,
        }

    @classmethod
    def from_meta(cls, entry: dict, tensors: dict, path) -> ForecastNet:
        """The network a file describes (``config``'s layout, tensors keyed as ``params``), every size checked."""
        if not isinstance(entry, dict) or set(entry) != {"window", "future", "lookback", "n_future"}:
            raise ValueError("a network with known-ahead covariates is described by window, future, lookback, n_future")
        for key in ("lookback", "n_future"):
            v = entry[key]
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 100_000:
                raise ValueError(f"`{key}` must be a whole number in [1, 100000], got {str(v)[:40]}")
        window = {k: v for k, v in tensors.items() if not k.startswith("future.")}
        future = {"0." + k.removeprefix("future."): v for k, v in tensors.items() if k.startswith("future.")}
        head = model_from_meta({"layers": [entry["future"]]}, future, path).layers[0]
        if not isinstance(head, Linear):
            raise ValueError("the future readout must be a Linear layer")
        return cls(
            model_from_meta({"layers": entry["window"]}, window, path), head, entry["lookback"], entry["n_future"]
        )

    def __repr__(self):
        return (
            f"ForecastNet(lookback={self.lookback}, n_future={self.n_future}, horizon={self.horizon}, {self.window!r})"
        )

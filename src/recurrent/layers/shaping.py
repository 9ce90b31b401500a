"""Layers that shape what the recurrent layers read and write: Linear, LastStep, Patches."""

from __future__ import annotations

import numpy as np

from .. import _checks as chk
from .lengths import check_lengths
from .module import Module, initialising


class Linear(Module):
    """Affine readout y = x W^T + b over the last axis (PyTorch's ``nn.Linear``).

    Works on one vector per sequence (N, in) or on every step (N, T, in).
    Weights: ``weight`` (out, in), ``bias`` (out,), init U(-1/sqrt(in), 1/sqrt(in)).
    """

    is_recurrent = False

    def __init__(self, in_features, out_features, dtype=np.float32, seed=None):
        self.in_features = chk.positive_int("Linear", "in_features", in_features)
        self.out_features = chk.positive_int("Linear", "out_features", out_features)
        self.dtype = chk.float_dtype("Linear", dtype)
        self.seed = seed
        self.params = {}
        if initialising():  # (weights loaded from a file are not drawn first)
            rng = np.random.default_rng(seed)
            k = 1.0 / np.sqrt(self.in_features)
            self.params = {
                name: rng.uniform(-k, k, size=shape).astype(self.dtype) for name, shape in self.param_shapes().items()
            }

    def param_shapes(self) -> dict:
        """``weight`` (out, in) and ``bias`` (out,)."""
        return {"weight": (self.out_features, self.in_features), "bias": (self.out_features,)}

    def _config(self):
        return dict(in_features=self.in_features, out_features=self.out_features, dtype=self.dtype, seed=self.seed)

    def _like(self, dtype):
        return Linear(**{**self._config(), "dtype": dtype})

    def __repr__(self):
        return f"Linear({self.in_features}, {self.out_features}, dtype={self.dtype})"

    def forward(self, x) -> tuple[np.ndarray, dict]:
        """Returns ``(y, cache)`` with y (..., out)."""
        x = chk.float_array("Linear", "x", x, self.dtype)
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear: expected x of shape (..., {self.in_features}), got {chk.shape_str(x.shape)}")
        y = x @ self.params["weight"].T + self.params["bias"]
        return y, {"module": "Linear", "x": x, "weight": self.params["weight"]}

    def __call__(self, x):
        return self.forward(x)[0]

    def backward(self, dy, cache: dict) -> tuple[np.ndarray, dict]:
        """Returns ``(dx, grads)`` for dy shaped like y."""
        if not isinstance(cache, dict) or cache.get("module") != "Linear":
            raise ValueError("Linear.backward: `cache` must come from Linear.forward")
        x = cache["x"]
        dy = chk.float_array("Linear", "dy", dy, self.dtype)
        chk.expect_shape("Linear", "dy", dy, x.shape[:-1] + (self.out_features,))
        x2 = x.reshape(-1, self.in_features)
        dy2 = dy.reshape(-1, self.out_features)
        grads = {"weight": dy2.T @ x2, "bias": dy2.sum(axis=0)}
        return dy @ cache["weight"], grads


class LastStep(Module):
    """Keep only the last time step: (N, T, F) -> (N, F). Many-to-one models end with it.

    For a bidirectional layer below, the reverse half at the last step has read
    only that step (as in PyTorch's ``y[:, -1]``); use the final state for both
    directions' summaries. In a batch of different lengths (``lengths=``) it takes
    each sequence's own last real step.
    """

    is_recurrent = False

    def __init__(self):
        self.params = {}
        self.dtype = None

    def _config(self):
        return {}

    def _like(self, dtype):
        return LastStep()

    def __repr__(self):
        return "LastStep()"

    def forward(self, x, lengths=None) -> tuple[np.ndarray, dict]:
        """(y, cache): y = x[:, -1], or with ``lengths`` (N,) each sequence's last real step,
        x[n, lengths[n] - 1] (PyTorch's gather of a padded output at its lengths)."""
        x = np.asarray(x)
        if x.ndim != 3:
            raise ValueError(f"LastStep: expected x of shape (N, T, F), got {chk.shape_str(x.shape)}")
        if lengths is None:
            return x[:, -1], {"module": "LastStep", "shape": x.shape, "last": None}

        last = check_lengths("LastStep", lengths, x.shape[0], x.shape[1]) - 1
        return x[np.arange(x.shape[0]), last], {"module": "LastStep", "shape": x.shape, "last": last}

    def __call__(self, x, lengths=None):
        return self.forward(x, lengths)[0]

    def backward(self, dy, cache: dict) -> tuple[np.ndarray, dict]:
        """The gradient of the last step placed back at that step (zeros elsewhere), and no parameter gradients."""
        dx = np.zeros(cache["shape"], dtype=np.asarray(dy).dtype)
        last = cache.get("last")
        if last is None:
            dx[:, -1] = dy
        else:
            dx[np.arange(len(last)), last] = dy
        return dx, {}


class Patches(Module):
    """Group consecutive steps: (N, T, F) -> (N, T / size, size * F).

    Step k of the output holds input steps k*size .. k*size + size - 1, their features
    side by side (``x.reshape(N, T // size, size * F)``): a recurrent layer after it reads
    ``size`` values per step, so a long window costs ``size`` times fewer recurrent steps
    (the inputs of ES-RNN's steps and PatchTST's patches work this way). T must be a
    multiple of ``size``.
    """

    is_recurrent = False

    def __init__(self, size):
        self.size = chk.positive_int("Patches", "size", size)
        self.params = {}
        self.dtype = None

    def _config(self):
        return {"size": self.size}

    def _like(self, dtype):
        return Patches(self.size)

    def __repr__(self):
        return f"Patches({self.size})"

    def forward(self, x) -> tuple[np.ndarray, dict]:
        """(N, T, F) -> (N, T / size, size * F): ``size`` values per step; returns (y, cache)."""
        x = np.asarray(x)
        if x.ndim != 3 or x.shape[1] % self.size:
            raise ValueError(
                f"Patches: expected x of shape (N, T, F) with T a multiple of {self.size}, got {chk.shape_str(x.shape)}"
            )
        n, t, f = x.shape
        return x.reshape(n, t // self.size, self.size * f), {"module": "Patches", "shape": x.shape}

    def __call__(self, x):
        return self.forward(x)[0]

    def backward(self, dy, cache: dict) -> tuple[np.ndarray, dict]:
        """The gradient reshaped back to (N, T, F), and no parameter gradients."""
        return np.asarray(dy).reshape(cache["shape"]), {}

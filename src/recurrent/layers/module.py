"""The base every layer shares: named parameters, state_dict, dtype."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from .. import _checks as chk
from .._checks import float_array, shape_str


class Module:
    """A layer with named parameters.

    Subclasses fill ``self.params`` (name -> array) in PyTorch's order and
    implement ``forward``/``backward`` with an explicit cache. The layer keeps
    no per-call state: ``backward`` reads everything it needs from the cache.
    """

    params: dict
    dtype: np.dtype
    training: bool = True  # PyTorch's default; dropout acts only in training mode

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout on) or, with ``mode=False``, evaluation mode. Returns self."""
        self.training = chk.boolean(f"{type(self).__name__}.train", "mode", mode)
        for layer in getattr(self, "layers", ()):
            layer.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: no dropout (``predict``, ``evaluate`` and ``trace`` run in it). Returns self."""
        return self.train(False)

    def param_shapes(self) -> dict:
        """Each parameter's name and shape."""
        return {k: v.shape for k, v in self.params.items()}

    def state_dict(self) -> dict:
        """A copy of the parameters, keyed as PyTorch's ``state_dict``."""
        return {k: v.copy() for k, v in self.params.items()}

    def load_state_dict(self, state_dict) -> Module:
        """Copy parameters in by name; every key and shape must match exactly.

        Accepts NumPy arrays, nested lists or torch tensors. Values are cast to
        the layer's dtype. Raises ``ValueError`` naming a missing, extra or
        misshapen key; nothing is changed unless everything fits.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"{owner}: expected a dict of arrays, got {type(state_dict).__name__}")
        expected = self.param_shapes()
        missing = [k for k in expected if k not in state_dict]
        extra = [k for k in state_dict if k not in expected]
        if missing:
            k = missing[0]
            raise ValueError(
                f"{owner}: missing key '{k}' (expected shape {shape_str(expected[k])}); {len(missing)} missing in all"
            )
        if extra:
            raise ValueError(f"{owner}: unexpected key '{extra[0]}'; expected keys {list(expected)}")
        new = {}
        for k, shape in expected.items():
            arr = float_array(owner, k, state_dict[k], self.dtype)
            if arr.shape != tuple(shape):
                raise ValueError(f"{owner}: '{k}' expected shape {shape_str(shape)}, got {shape_str(arr.shape)}")
            new[k] = arr.copy()
        self.params.update(new)
        return self

    def astype(self, dtype) -> Module:
        """A copy of this layer with parameters in ``dtype`` (float32 or float64)."""
        clone = self._like(dtype)
        clone.load_state_dict(self.params)
        return clone

    def num_parameters(self) -> int:
        """The number of scalars in every parameter."""
        return int(sum(v.size for v in self.params.values()))

    def _like(self, dtype) -> Module:  # pragma: no cover - each layer defines it
        raise NotImplementedError


_NO_INIT = [0]  # > 0 while layers are built to receive weights from a file


@contextmanager
def without_init():
    """Build layers without drawing their initial weights (their ``params`` stay empty).

    Loading uses it: the sizes a file declares are compared with its tensors before any
    parameter is allocated, then the tensors are loaded in (``model.model_from_meta``).
    """
    _NO_INIT[0] += 1
    try:
        yield
    finally:
        _NO_INIT[0] -= 1


def initialising() -> bool:
    """False inside ``without_init``: a layer's constructor then leaves ``params`` empty."""
    return _NO_INIT[0] == 0


@contextmanager
def in_mode(module: Module, training: bool):
    """Run a block with ``module`` (and its layers) in training or evaluation mode, then put
    every layer's own mode back."""
    parts = [module, *getattr(module, "layers", ())]
    before = [p.training for p in parts]
    module.train(training)
    try:
        yield module
    finally:
        for p, was in zip(parts, before):
            p.training = was

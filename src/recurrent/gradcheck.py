"""Finite-difference gradient checks, public so learners can point them at anything.

The central difference  (L(p + eps) - L(p - eps)) / (2 eps)  approximates dL/dp
with an error of order eps**2; in float64 with eps = 1e-6 it agrees with an
exact gradient to about 1e-9 in relative terms. Each check compares the
analytic gradient (``backward``) with this estimate, entry by entry, for every
parameter, the input and the initial state.

    >>> from recurrent import LSTM, gradcheck
    >>> result = gradcheck(LSTM(3, 4, seed=0), np.random.default_rng(0).normal(size=(2, 5, 3)))
    >>> result.ok
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .layers import LSTMState


def numerical_gradient(f, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` with respect to ``array``.

    ``array`` is perturbed in place, one entry at a time, and restored.
    """
    grad = np.zeros_like(array, dtype=np.float64)
    flat = array.reshape(-1)  # a view: writing to it perturbs `array`
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        up = f()
        flat[j] = old - eps
        down = f()
        flat[j] = old
        grad.reshape(-1)[j] = (up - down) / (2 * eps)
    return grad


def relative_error(analytic, numeric) -> float:
    """||a - n|| / max(||a|| + ||n||, 1e-30): 0 when equal, 1 when unrelated."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-30))


@dataclass
class GradcheckResult:
    """Relative error per checked array (parameters, ``x``, ``state``...)."""

    errors: dict = field(default_factory=dict)
    tol: float = 1e-6

    @property
    def max_error(self) -> float:
        """The largest relative error over every parameter and input."""
        return max(self.errors.values()) if self.errors else 0.0

    @property
    def ok(self) -> bool:
        """Whether every relative error is within the tolerance."""
        return self.max_error <= self.tol

    def __str__(self):
        width = max(len(k) for k in self.errors) if self.errors else 4
        lines = [f"{'array':<{width}}  relative error"]
        lines += [f"{k:<{width}}  {v:.2e}{'' if v <= self.tol else '  <-- above tol'}" for k, v in self.errors.items()]
        lines.append(f"max {self.max_error:.2e} (tol {self.tol:.0e}): {'ok' if self.ok else 'FAILED'}")
        return "\n".join(lines)


def gradcheck(
    layer,
    x,
    state=None,
    *,
    with_dstate: bool = True,
    eps: float = 1e-6,
    tol: float = 1e-6,
    seed: int = 0,
    lengths=None,
    masks=None,
    recurrent_masks=None,
) -> GradcheckResult:
    """Check ``layer.backward`` against central differences, in float64.

    The loss is a random projection of the outputs, L = sum(R_y * y) (+ sum(R_s
    * final state) when ``with_dstate``), so every output entry gets a distinct
    gradient. The layer is copied to float64 first; the original is not touched.
    Works for ``LSTM``, ``GRU``, ``RNN`` and ``Linear``; ``lengths`` (N,) runs a
    recurrent layer on sequences of those lengths (``forward(..., lengths=...)``), and
    ``masks`` and ``recurrent_masks`` with those dropout masks (a forward's
    ``cache["masks"]``, ``cache["recurrent_masks"]``) every time. Parameters beyond
    PyTorch's four (an LSTM's ``peephole``) are checked too.
    """
    rng = np.random.default_rng(seed)
    layer = layer.astype(np.float64)
    x = np.array(x, dtype=np.float64)
    result = GradcheckResult(tol=tol)

    if not getattr(layer, "is_recurrent", False):
        y, cache = layer.forward(x)
        r_y = rng.normal(size=y.shape)
        loss = lambda: float(np.sum(r_y * layer.forward(x)[0]))
        dx, grads = layer.backward(r_y, cache)
        checks = [(k, layer.params[k], grads[k]) for k in layer.params] + [("x", x, dx)]
    else:
        N = x.shape[0]
        h0, c0 = layer.split_state("state", state, N)
        h0, c0 = h0.astype(np.float64), (c0.astype(np.float64) if c0 is not None else None)
        packed = lambda: layer.pack_state(h0, c0)
        y, s_T, cache = layer.forward(x, packed(), lengths=lengths, masks=masks, recurrent_masks=recurrent_masks)
        r_y = rng.normal(size=y.shape)
        r_h = rng.normal(size=h0.shape) if with_dstate else np.zeros_like(h0)
        r_c = (rng.normal(size=c0.shape) if with_dstate else np.zeros_like(c0)) if c0 is not None else None

        def loss():
            y, s, _ = layer.forward(x, packed(), lengths=lengths, masks=masks, recurrent_masks=recurrent_masks)
            total = np.sum(r_y * y)
            if isinstance(s, LSTMState):
                return float(total + np.sum(r_h * s.h) + np.sum(r_c * s.c))
            return float(total + np.sum(r_h * s))

        dstate = layer.pack_state(r_h, r_c)
        dx, ds0, grads = layer.backward(r_y, cache, dstate)
        checks = [(k, layer.params[k], grads[k]) for k in layer.params] + [("x", x, dx)]
        if isinstance(ds0, LSTMState):
            checks += [("state.h", h0, ds0.h), ("state.c", c0, ds0.c)]
        else:
            checks += [("state", h0, ds0)]

    for name, array, analytic in checks:
        numeric = numerical_gradient(loss, array, eps)
        result.errors[name] = relative_error(analytic, numeric)
    return result

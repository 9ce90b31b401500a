"""Activations and their derivatives, the derivatives written from the *outputs*.

Backpropagation keeps the activated values (the gates) in the cache, so the
derivative is taken from them directly:

    s = sigmoid(a)   ->   ds/da = s * (1 - s)
    t = tanh(a)      ->   dt/da = 1 - t**2
    r = relu(a)      ->   dr/da = 1 if r > 0 else 0

A common slip (made in many hand-written LSTMs) is to feed an already activated
value back into ``sigmoid`` before differentiating: ``sigmoid(s) * (1 - sigmoid(s))``
with ``s = sigmoid(a)``. That is the derivative at the wrong point. The functions
``dsigmoid``/``dtanh`` below take the output, and their names say so.
"""

from __future__ import annotations

import numpy as np


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-a)), without overflow for large |a|.

    Written as 0.5 * tanh(a / 2) + 0.5, which is the same function exactly in
    real arithmetic, never overflows, and lets one tanh call serve every gate.

    >>> sigmoid(np.array([-1000.0, 0.0, 2.0]))
    array([0.        , 0.5       , 0.88079708])
    """
    return 0.5 * np.tanh(0.5 * a) + 0.5


def dsigmoid(s: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid, given its output s = sigmoid(a).

    >>> float(dsigmoid(sigmoid(0.0)))
    0.25
    """
    return s * (1.0 - s)


def tanh(a: np.ndarray) -> np.ndarray:
    return np.tanh(a)


def dtanh(t: np.ndarray) -> np.ndarray:
    """Derivative of tanh, given its output t = tanh(a)."""
    return 1.0 - t * t


def relu(a: np.ndarray) -> np.ndarray:
    return np.maximum(a, 0.0)


def drelu(r: np.ndarray) -> np.ndarray:
    """Derivative of ReLU, given its output r = relu(a) (0 at the kink, as PyTorch).

    >>> drelu(relu(np.array([-1.0, 0.0, 3.0])))
    array([0., 0., 1.])
    """
    return (r > 0).astype(r.dtype)


ACTIVATIONS = {"tanh": (tanh, dtanh), "relu": (relu, drelu)}

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
    """The hyperbolic tangent, elementwise (its derivative from the output: 1 - y**2)."""
    return np.tanh(a)


def dtanh(t: np.ndarray) -> np.ndarray:
    """Derivative of tanh, given its output t = tanh(a)."""
    return 1.0 - t * t


def relu(a: np.ndarray) -> np.ndarray:
    """max(x, 0), elementwise (its derivative from the output: 1 where y > 0)."""
    return np.maximum(a, 0.0)


def drelu(r: np.ndarray) -> np.ndarray:
    """Derivative of ReLU, given its output r = relu(a) (0 at the kink, as PyTorch).

    >>> drelu(relu(np.array([-1.0, 0.0, 3.0])))
    array([0., 0., 1.])
    """
    return (r > 0).astype(r.dtype)


ACTIVATIONS = {"tanh": (tanh, dtanh), "relu": (relu, drelu)}


# ---- the activations ONNX's recurrent operators can name ----------------------------------------
# Each is (function of the pre-activation a, its derivative in a, default alpha, default beta), as
# ONNX defines the operator of that name (LeakyRelu's alpha 0.01, HardSigmoid's 0.2 and 0.5, ...).
# The derivatives are taken from the pre-activation, which the general cells keep
# (``recurrent.cells.variants``); where a function has a kink the derivative there is that of
# the right-hand side, except Relu's, 0 at 0 as PyTorch's.


def _onnx_table():
    one = np.ones_like
    return {
        "relu": (lambda a, al, be: np.maximum(a, 0.0), lambda a, al, be: (a > 0).astype(a.dtype), None, None),
        "tanh": (lambda a, al, be: np.tanh(a), lambda a, al, be: 1.0 - np.tanh(a) ** 2, None, None),
        "sigmoid": (lambda a, al, be: sigmoid(a), lambda a, al, be: dsigmoid(sigmoid(a)), None, None),
        "affine": (lambda a, al, be: al * a + be, lambda a, al, be: al * one(a), 1.0, 0.0),
        "leakyrelu": (
            lambda a, al, be: np.where(a >= 0, a, al * a),
            lambda a, al, be: np.where(a >= 0, 1.0, al).astype(a.dtype),
            0.01,
            None,
        ),
        "thresholdedrelu": (
            lambda a, al, be: np.where(a > al, a, 0.0),
            lambda a, al, be: (a > al).astype(a.dtype),
            1.0,
            None,
        ),
        "scaledtanh": (
            lambda a, al, be: al * np.tanh(be * a),
            lambda a, al, be: al * be * (1.0 - np.tanh(be * a) ** 2),
            1.0,
            1.0,
        ),
        "hardsigmoid": (
            lambda a, al, be: np.clip(al * a + be, 0.0, 1.0),
            lambda a, al, be: np.where((al * a + be > 0) & (al * a + be < 1), al, 0.0).astype(a.dtype),
            0.2,
            0.5,
        ),
        "elu": (
            lambda a, al, be: np.where(a >= 0, a, al * np.expm1(np.minimum(a, 0.0))),
            lambda a, al, be: np.where(a >= 0, 1.0, al * np.exp(np.minimum(a, 0.0))).astype(a.dtype),
            1.0,
            None,
        ),
        "softsign": (
            lambda a, al, be: a / (1.0 + np.abs(a)),
            lambda a, al, be: 1.0 / (1.0 + np.abs(a)) ** 2,
            None,
            None,
        ),
        "softplus": (
            lambda a, al, be: np.logaddexp(0.0, a),
            lambda a, al, be: sigmoid(a),
            None,
            None,
        ),
    }


ONNX_ACTIVATIONS = _onnx_table()


def activation(spec, owner: str = "activation"):
    """(name, alpha, beta) for an activation given by name ("tanh", ONNX's "LeakyRelu", ...) or
    as (name, alpha[, beta]); the defaults ONNX gives where alpha or beta is not given."""
    alpha = beta = None
    if isinstance(spec, (tuple, list)):
        if not 1 <= len(spec) <= 3:
            raise ValueError(f"{owner}: expected an activation as name or (name, alpha[, beta]), got {spec!r}")
        spec, alpha, beta = (*spec, None, None)[:3]
    if not isinstance(spec, str):
        raise TypeError(f"{owner}: expected an activation's name, got {type(spec).__name__} {spec!r}")
    key = spec.replace("_", "").lower()
    if key not in ONNX_ACTIVATIONS:
        known = "Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, "
        known += "Softplus"
        raise ValueError(f"{owner}: unknown activation {spec!r}; expected one of {known}")
    _, _, a0, b0 = ONNX_ACTIVATIONS[key]
    alpha = a0 if alpha is None else float(alpha)
    beta = b0 if beta is None else float(beta)
    return key, alpha, beta


def apply(spec, a):
    """The activation (name, alpha, beta) of the pre-activation a."""
    key, al, be = spec
    return ONNX_ACTIVATIONS[key][0](a, al, be)


def derivative(spec, a):
    """Its derivative at the pre-activation a."""
    key, al, be = spec
    return ONNX_ACTIVATIONS[key][1](a, al, be)

"""Losses: each returns ``(value, gradient)`` with the gradient shaped like the prediction.

All are means over every element (PyTorch's ``reduction="mean"``):

    mse:            L = mean((p - y)**2)            dL/dp = 2 (p - y) / size
    mae:            L = mean(|p - y|)               dL/dp = sign(p - y) / size
    cross_entropy:  L = mean(-log softmax(z)[label])  dL/dz = (softmax(z) - onehot) / count

``cross_entropy`` takes logits z (..., K) and integer labels (...) in [0, K).
"""

from __future__ import annotations

import numpy as np

from ._checks import shape_str


def _check_same_shape(name, pred, target):
    if pred.shape != target.shape:
        raise ValueError(
            f"{name}: expected target of shape {shape_str(pred.shape)} like the prediction, "
            f"got {shape_str(target.shape)}"
        )


def mse(pred, target):
    """Mean squared error and its gradient."""
    _check_same_shape("mse", pred, target)
    diff = pred - target
    return float(np.mean(diff * diff)), (2.0 / diff.size) * diff


def mae(pred, target):
    """Mean absolute error and its (sub)gradient; 0 where p == y."""
    _check_same_shape("mae", pred, target)
    diff = pred - target
    return float(np.mean(np.abs(diff))), np.sign(diff) / diff.size


def log_softmax(z):
    """log(softmax(z)) along the last axis, computed stably."""
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def cross_entropy(logits, labels):
    """Softmax cross-entropy from logits (..., K) and integer labels (...)."""
    labels = np.asarray(labels)
    if labels.shape != logits.shape[:-1]:
        raise ValueError(
            f"cross_entropy: expected labels of shape {shape_str(logits.shape[:-1])} "
            f"for logits {shape_str(logits.shape)}, got {shape_str(labels.shape)}"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.all(labels == np.round(labels)):
            raise ValueError("cross_entropy: labels must be whole class indices")
        labels = labels.astype(np.int64)
    K = logits.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= K):
        raise ValueError(f"cross_entropy: labels must be in [0, {K}), got {labels.min()}..{labels.max()}")
    logp = log_softmax(logits)
    picked = np.take_along_axis(logp, labels[..., None], axis=-1)[..., 0]
    count = labels.size
    grad = np.exp(logp)
    np.put_along_axis(grad, labels[..., None], np.take_along_axis(grad, labels[..., None], axis=-1) - 1.0, axis=-1)
    return float(-picked.mean()), (grad / count).astype(logits.dtype, copy=False)


def masked(loss_fn, pred, target, lengths):
    """``loss_fn`` over the real steps only, for per-step outputs of a batch of different lengths.

    pred (N, T, ...) and target (N, T, ...) (labels (N, T) for cross_entropy); step t of
    sequence n is real when t < lengths[n]. The value is the mean over the real steps'
    elements (PyTorch's mean over the entries not ignored) and the gradient is zero on
    padded steps. Returns ``(value, gradient, count)``: count is the number of real steps,
    the weight a batch's value carries in a mean over batches.
    """
    valid = np.arange(pred.shape[1])[None, :] < np.asarray(lengths)[:, None]
    value, g = loss_fn(pred[valid], np.asarray(target)[valid])
    grad = np.zeros_like(pred, dtype=g.dtype)
    grad[valid] = g
    return value, grad, int(valid.sum())


LOSSES = {"mse": mse, "mae": mae, "cross_entropy": cross_entropy}


def get(name):
    """A loss by name: 'mse', 'mae' or 'cross_entropy' (a callable passes through)."""
    if callable(name):
        return name
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; expected one of {sorted(LOSSES)}")
    return LOSSES[name]

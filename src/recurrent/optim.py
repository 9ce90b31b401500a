"""Optimizers and gradient clipping, with PyTorch's update rules.

An optimizer updates a dict of parameter arrays *in place* from a dict of
gradients with the same keys: ``opt.step(params, grads)``. Its state (moment
buffers, step count) is keyed by parameter name and can be saved and restored
with ``state_dict()`` / ``load_state_dict()``: a dict of arrays plus a dict of
numbers, which ``recurrent.store`` writes without pickle.

    SGD:      b = mu b + g;  g' = g + mu b (nesterov) or b;  p -= lr g'
    Adam:     m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
              p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
    AdamW:    as Adam, with the decay applied to p directly: p -= lr wd p
    RMSprop:  v = a v + (1-a) g^2;  p -= lr g / (sqrt(v) + eps)

``weight_decay`` in SGD, Adam and RMSprop adds wd * p to the gradient (L2), as torch.
"""

from __future__ import annotations

import numbers

import numpy as np


def _nonneg(owner, name, value, upper=None):
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or value < 0
        or (upper is not None and value >= upper)
    ):
        rng = f"[0, {upper})" if upper is not None else ">= 0"
        raise ValueError(f"{owner}: `{name}` must be a number {rng}, got {value!r}")
    return float(value)


class Optimizer:
    """Base: holds hyper-parameters and per-parameter state."""

    def __init__(self, lr):
        self.lr = _nonneg(type(self).__name__, "lr", lr)
        if self.lr == 0:
            raise ValueError(f"{type(self).__name__}: `lr` must be positive, got {lr!r}")
        self.state = {}  # name -> dict of arrays
        self.steps = 0

    def step(self, params: dict, grads: dict) -> None:
        """Update ``params`` in place from ``grads`` (the same keys)."""
        if set(grads) != set(params):
            missing = sorted(set(params) - set(grads)) or sorted(set(grads) - set(params))
            raise ValueError(
                f"{type(self).__name__}.step: grads must have the keys of params; differs at {missing[0]!r}"
            )
        self.steps += 1
        for name, p in params.items():
            self._update(name, p, grads[name])

    def _buffer(self, name, key, like):
        slot = self.state.setdefault(name, {})
        if key not in slot:
            slot[key] = np.zeros_like(like)
        return slot[key]

    def config(self) -> dict:
        """The optimizer's type and settings, as a checkpoint saves them."""
        return {"type": type(self).__name__, **{k: v for k, v in vars(self).items() if k not in ("state", "steps")}}

    def state_dict(self) -> dict:
        """{"config": {...}, "steps": int, "buffers": {"name/key": array}}."""
        buffers = {f"{name}/{key}": arr.copy() for name, slot in self.state.items() for key, arr in slot.items()}
        return {"config": self.config(), "steps": self.steps, "buffers": buffers}

    def load_state_dict(self, sd: dict) -> Optimizer:
        """Restore the step count and buffers a checkpoint saved."""
        if sd.get("config", {}).get("type") != type(self).__name__:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: state is for {sd.get('config', {}).get('type')!r}"
            )
        self.steps = int(sd["steps"])
        self.state = {}
        for full, arr in sd["buffers"].items():
            name, key = full.rsplit("/", 1)
            self.state.setdefault(name, {})[key] = np.array(arr)
        return self

    def __repr__(self):
        args = ", ".join(f"{k}={v}" for k, v in self.config().items() if k != "type")
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``."""

    def __init__(self, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(lr)
        self.momentum = _nonneg("SGD", "momentum", momentum, 1.0 + 1e-12)
        self.nesterov = bool(nesterov)
        self.weight_decay = _nonneg("SGD", "weight_decay", weight_decay)
        if self.nesterov and self.momentum == 0:
            raise ValueError("SGD: nesterov needs a momentum > 0")

    def _update(self, name, p, g):
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            first = "momentum" not in self.state.get(name, {})
            b = self._buffer(name, "momentum", p)
            if first:
                b[...] = g  # torch starts the buffer at the first gradient
            else:
                b *= self.momentum
                b += g
            g = g + self.momentum * b if self.nesterov else b
        p -= (self.lr * g).astype(p.dtype, copy=False)


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (bias-corrected first and second moments)."""

    decoupled = False

    def __init__(self, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(lr)
        owner = type(self).__name__
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"{owner}: `betas` must be a pair, got {betas!r}")
        self.betas = (_nonneg(owner, "betas[0]", betas[0], 1.0), _nonneg(owner, "betas[1]", betas[1], 1.0))
        self.eps = _nonneg(owner, "eps", eps)
        self.weight_decay = _nonneg(owner, "weight_decay", weight_decay)

    def _update(self, name, p, g):
        b1, b2 = self.betas
        if self.weight_decay:
            if self.decoupled:
                p *= 1.0 - self.lr * self.weight_decay
            else:
                g = g + self.weight_decay * p
        m = self._buffer(name, "exp_avg", p)
        v = self._buffer(name, "exp_avg_sq", p)
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * g * g
        t = self.steps
        step_size = self.lr / (1.0 - b1**t)
        denom = np.sqrt(v) / np.sqrt(1.0 - b2**t) + self.eps
        p -= (step_size * m / denom).astype(p.dtype, copy=False)


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.01, as torch)."""

    decoupled = True

    def __init__(self, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(lr, betas, eps, weight_decay)


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``."""

    def __init__(self, lr=0.01, alpha=0.99, eps=1e-8, momentum=0.0, weight_decay=0.0):
        super().__init__(lr)
        self.alpha = _nonneg("RMSprop", "alpha", alpha, 1.0 + 1e-12)
        self.eps = _nonneg("RMSprop", "eps", eps)
        self.momentum = _nonneg("RMSprop", "momentum", momentum, 1.0 + 1e-12)
        self.weight_decay = _nonneg("RMSprop", "weight_decay", weight_decay)

    def _update(self, name, p, g):
        if self.weight_decay:
            g = g + self.weight_decay * p
        v = self._buffer(name, "square_avg", p)
        v *= self.alpha
        v += (1.0 - self.alpha) * g * g
        upd = g / (np.sqrt(v) + self.eps)
        if self.momentum:
            b = self._buffer(name, "momentum", p)
            b *= self.momentum
            b += upd
            upd = b
        p -= (self.lr * upd).astype(p.dtype, copy=False)


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop}


def get(spec) -> Optimizer:
    """An optimizer instance from an instance or a name ('sgd', 'adam', 'adamw', 'rmsprop')."""
    if isinstance(spec, Optimizer):
        return spec
    if isinstance(spec, str) and spec.lower() in OPTIMIZERS:
        return OPTIMIZERS[spec.lower()]()
    raise ValueError(f"unknown optimizer {spec!r}; expected an Optimizer or one of {sorted(OPTIMIZERS)}")


def from_config(config: dict) -> Optimizer:
    """The optimizer a saved config describes (its type and settings)."""
    cfg = dict(config)
    kind = cfg.pop("type", None)
    classes = {cls.__name__: cls for cls in OPTIMIZERS.values()}
    if kind not in classes:
        raise ValueError(f"unknown optimizer type {kind!r}")
    if "betas" in cfg:
        cfg["betas"] = tuple(cfg["betas"])
    return classes[kind](**cfg)


def global_norm(grads: dict) -> float:
    """The L2 norm of all gradients together."""
    return float(np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads.values())))


def clip_grad_norm(grads: dict, max_norm: float) -> float:
    """Scale all gradients in place so their global L2 norm is at most ``max_norm``.

    PyTorch's ``clip_grad_norm_``: the factor is max_norm / (norm + 1e-6), applied
    only when below 1. Returns the norm before clipping.
    """
    max_norm = _nonneg("clip_grad_norm", "max_norm", max_norm)
    total = global_norm(grads)
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for g in grads.values():
            g *= coef
    return total


def clip_grad_value(grads: dict, clip_value: float) -> None:
    """Clamp every gradient entry to [-clip_value, clip_value], in place."""
    clip_value = _nonneg("clip_grad_value", "clip_value", clip_value)
    for g in grads.values():
        np.clip(g, -clip_value, clip_value, out=g)

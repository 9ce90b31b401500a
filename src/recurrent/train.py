"""The training loop: minibatch BPTT, validation, early stopping, checkpoints.

``fit`` is what ``Sequential.fit`` runs. One epoch draws a permutation from the
run's own generator (``seed``), runs forward, loss, backward, optional
clipping and one optimizer step per batch, then measures the validation loss.
A checkpoint holds everything the rest of the run depends on (weights,
optimizer state, the generator's state, history and early-stopping state), so
a run resumed from it ends bitwise identical to one never interrupted.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field

import numpy as np

from . import _checks as chk
from . import checkpoint as checkpoints
from . import losses, optim
from .layers.module import in_mode


class NonFiniteError(ValueError):
    """Training met a non-finite loss or gradient; the weights are the last finite ones."""


@dataclass
class EarlyStopping:
    """Stop when the monitored loss has not improved by ``min_delta`` for ``patience`` epochs.

    Monitors the validation loss when there is validation data, else the training
    loss. With ``restore_best`` the weights of the best epoch are put back at the end.
    """

    patience: int = 10
    min_delta: float = 0.0
    restore_best: bool = True

    def __post_init__(self):
        self.patience = chk.positive_int("EarlyStopping", "patience", self.patience)
        if not np.isfinite(self.min_delta) or self.min_delta < 0:
            raise ValueError(f"EarlyStopping: `min_delta` must be >= 0, got {self.min_delta!r}")

    def update(self, state: dict, monitored: float, epoch: int) -> tuple[bool, bool]:
        """Record one epoch's monitored loss in ``state`` (best, best_epoch, wait: what a checkpoint
        keeps). Returns (stop, improved): stop after ``patience`` epochs without improving by
        ``min_delta``; improved when this epoch is the new best."""
        if state["best"] is None or monitored < state["best"] - self.min_delta:
            state.update(best=monitored, best_epoch=epoch, wait=0)
            return False, True
        state["wait"] += 1
        return state["wait"] >= self.patience, False


@dataclass
class History:
    """Per-epoch losses (``loss``, ``val_loss``) and how the run ended."""

    loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        """How many epochs ran."""
        return len(self.loss)

    @property
    def history(self) -> dict:
        """Keras-style dict of lists."""
        return {"loss": list(self.loss), "val_loss": list(self.val_loss)}

    def to_dict(self) -> dict:
        """The history as a JSON-able dict (what a checkpoint saves)."""
        return asdict(self)


def check_data(model, X, Y, loss, owner="fit"):
    """Validate X (N, T, D) and Y against the model's output; return arrays."""
    if X is None or Y is None:
        raise ValueError(f"{owner}: X and Y are both required")
    X = chk.float_array(owner, "X", X, model.dtype)
    if X.ndim != 3:
        raise ValueError(f"{owner}: expected X of shape (N, T, D), got {chk.shape_str(X.shape)}")
    if len(X) == 0 or X.shape[1] == 0:
        raise ValueError(f"{owner}: X is empty, got shape {chk.shape_str(X.shape)}")
    classify = loss == "cross_entropy"
    Y = chk.float_array(owner, "Y", Y, np.float64 if classify else model.dtype)
    if classify:
        if np.any(Y != np.round(Y)):
            raise ValueError(f"{owner}: cross_entropy needs integer class labels in Y")
        Y = Y.astype(np.int64)
    if len(Y) != len(X):
        raise ValueError(f"{owner}: X and Y must have the same length, got {len(X)} and {len(Y)}")
    with in_mode(model, False):  # a shape check: no dropout masks drawn
        out = model.forward(X[:1])[0]
    want = out.shape[1:-1] if classify else out.shape[1:]
    if Y.shape[1:] != want:
        raise ValueError(
            f"{owner}: the model outputs {chk.shape_str(('N',) + out.shape[1:])} per batch, so Y "
            f"should be {chk.shape_str(('N',) + want)}, got {chk.shape_str(Y.shape)}"
        )
    if classify and Y.size and (Y.min() < 0 or Y.max() >= out.shape[-1]):
        raise ValueError(f"{owner}: class labels must be in [0, {out.shape[-1]}), got {Y.min()}..{Y.max()}")
    return X, Y


def batch_loss(model, loss_fn, X, Y, lengths=None, segment=None):
    """(value, gradient on the output, weight, cache) of one batch.

    The weight is the batch's size, or with ``lengths`` and per-step outputs its count
    of real steps (the loss then ignores padded steps: ``losses.masked``).
    """
    pred, cache = model.forward(X, segment=segment, lengths=lengths)
    if cache.get("lengths") is not None:
        value, dpred, weight = losses.masked(loss_fn, pred, Y, cache["lengths"])
    else:
        (value, dpred), weight = loss_fn(pred, Y), len(X)
    return value, dpred, weight, cache


def mean_loss(model, X, Y, loss_fn, batch_size=256, lengths=None) -> float:
    """Mean loss over checked arrays, each batch weighted by its size (or real steps)."""
    total = count = 0.0
    for i in range(0, len(X), batch_size):
        part = None if lengths is None else lengths[i : i + batch_size]
        value, _, weight, _ = batch_loss(model, loss_fn, X[i : i + batch_size], Y[i : i + batch_size], part)
        total += value * weight
        count += weight
    return total / count


def _all_finite(grads):
    return all(np.all(np.isfinite(g)) for g in grads.values())


def _options(model, clip_norm, clip_value, segment, freeze, early_stopping):
    """(segment, the frozen parameter names, an EarlyStopping or None), each checked."""
    for name, v in (("clip_norm", clip_norm), ("clip_value", clip_value)):
        if v is not None and not (chk.is_real(v) and v > 0):
            raise ValueError(f"fit: `{name}` must be a positive number or None, got {v!r}")
    if segment is not None:
        segment = chk.positive_int("fit", "segment", segment)
    freeze = [freeze] if isinstance(freeze, str) else list(freeze)
    unknown = [k for k in freeze if k not in model.params]
    if unknown:
        raise ValueError(f"fit: cannot freeze unknown parameter {unknown[0]!r}; parameters are {list(model.params)}")
    if isinstance(early_stopping, int) and not isinstance(early_stopping, bool):
        early_stopping = EarlyStopping(patience=early_stopping)
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise TypeError(
            f"fit: `early_stopping` must be an EarlyStopping, an int patience or None, got {early_stopping!r}"
        )
    return segment, set(freeze), early_stopping


def _split(model, X, Y, L, validation_data, validation_split, loss_name):
    """((X, Y, lengths) to train on, (X, Y, lengths) to validate on, or Nones): ``validation_data``
    as given, else the last ``validation_split`` of the samples (as Keras takes them)."""
    if validation_data is not None:
        if not (isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3)):
            raise ValueError("fit: `validation_data` must be a pair (X_val, Y_val) or (X_val, Y_val, lengths_val)")
        Xv, Yv = check_data(model, *validation_data[:2], loss_name, owner="fit (validation_data)")
        Lv = model.check_lengths(Xv, validation_data[2]) if len(validation_data) == 3 else None
        return (X, Y, L), (Xv, Yv, Lv)
    if not chk.is_real(validation_split) or not 0 <= validation_split < 1:
        raise ValueError(f"fit: `validation_split` must be in [0, 1), got {validation_split!r}")
    n_val = int(len(X) * validation_split)
    if validation_split > 0 and (n_val == 0 or n_val == len(X)):
        raise ValueError(
            f"fit: validation_split={validation_split} of {len(X)} samples leaves "
            f"{n_val} for validation and {len(X) - n_val} for training"
        )
    cut = len(X) - n_val
    if n_val == 0:
        return (X, Y, L), (None, None, None)
    return (X[:cut], Y[:cut], None if L is None else L[:cut]), (X[cut:], Y[cut:], None if L is None else L[cut:])


def _epoch(model, loss_fn, data, order, batch_size, segment, step_rule, epoch) -> float:
    """One pass over the training samples in ``order``: forward, loss, backward, clipping and one
    optimizer step per batch. Returns the epoch's mean loss; NonFiniteError names a non-finite step."""
    X, Y, L = data
    opt, frozen, clip_value, clip_norm = step_rule
    total = count = 0.0
    for step, i in enumerate(range(0, len(X), batch_size)):
        idx = order[i : i + batch_size]
        with np.errstate(over="ignore", invalid="ignore"):  # checked just below, with a clear message
            part = None if L is None else L[idx]
            value, dpred, weight, cache = batch_loss(model, loss_fn, X[idx], Y[idx], part, segment)
            _, grads = model.backward(dpred, cache)
        if not np.isfinite(value) or not _all_finite(grads):
            what = "loss" if not np.isfinite(value) else "gradient"
            raise NonFiniteError(
                f"fit: non-finite {what} at epoch {epoch + 1}, step {step + 1} (loss {value}); training stopped "
                "with the weights of the last finite step. Try a smaller learning rate or clip_norm."
            )
        if frozen:
            grads = {k: g for k, g in grads.items() if k not in frozen}
        if clip_value is not None:
            optim.clip_grad_value(grads, clip_value)
        if clip_norm is not None:
            optim.clip_grad_norm(grads, clip_norm)
        opt.step({k: p for k, p in model.params.items() if k not in frozen}, grads)
        total += value * weight
        count += weight
    return total / count


def fit(
    model,
    X,
    Y,
    *,
    loss="mse",
    optimizer="adam",
    epochs=10,
    batch_size=32,
    validation_split=0.0,
    validation_data=None,
    shuffle=True,
    clip_norm=None,
    clip_value=None,
    early_stopping=None,
    seed=None,
    progress=True,
    checkpoint=None,
    checkpoint_every=1,
    resume=None,
    freeze=(),
    segment=None,
    lengths=None,
    mask=None,
) -> History:
    """Train ``model`` on X (N, T, D) and Y with minibatch backpropagation through time.

    Args:
        loss: "mse", "mae" or "cross_entropy" (Y then holds integer labels).
        optimizer: an ``recurrent.optim`` optimizer or its name ("adam" by default).
        epochs, batch_size: passes over the data and samples per step.
        validation_split: fraction of the samples, taken from the end (as Keras), held out.
        validation_data: ``(X_val, Y_val)`` instead of a split.
        shuffle: draw a new order every epoch from the run's generator.
        clip_norm / clip_value: clip gradients by global norm / by value before each step.
        early_stopping: ``EarlyStopping(...)`` or an int patience.
        seed: seeds the run's generator (shuffling); the same seed gives identical weights.
        progress: a tqdm bar on stderr (only when stderr is a terminal).
        checkpoint, checkpoint_every: save a checkpoint every k epochs (and at the end).
        resume: a checkpoint to continue from; ``epochs`` is still the total.
        freeze: parameter names (as in ``model.params``) left untouched, e.g.
            ``["0.bias_hh_l0"]`` to train a hand-calculation's single bias per gate.
        segment: keep activations for ``segment`` steps at a time and recompute the rest
            in backward (exact gradients, less memory, one more forward pass).
        lengths / mask: sequences of different lengths, right-padded to X's T steps:
            ``lengths`` (N,) or a boolean ``mask`` (N, T), True at real steps. Each
            sequence stops at its length (``Sequential.forward``); with per-step outputs
            the loss ignores padded steps. ``validation_data`` then takes
            ``(X_val, Y_val, lengths_val)``; a ``validation_split`` splits the lengths too.

    Returns a ``History``. Raises ``NonFiniteError`` (a ``ValueError``) naming the
    epoch and step when the loss or a gradient is not finite; the weights are then
    those of the last finite step.
    """
    loss_fn = losses.get(loss)
    loss_name = loss if isinstance(loss, str) else None
    epochs = chk.positive_int("fit", "epochs", epochs)
    batch_size = chk.positive_int("fit", "batch_size", batch_size)
    checkpoint_every = chk.positive_int("fit", "checkpoint_every", checkpoint_every)
    opt = optim.get(optimizer)
    segment, frozen, early_stopping = _options(model, clip_norm, clip_value, segment, freeze, early_stopping)
    X, Y = check_data(model, X, Y, loss_name)
    L = model.check_lengths(X, lengths, mask) if hasattr(model, "check_lengths") else None
    (Xt, Yt, Lt), (Xv, Yv, Lv) = _split(model, X, Y, L, validation_data, validation_split, loss_name)

    rng = np.random.default_rng(seed)
    history = History()
    es = {"best": None, "best_epoch": None, "wait": 0}
    best_weights = None
    start = 0
    if resume is not None:
        meta, opt, best_weights, fields, es = checkpoints.load(resume, model, rng)
        history = History(*fields)
        start = meta["epoch"]
        if history.stopped_early:
            start = epochs

    n = len(Xt)
    bar = None
    if progress and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=epochs, initial=start, desc="fit", unit="epoch", file=sys.stderr, leave=False)
    was_training = [m.training for m in (model, *getattr(model, "layers", ()))]
    model.train()  # dropout on while fitting
    try:
        for epoch in range(start, epochs):
            order = rng.permutation(n) if shuffle else np.arange(n)
            step_rule = (opt, frozen, clip_value, clip_norm)
            history.loss.append(_epoch(model, loss_fn, (Xt, Yt, Lt), order, batch_size, segment, step_rule, epoch))
            if Xv is not None:
                with in_mode(model, False):  # validation without dropout
                    history.val_loss.append(mean_loss(model, Xv, Yv, loss_fn, lengths=Lv))
            monitored = history.val_loss[-1] if Xv is not None else history.loss[-1]
            stop = False
            if early_stopping is not None:
                stop, best = early_stopping.update(es, monitored, epoch + 1)
                if best and early_stopping.restore_best:
                    best_weights = model.state_dict()
                history.best_epoch = es["best_epoch"]
                history.stopped_early = stop
            if bar is not None:
                bar.update(1)
                bar.set_postfix(
                    loss=f"{history.loss[-1]:.4g}",
                    **({"val": f"{history.val_loss[-1]:.4g}"} if history.val_loss else {}),
                )
            if checkpoint is not None and ((epoch + 1) % checkpoint_every == 0 or epoch + 1 == epochs or stop):
                checkpoints.save(checkpoint, model, opt, rng, history, es, epoch + 1, best_weights)
            if stop:
                break
    finally:
        for m, was in zip((model, *getattr(model, "layers", ())), was_training):
            m.training = was
        if bar is not None:
            bar.close()
    if early_stopping is not None and early_stopping.restore_best and best_weights is not None:
        model.load_state_dict(best_weights)
    return history

"""Checkpoints: everything the rest of a training run depends on (weights, the optimizer's buffers
and step count, the run's generator and each layer's dropout generator, the history, the
early-stopping state and its best weights), so a run resumed from one ends bitwise identical to a run
never interrupted. Every value is checked when read back; a damaged one is named.
"""

from __future__ import annotations

from . import optim, store


def _layer_rngs(model) -> list:
    """Each layer's own generator (its dropout masks), or None for a layer without one."""
    return [getattr(layer, "rng", None) for layer in getattr(model, "layers", (model,))]


def save(path, model, opt, rng, history, es_state, epoch, best):
    """Write a checkpoint of the run so far to ``path``, atomically."""
    tensors = {f"model/{k}": v for k, v in model.state_dict().items()}
    sd = opt.state_dict()
    tensors.update({f"optim/{k}": v for k, v in sd["buffers"].items()})
    if best is not None:
        tensors.update({f"best/{k}": v for k, v in best.items()})
    meta = {
        "kind": "checkpoint",
        "layers": model.config(),
        "epoch": epoch,
        "optimizer": {"config": sd["config"], "steps": sd["steps"]},
        "rng": rng.bit_generator.state,
        "layer_rngs": [None if g is None else g.bit_generator.state for g in _layer_rngs(model)],
        "history": history.to_dict(),
        "early_stopping": es_state,
    }
    store.save_file(path, tensors, meta)


def _set_state(generator, state, what):
    """Put a saved PCG64 state into ``generator``; ValueError naming ``what`` when it is not one."""
    if not isinstance(state, dict) or state.get("bit_generator") != generator.bit_generator.state["bit_generator"]:
        raise ValueError(f"{what} is not a {generator.bit_generator.state['bit_generator']} state")
    try:
        generator.bit_generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as e:
        raise ValueError(f"{what} is damaged ({e})") from None


def _floats(what, values, n):
    if not isinstance(values, list) or len(values) != n:
        raise ValueError(f"{what} must be a list of {n} numbers")
    if not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values):
        raise ValueError(f"{what} must hold numbers")
    return values


def _check_progress(meta):
    """(epoch, losses, validation losses, best epoch, stopped early, early-stopping state), checked."""
    epoch = meta["epoch"]
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise ValueError(f"`epoch` must be a whole number >= 0, got {str(epoch)[:40]}")
    h = meta["history"]
    losses_, val = _floats("history.loss", h["loss"], epoch), h["val_loss"]
    if val:
        _floats("history.val_loss", val, epoch)
    best_epoch, stopped = h["best_epoch"], h["stopped_early"]
    if best_epoch is not None and (isinstance(best_epoch, bool) or not isinstance(best_epoch, int)):
        raise ValueError(f"`history.best_epoch` must be a whole number or null, got {str(best_epoch)[:40]}")
    if not isinstance(stopped, bool):
        raise ValueError("`history.stopped_early` must be true or false")
    es = meta["early_stopping"]
    if not isinstance(es, dict) or set(es) != {"best", "best_epoch", "wait"}:
        raise ValueError("`early_stopping` must hold best, best_epoch and wait")
    if isinstance(es["wait"], bool) or not isinstance(es["wait"], int) or es["wait"] < 0:
        raise ValueError("`early_stopping.wait` must be a whole number >= 0")
    return epoch, losses_, val, best_epoch, stopped, es


def load(path, model, rng):
    """(meta, optimizer, best weights, history, early-stopping state), every value checked; the run's
    generator and each layer's are set to the saved states."""
    tensors, meta = store.load_file(path, kind="checkpoint")
    if meta.get("layers") != model.config():
        raise ValueError(f"{path}: checkpoint is for a different model ({str(meta.get('layers'))[:300]})")

    def part(prefix):
        return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}

    try:
        epoch, losses_, val, best_epoch, stopped, es = _check_progress(meta)
        steps = meta["optimizer"]["steps"]
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"`optimizer.steps` must be a whole number >= 0, got {str(steps)[:40]}")
        config = meta["optimizer"]["config"]
        if not isinstance(config, dict):
            raise ValueError("`optimizer.config` must be an object")
        opt = optim.from_config(config)
        model.load_state_dict(part("model/"))
        opt.load_state_dict({"config": config, "steps": steps, "buffers": part("optim/")})
        _set_state(rng, meta["rng"], "`rng`")
        saved = meta.get("layer_rngs")  # absent in checkpoints written before dropout was resumable
        if saved is not None:
            gens = _layer_rngs(model)
            if not isinstance(saved, list) or len(saved) != len(gens):
                raise ValueError(f"`layer_rngs` must be a list of {len(gens)} states")
            for k, (g, state) in enumerate(zip(gens, saved)):
                if (g is None) != (state is None):
                    raise ValueError(f"`layer_rngs[{k}]` does not match layer {k}")
                if g is not None:
                    _set_state(g, state, f"`layer_rngs[{k}]`")
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"{path}: the checkpoint is damaged ({str(exc)[:300]})") from None
    best = part("best/") or None
    history = (list(losses_), list(val), best_epoch, stopped)  # train.History's fields
    return meta, opt, best, history, es

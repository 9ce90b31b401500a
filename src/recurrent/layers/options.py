"""The options that make a layer run a variant of its cell (``recurrent.cells.variants``).

``read`` checks a layer's keyword options and returns the cell's ``Options``; the layer
keeps them and saves them in its configuration. Which option belongs to which cell:

    every cell    activations, clip, recurrent_dropout
    LSTM          peepholes, input_forget, forget_bias
    GRU           reset_after
"""

from __future__ import annotations

import numbers

from .. import activations as act
from ..cells.spec import SPECS
from ..cells.variants import DEFAULTS, Options

ONLY = {"peepholes": "lstm", "input_forget": "lstm", "forget_bias": "lstm", "reset_after": "gru"}
DEFAULT_OF = {"peepholes": False, "input_forget": False, "forget_bias": None, "reset_after": True}
RELU = (("relu", None, None),)


def read(owner: str, cell: str, nonlinearity: str | None, given: dict) -> Options:
    """The ``Options`` for these keyword options (TypeError/ValueError naming a bad one)."""
    for key, value in given.items():
        if key in ONLY and ONLY[key] != cell and value != DEFAULT_OF[key]:
            article = "an" if ONLY[key] == "lstm" else "a"
            raise ValueError(f"{owner}: `{key}` applies to {article} {ONLY[key].upper()}")
    acts = given.get("activations")
    if acts is not None:
        if isinstance(acts, str) or not hasattr(acts, "__len__"):
            acts = [acts]
        if len(acts) != len(DEFAULTS[cell]):
            roles = SPECS[cell].activation_roles
            raise ValueError(f"{owner}: expected {roles} activations, got {len(acts)}: {list(acts)!r}")
        acts = tuple(act.activation(a, owner) for a in acts)
        if nonlinearity not in (None, "tanh"):
            raise ValueError(f"{owner}: give `activations` or `nonlinearity`, not both")
    elif nonlinearity == "relu":
        acts = RELU
    clip = given.get("clip")
    if clip is not None:
        if isinstance(clip, bool) or not isinstance(clip, numbers.Real) or not clip > 0:
            raise ValueError(f"{owner}: `clip` must be a positive number or None, got {clip!r}")
        clip = float(clip)
    for key in ("peepholes", "input_forget", "reset_after"):
        if key in given and not isinstance(given[key], bool):
            raise TypeError(f"{owner}: `{key}` must be True or False, got {given[key]!r}")
    opts = Options(
        cell,
        activations=() if acts is None or acts == DEFAULTS[cell] else acts,
        clip=clip,
        peepholes=bool(given.get("peepholes", False)),
        input_forget=bool(given.get("input_forget", False)),
        reset_after=bool(given.get("reset_after", True)),
    )
    return opts


def forget_bias(owner: str, value):
    """The LSTM forget gate's initial bias, or None (PyTorch's initialisation)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: `forget_bias` must be a number or None, got {value!r}")
    return float(value)


def saved(opts: Options) -> dict:
    """The options as the layer's configuration holds them (what differs from the defaults)."""
    out = {}
    if opts.activations and opts.activations != RELU:
        out["activations"] = [list(a) for a in opts.activations]
    if opts.clip is not None:
        out["clip"] = opts.clip
    if opts.peepholes:
        out["peepholes"] = True
    if opts.input_forget:
        out["input_forget"] = True
    if not opts.reset_after:
        out["reset_after"] = False
    return out

"""Dropout masks for a recurrent layer, drawn from its own generator (``layer.rng``) or reused
from an earlier forward's cache: between stacked layers as PyTorch applies it (``dropout``), and on h
where it enters the recurrent products, one mask per sequence as Keras applies it
(``recurrent_dropout``). Inverted dropout: kept values are scaled by 1/(1 - p).
"""

from __future__ import annotations

import numpy as np


def recurrent(layer, given, N) -> list:
    """Recurrent dropout masks, [layer][direction] each (N, H), drawn or given; [] when off."""
    dirs, H = layer.num_directions, layer.hidden_size
    if given is not None:
        if (
            not isinstance(given, list)
            or len(given) != layer.num_layers
            or any(len(row) != dirs or any(np.shape(m) != (N, H) for m in row) for row in given)
        ):
            raise ValueError(
                f"{type(layer).__name__}: `recurrent_masks` must be [layer][direction] masks of shape {(N, H)}, "
                "as an earlier forward's cache holds them"
            )
        return given
    if not (layer.training and layer.recurrent_dropout > 0):
        return []
    return [[mask(layer, (N, H), layer.recurrent_dropout) for _ in range(dirs)] for _ in range(layer.num_layers)]


def mask(layer, shape, p) -> np.ndarray:
    """An inverted-dropout mask from the layer's generator: 0 with probability p, else 1/(1 - p)."""
    keep = 1.0 - p
    return ((layer.rng.random(shape) < keep) / keep).astype(layer.dtype)


def between_layers(layer, masks, N, T) -> list:
    """The masks between layers (each (N, T, dirs*H), already scaled), drawn or given."""
    shape = (N, T, layer.num_directions * layer.hidden_size)
    if masks is not None:
        if (
            not isinstance(masks, list)
            or len(masks) != layer.num_layers - 1
            or any(np.shape(m) != shape for m in masks)
        ):
            raise ValueError(
                f"{type(layer).__name__}: `masks` must be the list of {layer.num_layers - 1} dropout masks "
                f"of shape {shape} that an earlier forward's cache holds"
            )
        return masks
    if not (layer.training and layer.dropout > 0):
        return []
    return [mask(layer, shape, layer.dropout) for _ in range(layer.num_layers - 1)]

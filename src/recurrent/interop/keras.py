"""Keras weights in and out, as the arrays ``layer.get_weights()`` returns (no Keras needed).

    LSTM:       [kernel (D, 4H), recurrent_kernel (H, 4H), bias (4H,)]      gates (i, f, c, o)
    GRU:        [kernel (D, 3H), recurrent_kernel (H, 3H), bias (2, 3H)]    gates (z, r, h), reset_after=True
                bias (3H,) with reset_after=False: a GRU(reset_after=False) here
    SimpleRNN:  [kernel (D, H),  recurrent_kernel (H, H),  bias (H,)]

Keras multiplies x @ kernel, so its matrices are ours transposed; it has one bias per gate
(``bias_ih``; ``bias_hh`` is 0 on the way in, and summed in on the way out). A GRU with
``reset_after=True`` (Keras' default) keeps two biases, input and recurrent, exactly as PyTorch;
with ``reset_after=False`` (Keras' old default) the reset gate applies before the recurrent
product and the one bias is ``bias_ih`` (``GRU(reset_after=False)``, ``recurrent.cells.variants``).
``Bidirectional(layer).get_weights()`` is the forward layer's list followed by the backward one's;
a stack of layers is a list of such lists.
"""

from __future__ import annotations

import numpy as np

from .._checks import float_array, shape_str
from ..cells.spec import SPECS
from ._layout import CLASS_OF, TO_KERAS, cell_of, inverse, permute_blocks


def _per_direction(w, cell, H, D, where):
    """Our four arrays for one direction from Keras' three."""
    if len(w) != 3:
        raise ValueError(f"from_keras: {where}: expected 3 arrays (kernel, recurrent_kernel, bias), got {len(w)}")
    G = SPECS[cell].num_gates
    kernel, rec, bias = (
        float_array("from_keras", n, a, np.float64) for n, a in zip(("kernel", "recurrent_kernel", "bias"), w)
    )
    if kernel.shape != (D, G * H):
        raise ValueError(
            f"from_keras: {where}: kernel expected shape {shape_str((D, G * H))}, got {shape_str(kernel.shape)}"
        )
    if rec.shape != (H, G * H):
        raise ValueError(
            f"from_keras: {where}: recurrent_kernel expected shape {shape_str((H, G * H))}, got {shape_str(rec.shape)}"
        )
    if cell == "gru" and bias.shape != (G * H,):  # reset_after=True: two biases
        if bias.shape != (2, G * H):
            raise ValueError(
                f"from_keras: {where}: GRU bias expected shape (2, {G * H}) (reset_after=True) or ({G * H},) "
                f"(reset_after=False), got {shape_str(bias.shape)}"
            )
        b_ih, b_hh = bias[0], bias[1]
    else:
        if bias.shape != (G * H,):
            raise ValueError(f"from_keras: {where}: bias expected shape ({G * H},), got {shape_str(bias.shape)}")
        b_ih, b_hh = bias, np.zeros_like(bias)
    back = inverse(TO_KERAS[cell])
    return (
        permute_blocks(kernel.T, back, H),
        permute_blocks(rec.T, back, H),
        permute_blocks(b_ih, back, H),
        permute_blocks(b_hh, back, H),
    )


def from_keras(
    weights: list, cell: str = "lstm", bidirectional: bool = False, nonlinearity: str = "tanh", dtype=np.float64
):
    """A layer from Keras ``get_weights()`` arrays (one layer, or a list of layers to stack)."""
    if cell not in SPECS:
        raise ValueError(f"from_keras: `cell` must be 'lstm', 'gru' or 'rnn', got {cell!r}")
    if not isinstance(weights, (list, tuple)) or not weights:
        raise TypeError("from_keras: expected the list that get_weights() returns")
    stacked = isinstance(weights[0], (list, tuple))
    layers = list(weights) if stacked else [weights]
    per_dir = 6 if bidirectional else 3
    G = SPECS[cell].num_gates
    first = np.asarray(layers[0][0])
    if first.ndim != 2:
        raise ValueError(f"from_keras: kernel must be a matrix (D, {G}H), got shape {shape_str(first.shape)}")
    D, H = first.shape[0], first.shape[1] // G
    options = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    if cell == "gru" and len(layers[0]) >= 3 and np.shape(layers[0][2]) == (G * H,):
        options["reset_after"] = False  # Keras' one-bias GRU
    layer = CLASS_OF[cell](D, H, num_layers=len(layers), bidirectional=bidirectional, dtype=dtype, **options)
    sd = {}
    for k, lw in enumerate(layers):
        if len(lw) != per_dir:
            raise ValueError(
                f"from_keras: layer {k}: expected {per_dir} arrays "
                f"({'forward then backward ' if bidirectional else ''}kernel, recurrent_kernel, bias), "
                f"got {len(lw)}"
            )
        d_in = D if k == 0 else H * layer.num_directions
        for d in range(layer.num_directions):
            s = layer.param_suffix(k, d)
            arrays = _per_direction(lw[3 * d : 3 * d + 3], cell, H, d_in, f"layer {k}{' backward' if d else ''}")
            for name, a in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), arrays):
                sd[name + s] = a
    return layer.load_state_dict(sd)


def to_keras(layer) -> list:
    """The arrays Keras' ``set_weights()`` takes, for a layer with the same function.

    One layer: [kernel, recurrent_kernel, bias] (six arrays if bidirectional); several: a list per layer.
    LSTM and SimpleRNN biases are summed (Keras has one); a GRU keeps both as bias (2, 3H), or,
    built with ``reset_after=False``, sums them into one (3H,) as Keras' does (both are added
    outside the reset product there, so the sum is the same function).
    """
    cell = cell_of(layer)
    H, order = layer.hidden_size, TO_KERAS[cell]
    out = []
    for k in range(layer.num_layers):
        lw = []
        for d in range(layer.num_directions):
            w_ih, w_hh, b_ih, b_hh = (np.array(a, dtype=np.float64) for a in layer.weights_of(k, d))
            kernel = permute_blocks(w_ih, order, H).T
            rec = permute_blocks(w_hh, order, H).T
            if cell == "gru" and layer.options.reset_after:
                bias = np.stack([permute_blocks(b_ih, order, H), permute_blocks(b_hh, order, H)])
            else:
                bias = permute_blocks(b_ih + b_hh, order, H)
            lw += [np.ascontiguousarray(kernel), np.ascontiguousarray(rec), bias]
        out.append(lw)
    return out[0] if layer.num_layers == 1 else out


def keras_tensors(model) -> dict:
    """A Sequential's weights in Keras' layout, named for a safetensors file: ``layer{k}/kernel``,
    ``layer{k}/recurrent_kernel``, ``layer{k}/bias`` (``layer{k}/backward/...`` for the reverse half),
    then ``{i}.kernel`` (= weight^T) and ``{i}.bias`` for each Dense after the recurrent layer."""
    rnn = model.layers[0]
    w = to_keras(rnn)
    per_layer = [w] if rnn.num_layers == 1 else w
    names = ["kernel", "recurrent_kernel", "bias"]
    tensors = {}
    for k, lw in enumerate(per_layer):
        for j, a in enumerate(lw):
            direction = "backward/" if j >= 3 else ""
            tensors[f"layer{k}/{direction}{names[j % 3]}"] = np.ascontiguousarray(a)
    for i, layer in enumerate(model.layers[1:], start=1):
        for name, a in layer.params.items():
            tensors[f"{i}.{'kernel' if name == 'weight' else name}"] = np.ascontiguousarray(
                a.T if name == "weight" else a
            )
    return tensors

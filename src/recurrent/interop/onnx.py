"""ONNX export and import (the import in onnx_graph.py and onnx_import.py), checked by onnxruntime in the tests.

    to_onnx(model, "model.onnx")      # x (N, T, D) float32 in; y first out, then h_n (and c_n)
    model = from_onnx("model.onnx")

The graph takes x batch-first, transposes it to ONNX's (T, N, D), runs one node per
stacked layer (W (dirs, G*H, D), R (dirs, G*H, H), B (dirs, 2*G*H) = [Wb, Rb], gates
reordered to ONNX's LSTM (i, o, f, c) / GRU (z, r, h) with ``linear_before_reset=1``),
reshapes Y (T, dirs, N, H) back to (N, T, dirs*H), and applies ``LastStep`` as a Gather
of the last step and ``Linear`` as Gemm (one vector per sequence) or MatMul + Add (per
step). Batch and time are dynamic. Opset 14 (IR 8) by default, or 22 (IR 10):
onnxruntime 1.31 runs both. Export is float32 (onnxruntime's LSTM runs float32 only).

onnx and onnxruntime are an optional extra: pip install 'recurrent[onnx]'.
"""

from __future__ import annotations

import os

import numpy as np

from ..activations import activation
from ..cells.spec import SPECS
from ..layers import LastStep, Linear, Patches
from ..safefiles import atomic_write_bytes
from ..sequential import Sequential
from ._layout import TO_ONNX, cell_of, permute_blocks
from .onnx_graph import from_onnx  # noqa: F401
from .onnx_import import USES_ALPHA, USES_BETA, _import_onnx, layer_from_node, run_like_onnx  # noqa: F401

IR_FOR_OPSET = {14: 8, 22: 10}


def to_onnx(
    layer_or_model,
    path: str | os.PathLike | None = None,
    opset: int = 14,
    *,
    lengths: bool = False,
    initial_state: bool = False,
):
    """Write (or, with ``path=None``, return) an ONNX model computing the same function in float32.

    ``lengths=True`` adds a graph input ``lengths`` (N,) int32, every recurrent node's
    ``sequence_lens`` (and ``LastStep`` becomes each sequence's last real step);
    ``initial_state=True`` adds ``h0`` (and ``c0`` for an LSTM), (L*dirs, N, H), the first
    recurrent layer's initial state. The variants' options are written as the nodes'
    attributes (activations with alpha/beta, clip, input_forget, linear_before_reset,
    direction="reverse") and peepholes as their input P; dropout is training only and
    not written.
    """
    onnx = _import_onnx()
    from onnx import TensorProto, helper

    if opset not in IR_FOR_OPSET:
        raise ValueError(f"to_onnx: `opset` must be 14 or 22, got {opset!r}")
    layers = layer_or_model.layers if isinstance(layer_or_model, Sequential) else [layer_or_model]
    first = layers[1] if isinstance(layers[0], Patches) and len(layers) > 1 else layers[0]
    if not getattr(first, "is_recurrent", False):
        raise TypeError(
            f"to_onnx: expected a recurrent layer or a Sequential starting with one, got {type(first).__name__}"
        )
    in_width = first.input_size // (layers[0].size if isinstance(layers[0], Patches) else 1)
    g = _Writer(in_width, lengths, initial_state)
    extra_inputs = []
    if lengths:
        extra_inputs.append(helper.make_tensor_value_info("lengths", TensorProto.INT32, ["N"]))
    if initial_state:
        S = first.num_layers * first.num_directions
        extra_inputs.append(helper.make_tensor_value_info("h0", TensorProto.FLOAT, [S, "N", first.hidden_size]))
        if first.has_cell_state:
            extra_inputs.append(helper.make_tensor_value_info("c0", TensorProto.FLOAT, [S, "N", first.hidden_size]))
    for li, layer in enumerate(layers):
        g.layer(li, layer)
    g.node("Identity", [g.cur], ["y"])
    y_shape = ["N", "T", g.width] if g.rank == 3 else ["N", g.width]
    graph = helper.make_graph(
        g.nodes,
        "recurrent",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", "T", in_width])] + extra_inputs,
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)] + g.outputs_extra,
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="recurrent")
    model.ir_version = IR_FOR_OPSET[opset]
    onnx.checker.check_model(model, full_check=True)
    if path is None:
        return model

    atomic_write_bytes(path, model.SerializeToString())
    return model


class _Writer:
    """The graph as it is written: nodes, initializers, the extra outputs (each recurrent layer's final
    state), and the current value's name, rank and width. One method per layer kind."""

    def __init__(self, in_width, lengths, initial_state):
        from onnx import TensorProto, helper, numpy_helper

        self.helper, self.numpy_helper, self.types = helper, numpy_helper, TensorProto
        self.nodes, self.inits, self.outputs_extra = [], [], []
        self.cur, self.rank, self.width = "x", 3, in_width
        self.lengths, self.initial_state = lengths, initial_state
        self.const("shape_tn_flat", [0, 0, -1], np.int64)

    def const(self, name, array, dtype=np.float32):
        """An initializer (0-d arrays stay 0-d); returns its name."""
        self.inits.append(self.numpy_helper.from_array(np.array(array, dtype=dtype, order="C"), name))
        return name

    def node(self, op, ins, outs, **attrs):
        """Append one node."""
        self.nodes.append(self.helper.make_node(op, ins, outs, **attrs))

    def layer(self, li, layer):
        """Write layer ``li``: its nodes read ``cur`` and leave their output there."""
        tag = f"m{li}"
        if getattr(layer, "is_recurrent", False):
            self.recurrent(li, tag, layer)
        elif isinstance(layer, Patches):  # (N, T, F) -> (N, T / size, size F)
            shape = self.const(f"{tag}_shape", [0, -1, layer.size * self.width], np.int64)
            self.node("Reshape", [self.cur, shape], [f"{tag}_y"])
            self.cur, self.width = f"{tag}_y", layer.size * self.width
        elif isinstance(layer, LastStep):
            self.last_step(tag)
        elif isinstance(layer, Linear):
            self.linear(li, tag, layer)
        else:
            raise TypeError(f"to_onnx: cannot export layer {li} ({type(layer).__name__})")

    def last_step(self, tag):
        """y[:, -1], or with lengths each sequence's last real step y[n, lengths[n] - 1]."""
        if self.lengths:
            self.node("Cast", ["lengths"], [f"{tag}_len"], to=self.types.INT64)
            self.node("Sub", [f"{tag}_len", self.const(f"{tag}_one", [1], np.int64)], [f"{tag}_idx"])
            self.node("Unsqueeze", [f"{tag}_idx", self.const(f"{tag}_ax", [1], np.int64)], [f"{tag}_i"])
            self.node("GatherND", [self.cur, f"{tag}_i"], [f"{tag}_y"], batch_dims=1)
        else:
            self.node("Gather", [self.cur, self.const(f"{tag}_last", -1, np.int64)], [f"{tag}_y"], axis=1)
        self.cur, self.rank = f"{tag}_y", 2

    def linear(self, li, tag, layer):
        """Gemm on (N, F), MatMul and Add on (N, T, F)."""
        if layer.in_features != self.width:
            raise ValueError(f"to_onnx: layer {li} ({layer!r}) gets {self.width} features")
        W, b = layer.params["weight"], layer.params["bias"]
        if self.rank == 2:
            self.node("Gemm", [self.cur, self.const(f"{tag}_W", W), self.const(f"{tag}_b", b)], [f"{tag}_y"], transB=1)
        else:
            self.node("MatMul", [self.cur, self.const(f"{tag}_Wt", W.T)], [f"{tag}_mm"])
            self.node("Add", [f"{tag}_mm", self.const(f"{tag}_b", b)], [f"{tag}_y"])
        self.cur, self.width = f"{tag}_y", layer.out_features

    def recurrent(self, li, tag, layer):
        """One ONNX node per stacked layer, in (T, N, D) between Transposes; the final states as extra outputs."""
        cell, H, dirs = cell_of(layer), layer.hidden_size, layer.num_directions
        if self.rank != 3 or self.width != layer.input_size:
            raise ValueError(f"to_onnx: layer {li} ({layer!r}) expects (N, T, {layer.input_size}) input")
        self.node("Transpose", [self.cur], [f"{tag}_in"], perm=[1, 0, 2])  # (T, N, D)
        seq, hs, cs = f"{tag}_in", [], []
        for k in range(layer.num_layers):
            name = f"{tag}_l{k}"
            outs = [f"{name}_Y", f"{name}_Yh"] + ([f"{name}_Yc"] if cell == "lstm" else [])
            ins = self.stacked_inputs(layer, k, name, seq)
            self.node(SPECS[cell].onnx_op, ins, outs, name=name, hidden_size=H, **_variant_attrs(layer))
            self.node("Transpose", [f"{name}_Y"], [f"{name}_Yt"], perm=[0, 2, 1, 3])
            self.node("Reshape", [f"{name}_Yt", "shape_tn_flat"], [f"{name}_out"])
            seq = f"{name}_out"  # (T, N, dirs*H)
            hs.append(f"{name}_Yh")
            cs += [f"{name}_Yc"] if cell == "lstm" else []
        self.initial_state = False  # the first recurrent layer's only
        self.node("Transpose", [seq], [f"{tag}_y"], perm=[1, 0, 2])  # (N, T, dirs*H)
        self.cur, self.width = f"{tag}_y", dirs * H
        suffix = "" if not self.outputs_extra else f"_{li}"
        for names, out in ((hs, f"h_n{suffix}"), (cs, f"c_n{suffix}")):
            if names:
                self.node("Concat", names, [out], axis=0) if len(names) > 1 else self.node("Identity", names, [out])
                self.outputs_extra.append(
                    self.helper.make_tensor_value_info(out, self.types.FLOAT, [layer.num_layers * dirs, "N", H])
                )

    def stacked_inputs(self, layer, k, name, seq) -> list:
        """The node's inputs for stacked layer k: X, W, R, B in ONNX's gate order, then sequence_lens,
        the initial state and the peepholes where they apply."""
        cell, H, dirs = cell_of(layer), layer.hidden_size, layer.num_directions
        order = TO_ONNX[cell]
        W, R, B = [], [], []
        for d in range(dirs):
            w_ih, w_hh, b_ih, b_hh = (np.asarray(a, dtype=np.float64) for a in layer.weights_of(k, d))
            W.append(permute_blocks(w_ih, order, H))
            R.append(permute_blocks(w_hh, order, H))
            B.append(np.concatenate([permute_blocks(b_ih, order, H), permute_blocks(b_hh, order, H)]))
        ins = [
            seq,
            self.const(f"{name}_W", np.stack(W)),
            self.const(f"{name}_R", np.stack(R)),
            self.const(f"{name}_B", np.stack(B)),
            "lengths" if self.lengths else "",
        ]
        if self.initial_state:
            ins += _initial_state(self.nodes, self.const, name, k * dirs, dirs, cell == "lstm")
        if layer.options.peepholes:  # ours (i, f, o), ONNX's (i, o, f)
            P = [layer.params["peephole" + layer.param_suffix(k, d)].astype(np.float64) for d in range(dirs)]
            P = [np.concatenate([p[:H], p[2 * H :], p[H : 2 * H]]) for p in P]
            ins += [""] * (7 - len(ins)) + [self.const(f"{name}_P", np.stack(P))]
        while ins and not ins[-1]:
            ins.pop()
        return ins


def _variant_attrs(layer) -> dict:
    """The node attributes for the layer's direction and variant options."""

    dirs = layer.num_directions
    attrs = {"direction": "bidirectional" if dirs == 2 else ("reverse" if layer.reverse else "forward")}
    cell, opts = cell_of(layer), layer.options
    if cell == "gru":
        attrs["linear_before_reset"] = 1 if opts.reset_after else 0
    if opts.activations:
        acts = [activation(a) for a in opts.acts] * dirs
        attrs["activations"] = [ONNX_NAMES[k] for k, _, _ in acts]
        alphas = [a for k, a, _ in acts if k in USES_ALPHA]
        betas = [b for k, _, b in acts if k in USES_BETA]
        if alphas:
            attrs["activation_alpha"] = alphas
        if betas:
            attrs["activation_beta"] = betas
    if opts.clip is not None:
        attrs["clip"] = opts.clip
    if opts.input_forget:
        attrs["input_forget"] = 1
    return attrs


ONNX_NAMES = {
    "relu": "Relu",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "affine": "Affine",
    "leakyrelu": "LeakyRelu",
    "thresholdedrelu": "ThresholdedRelu",
    "scaledtanh": "ScaledTanh",
    "hardsigmoid": "HardSigmoid",
    "elu": "Elu",
    "softsign": "Softsign",
    "softplus": "Softplus",
}


def _initial_state(nodes, const, name, start, dirs, with_c):
    """Slices of the graph inputs h0 (and c0) for the node of one stacked layer: its input names."""
    from onnx import helper

    out = []
    for src in ("h0", "c0") if with_c else ("h0",):
        starts, ends, axes = (
            const(f"{name}_{src}_{k}", [v], np.int64) for k, v in (("s", start), ("e", start + dirs), ("a", 0))
        )
        nodes.append(helper.make_node("Slice", [src, starts, ends, axes], [f"{name}_{src}"]))
        out.append(f"{name}_{src}")
    return out

"""ONNX export and import: standard LSTM/GRU/RNN nodes, checked by onnxruntime in the tests.

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

from ..layers import LastStep, Linear, Patches
from ..model import Sequential
from ._layout import CLASS_OF, GATES, TO_ONNX, cell_of, inverse, permute_blocks

OP = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}
IR_FOR_OPSET = {14: 8, 22: 10}


def _import_onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("ONNX export/import needs onnx: pip install 'recurrent[onnx]'") from None
    return onnx


def to_onnx(layer_or_model, path: str | os.PathLike | None = None, opset: int = 14):
    """Write (or, with ``path=None``, return) an ONNX model computing the same function in float32."""
    onnx = _import_onnx()
    from onnx import TensorProto, helper, numpy_helper

    if opset not in IR_FOR_OPSET:
        raise ValueError(f"to_onnx: `opset` must be 14 or 22, got {opset!r}")
    layers = layer_or_model.layers if isinstance(layer_or_model, Sequential) else [layer_or_model]
    first = layers[1] if isinstance(layers[0], Patches) and len(layers) > 1 else layers[0]
    if not getattr(first, "is_recurrent", False):
        raise TypeError(
            f"to_onnx: expected a recurrent layer or a Sequential starting with one, got {type(first).__name__}"
        )
    in_width = first.input_size // (layers[0].size if isinstance(layers[0], Patches) else 1)
    nodes, inits, outputs_extra = [], [], []

    def const(name, array, dtype=np.float32):
        inits.append(numpy_helper.from_array(np.array(array, dtype=dtype, order="C"), name))  # keeps 0-d as 0-d
        return name

    const("shape_tn_flat", [0, 0, -1], np.int64)
    cur, rank, width = "x", 3, in_width
    for li, layer in enumerate(layers):
        tag = f"m{li}"
        if getattr(layer, "is_recurrent", False):
            cell, H, dirs = cell_of(layer), layer.hidden_size, layer.num_directions
            if rank != 3 or width != layer.input_size:
                raise ValueError(f"to_onnx: layer {li} ({layer!r}) expects (N, T, {layer.input_size}) input")
            nodes.append(helper.make_node("Transpose", [cur], [f"{tag}_in"], perm=[1, 0, 2]))  # (T, N, D)
            seq, hs, cs = f"{tag}_in", [], []
            order = TO_ONNX[cell]
            for k in range(layer.num_layers):
                W, R, B = [], [], []
                for d in range(dirs):
                    w_ih, w_hh, b_ih, b_hh = (np.asarray(a, dtype=np.float64) for a in layer.weights_of(k, d))
                    W.append(permute_blocks(w_ih, order, H))
                    R.append(permute_blocks(w_hh, order, H))
                    B.append(np.concatenate([permute_blocks(b_ih, order, H), permute_blocks(b_hh, order, H)]))
                name = f"{tag}_l{k}"
                attrs = {"hidden_size": H, "direction": "bidirectional" if dirs == 2 else "forward"}
                if cell == "gru":
                    attrs["linear_before_reset"] = 1
                if cell == "rnn" and layer.nonlinearity == "relu":
                    attrs["activations"] = ["Relu"] * dirs
                outs = [f"{name}_Y", f"{name}_Yh"] + ([f"{name}_Yc"] if cell == "lstm" else [])
                nodes.append(
                    helper.make_node(
                        OP[cell],
                        [
                            seq,
                            const(f"{name}_W", np.stack(W)),
                            const(f"{name}_R", np.stack(R)),
                            const(f"{name}_B", np.stack(B)),
                        ],
                        outs,
                        name=name,
                        **attrs,
                    )
                )
                nodes.append(helper.make_node("Transpose", [f"{name}_Y"], [f"{name}_Yt"], perm=[0, 2, 1, 3]))
                nodes.append(helper.make_node("Reshape", [f"{name}_Yt", "shape_tn_flat"], [f"{name}_out"]))
                seq = f"{name}_out"  # (T, N, dirs*H)
                hs.append(f"{name}_Yh")
                cs += [f"{name}_Yc"] if cell == "lstm" else []
            nodes.append(helper.make_node("Transpose", [seq], [f"{tag}_y"], perm=[1, 0, 2]))  # (N, T, dirs*H)
            cur, width = f"{tag}_y", dirs * H
            suffix = "" if not outputs_extra else f"_{li}"
            for names, out in ((hs, f"h_n{suffix}"), (cs, f"c_n{suffix}")):
                if names:
                    nodes.append(
                        helper.make_node("Concat", names, [out], axis=0)
                        if len(names) > 1
                        else helper.make_node("Identity", names, [out])
                    )
                    outputs_extra.append(
                        helper.make_tensor_value_info(out, TensorProto.FLOAT, [layer.num_layers * dirs, "N", H])
                    )
        elif isinstance(layer, Patches):  # (N, T, F) -> (N, T / size, size F)
            nodes.append(
                helper.make_node(
                    "Reshape", [cur, const(f"{tag}_shape", [0, -1, layer.size * width], np.int64)], [f"{tag}_y"]
                )
            )
            cur, width = f"{tag}_y", layer.size * width
        elif isinstance(layer, LastStep):
            nodes.append(helper.make_node("Gather", [cur, const(f"{tag}_last", -1, np.int64)], [f"{tag}_y"], axis=1))
            cur, rank = f"{tag}_y", 2
        elif isinstance(layer, Linear):
            if layer.in_features != width:
                raise ValueError(f"to_onnx: layer {li} ({layer!r}) gets {width} features")
            W, b = layer.params["weight"], layer.params["bias"]
            if rank == 2:
                nodes.append(
                    helper.make_node("Gemm", [cur, const(f"{tag}_W", W), const(f"{tag}_b", b)], [f"{tag}_y"], transB=1)
                )
            else:
                nodes.append(helper.make_node("MatMul", [cur, const(f"{tag}_Wt", W.T)], [f"{tag}_mm"]))
                nodes.append(helper.make_node("Add", [f"{tag}_mm", const(f"{tag}_b", b)], [f"{tag}_y"]))
            cur, width = f"{tag}_y", layer.out_features
        else:
            raise TypeError(f"to_onnx: cannot export layer {li} ({type(layer).__name__})")
    nodes.append(helper.make_node("Identity", [cur], ["y"]))
    y_shape = ["N", "T", width] if rank == 3 else ["N", width]
    graph = helper.make_graph(
        nodes,
        "recurrent",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", "T", in_width])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)] + outputs_extra,
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="recurrent")
    model.ir_version = IR_FOR_OPSET[opset]
    onnx.checker.check_model(model, full_check=True)
    if path is None:
        return model
    from ..io import atomic_write_bytes

    atomic_write_bytes(path, model.SerializeToString())
    return model


# ---- import ----------------------------------------------------------------------------------

SUPPORTED_ATTRS = {"hidden_size", "direction", "linear_before_reset", "activations", "layout"}
DEFAULT_ACTS = {"LSTM": [b"Sigmoid", b"Tanh", b"Tanh"], "GRU": [b"Sigmoid", b"Tanh"], "RNN": [b"Tanh"]}


def _attrs(node):
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _check_recurrent_node(node, attrs):
    where = f"from_onnx: node {node.name or node.op_type!r} ({node.op_type})"
    for name in attrs:
        if name not in SUPPORTED_ATTRS:
            raise ValueError(
                f"{where}: attribute {name!r} is not supported "
                "(clip, input_forget, activation_alpha/beta have no equivalent here)"
            )
    if attrs.get("layout", 0) != 0:
        raise ValueError(f"{where}: layout={attrs['layout']} is not supported (expected 0, time-major)")
    if attrs.get("direction", b"forward") not in (b"forward", b"bidirectional"):
        raise ValueError(
            f"{where}: direction {attrs['direction'].decode()!r} is not supported (forward or bidirectional)"
        )
    acts = attrs.get("activations")
    dirs = 2 if attrs.get("direction") == b"bidirectional" else 1
    if acts is not None:
        allowed = [DEFAULT_ACTS[node.op_type] * dirs]
        if node.op_type == "RNN":
            allowed.append([b"Relu"] * dirs)
        if list(acts) not in allowed:
            raise ValueError(
                f"{where}: activations {[a.decode() for a in acts]} are not supported "
                "(only the defaults, and Relu for RNN)"
            )
    if node.op_type == "GRU" and attrs.get("linear_before_reset", 0) != 1:
        raise ValueError(
            f"{where}: linear_before_reset=0 applies the reset gate before the recurrent product; "
            "PyTorch-style GRUs (and this library) need linear_before_reset=1"
        )
    extra = [i for i in node.input[4:] if i]
    if node.op_type == "LSTM" and len(node.input) > 7 and node.input[7]:
        raise ValueError(f"{where}: peephole weights (input P) are not supported")
    if extra:
        raise ValueError(f"{where}: optional inputs {extra} (sequence_lens, initial states) are not supported")


def from_onnx(path: str | os.PathLike, dtype=np.float32):
    """Read a model written by ``to_onnx`` (or one built the same way) back into layers.

    Refuses, with a ``ValueError`` naming it, anything without an exact equivalent: peepholes,
    clip, input_forget, non-default activations, ``linear_before_reset=0``, other layouts.
    """
    onnx = _import_onnx()
    from onnx import numpy_helper

    model = onnx.load(str(path))
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    layers = []
    pending = None  # the recurrent layer being assembled: (cell, H, dirs, relu, [(W, R, B)])

    def flush():
        nonlocal pending
        if pending is None:
            return
        cell, H, dirs, relu, stack = pending
        D = stack[0][0].shape[2]
        layer = CLASS_OF[cell](
            D,
            H,
            num_layers=len(stack),
            bidirectional=dirs == 2,
            dtype=dtype,
            **({"nonlinearity": "relu" if relu else "tanh"} if cell == "rnn" else {}),
        )
        back = inverse(TO_ONNX[cell])
        G = GATES[cell]
        sd = {}
        for k, (W, R, B) in enumerate(stack):
            for d in range(dirs):
                s = layer.param_suffix(k, d)
                sd[f"weight_ih{s}"] = permute_blocks(W[d], back, H)
                sd[f"weight_hh{s}"] = permute_blocks(R[d], back, H)
                sd[f"bias_ih{s}"] = permute_blocks(B[d][: G * H], back, H)
                sd[f"bias_hh{s}"] = permute_blocks(B[d][G * H :], back, H)
        layers.append(layer.load_state_dict(sd))
        pending = None

    nodes = list(model.graph.node)
    for i, node in enumerate(nodes):
        op = node.op_type
        if op in ("LSTM", "GRU", "RNN"):
            attrs = _attrs(node)
            _check_recurrent_node(node, attrs)
            try:
                W, R = init[node.input[1]], init[node.input[2]]
            except KeyError:
                raise ValueError(f"from_onnx: node {node.name!r}: W and R must be initializers") from None
            H = int(attrs["hidden_size"])
            dirs = W.shape[0]
            G = GATES[op.lower()]
            B = init[node.input[3]] if len(node.input) > 3 and node.input[3] else np.zeros((dirs, 2 * G * H))
            relu = op == "RNN" and attrs.get("activations", [b"Tanh"])[0] == b"Relu"
            key = (op.lower(), H, dirs, relu)
            if pending is not None and pending[:4] == key and W.shape[2] == dirs * H:
                pending[4].append((W, R, B))
            else:
                flush()
                pending = (*key, [(W, R, B)])
        elif op in ("Transpose", "Reshape", "Identity", "Concat"):
            continue
        elif op == "Gather":
            flush()
            idx = init.get(node.input[1])
            if _attrs(node).get("axis") != 1 or idx is None or int(idx) != -1:
                raise ValueError("from_onnx: a Gather other than the last time step is not supported")
            layers.append(LastStep())
        elif op in ("Gemm", "MatMul"):
            flush()
            if op == "Gemm":
                a = _attrs(node)
                if a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0 or a.get("transA", 0):
                    raise ValueError("from_onnx: Gemm with alpha/beta/transA is not supported")
                W = init[node.input[1]]
                W = W if a.get("transB", 0) else W.T
                b = init[node.input[2]] if len(node.input) > 2 else np.zeros(W.shape[0])
            else:
                W = init[node.input[1]].T
                add = next((n for n in nodes[i + 1 :] if n.op_type == "Add" and node.output[0] in n.input), None)
                b = init[[x for x in add.input if x != node.output[0]][0]] if add else np.zeros(W.shape[0])
            layers.append(Linear(W.shape[1], W.shape[0], dtype=dtype).load_state_dict({"weight": W, "bias": b}))
        elif op == "Add":
            continue  # consumed with its MatMul
        else:
            raise ValueError(f"from_onnx: operator {op!r} is not supported")
    flush()
    if not layers or not getattr(layers[0], "is_recurrent", False):
        raise ValueError(f"from_onnx: {path} has no LSTM, GRU or RNN node to start from")
    return layers[0] if len(layers) == 1 else Sequential(layers)

"""ONNX import of a whole graph: the data flow followed from the data input to the outputs, each
node in the patterns ``to_onnx`` writes read into layers (``onnx_import`` reads one recurrent node),
anything else refused by name. See ``from_onnx``.
"""

from __future__ import annotations

import os

import numpy as np

from ..layers import LastStep, Linear
from ..model import Sequential
from .onnx_import import _attrs, _import_onnx, _stack, _stacks_on, layer_from_node

MAX_NODES = 10_000  # a graph of recurrent layers is tens of nodes; anything far larger is refused unread


def _load_model(path_or_model):
    """The ModelProto: a path is read as a regular file of bounded size, without external data
    (a file never names another file to read)."""
    onnx = _import_onnx()
    if not isinstance(path_or_model, (str, os.PathLike)):
        return path_or_model
    from ..safefiles import MAX_TEXT_BYTES, read_regular

    data = read_regular(path_or_model, "ONNX file", MAX_TEXT_BYTES)
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf's DecodeError and kin
        raise ValueError(f"{path_or_model}: not a readable ONNX model ({type(exc).__name__})") from None
    return model


class _Flow:
    """What each tensor of the graph is, followed from the data input to the output: the main
    chain's tensor and its form, and the side tensors (lengths, initial states, final states)."""

    def __init__(self, graph, init, values):
        self.init, self.known = init, {**init, **(values or {})}
        runtime = [i.name for i in graph.input if i.name not in self.known]
        if not runtime:
            raise ValueError("from_onnx: the graph has no data input (every input is a weight)")
        self.cur, self.form = runtime[0], "in"  # "in": the data input, read by a recurrent node or a Transpose
        self.side = {name: "input" for name in runtime[1:]}  # lengths and initial states, given at run time
        self.width = _last_dim(graph.input[[i.name for i in graph.input].index(runtime[0])])
        self.mm = None  # a MatMul's weight, waiting for its Add

    def const(self, name, where):
        if name not in self.init:
            raise ValueError(f"from_onnx: {where} reads {name!r}, which is not a constant")
        return self.init[name]

    def main(self, node, forms, where):
        if not node.input or node.input[0] != self.cur or self.form not in forms:
            raise ValueError(
                f"from_onnx: {where} reads {node.input[0] if node.input else 'nothing'!r}, not the model's "
                f"data flow at that point ({self.cur!r}); a graph whose nodes do not follow one another is not imported"
            )


def _last_dim(value_info):
    try:
        dim = value_info.type.tensor_type.shape.dim[-1]
    except (AttributeError, IndexError):
        return None
    return int(dim.dim_value) if dim.HasField("dim_value") else None


def from_onnx(path_or_model, dtype=np.float32, values: dict | None = None):
    """Read a model written by ``to_onnx`` (or built the same way) back into layers.

    ``values``: arrays for graph inputs that hold weights (W, R, B, P) rather than data.
    A recurrent node's ``sequence_lens`` and initial states must be graph inputs: they are
    what ``forward`` takes (``lengths=``, ``state``). The data flow is followed from the data
    input to the first output: recurrent nodes, and the layout nodes (Transpose, Reshape,
    Gather, GatherND, Gemm, MatMul + Add, Slice, Concat, Identity, Cast, Sub, Unsqueeze) only
    in the patterns ``to_onnx`` writes. Any other node, or one that reads something the flow
    does not hold at that point (a cycle, a node reading its own output), is a ``ValueError``
    naming it; the model must pass ``onnx.checker`` (full check); at most ``MAX_NODES`` nodes.
    """
    _import_onnx()
    from onnx import numpy_helper

    model = _load_model(path_or_model)
    nodes = list(model.graph.node)
    if len(nodes) > MAX_NODES:
        raise ValueError(f"from_onnx: {len(nodes):,} nodes, more than the {MAX_NODES:,} a recurrent model may have")
    for t in model.graph.initializer:
        if t.data_location == t.EXTERNAL:
            raise ValueError(
                f"from_onnx: initializer {t.name!r} names an external file; only embedded weights are read"
            )
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    flow = _Flow(model.graph, init, values)
    layers, pending = [], []  # pending: the one-layer layers of one stack, to be merged

    def flush():
        if pending:
            layers.append(_stack(pending, dtype))
            pending.clear()

    for node in nodes:
        op, where = node.op_type, f"node {node.name or node.op_type!r} ({node.op_type})"
        ins = list(node.input)
        if op in ("LSTM", "GRU", "RNN"):
            flow.main(node, ("in", "tn"), where)
            slots = ins + [""] * (8 - len(ins))
            for k, what in ((4, "sequence_lens"), (5, "initial_h"), (6, "initial_c")):
                if slots[k] and slots[k] in init:
                    raise ValueError(
                        f"from_onnx: {where}: a constant {what} ({slots[k]!r}) is not supported; "
                        f"make it a graph input and pass it to forward ({'lengths=' if k == 4 else 'state'})"
                    )
                if slots[k] and flow.side.get(slots[k]) != "input":
                    raise ValueError(
                        f"from_onnx: {where}: its {what} {slots[k]!r} is not a graph input or a slice of one"
                    )
            layer = layer_from_node(node, flow.known, dtype)
            if flow.width is not None and layer.input_size != flow.width:
                raise ValueError(f"from_onnx: {where}: reads {flow.width} features, its W expects {layer.input_size}")
            if not (pending and _stacks_on(pending[-1], layer)):
                flush()
            pending.append(layer)
            outs = list(node.output) + [""] * 3
            flow.cur, flow.form, flow.width = outs[0], "Y", layer.num_directions * layer.hidden_size
            for name in outs[1:3]:
                if name:
                    flow.side[name] = "state"
        elif op == "Transpose":
            perm = list(_attrs(node).get("perm", []))
            flow.main(node, ("in", "bt", "tn", "Y"), where)
            if flow.form in ("in", "bt") and perm == [1, 0, 2]:
                flush() if flow.form == "bt" and not pending else None
                flow.form = "tn"
            elif flow.form == "tn" and perm == [1, 0, 2]:
                flush()
                flow.form = "bt"
            elif flow.form == "Y" and perm == [0, 2, 1, 3]:
                flow.form = "Yt"
            else:
                raise ValueError(f"from_onnx: {where}: perm {perm} is not a layout change the export writes")
            flow.cur = node.output[0]
        elif op == "Reshape":
            flow.main(node, ("Yt", "in", "bt"), where)
            shape = [int(v) for v in np.asarray(flow.const(ins[1], where)).ravel()]
            if flow.form == "Yt" and shape == [0, 0, -1]:
                flow.form = "tn"
            elif flow.form in ("in", "bt") and len(shape) == 3 and shape[:2] == [0, -1] and flow.width:
                if shape[2] % flow.width:
                    raise ValueError(f"from_onnx: {where}: {shape[2]} is not a whole number of {flow.width}-wide steps")
                from ..layers import Patches

                flush()
                layers.append(Patches(shape[2] // flow.width))
                flow.form, flow.width = "bt", shape[2]
            else:
                raise ValueError(f"from_onnx: {where}: shape {shape} is not one the export writes")
            flow.cur = node.output[0]
        elif op == "Gather":
            flow.main(node, ("bt",), where)
            idx = init.get(ins[1])
            if _attrs(node).get("axis") != 1 or idx is None or np.asarray(idx).size != 1 or int(idx) != -1:
                raise ValueError("from_onnx: a Gather other than the last time step is not supported")
            flush()
            layers.append(LastStep())
            flow.cur, flow.form = node.output[0], "b2"
        elif op in ("Cast", "Sub", "Unsqueeze"):  # the index of each sequence's last step, from the lengths
            src = {"Cast": "input", "Sub": "len64", "Unsqueeze": "idx"}[op]
            if not ins or flow.side.get(ins[0]) != src:
                raise ValueError(f"from_onnx: {where} reads {ins[0] if ins else 'nothing'!r}, not the lengths")
            if op in ("Sub", "Unsqueeze") and [int(v) for v in np.asarray(flow.const(ins[1], where)).ravel()] != [1]:
                raise ValueError(f"from_onnx: {where}: expected the constant [1] as its second input")
            flow.side[node.output[0]] = {"Cast": "len64", "Sub": "idx", "Unsqueeze": "gidx"}[op]
        elif op == "GatherND":
            flow.main(node, ("bt",), where)
            if len(ins) != 2 or flow.side.get(ins[1]) != "gidx" or _attrs(node).get("batch_dims") != 1:
                raise ValueError(f"from_onnx: {where}: only each sequence's last step (from the lengths) is supported")
            flush()
            layers.append(LastStep())
            flow.cur, flow.form = node.output[0], "b2"
        elif op == "Gemm":
            flow.main(node, ("b2",), where)
            a = _attrs(node)
            if a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0 or a.get("transA", 0):
                raise ValueError("from_onnx: Gemm with alpha/beta/transA is not supported")
            W = flow.const(ins[1], where)
            W = W if a.get("transB", 0) else W.T
            b = flow.const(ins[2], where) if len(ins) > 2 else np.zeros(W.shape[0])
            layers.append(_linear(W, b, dtype, where))
            flow.cur, flow.width = node.output[0], W.shape[0]
        elif op == "MatMul":
            flow.main(node, ("bt",), where)
            flow.mm = flow.const(ins[1], where).T
            flow.cur, flow.form = node.output[0], "mm"
        elif op == "Add":
            flow.main(node, ("mm",), where)
            W, b = flow.mm, flow.const(ins[1], where)
            layers.append(_linear(W, b, dtype, where))
            flow.cur, flow.form, flow.width, flow.mm = node.output[0], "bt", W.shape[0], None
        elif op == "Slice":  # one stacked layer's share of the initial state
            if not ins or flow.side.get(ins[0]) != "input":
                raise ValueError(f"from_onnx: {where} slices {ins[0] if ins else 'nothing'!r}, not an initial state")
            for name in ins[1:]:
                flow.const(name, where)
            flow.side[node.output[0]] = "input"
        elif op in ("Concat", "Identity") and ins and all(flow.side.get(i) == "state" for i in ins):
            if op == "Concat" and _attrs(node).get("axis") != 0:
                raise ValueError(f"from_onnx: {where}: final states are joined along axis 0")
            flow.side[node.output[0]] = "state"
        elif op == "Identity":
            flow.main(node, ("bt", "b2", "Y", "tn"), where)
            flow.cur = node.output[0]
        else:
            raise ValueError(f"from_onnx: operator {op!r} ({where}) has no equivalent here")
    flush()
    first = next((layer for layer in layers if type(layer).__name__ != "Patches"), None)
    if not getattr(first, "is_recurrent", False):
        name = path_or_model if isinstance(path_or_model, (str, os.PathLike)) else "the model"
        raise ValueError(f"from_onnx: {name} has no LSTM, GRU or RNN node to start from")
    outputs = [o.name for o in model.graph.output]
    if not outputs:
        raise ValueError("from_onnx: the graph has no output")
    for name in outputs:
        if name != flow.cur and flow.side.get(name) != "state":
            raise ValueError(
                f"from_onnx: output {name!r} is neither the end of the data flow ({flow.cur!r}) nor a final state"
            )
    try:
        import onnx

        onnx.checker.check_model(model, full_check=True)
    except Exception as exc:  # onnx.checker.ValidationError, shape inference errors
        raise ValueError(f"from_onnx: the model fails onnx.checker: {str(exc).splitlines()[0][:300]}") from None
    return layers[0] if len(layers) == 1 else Sequential(layers)


def _linear(W, b, dtype, where):
    W, b = np.asarray(W), np.asarray(b)
    if W.ndim != 2 or b.shape != (W.shape[0],):
        raise ValueError(f"from_onnx: {where}: weight {W.shape} and bias {b.shape} are not a linear layer's")
    return Linear(W.shape[1], W.shape[0], dtype=dtype).load_state_dict({"weight": W, "bias": b})

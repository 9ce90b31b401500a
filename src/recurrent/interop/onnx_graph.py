"""ONNX import of a whole graph: the data flow followed from the data input to the outputs, each
node in the patterns ``to_onnx`` writes read into layers (``onnx_import`` reads one recurrent node),
anything else refused by name. See ``from_onnx``.
"""

from __future__ import annotations

import os

import numpy as np

from ..layers import LastStep, Linear, Patches
from ..safefiles import MAX_TEXT_BYTES, read_regular
from ..sequential import Sequential
from .onnx_import import _attrs, _import_onnx, _stack, _stacks_on, layer_from_node

MAX_NODES = 10_000  # a graph of recurrent layers is tens of nodes; anything far larger is refused unread


def _load_model(path_or_model):
    """The ModelProto: a path is read as a regular file of bounded size, without external data
    (a file never names another file to read)."""
    onnx = _import_onnx()
    if not isinstance(path_or_model, (str, os.PathLike)):
        return path_or_model

    data = read_regular(path_or_model, "ONNX file", MAX_TEXT_BYTES)
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf's DecodeError and kin
        raise ValueError(f"{path_or_model}: not a readable ONNX model ({type(exc).__name__})") from None
    return model


class _Flow:
    """The graph read node by node: what each tensor is, followed from the data input to the output
    (the main chain's tensor ``cur`` and its ``form``, and the side tensors: lengths, initial states,
    final states), and the layers read so far. Each ``op_<Operator>`` method reads one node in the
    patterns ``to_onnx`` writes, or refuses it by name."""

    def __init__(self, graph, init, values, dtype):
        self.init, self.known, self.dtype = init, {**init, **(values or {})}, dtype
        runtime = [i.name for i in graph.input if i.name not in self.known]
        if not runtime:
            raise ValueError("from_onnx: the graph has no data input (every input is a weight)")
        self.cur, self.form = runtime[0], "in"  # "in": the data input, read by a recurrent node or a Transpose
        self.side = {name: "input" for name in runtime[1:]}  # lengths and initial states, given at run time
        self.width = _last_dim(graph.input[[i.name for i in graph.input].index(runtime[0])])
        self.mm = None  # a MatMul's weight, waiting for its Add
        self.layers, self.pending = [], []  # pending: the one-layer layers of one stack, to be merged

    def read(self, node):
        where = f"node {node.name or node.op_type!r} ({node.op_type})"
        ins = list(node.input)
        op = node.op_type
        if op in ("Concat", "Identity") and ins and all(self.side.get(i) == "state" for i in ins):
            op = "FinalStates"
        elif op in ("LSTM", "GRU", "RNN"):
            op = "Recurrent"
        elif op in ("Cast", "Sub", "Unsqueeze"):
            op = "LastIndex"
        handler = getattr(self, f"op_{op}", None)
        if handler is None:
            raise ValueError(f"from_onnx: operator {node.op_type!r} ({where}) has no equivalent here")
        handler(node, ins, where)

    def flush(self):
        if self.pending:
            self.layers.append(_stack(self.pending, self.dtype))
            self.pending = []

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

    def op_Recurrent(self, node, ins, where):
        self.main(node, ("in", "tn"), where)
        slots = ins + [""] * (8 - len(ins))
        for k, what in ((4, "sequence_lens"), (5, "initial_h"), (6, "initial_c")):
            if slots[k] and slots[k] in self.init:
                raise ValueError(
                    f"from_onnx: {where}: a constant {what} ({slots[k]!r}) is not supported; "
                    f"make it a graph input and pass it to forward ({'lengths=' if k == 4 else 'state'})"
                )
            if slots[k] and self.side.get(slots[k]) != "input":
                raise ValueError(f"from_onnx: {where}: its {what} {slots[k]!r} is not a graph input or a slice of one")
        layer = layer_from_node(node, self.known, self.dtype)
        if self.width is not None and layer.input_size != self.width:
            raise ValueError(f"from_onnx: {where}: reads {self.width} features, its W expects {layer.input_size}")
        if not (self.pending and _stacks_on(self.pending[-1], layer)):
            self.flush()
        self.pending.append(layer)
        outs = list(node.output) + [""] * 3
        self.cur, self.form, self.width = outs[0], "Y", layer.num_directions * layer.hidden_size
        for name in outs[1:3]:
            if name:
                self.side[name] = "state"

    def op_Transpose(self, node, ins, where):
        perm = list(_attrs(node).get("perm", []))
        self.main(node, ("in", "bt", "tn", "Y"), where)
        turns = {("in", (1, 0, 2)): "tn", ("bt", (1, 0, 2)): "tn", ("tn", (1, 0, 2)): "bt", ("Y", (0, 2, 1, 3)): "Yt"}
        form = turns.get((self.form, tuple(perm)))
        if form is None:
            raise ValueError(f"from_onnx: {where}: perm {perm} is not a layout change the export writes")
        if form == "bt":
            self.flush()
        self.cur, self.form = node.output[0], form

    def op_Reshape(self, node, ins, where):
        self.main(node, ("Yt", "in", "bt"), where)
        shape = [int(v) for v in np.asarray(self.const(ins[1], where)).ravel()]
        if self.form == "Yt" and shape == [0, 0, -1]:
            self.form = "tn"
        elif self.form in ("in", "bt") and len(shape) == 3 and shape[:2] == [0, -1] and self.width:
            if shape[2] % self.width:
                raise ValueError(f"from_onnx: {where}: {shape[2]} is not a whole number of {self.width}-wide steps")
            self.flush()
            self.layers.append(Patches(shape[2] // self.width))
            self.form, self.width = "bt", shape[2]
        else:
            raise ValueError(f"from_onnx: {where}: shape {shape} is not one the export writes")
        self.cur = node.output[0]

    def op_Gather(self, node, ins, where):
        self.main(node, ("bt",), where)
        idx = self.init.get(ins[1])
        if _attrs(node).get("axis") != 1 or idx is None or np.asarray(idx).size != 1 or int(idx) != -1:
            raise ValueError("from_onnx: a Gather other than the last time step is not supported")
        self.last_step(node)

    def op_LastIndex(self, node, ins, where):
        """Cast, Sub, Unsqueeze: each sequence's last step, from the lengths."""
        op = node.op_type
        src = {"Cast": "input", "Sub": "len64", "Unsqueeze": "idx"}[op]
        if not ins or self.side.get(ins[0]) != src:
            raise ValueError(f"from_onnx: {where} reads {ins[0] if ins else 'nothing'!r}, not the lengths")
        if op != "Cast" and [int(v) for v in np.asarray(self.const(ins[1], where)).ravel()] != [1]:
            raise ValueError(f"from_onnx: {where}: expected the constant [1] as its second input")
        self.side[node.output[0]] = {"Cast": "len64", "Sub": "idx", "Unsqueeze": "gidx"}[op]

    def op_GatherND(self, node, ins, where):
        self.main(node, ("bt",), where)
        if len(ins) != 2 or self.side.get(ins[1]) != "gidx" or _attrs(node).get("batch_dims") != 1:
            raise ValueError(f"from_onnx: {where}: only each sequence's last step (from the lengths) is supported")
        self.last_step(node)

    def last_step(self, node):
        self.flush()
        self.layers.append(LastStep())
        self.cur, self.form = node.output[0], "b2"

    def op_Gemm(self, node, ins, where):
        self.main(node, ("b2",), where)
        a = _attrs(node)
        if a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0 or a.get("transA", 0):
            raise ValueError("from_onnx: Gemm with alpha/beta/transA is not supported")
        W = self.const(ins[1], where)
        W = W if a.get("transB", 0) else W.T
        b = self.const(ins[2], where) if len(ins) > 2 else np.zeros(W.shape[0])
        self.layers.append(_linear(W, b, self.dtype, where))
        self.cur, self.width = node.output[0], W.shape[0]

    def op_MatMul(self, node, ins, where):
        self.main(node, ("bt",), where)
        self.mm = self.const(ins[1], where).T
        self.cur, self.form = node.output[0], "mm"

    def op_Add(self, node, ins, where):
        self.main(node, ("mm",), where)
        W, b = self.mm, self.const(ins[1], where)
        self.layers.append(_linear(W, b, self.dtype, where))
        self.cur, self.form, self.width, self.mm = node.output[0], "bt", W.shape[0], None

    def op_Slice(self, node, ins, where):
        """One stacked layer's share of the initial state."""
        if not ins or self.side.get(ins[0]) != "input":
            raise ValueError(f"from_onnx: {where} slices {ins[0] if ins else 'nothing'!r}, not an initial state")
        for name in ins[1:]:
            self.const(name, where)
        self.side[node.output[0]] = "input"

    def op_FinalStates(self, node, ins, where):
        """Concat or Identity of the recurrent nodes' final states."""
        if node.op_type == "Concat" and _attrs(node).get("axis") != 0:
            raise ValueError(f"from_onnx: {where}: final states are joined along axis 0")
        self.side[node.output[0]] = "state"

    def op_Identity(self, node, ins, where):
        self.main(node, ("bt", "b2", "Y", "tn"), where)
        self.cur = node.output[0]

    def finish(self, outputs, name):
        """The layers read, once the outputs are checked against the flow."""
        self.flush()
        first = next((layer for layer in self.layers if not isinstance(layer, Patches)), None)
        if not getattr(first, "is_recurrent", False):
            raise ValueError(f"from_onnx: {name} has no LSTM, GRU or RNN node to start from")
        if not outputs:
            raise ValueError("from_onnx: the graph has no output")
        for out in outputs:
            if out != self.cur and self.side.get(out) != "state":
                raise ValueError(
                    f"from_onnx: output {out!r} is neither the end of the data flow ({self.cur!r}) nor a final state"
                )
        return self.layers


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
    onnx = _import_onnx()
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
    flow = _Flow(model.graph, {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}, values, dtype)
    for node in nodes:
        flow.read(node)
    name = path_or_model if isinstance(path_or_model, (str, os.PathLike)) else "the model"
    layers = flow.finish([o.name for o in model.graph.output], name)
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as exc:  # onnx.checker.ValidationError, shape inference errors
        raise ValueError(f"from_onnx: the model fails onnx.checker: {str(exc).splitlines()[0][:300]}") from None
    return layers[0] if len(layers) == 1 else Sequential(layers)


def _linear(W, b, dtype, where):
    W, b = np.asarray(W), np.asarray(b)
    if W.ndim != 2 or b.shape != (W.shape[0],):
        raise ValueError(f"from_onnx: {where}: weight {W.shape} and bias {b.shape} are not a linear layer's")
    return Linear(W.shape[1], W.shape[0], dtype=dtype).load_state_dict({"weight": W, "bias": b})

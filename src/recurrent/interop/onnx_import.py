"""ONNX import: LSTM, GRU and RNN nodes with every attribute and input ONNX defines.

``from_onnx`` reads a graph of recurrent nodes (and the Gather, Gemm, MatMul + Add that
``to_onnx`` writes around them) into layers. A node's attributes become the layer's options:

    direction     forward, reverse (``reverse=True``) or bidirectional
    activations   with activation_alpha / activation_beta (``activations=``; the same for
                  both directions of a bidirectional node)
    clip, input_forget, linear_before_reset (0: ``reset_after=False``), P (``peepholes``)
    layout        either: the layers are batch-first whatever the graph's layout

Inputs ``sequence_lens``, ``initial_h`` and ``initial_c`` that are graph inputs are what
``forward(x, state, lengths=...)`` takes at run time (``run_like_onnx`` calls a layer the
way the node is called); as constants (initializers) they are refused, naming them.
W, R, B and P come from initializers, or from ``values`` (name -> array) where the graph
takes them as inputs.
"""

from __future__ import annotations

import os

import numpy as np

from ..activations import ONNX_ACTIVATIONS
from ..layers import LastStep, Linear
from ..model import Sequential
from ._layout import CLASS_OF, GATES, TO_ONNX, inverse, permute_blocks

ATTRS = {
    "hidden_size",
    "direction",
    "activations",
    "activation_alpha",
    "activation_beta",
    "clip",
    "input_forget",
    "linear_before_reset",
    "layout",
}
DEFAULT_ACTS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"], "RNN": ["Tanh"]}
# the activations that take alpha (beta): those ONNX gives a default alpha (beta)
USES_ALPHA = {k for k, (_, _, alpha, _) in ONNX_ACTIVATIONS.items() if alpha is not None}
USES_BETA = {k for k, (_, _, _, beta) in ONNX_ACTIVATIONS.items() if beta is not None}


def _import_onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("ONNX export/import needs onnx: pip install 'recurrent[onnx]'") from None
    return onnx


def _attrs(node) -> dict:
    """A node's attributes, strings decoded."""
    from onnx import helper

    def text(v):
        return v.decode() if isinstance(v, bytes) else v

    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        out[a.name] = [text(x) for x in v] if isinstance(v, list) else text(v)
    return out


def node_options(node, attrs=None) -> dict:
    """The layer options an LSTM/GRU/RNN node's attributes stand for (ValueError naming what cannot be)."""
    attrs = _attrs(node) if attrs is None else attrs
    op = node.op_type
    where = f"from_onnx: node {node.name or op!r} ({op})"
    for name in attrs:
        if name not in ATTRS:
            raise ValueError(f"{where}: attribute {name!r} is not an ONNX {op} attribute")
    direction = attrs.get("direction", "forward")
    if direction not in ("forward", "reverse", "bidirectional"):
        raise ValueError(f"{where}: direction {direction!r} (expected forward, reverse or bidirectional)")
    dirs = 2 if direction == "bidirectional" else 1
    per = len(DEFAULT_ACTS[op])
    names = list(attrs.get("activations", DEFAULT_ACTS[op] * dirs))
    if len(names) != per * dirs:
        raise ValueError(f"{where}: expected {per * dirs} activations ({per} per direction), got {names}")
    alphas, betas = list(attrs.get("activation_alpha", [])), list(attrs.get("activation_beta", []))
    specs = []
    for name in names:  # alpha and beta are consumed in order, by the activations that take them
        key = name.lower()
        alpha = alphas.pop(0) if key in USES_ALPHA and alphas else None
        beta = betas.pop(0) if key in USES_BETA and betas else None
        specs.append((name, alpha, beta))
    if dirs == 2:
        from ..activations import activation

        if [activation(a) for a in specs[:per]] != [activation(a) for a in specs[per:]]:
            raise ValueError(f"{where}: the two directions use different activations {names}; a layer applies one set")
    opts = {"activations": specs[:per]}
    if "clip" in attrs:
        opts["clip"] = float(attrs["clip"])
    if op == "LSTM" and attrs.get("input_forget", 0):
        opts["input_forget"] = True
    elif op != "LSTM" and attrs.get("input_forget", 0):
        raise ValueError(f"{where}: input_forget applies to LSTM nodes")
    if op == "GRU":
        opts["reset_after"] = bool(attrs.get("linear_before_reset", 0))
    if direction == "reverse":
        opts["reverse"] = True
    return {"bidirectional": dirs == 2, **opts}


def layer_from_node(node, values: dict, dtype=np.float32):
    """A one-layer LSTM/GRU/RNN equal to the node, its W, R, B (and P) taken from ``values``."""
    op = node.op_type
    cell = op.lower()
    attrs = _attrs(node)
    opts = node_options(node, attrs)
    where = f"from_onnx: node {node.name or op!r} ({op})"
    inputs = list(node.input) + [""] * (8 - len(node.input))
    try:
        W, R = values[inputs[1]], values[inputs[2]]
    except KeyError as e:
        raise ValueError(f"{where}: no value for input {e.args[0]!r} (an initializer, or given in `values`)") from None
    H = int(attrs["hidden_size"])
    dirs = 2 if opts["bidirectional"] else 1
    G = GATES[cell]
    if W.shape[:2] != (dirs, G * H) or R.shape != (dirs, G * H, H):
        raise ValueError(f"{where}: W {W.shape} and R {R.shape} do not fit hidden_size={H}, {dirs} direction(s)")
    B = values[inputs[3]] if inputs[3] else np.zeros((dirs, 2 * G * H), dtype=W.dtype)
    P = None
    if op == "LSTM" and inputs[7]:
        P = values.get(inputs[7])
        if P is None:
            raise ValueError(f"{where}: no value for the peepholes {inputs[7]!r}")
        opts["peepholes"] = True
    layer = CLASS_OF[cell](int(W.shape[2]), H, dtype=dtype, **opts)
    back = inverse(TO_ONNX[cell])
    sd = {}
    for d in range(dirs):
        s = "_l0" + ("_reverse" if d == 1 else "")
        sd[f"weight_ih{s}"] = permute_blocks(W[d], back, H)
        sd[f"weight_hh{s}"] = permute_blocks(R[d], back, H)
        sd[f"bias_ih{s}"] = permute_blocks(B[d][: G * H], back, H)
        sd[f"bias_hh{s}"] = permute_blocks(B[d][G * H :], back, H)
        if P is not None:  # ONNX's P is (i, o, f); ours (i, f, o)
            p = P[d]
            sd[f"peephole{s}"] = np.concatenate([p[:H], p[2 * H :], p[H : 2 * H]])
    return layer.load_state_dict(sd)


def run_like_onnx(layer, X, sequence_lens=None, initial_h=None, initial_c=None, layout=0):
    """Call a one-layer ``layer`` as its ONNX node is called: returns (Y, Y_h, Y_c or None) in ONNX's
    shapes, Y (T, dirs, N, H) and Y_h (dirs, N, H) for layout 0, (N, T, dirs, H) and (N, dirs, H)
    for layout 1. Outputs past a sequence's length are zero."""
    X = np.asarray(X)
    x = X if layout == 1 else X.transpose(1, 0, 2)
    state = None
    if initial_h is not None or initial_c is not None:
        h = None if initial_h is None else np.asarray(initial_h)
        c = None if initial_c is None else np.asarray(initial_c)
        if layout == 1:
            h = None if h is None else h.transpose(1, 0, 2)
            c = None if c is None else c.transpose(1, 0, 2)
        state = (h, c) if layer.has_cell_state else h
    with_lengths = None if sequence_lens is None else np.asarray(sequence_lens).astype(np.int64)
    y, s, _ = layer.forward(x.astype(layer.dtype), state, lengths=with_lengths)
    N, T = x.shape[:2]
    dirs, H = layer.num_directions, layer.hidden_size
    Y = y.reshape(N, T, dirs, H)
    h_n, c_n = (s.h, s.c) if layer.has_cell_state else (s, None)
    if layout == 1:
        return Y, h_n.transpose(1, 0, 2), None if c_n is None else c_n.transpose(1, 0, 2)
    return Y.transpose(1, 2, 0, 3), h_n, c_n


MAX_NODES = 10_000  # a graph of recurrent layers is tens of nodes; anything far larger is refused unread


def _load_model(path_or_model):
    """The ModelProto: a path is read as a regular file of bounded size, without external data
    (a file never names another file to read)."""
    onnx = _import_onnx()
    if not isinstance(path_or_model, (str, os.PathLike)):
        return path_or_model
    from ..io import MAX_TEXT_BYTES, read_regular

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


def _stacks_on(below, layer) -> bool:
    """Whether ``layer`` is the next layer of the same stack as ``below`` (same cell and options)."""
    return (
        type(layer) is type(below)
        and layer.hidden_size == below.hidden_size
        and layer.bidirectional == below.bidirectional
        and layer.reverse == below.reverse
        and layer.options == below.options
        and getattr(layer, "nonlinearity", None) == getattr(below, "nonlinearity", None)
        and layer.input_size == below.num_directions * below.hidden_size
    )


def _stack(parts, dtype):
    """One stacked layer from one-layer layers (their parameters renamed _l0 -> _l{k})."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    stacked = type(first)(**{**first._config(), "num_layers": len(parts), "dtype": dtype})
    sd = {}
    for k, part in enumerate(parts):
        for name, v in part.params.items():
            sd[name.replace("_l0", f"_l{k}")] = v
    return stacked.load_state_dict(sd)

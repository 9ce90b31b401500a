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

import numpy as np

from ..activations import ONNX_ACTIVATIONS, activation
from ..cells.spec import SPECS
from ._layout import CLASS_OF, TO_ONNX, inverse, permute_blocks

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
    G = SPECS[cell].num_gates
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

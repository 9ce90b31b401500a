"""The cell diagrams: every node of one step's computation and every wire between them, drawn from one table.

    svg("lstm")          # an SVG: x_t, h_{t-1}, c_{t-1} -> i, f, g, o -> f*c_{t-1}, i*g -> c_t -> tanh(c_t) -> h_t

``GRAPH[cell]`` lists each node (its key in a step's values, its label, its column) and the wires into it,
as the cell's equations compute it: the LSTM's forget path c_{t-1} -> f*c_{t-1} -> c_t (the point of the
LSTM), c_t -> tanh(c_t) -> h_t with o; the GRU's reset gate into the candidate and h_{t-1} straight into
h_t through z. ``tests/explain/test_diagram.py`` rebuilds each graph by running the reference equations on
values that record what they were computed from, and checks the wires equal it. The page writes each
node's value at the slider's step into the nodes that carry a key.
"""

from __future__ import annotations

import html as _html
from pathlib import Path

from ..safefiles import atomic_write_bytes

# node: (key in a step's values or "", label, column); wires: node -> the nodes it is computed from
GRAPH = {
    "lstm": {
        "nodes": {
            "x": ("x", "x_t", 0), "h_prev": ("h_prev", "h_{t-1}", 0), "c_prev": ("c_prev", "c_{t-1}", 0),
            "i": ("i", "i = σ(·)", 1), "f": ("f", "f = σ(·)", 1),
            "g": ("g", "g = tanh(·)", 1), "o": ("o", "o = σ(·)", 1),
            "fc": ("", "f ⊙ c_{t-1}", 2), "ig": ("", "i ⊙ g", 2),
            "c": ("c", "c_t = + ", 3), "tc": ("", "tanh(c_t)", 4), "h": ("h", "h_t = o ⊙ ·", 5),
        },
        "wires": {
            "i": ("x", "h_prev"), "f": ("x", "h_prev"), "g": ("x", "h_prev"), "o": ("x", "h_prev"),
            "fc": ("f", "c_prev"), "ig": ("i", "g"), "c": ("fc", "ig"), "tc": ("c",), "h": ("o", "tc"),
        },
    },
    "gru": {
        "nodes": {
            "x": ("x", "x_t", 0), "h_prev": ("h_prev", "h_{t-1}", 0),
            "r": ("r", "r = σ(·)", 1), "z": ("z", "z = σ(·)", 1), "n": ("n", "n = tanh(· + r ⊙ ·)", 2),
            "h": ("h", "h_t = (1-z) ⊙ n + z ⊙ h_{t-1}", 3),
        },
        "wires": {"r": ("x", "h_prev"), "z": ("x", "h_prev"), "n": ("x", "h_prev", "r"), "h": ("z", "n", "h_prev")},
    },
    "rnn": {
        "nodes": {"x": ("x", "x_t", 0), "h_prev": ("h_prev", "h_{t-1}", 0), "h": ("h", "h_t = f(·)", 1)},
        "wires": {"h": ("x", "h_prev")},
    },
}  # fmt: skip

BOX_W, BOX_H, GAP_X, GAP_Y = 200, 40, 46, 16


def edges(cell) -> set:
    """The wires as (from, to) pairs."""
    return {(src, dst) for dst, srcs in GRAPH[cell]["wires"].items() for src in srcs}


def _layout(cell) -> dict:
    """node -> (x, y) of its box's top-left corner: one column each, centred vertically."""
    nodes = GRAPH[cell]["nodes"]
    cols = {}
    for name, (_, _, col) in nodes.items():
        cols.setdefault(col, []).append(name)
    rows = max(len(v) for v in cols.values())
    out = {}
    for col, names in cols.items():
        top = 5 + (rows - len(names)) * (BOX_H + GAP_Y) / 2
        for k, name in enumerate(names):
            out[name] = (5 + col * (BOX_W + GAP_X), top + k * (BOX_H + GAP_Y))
    return out


def svg(cell, standalone=False) -> str:
    """The cell's diagram: a box per node, an arrow per wire (``data-from``/``data-to`` name its ends), a legend.
    ``standalone``: with the SVG namespace, for a file of its own (inside a page it needs none)."""
    nodes, pos = GRAPH[cell]["nodes"], _layout(cell)
    ncol = 1 + max(c for _, _, c in nodes.values())
    nrow = max(sum(1 for n in nodes.values() if n[2] == c) for c in range(ncol))
    width = ncol * BOX_W + (ncol - 1) * GAP_X + 10
    height = nrow * (BOX_H + GAP_Y) + 40
    parts = [
        "<svg"
        + (' xmlns="http://www.w3.org/2000/svg"' if standalone else "")
        + f' role="img" aria-label="the {cell.upper()} cell: one step" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"></path></marker></defs>',
    ]
    for src, dst in sorted(edges(cell), key=lambda e: (pos[e[1]][0], pos[e[1]][1], pos[e[0]][1], e)):
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        parts.append(
            f'<line x1="{x0 + BOX_W}" y1="{y0 + BOX_H / 2}" x2="{x1}" y2="{y1 + BOX_H / 2}" stroke="#333" '
            f'stroke-width="1.5" marker-end="url(#arrow)" data-from="{src}" data-to="{dst}">'
            f"<title>{_html.escape(nodes[src][1])} → {_html.escape(nodes[dst][1])}</title></line>"
        )
    for name, (key, label, _) in nodes.items():
        x, y = pos[name]
        show = f' data-show="{key}" data-name="{_html.escape(label)}"' if key else ""
        parts.append(
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="#fff" stroke="#333" '
            f'data-node="{name}"></rect>'
            f'<text x="{x + 8}" y="{y + 25}" font-family="monospace" font-size="13" data-node="{name}"{show}>'
            f"{_html.escape(label)}</text>"
        )
    parts.append(
        f'<text x="5" y="{height - 10}" font-family="sans-serif" font-size="12">each arrow: a value computed from '
        "another in this step; σ the logistic sigmoid, ⊙ the elementwise product</text></svg>"
    )
    return "".join(parts)


def write(folder) -> list:
    """Write ``lstm.svg``, ``gru.svg`` and ``rnn.svg`` (standalone) into ``folder``: the docs' diagrams
    (``python -c "from recurrent.explain.diagram import write; write('docs/diagrams')"``; a test checks the
    committed ones are current)."""
    out = []
    for cell in GRAPH:
        path = Path(folder) / f"{cell}.svg"
        atomic_write_bytes(path, (svg(cell, standalone=True) + "\n").encode())
        out.append(path)
    return out

"""The cell diagrams (recurrent.explain.diagram): the wires drawn are the cell's computation graph."""

import re

import numpy as np
import pytest

from recurrent.cells import reference
from recurrent.explain.diagram import GRAPH, edges, svg


def reach(cell, start) -> set:
    """Every node computed, directly or not, from ``start`` by the diagram's wires."""
    out, todo = set(), [start]
    while todo:
        n = todo.pop()
        for a, b in edges(cell):
            if a == n and b not in out:
                out.add(b)
                todo.append(b)
    return out


def depends(step, inputs, outputs, which) -> set:
    """The outputs of the reference step that move when input ``which`` is perturbed (the rest held)."""
    base = step(**inputs)
    moved = step(**{**inputs, which: inputs[which] + 1e-3})
    return {k for k in outputs if not np.allclose(outputs[k](base), outputs[k](moved), rtol=0, atol=1e-12)}


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_the_wires_reach_what_the_reference_step_computes_from_each_input(cell):
    """Perturb one input of cells/reference.py's step: exactly the nodes the diagram reaches from it move."""
    rng = np.random.default_rng(0)
    H, D, G = 3, 2, {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    w = dict(w_ih=rng.normal(size=(G * H, D)), w_hh=rng.normal(size=(G * H, H)), b_ih=rng.normal(size=G * H),
             b_hh=rng.normal(size=G * H))  # fmt: skip
    inputs = dict(x=rng.normal(size=(1, D)), h=rng.normal(size=(1, H)), **w)
    if cell == "lstm":
        inputs["c"] = rng.normal(size=(1, H))
        step = reference.lstm_step
        out = {k: (lambda r, k=k: r[2][k]) for k in ("i", "f", "g", "o", "tc")}
        out.update(c=lambda r: r[1], h=lambda r: r[0])
        names = {"x": "x", "h": "h_prev", "c": "c_prev"}
    else:
        step = reference.gru_step if cell == "gru" else reference.rnn_step
        out = {"h": lambda r: r[0]}
        if cell == "gru":
            out.update({k: (lambda r, k=k: r[1][k]) for k in ("r", "z", "n")})
        names = {"x": "x", "h": "h_prev"}
    for arg, node in names.items():
        drawn = reach(cell, node) & set(out)
        assert depends(step, inputs, out, arg) == drawn, (cell, node)


def test_the_lstm_draws_the_forget_path_and_nothing_that_is_not_computed():
    e = edges("lstm")
    for wire in [("c_prev", "fc"), ("f", "fc"), ("fc", "c"), ("ig", "c"), ("c", "tc"), ("tc", "h"), ("o", "h")]:
        assert wire in e, wire
    for wire in [("c_prev", "i"), ("o", "c"), ("i", "h"), ("g", "h"), ("f", "h")]:
        assert wire not in e, wire
    g = edges("gru")
    assert ("r", "n") in g and ("h_prev", "h") in g and ("r", "h") not in g


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_the_svg_draws_every_wire_with_an_arrowhead_and_every_node(cell):
    doc = svg(cell)
    drawn = set(re.findall(r'data-from="(\w+)" data-to="(\w+)"', doc))
    assert drawn == edges(cell)
    assert doc.count('marker-end="url(#arrow)"') == len(drawn)
    assert set(re.findall(r'data-node="(\w+)"', doc)) == set(GRAPH[cell]["nodes"])


def test_the_committed_diagrams_are_current():
    """docs/diagrams/*.svg are what `recurrent.explain.diagram.write("docs/diagrams")` writes."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "docs" / "diagrams"
    for cell in GRAPH:
        assert (folder / f"{cell}.svg").read_text() == svg(cell, standalone=True) + "\n", cell

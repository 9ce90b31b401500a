"""What each cell is, written once: gates, defaults, their orders and names in each framework, labels.

    from recurrent.cells.spec import SPECS
    SPECS["lstm"].gates          # ("i", "f", "g", "o"): the gate blocks in our (PyTorch's) row order
    SPECS["gru"].to_onnx         # (1, 0, 2): ONNX's block k is our block to_onnx[k] (z, r, h)
    SPECS["rnn"].keras           # "SimpleRNN": the class Keras names it by

Every part of the library that names gates or cells (the layers' options, the trace, the
worked examples, the plots, the hand notation, the Keras, ONNX and PyTorch layouts, the
command line) reads them here, so a cell is described the same way everywhere. Pure data:
no layer is imported (the layer class is named, and ``recurrent.layers.CELLS`` maps the
name to the class; a test checks the two agree).
"""

from __future__ import annotations

from typing import NamedTuple


class CellSpec(NamedTuple):
    """What one cell is: its gates in PyTorch's order, whether it has a cell state, its default activations, its
    Keras and ONNX gate orders, its class names in each framework, labels and hand-notation symbols."""

    name: str  # "lstm", "gru", "rnn"
    title: str  # "LSTM"
    gates: tuple  # gate blocks in our row order, as the trace names them ("a" for the RNN's one)
    hand: tuple  # the same blocks in the hand notation's letters (W_f, W_hc, ...)
    has_cell_state: bool
    to_keras: tuple  # Keras' block k is our block to_keras[k]
    to_onnx: tuple  # ONNX's block k is our block to_onnx[k]
    equation_order: tuple  # the order the worked examples write the gates in
    labels: tuple  # (key, label) of each heatmap panel, gates then states
    defaults: tuple  # the default activations as (name, alpha, beta): ONNX's f, g (and h for the LSTM)
    activation_roles: str  # what each of ``defaults`` is, as the layers' errors name them
    symbols: tuple  # (gate, TeX symbol) where the worked examples' symbol differs from the gate's letter
    layer: str  # the layer class, in recurrent.layers (and PyTorch's torch.nn class of the same name)
    onnx_op: str  # the ONNX operator
    keras: str  # the Keras layer class
    recurrent_through_gate: tuple = ()  # gates whose recurrent product passes through another gate (GRU's n: r)

    @property
    def num_gates(self) -> int:
        """How many gates the cell stacks (G): 4 for the LSTM, 3 for the GRU, 1 for the RNN."""
        return len(self.gates)

    def symbol(self, gate: str) -> str:
        """The worked examples' TeX symbol of a gate: its letter unless ``symbols`` says otherwise (none does: one
        symbol per quantity, the code's, in every document; docs/math.md maps them to other texts')."""
        return dict(self.symbols).get(gate, gate)


_SIGMOID, _TANH = ("sigmoid", None, None), ("tanh", None, None)

SPECS = {
    "lstm": CellSpec(
        name="lstm",
        title="LSTM",
        gates=("i", "f", "g", "o"),
        hand=("i", "f", "g", "o"),
        has_cell_state=True,
        to_keras=(0, 1, 2, 3),
        to_onnx=(0, 3, 1, 2),
        equation_order=("i", "f", "g", "o"),
        labels=(
            ("i", "input gate i"),
            ("f", "forget gate f"),
            ("g", "candidate g"),
            ("o", "output gate o"),
            ("c", "cell state c"),
            ("h", "hidden state h"),
        ),
        defaults=(_SIGMOID, _TANH, _TANH),
        activation_roles="3 (f, g, h)",
        symbols=(),
        layer="LSTM",
        onnx_op="LSTM",
        keras="LSTM",
    ),
    "gru": CellSpec(
        name="gru",
        title="GRU",
        gates=("r", "z", "n"),
        hand=("r", "z", "n"),
        has_cell_state=False,
        to_keras=(1, 0, 2),
        to_onnx=(1, 0, 2),
        equation_order=("r", "z", "n"),
        labels=(("r", "reset gate r"), ("z", "update gate z"), ("n", "candidate n"), ("h", "hidden state h")),
        defaults=(_SIGMOID, _TANH),
        activation_roles="2 (f, g)",
        symbols=(),
        layer="GRU",
        onnx_op="GRU",
        keras="GRU",
        recurrent_through_gate=("n",),
    ),
    "rnn": CellSpec(
        name="rnn",
        title="RNN",
        gates=("a",),
        hand=("h",),
        has_cell_state=False,
        to_keras=(0,),
        to_onnx=(0,),
        equation_order=("a",),
        labels=(("h", "hidden state h"),),
        defaults=(_TANH,),
        activation_roles="1 (f)",
        symbols=(),
        layer="RNN",
        onnx_op="RNN",
        keras="SimpleRNN",
    ),
}

CELL_NAMES = tuple(SPECS)  # ("lstm", "gru", "rnn"): the command line's --cell choices

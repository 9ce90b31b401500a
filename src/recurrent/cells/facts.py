"""What each cell is, written once: gates, their orders in each framework, names and labels.

    from recurrent.cells.facts import FACTS
    FACTS["lstm"].gates          # ("i", "f", "g", "o"): the gate blocks in our (PyTorch's) row order
    FACTS["gru"].to_onnx         # (1, 0, 2): ONNX's block k is our block to_onnx[k] (z, r, h)

Every part of the library that names gates (the trace, the worked examples, the plots,
the hand notation, the Keras and ONNX layouts, the command line) reads them here, so a
cell is described the same way everywhere. Pure data: no layer is imported.
"""

from __future__ import annotations

from typing import NamedTuple


class CellFacts(NamedTuple):
    """What one cell is: its gates in PyTorch's order, whether it has a cell state, its Keras and ONNX gate orders,
    labels and titles."""

    name: str  # "lstm", "gru", "rnn"
    title: str  # "LSTM"
    gates: tuple  # gate blocks in our row order, as the trace names them ("a" for the RNN's one)
    hand: tuple  # the same blocks in the hand notation's letters (W_f, W_hc, ...)
    has_cell_state: bool
    to_keras: tuple  # Keras' block k is our block to_keras[k]
    to_onnx: tuple  # ONNX's block k is our block to_onnx[k]
    equation_order: tuple  # the order the worked examples write the gates in
    labels: tuple  # (key, label) of each heatmap panel, gates then states

    @property
    def num_gates(self) -> int:
        """How many gates the cell stacks (G): 4 for the LSTM, 3 for the GRU, 1 for the RNN."""
        return len(self.gates)


FACTS = {
    "lstm": CellFacts(
        "lstm",
        "LSTM",
        ("i", "f", "g", "o"),
        ("i", "f", "c", "o"),
        True,
        (0, 1, 2, 3),
        (0, 3, 1, 2),
        ("f", "i", "o", "g"),
        (
            ("i", "input gate i"),
            ("f", "forget gate f"),
            ("g", "candidate g (C~)"),
            ("o", "output gate o"),
            ("c", "cell state c"),
            ("h", "hidden state h"),
        ),
    ),
    "gru": CellFacts(
        "gru",
        "GRU",
        ("r", "z", "n"),
        ("r", "z", "n"),
        False,
        (1, 0, 2),
        (1, 0, 2),
        ("r", "z", "n"),
        (("r", "reset gate r"), ("z", "update gate z"), ("n", "candidate n"), ("h", "hidden state h")),
    ),
    "rnn": CellFacts("rnn", "RNN", ("a",), ("h",), False, (0,), (0,), ("a",), (("h", "hidden state h"),)),
}

CELL_NAMES = tuple(FACTS)  # ("lstm", "gru", "rnn"): the command line's --cell choices

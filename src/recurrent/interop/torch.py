"""PyTorch weights in and out. Our names, shapes and gate order are torch's, so this is mostly checks.

    layer = from_torch(torch.nn.LSTM(3, 8, num_layers=2, batch_first=True))   # or its state_dict()
    module = to_torch(layer)                      # torch.nn.LSTM(batch_first=True) with the same weights
    sd = to_torch(layer, as_module=False)         # a dict of NumPy arrays keyed like state_dict()

torch is imported only when a module is asked for (pip install torch==2.13.0).
"""

from __future__ import annotations

import re

import numpy as np

from .._checks import to_numpy
from ..cells.spec import SPECS
from ..layers import Linear
from ..sequential import Sequential
from ._layout import CLASS_OF, cell_of

_KEY = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)(_reverse)?$")


def _import_torch():
    try:
        import torch
    except ImportError:
        raise ImportError("this needs PyTorch: pip install torch==2.13.0 (or pass/ask for a state_dict)") from None
    return torch


def from_torch(module_or_state_dict, cell: str | None = None, nonlinearity: str = "tanh", dtype=np.float64):
    """A layer from ``torch.nn.LSTM/GRU/RNN`` (or ``nn.Linear``), or from a recurrent state_dict.

    With a state_dict the cell is inferred from the shapes (4H rows: LSTM, 3H: GRU, H: RNN)
    unless ``cell`` is given; an RNN's ``nonlinearity`` cannot be inferred and defaults to tanh.
    ``proj_size`` is refused: the library has no projection. ``bias=False`` modules load with
    zero biases (the same function). A module's ``dropout`` and its train/eval mode come along.
    """
    obj = module_or_state_dict
    if hasattr(obj, "state_dict") and hasattr(obj, "parameters"):  # a torch module
        kind = type(obj).__name__
        if kind == "Linear":
            lin = Linear(obj.in_features, obj.out_features, dtype=dtype)
            sd = {k: to_numpy(v) for k, v in obj.state_dict().items()}
            sd.setdefault("bias", np.zeros(obj.out_features))
            return lin.load_state_dict(sd)
        if kind not in ("LSTM", "GRU", "RNN"):
            raise TypeError(f"from_torch: expected nn.LSTM, nn.GRU, nn.RNN or nn.Linear, got {kind}")
        if getattr(obj, "proj_size", 0):
            raise ValueError(f"from_torch: proj_size={obj.proj_size} is not supported (LSTM with projections)")
        cell = kind.lower()
        if cell == "rnn":
            nonlinearity = obj.nonlinearity
        sd = {k: to_numpy(v) for k, v in obj.state_dict().items()}
        layer = CLASS_OF[cell](
            obj.input_size,
            obj.hidden_size,
            num_layers=obj.num_layers,
            bidirectional=obj.bidirectional,
            dtype=dtype,
            dropout=float(obj.dropout) if obj.num_layers > 1 else 0.0,
            **({"nonlinearity": nonlinearity} if cell == "rnn" else {}),
        )
        layer.train(obj.training)
        if not obj.bias:
            sd.update({k: np.zeros_like(v) for k, v in layer.params.items() if k.startswith("bias")})
        return layer.load_state_dict(sd)

    if not hasattr(obj, "keys"):
        raise TypeError(f"from_torch: expected a torch module or a state_dict, got {type(obj).__name__}")
    sd = {k: to_numpy(v) for k, v in obj.items()}
    bad = [k for k in sd if not _KEY.match(k)]
    if bad:
        raise ValueError(
            f"from_torch: unexpected key {bad[0]!r} in a recurrent state_dict "
            "(expected weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ...)"
        )
    if "weight_hh_l0" not in sd or "weight_ih_l0" not in sd:
        raise ValueError("from_torch: the state_dict lacks 'weight_ih_l0' / 'weight_hh_l0'")
    rows, H = np.shape(sd["weight_hh_l0"])
    if rows % H:
        raise ValueError(
            f"from_torch: 'weight_hh_l0' has shape {np.shape(sd['weight_hh_l0'])}; "
            "rows must be a multiple of its columns"
        )
    inferred = {4: "lstm", 3: "gru", 1: "rnn"}.get(rows // H)
    cell = cell or inferred
    if cell not in SPECS or SPECS[cell].num_gates * H != rows:
        raise ValueError(
            f"from_torch: 'weight_hh_l0' of shape {np.shape(sd['weight_hh_l0'])} does not fit "
            f"a {cell or 'known cell'} (LSTM 4H, GRU 3H, RNN H rows)"
        )
    num_layers = 1 + max(int(_KEY.match(k).group(2)) for k in sd)
    bidirectional = any(k.endswith("_reverse") for k in sd)
    D = np.shape(sd["weight_ih_l0"])[1]
    layer = CLASS_OF[cell](
        D,
        H,
        num_layers=num_layers,
        bidirectional=bidirectional,
        dtype=dtype,
        **({"nonlinearity": nonlinearity} if cell == "rnn" else {}),
    )
    return layer.load_state_dict(sd)


def to_torch(layer_or_model, as_module: bool = True, dtype=None):
    """A torch module with the same weights (``batch_first=True``), or a dict of arrays.

    Layers become ``nn.LSTM/GRU/RNN``; ``Linear`` becomes ``nn.Linear``; a ``Sequential``
    becomes an ``nn.Module`` applying the same steps (``LastStep`` takes ``y[:, -1]``,
    ``Patches(k)`` reshapes (N, T, F) to (N, T / k, k F)).
    With ``as_module=False`` (no torch needed) the result is a dict of NumPy arrays keyed
    as the module's ``state_dict()`` would be.
    """
    obj = layer_or_model
    if not as_module:
        return {k: np.array(v) for k, v in obj.state_dict().items()}
    torch = _import_torch()
    tdtype = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[
        np.dtype(dtype or getattr(obj, "dtype", None) or np.float64)
    ]
    if isinstance(obj, Sequential):
        return _TorchSequential.build(obj, tdtype)
    if isinstance(obj, Linear):
        m = torch.nn.Linear(obj.in_features, obj.out_features, dtype=tdtype)
    else:
        cell = cell_of(obj)
        cls = getattr(torch.nn, SPECS[cell].layer)  # torch.nn.LSTM, GRU or RNN
        m = cls(
            obj.input_size,
            obj.hidden_size,
            num_layers=obj.num_layers,
            bidirectional=obj.bidirectional,
            batch_first=True,
            dtype=tdtype,
            **({"nonlinearity": obj.nonlinearity} if cell == "rnn" else {}),
        )
    m.load_state_dict({k: torch.tensor(np.asarray(v), dtype=tdtype) for k, v in obj.params.items()})
    return m


class _TorchSequential:
    """Builds, lazily, a torch nn.Module that mirrors a Sequential (torch imported on use)."""

    @staticmethod
    def build(model, tdtype):
        torch = _import_torch()

        class RecurrentSequential(torch.nn.Module):
            """Recurrent layers return y; LastStep keeps y[:, -1]; Linear applies over the last axis."""

            def __init__(self, steps):
                super().__init__()
                self.kinds = [k for k, _ in steps]
                self.layers = torch.nn.ModuleList([m for _, m in steps])

            def forward(self, x):
                for kind, m in zip(self.kinds, self.layers):
                    if kind == "recurrent":
                        x = m(x)[0]
                    elif kind == "last":
                        x = x[:, -1]
                    elif isinstance(kind, int):  # Patches(kind)
                        x = x.reshape(x.shape[0], -1, kind * x.shape[2])
                    else:
                        x = m(x)
                return x

        steps = []
        for layer in model.layers:
            if type(layer).__name__ == "LastStep":
                steps.append(("last", torch.nn.Identity()))
            elif type(layer).__name__ == "Patches":
                steps.append((layer.size, torch.nn.Identity()))
            elif getattr(layer, "is_recurrent", False):
                steps.append(("recurrent", to_torch(layer, dtype=model.dtype)))
            else:
                steps.append(("linear", to_torch(layer, dtype=model.dtype)))
        return RecurrentSequential(steps).to(tdtype)

"""gradcheck, export and import: the layers and models, their gradients and their files."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np

from .. import gradcheck, interop
from ..cells.spec import CELL_NAMES
from ..forecast.export import export_onnx
from ..interop.keras import keras_tensors
from ..layers import CELLS, LastStep
from ..safefiles import atomic_write_bytes
from ..sequential import Sequential, load, model_from_meta
from ..store import read_safetensors
from ._common import UsageError, _positive_int

# ---- gradcheck ---------------------------------------------------------------------------------


def cmd_gradcheck(args) -> int:
    """Finite differences against backward for a random layer; exit 1 if they disagree."""

    cls = CELLS[args.cell]
    rng = np.random.default_rng(args.seed)
    layer = cls(
        args.input_size,
        args.hidden_size,
        num_layers=args.layers,
        bidirectional=args.bidirectional,
        dtype=np.float64,
        seed=args.seed,
    )
    x = rng.normal(size=(args.batch, args.steps, args.input_size))
    result = gradcheck(layer, x, seed=args.seed)
    if args.json:
        print(
            json.dumps({"layer": repr(layer), "errors": result.errors, "max_error": result.max_error, "ok": result.ok})
        )
    else:
        print(f"{layer!r} on x {x.shape}, central differences eps=1e-6")
        print(result)
    return 0 if result.ok else 1


# ---- export and import ---------------------------------------------------------------------------


def cmd_export(args) -> int:
    """A saved model to ONNX, or its weights to PyTorch's or Keras' layout (safetensors).

    A saved forecaster becomes a folder: one ONNX graph per network and forecaster.json.
    """

    model = load(args.model)
    if not isinstance(model, Sequential):
        if args.to != "onnx":
            raise UsageError(
                f"recurrent: {args.model} holds a forecaster; export it with --to onnx "
                "(a folder of ONNX graphs and forecaster.json)"
            )

        out = export_onnx(model, args.output, opset=args.opset)
        print(f"wrote {out}/ ({len(model.networks_)} ONNX networks and forecaster.json)", file=sys.stderr)
        return 0
    if args.to == "onnx":
        interop.to_onnx(model, args.output, opset=args.opset)
    else:
        from safetensors.numpy import save

        rnn = model.layers[0]
        if args.to == "torch":
            tensors = {k: np.ascontiguousarray(v) for k, v in model.state_dict().items()}
        else:
            if not rnn.is_recurrent:
                raise UsageError("recurrent: --to keras needs a model that starts with a recurrent layer")

            tensors = keras_tensors(model)
        meta = {"format": args.to, "recurrent_layers": json.dumps(model.config())}
        atomic_write_bytes(args.output, save(tensors, metadata=meta))
    print(f"wrote {args.output} ({args.to})", file=sys.stderr)
    return 0


def cmd_import(args) -> int:
    """An ONNX file, or a PyTorch state_dict saved as safetensors, into a recurrent model file."""

    path = Path(args.file)
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    if path.suffix == ".onnx":
        try:
            obj = interop.from_onnx(path)
        except Exception as exc:
            if isinstance(exc, (ValueError, ImportError)):
                raise
            raise UsageError(f"recurrent: {path}: not a readable ONNX model ({type(exc).__name__})") from None
    else:
        from safetensors.numpy import load

        data = read_safetensors(path)  # a regular file, its framing bounded, before anything is parsed
        try:
            tensors = load(data)
            header = json.loads(data[8 : 8 + struct.unpack("<Q", data[:8])[0]])
            meta = header.get("__metadata__") or {}
            if not isinstance(meta, dict):
                raise ValueError("metadata is not an object")
        except Exception:
            raise UsageError(
                f"recurrent: {path}: expected an .onnx file or a safetensors file of a PyTorch state_dict"
            ) from None
        if meta.get("format") == "torch" and "recurrent_layers" in meta:  # written by `export --to torch`
            try:
                layers = json.loads(meta["recurrent_layers"])
            except (ValueError, RecursionError):
                raise UsageError(f"recurrent: {path}: its recurrent_layers entry is not JSON") from None
            obj = model_from_meta({"layers": layers}, tensors, path)
        elif meta.get("format") == "keras":
            raise UsageError(
                f"recurrent: {path}: Keras-layout files are for Keras' set_weights(); "
                "import the model file it came from"
            )
        elif "recurrent" in meta:  # one of our own files
            try:
                kind = str(json.loads(meta["recurrent"]).get("kind", "model"))[:40]
            except (ValueError, AttributeError, RecursionError):
                kind = "model"
            what = (
                "a forecaster (use it with predict, or export --to onnx)"
                if kind == "forecaster"
                else f"a recurrent {kind} file already (load it directly)"
            )
            raise UsageError(f"recurrent: {path} is {what}; import takes ONNX files and PyTorch state_dicts")
        else:
            obj = interop.from_torch(tensors, cell=args.cell, nonlinearity=args.nonlinearity)
    model = obj if isinstance(obj, Sequential) else Sequential([obj] + ([LastStep()] if args.last_step else []))
    model.save(args.output)
    print(f"wrote {args.output}: {' -> '.join(type(m).__name__ for m in model.layers)}", file=sys.stderr)
    return 0


def add_parsers(sub) -> None:
    """Add the ``export``, ``import`` and ``gradcheck`` subcommands to ``sub``."""
    p = sub.add_parser("export", help="a saved model to ONNX, or its weights in PyTorch's or Keras' layout")
    p.add_argument("model", help="a file written by Sequential.save, or a forecaster (forecast --save)")
    p.add_argument("--to", choices=["onnx", "torch", "keras"], required=True)
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="the file to write (.onnx, or .safetensors); for a forecaster, a new folder that "
        "receives one ONNX graph per network and forecaster.json (the recipe)",
    )
    p.add_argument("--opset", type=int, choices=[14, 22], default=14)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="an ONNX file or a PyTorch state_dict (safetensors) into a model file")
    p.add_argument("file", help="model.onnx, or a safetensors file of torch.nn.LSTM/GRU/RNN.state_dict()")
    p.add_argument("-o", "--output", required=True, help="the model file to write")
    p.add_argument("--cell", choices=CELL_NAMES, help="for a state_dict (default: from the shapes)")
    p.add_argument("--nonlinearity", choices=["tanh", "relu"], default="tanh", help="for an RNN state_dict")
    p.add_argument("--last-step", action="store_true", help="append LastStep to an imported bare layer")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("gradcheck", help="check backward against finite differences")
    p.add_argument("--cell", choices=CELL_NAMES, default="lstm", help="the cell (default lstm)")
    p.add_argument("--input-size", type=_positive_int, default=3, help="features per step (default 3)")
    p.add_argument("--hidden-size", type=_positive_int, default=4, help="units (default 4)")
    p.add_argument("--layers", type=_positive_int, default=1, help="stacked layers (default 1)")
    p.add_argument("--bidirectional", action="store_true", help="both directions")
    p.add_argument("--batch", type=_positive_int, default=2, help="sequences in the batch (default 2)")
    p.add_argument("--steps", type=_positive_int, default=5, help="time steps (default 5)")
    p.add_argument("--seed", type=int, default=0, help="the random weights' and inputs' seed (default 0)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_gradcheck)

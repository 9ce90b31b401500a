"""gradcheck, trace, explain, export and import: the layers and models, their numbers and their files."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np

from .. import classic, gradcheck, interop
from ..cells.spec import CELL_NAMES
from ..classic import EXAMPLES, hand_slip_note
from ..explain import to_html
from ..forecast.export import export_onnx
from ..interop.keras import keras_tensors
from ..layers import CELLS, LastStep
from ..plot import plot_trace
from ..safefiles import atomic_write_bytes, read_regular
from ..sequential import Sequential, load, model_from_meta
from ..store import read_safetensors
from ..trace import trace
from ._common import UsageError, _check_output_path, _positive_int, _require_matplotlib

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


# ---- trace and explain ---------------------------------------------------------------------------


def _parse_numbers(text, option):
    """'1,2,3' -> [1, 2, 3]; '1,0;2,1' -> [[1, 0], [2, 1]] (steps separated by ';')."""
    rows = []
    for part in text.split(";"):
        row = []
        for tok in part.replace(" ", "").split(","):
            if tok == "":
                raise UsageError(f"recurrent: {option}: empty value in {text!r}")
            try:
                row.append(float(tok))
            except ValueError:
                raise UsageError(f"recurrent: {option}: {tok!r} is not a number") from None
            if not np.isfinite(row[-1]):
                raise UsageError(f"recurrent: {option}: {tok!r} is not finite")
        rows.append(row)
    widths = [len(r) for r in rows]
    if len(set(widths)) > 1:
        raise UsageError(
            f"recurrent: {option}: every step needs the same number of values, got "
            f"{', '.join(map(str, widths))} in {text!r}"
        )
    return rows[0] if len(rows) == 1 else rows


def _read_weights(path):
    p = Path(path)
    try:
        data = json.loads(read_regular(p, "JSON file", 1 << 30).decode("utf-8-sig"))
    except RecursionError:
        raise UsageError(f"recurrent: {path}: nested too deeply to be a JSON object of weights") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"recurrent: {path}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"recurrent: {path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(f"recurrent: {path}: expected a JSON object of weights (W_f, W_hf, b_f, ...)")

    def numbers(v):  # a number, or (nested) lists of numbers; shapes are checked later
        if isinstance(v, list):
            return all(numbers(e) for e in v)
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    for k, v in data.items():
        if not numbers(v):
            raise UsageError(
                f"recurrent: {path}: weight {k!r} must be a number or a list of numbers, got {json.dumps(v)}"
            )
    return data


def _trace_from_args(args, example_target=False):
    """Build the model and trace; the example's own target is used only when ``example_target``."""

    if args.model:
        model = load(args.model)
        if not isinstance(model, Sequential):
            raise UsageError(f"recurrent: {args.model} holds a forecaster; trace takes a sequence model")
        if args.inputs is None:
            raise UsageError("recurrent: --model needs --inputs")
        inputs = args.inputs
        target = args.target
    else:
        name = args.example or (f"{args.cell}-scalar" if args.cell else "lstm-scalar")
        ex = classic.example(name)
        cell = args.cell or ex["cell"]
        if args.weights:
            weights = _read_weights(args.weights)
            many_to_one = True
        else:
            if args.cell and args.cell != ex["cell"]:
                raise UsageError(f"recurrent: --example {name} is a {ex['cell']}; drop --cell or give --weights")
            weights, many_to_one = ex["weights"], ex["many_to_one"]
        model = classic.example_model(weights, cell, many_to_one)
        inputs = args.inputs if args.inputs is not None else ex["inputs"]
        own = ex["target"] if example_target and not (args.weights or args.inputs) else None
        target = args.target if args.target is not None else own
    x = np.asarray(inputs, dtype=np.float64)
    D = model.layers[0].input_size
    if x.ndim == 1 and D > 1 and x.size == D:
        x = x[None]
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] != D:
        raise UsageError(
            f"recurrent: --inputs: the model takes {D} feature(s) per step, got shape {x.shape} "
            f"(separate steps with ';' and features with ',')"
        )
    return trace(model, x, target=target)


def cmd_trace(args) -> int:
    """Every gate at every step of a small model (and, with --target, the backward pass)."""
    if args.plot:
        _require_matplotlib()
    tr = _trace_from_args(args)
    if args.plot:
        plot_trace(tr, args.plot)
    if args.format == "json":
        print(json.dumps(tr.to_json()))
    elif args.format == "markdown":
        print(tr.markdown(lr=args.lr), end="")
    else:
        print(tr.table(digits=None if args.digits == 0 else args.digits), end="")
    return 0


def cmd_explain(args) -> int:
    """The full worked example as a Markdown document."""

    tr = _trace_from_args(args, example_target=True)
    if args.html:
        if args.output:
            raise UsageError("recurrent: give -o FILE.md or --html FILE.html, not both")
        _check_output_path(args.html, "--html")

        atomic_write_bytes(args.html, to_html(tr, lr=args.lr).encode())
        print(f"wrote {args.html}", file=sys.stderr)
        return 0
    notes = None
    is_classic = (
        not (args.model or args.weights or args.inputs)
        and (args.example or "lstm-scalar") == "lstm-scalar"
        and not args.cell
    )
    if is_classic:
        notes = hand_slip_note(tr)
    text = tr.markdown(lr=args.lr if tr.loss is not None else None, notes=notes)
    if args.output:
        atomic_write_bytes(args.output, text.encode())
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text, end="")
    return 0


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


def _add_trace_options(p):

    p.add_argument("--example", choices=EXAMPLES, help="a built-in example (default lstm-scalar)")
    p.add_argument("--cell", choices=CELL_NAMES, help="cell for --weights (alone: its scalar example)")
    p.add_argument("--weights", metavar="FILE.json", help="weights in hand notation: W_f, W_hf, b_f, ..., W_y, b_y")
    p.add_argument("--model", metavar="FILE", help="a saved sequence model instead")
    p.add_argument(
        "--inputs",
        type=lambda t: _parse_numbers(t, "--inputs"),
        help="the sequence: '1,2,3'; vectors as '1,0;2,1' (steps separated by ';')",
    )
    p.add_argument(
        "--target",
        type=lambda t: _parse_numbers(t, "--target"),
        help="what the output should be: adds the loss and the backward pass",
    )
    p.add_argument("--lr", type=float, default=0.01, help="learning rate of the update shown (default 0.01)")


def add_parsers(sub) -> None:
    """Add the ``trace``, ``explain``, ``export``, ``import`` and ``gradcheck`` subcommands to ``sub``."""
    p = sub.add_parser(
        "trace",
        help="print every gate at every step of a small model",
        description="With no options: the classic scalar LSTM (W_f=0.5, ...) on [1, 2, 3], predicting 4 * h_3.",
    )
    _add_trace_options(p)
    p.add_argument("--format", choices=["table", "markdown", "json"], default="table")
    p.add_argument("--digits", type=int, default=3, help="decimals in the table (0: every digit)")
    p.add_argument("--plot", metavar="PNG", help="heatmaps of the gates over time (needs matplotlib)")
    p.set_defaults(func=cmd_trace)

    p = sub.add_parser(
        "explain", help="write the full worked example, forward and backward, as Markdown or an explorable page"
    )
    _add_trace_options(p)
    p.add_argument("-o", "--output", metavar="FILE.md", help="write to a file instead of stdout")
    p.add_argument(
        "--html",
        metavar="FILE.html",
        help="write one self-contained page instead: every number live, the inputs and weights of a scalar "
        "model editable in the browser",
    )
    p.set_defaults(func=cmd_explain)

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

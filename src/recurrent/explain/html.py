"""The worked example as one self-contained HTML page: every number live, explorable in a browser.

    from recurrent.explain import to_html
    html = to_html(trace(model, x, target=4.0))        # or: recurrent explain --html example.html

Styles and the script are inline (no network; the page opens from disk). For a scalar model
(one input, one hidden unit, one layer: the classic examples) the inputs, the target, the
learning rate and every weight are fields; changing one recomputes the forward pass, BPTT
and one SGD step in the page, from ``page.js`` beside this file: the library's equations
(``cells/reference.py``) for one unit. Every table cell carries its number at full precision
(``data-value``) and, on hover, focus or click, its equation with the numbers substituted.
A vector model's page shows its gates over time as tables shaded by value, the numbers
printed in them. A model over ``MAX_HIDDEN`` units is refused (``trace --plot`` draws it).
"""

from __future__ import annotations

import html as _html
import json
from importlib import resources

import numpy as np

from .. import _checks as chk
from ..cells.spec import SPECS
from ..classic import to_notation
from .diagram import svg
from .markdown import _plain_only

MAX_HIDDEN = 64
CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 72rem; padding: 0 1rem; color: #111; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem; }
fieldset { border: 1px solid #999; margin: .6rem 0; padding: .4rem .8rem; }
label { display: inline-block; margin: .2rem .8rem .2rem 0; }
input[type=text] { width: 5.5rem; font: inherit; padding: .1rem .3rem; }
input.invalid { outline: 3px solid #b00; background: #fee; }
#status.warn { color: #b00; font-weight: bold; }
table { border-collapse: collapse; margin: .4rem 0; }
th, td { border: 1px solid #999; padding: .15rem .45rem; text-align: right; font-variant-numeric: tabular-nums; }
td[title] { cursor: help; } td:focus { outline: 3px solid #06c; }
tr.current td, tr.current th { background: #eef3ff; font-weight: bold; }
#equation { font-family: ui-monospace, monospace; background: #f4f4f4; padding: .5rem; min-height: 1.5rem; }
.scroll, #diagram { overflow-x: auto; max-width: 100%; }
#diagram svg { max-width: none; } #diagram rect { fill: #fff; stroke: #333; cursor: pointer; }
#diagram text { font: 14px ui-monospace, monospace; cursor: pointer; }
#diagram line.feeds { stroke: #0a58ca; stroke-width: 4; } #diagram rect.chosen { stroke: #0a58ca; stroke-width: 3; }
#diagram rect.source { fill: #e7f0ff; }
td.hidden { color: #555; font-style: italic; }
#guess { width: 6rem; }
@media print {
  fieldset, #controls-note, #slider-box, #status { display: none; }
  body { max-width: none; margin: 0; font-size: 11pt; }
  table { page-break-inside: avoid; width: 100%; }
  td[title] { cursor: auto; }
}
"""


def page_script(package: str, name: str) -> str:
    """A page's script: ``figure.js`` (the one number rule) and then ``name`` from ``package``'s files."""
    rule = resources.files("recurrent.explain").joinpath("figure.js").read_text()
    return rule + "\n" + resources.files(package).joinpath(name).read_text()


def _number_field(label, value, attr):
    name = _html.escape(label)
    return (
        f'<label>{name} <input type="text" inputmode="decimal" {attr} data-label="{name}" '
        f'value="{value!r}" aria-label="{name}"></label>'
    )


MODES = (
    '<p id="modes"><label><input type="checkbox" id="gradients"> gradients on the diagram</label> '
    '<label><input type="checkbox" id="predict"> predict, then reveal: every number hidden until you '
    "guess it</label></p>"
)


def _diagram(cell):
    """The cell's diagram (``explain.diagram``): the script writes each node's value at the slider's step."""
    return svg(cell)


def _recurrent_layer(tr):
    """The traced recurrent layer: the model itself, or a Sequential's first layer."""
    return tr.model.layers[0] if hasattr(tr.model, "layers") else tr.model


def _scalar(tr) -> bool:
    rnn = _recurrent_layer(tr)
    return (
        rnn.input_size == 1
        and rnn.hidden_size == 1
        and rnn.num_layers == 1
        and not rnn.bidirectional
        and rnn.options.plain
        and tr.readout.get("W_y") is not None
        and np.size(tr.readout["W_y"]) == 1
        and tr.loss_name in (None, "mse")
    )


def page_data(tr, lr: float = 0.01) -> dict:
    """What the page's script reads: the model in hand notation, the inputs, the target, and the
    trace's own numbers (the Python library's)."""
    _plain_only(tr, "page")
    rnn = _recurrent_layer(tr)
    x = np.asarray(tr.main.values["x"], dtype=np.float64)
    data = {
        "cell": tr.cell,
        "title": SPECS[tr.cell].title,
        "nonlinearity": tr.nonlinearity,
        "many_to_one": bool(tr.many_to_one),
        "scalar": _scalar(tr),
        "lr": float(lr),
        "inputs": x[:, 0].tolist() if x.shape[1] == 1 else x.tolist(),
        "loss": tr.loss,
    }
    if data["scalar"]:
        readout = tr.model.layers[-1]
        weights = {k: float(np.asarray(v).ravel()[0]) for k, v in to_notation(rnn, readout).items()}
        data["weights"] = weights
        data["order"] = list(weights)
        target = np.asarray(tr.target if tr.target is not None else np.zeros(1), dtype=np.float64).ravel()
        data["target"] = target.tolist()
    else:
        labels = dict(SPECS[tr.cell].labels)
        data["heatmaps"] = [
            {"key": k, "label": labels.get(k, k), "values": np.asarray(tr.main.values[k]).tolist()}
            for k in [*SPECS[tr.cell].gates, "c", "h"]
            if k in tr.main.values
        ] + [
            {"key": k, "label": f"BPTT: {k.replace('_', ' ')}", "values": np.asarray(v).tolist()}
            for k, v in tr.main.grads.items()
            if k in ("dh", "dc")
        ]
    return data


def to_html(tr, lr: float = 0.01, title: str | None = None) -> str:
    """The page for a trace (``recurrent.trace``); ``lr`` is the SGD step's learning rate."""
    rnn = _recurrent_layer(tr)
    if rnn.hidden_size > MAX_HIDDEN:
        raise ValueError(
            f"to_html: the model has {rnn.hidden_size} hidden units, more than a page shows ({MAX_HIDDEN}); "
            "draw it with `recurrent trace --plot FILE.png` instead"
        )
    if not chk.is_real(lr) or not np.isfinite(lr):
        raise ValueError(f"to_html: `lr` must be a finite number, got {lr!r}")
    data = page_data(tr, lr)
    name = data["title"]
    live = f"An explorable {name}: every number live"
    head = title or (live if data["scalar"] else f"A {name} step by step: every gate and gradient")
    fields = ""
    if data["scalar"]:
        xs = "".join(_number_field(f"x_{t + 1}", v, "data-input") for t, v in enumerate(data["inputs"]))
        ts = "".join(
            _number_field("target" if len(data["target"]) == 1 else f"target_{t + 1}", v, "data-target")
            for t, v in enumerate(data["target"])
        )
        ws = "".join(_number_field(k, v, f'data-weight="{k}"') for k, v in data["weights"].items())
        lr_field = _number_field("learning rate η", data["lr"], 'id="lr"')
        fields = (
            f"<fieldset><legend>Inputs and target</legend>{xs}{ts}{lr_field}</fieldset>"
            f"<fieldset><legend>Weights</legend>{ws}</fieldset>"
            '<p id="controls-note">Change any number: the forward pass, backpropagation through time and the '
            "update below are recomputed at once. Hover, focus (Tab) or click a number to see its equation.</p>"
            '<p id="status" role="status" aria-live="polite"></p>'
        )
    T = len(data["inputs"])
    slider = (
        '<div id="slider-box"><label for="step">Step</label> '
        f'<input type="range" id="step" min="1" max="{T}" value="1" step="1" aria-describedby="step-label"> '
        '<span id="step-label"></span></div>'
    )
    body = (
        f"<h1>{_html.escape(head)}</h1>"
        f"<p>{'An' if (('scalar ' if data['scalar'] else '') + name)[0] in 'AEIOULR' else 'A'} "
        f"{'scalar ' if data['scalar'] else ''}{name} run over {T} steps from a zero state, "
        + (
            "then backpropagation through time and one gradient-descent step. σ is the logistic sigmoid.</p>"
            if data["scalar"]
            else "then backpropagation through time: every unit's gates and states, and the gradients BPTT "
            "sends to h and c, at every step (the numbers are printed in the tables). The fields, the "
            "equations and the update are on the page of a scalar model (one input, one unit).</p>"
        )
        + fields
        + (
            f"<h2>The cell at one step</h2>{slider}{MODES}<div id='diagram'>{_diagram(tr.cell)}</div>"
            "<p id='diagram-note'>Each node shows its value at this step, each arrow (hover it) the value it "
            "carries; click a node to light up the arrows that feed it. With <em>gradients</em> ticked, the "
            "nodes show what backpropagation sends to them at this step.</p>"
            "<h2>Forward</h2><div class='scroll'><table id='forward'></table></div>"
            "<p id='equation' aria-live='polite'>Click, focus or hover a number to see its equation.</p>"
            "<h2>Loss</h2><p id='loss'></p>"
            "<h2>Backward (BPTT, last step first)</h2><div class='scroll'><table id='backward'></table></div>"
            "<h2>Weight gradients, summed over steps, and one SGD step</h2>"
            "<div class='scroll'><table id='update'></table></div>"
            if data["scalar"]
            else "<h2>Gates and states over time</h2><div id='heatmaps'></div>"
            + (f"<p id='loss' data-value='{tr.loss!r}'>loss {tr.loss:.4f}</p>" if tr.loss is not None else "")
            + "<table id='forward'></table><table id='backward'></table><table id='update'></table>"
            "<div id='diagram'></div><input type='hidden' id='step' value='1'><span id='step-label'></span>"
        )
    )
    script = page_script("recurrent.explain", "page.js")
    try:
        payload = json.dumps(data, allow_nan=False).replace("</", "<\\/")
    except ValueError:
        raise ValueError("to_html: the trace holds NaN or infinity; a page needs finite numbers") from None
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_html.escape(head)}</title><style>{CSS}</style></head><body>{body}"
        f"<script type='application/json' id='trace-data'>{payload}</script>"
        f"<script>{script}</script></body></html>\n"
    )

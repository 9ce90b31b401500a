"""The gradient-flow lab as one self-contained page: sliders for the forget bias, W_hh's scale and truncation.

    recurrent flow --html flow.html
    html = to_html_flow()

The numbers are the library's (``explain.flow.gradient_flow``: the layers' own BPTT records), computed here
for every setting the sliders offer and carried in the page as data, so the page needs no server and no
network and shows exactly what ``recurrent flow`` prints. Truncated BPTT needs no second computation: the
last k steps' gradients are the same as without truncation (the loss reads step T only, and the state before
the window enters as a constant), every earlier one is 0, and the page applies that rule.
"""

from __future__ import annotations

import html as _html
import json

from .flow import gradient_flow
from .html import page_script

FORGET_BIASES = (-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0)
SCALES = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
STEPS, HIDDEN = 40, 8

CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 60rem; padding: 0 1rem; color: #111; }
label { display: inline-block; margin: .3rem 1rem .3rem 0; } output { font-weight: bold; }
.scroll { overflow-x: auto; max-width: 100%; }
svg text { font: 12px system-ui, sans-serif; fill: #111; }
table { border-collapse: collapse; } th, td { border: 1px solid #999; padding: .15rem .45rem; text-align: right; }
"""


def flow_data(seed=0) -> dict:
    """Every slider setting's norms, from ``gradient_flow`` (lists of floats, indexed [forget bias][scale])."""
    data = {"steps": STEPS, "hidden": HIDDEN, "forget_biases": FORGET_BIASES, "scales": SCALES, "rnn": []}
    data.update(gru=[], lstm=[], lstm_dc=[])
    for sc in SCALES:
        data["rnn"].append(gradient_flow(STEPS, HIDDEN, 0.0, sc, None, seed, ["rnn"])["rnn"]["dh"].tolist())
    for fb in FORGET_BIASES:
        rows = {"gru": [], "lstm": [], "lstm_dc": []}
        for sc in SCALES:
            res = gradient_flow(STEPS, HIDDEN, fb, sc, None, seed, ["gru", "lstm"])
            rows["gru"].append(res["gru"]["dh"].tolist())
            rows["lstm"].append(res["lstm"]["dh"].tolist())
            rows["lstm_dc"].append(res["lstm"]["dc"].tolist())
        for k, v in rows.items():
            data[k].append(v)
    return data


def _range(name, label, n, value):
    return (
        f'<label for="{name}">{_html.escape(label)}</label> <input type="range" id="{name}" min="0" max="{n}" '
        f'value="{value}" step="1"> <output id="{name}-out"></output><br>'
    )


def to_html_flow(seed=0) -> str:
    """The lab's page."""
    data = flow_data(seed)
    payload = json.dumps(data, allow_nan=False).replace("</", "<\\/")
    script = page_script("recurrent.explain", "flow_page.js")
    cells = "".join(
        f'<label><input type="checkbox" id="show-{c}" checked> {c.upper()}</label>' for c in ("rnn", "gru", "lstm")
    )
    body = (
        "<h1>How far back the gradient reaches</h1>"
        f"<p>An RNN, a GRU and an LSTM ({HIDDEN} units each) read the same {STEPS} inputs from a zero state; the loss "
        f"reads the last step only (L = v · h_{STEPS}). The chart is the norm of dL/dh_t at each step t (the LSTM's "
        "dL/dc_t dashed) on a log scale, from the library's own backpropagation through time.</p>"
        + _range("fb", "forget-gate bias (the GRU's update gate)", len(FORGET_BIASES) - 1, FORGET_BIASES.index(0.0))
        + _range("sc", "W_hh scaled by", len(SCALES) - 1, SCALES.index(1.0))
        + f'<label for="trunc">truncated BPTT, last k steps</label> <input type="range" id="trunc" min="0" '
        f'max="{STEPS}" value="0" step="1"> <output id="trunc-out"></output><br>'
        + cells
        + "<div class='scroll' id='chart'></div><div class='scroll'><table id='numbers'></table></div>"
        "<p>Try: the forget bias at 3 (the cell state carries the gradient across all steps), W_hh at 3 (the RNN's "
        "gradient grows going back: exploding), truncation at 10 (nothing reaches further back than 10 steps).</p>"
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>How far back the gradient reaches</title><style>{CSS}</style></head><body>{body}"
        f"<script type='application/json' id='flow-data'>{payload}</script><script>{script}</script></body></html>\n"
    )

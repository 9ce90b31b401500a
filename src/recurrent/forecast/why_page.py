"""One series' explanation (``Forecaster.explain``) as a self-contained page: hover a forecast step to see which
inputs drove it; toggle the Theta member.

    recurrent forecast sales.csv --id-column store --explain "store 3" --explain-html why.html

The page carries the explanation's numbers (the library's) and the series' window; ``why_page.js`` beside this
file draws the series and the forecast, the attributions as a table shaded by value (a row per forecast step, a
column per past value), and, for the step under the pointer (or focused), its parts and its largest inputs.
The toggle shows the forecast with the statistical member or from the networks alone (w = 1).
"""

from __future__ import annotations

import html as _html
import json

import numpy as np

from ..explain.html import page_script

CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 72rem; padding: 0 1rem; color: #111; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; } th, td { border: 1px solid #999; padding: .1rem .35rem; text-align: right;
  font-variant-numeric: tabular-nums; font-size: 13px; white-space: nowrap; }
tr.current th, tr.current td { outline: 2px solid #0b57d0; }
#why { font-family: ui-monospace, monospace; background: #f4f4f4; padding: .5rem; min-height: 3rem;
  white-space: pre-wrap; }
svg text { font: 12px system-ui, sans-serif; fill: #111; }
"""


def page_data(ex, values) -> dict:
    """What the page's script reads: the explanation (``Explanation.to_json``) and the window's values."""
    data = ex.to_json()
    data["id"] = str(ex.id)
    data["window"] = np.asarray(values, dtype=np.float64)[ex.positions].tolist()
    data["networks_only"] = (np.exp(ex.level + ex.networks) - ex.shift).tolist()
    data["top"] = [[[what, float(v)] for what, v in ex.top(h + 1, 5)] for h in range(len(ex.forecast))]
    return data


def to_html(ex, values) -> str:
    """The page for ``ex`` (one series' ``Explanation``); ``values``: that series' values."""
    payload = json.dumps(page_data(ex, values), allow_nan=False).replace("</", "<\\/")
    script = page_script("recurrent.forecast", "why_page.js")
    title = f"Why series {ex.id!r} is forecast as it is"
    body = (
        f"<h1>{_html.escape(title)}</h1>"
        "<p>In log values the forecast is w (level + networks) + (1 − w) θ; the networks' part is the naive window's "
        "(every past value equal to the last, covariates at their mean) plus each input's attribution (integrated "
        "gradients; they add up to it exactly). Hover or focus a forecast step.</p>"
        '<p><label><input type="checkbox" id="theta" checked> with the statistical member (θ)</label></p>'
        "<div class='scroll' id='chart'></div><p id='why' aria-live='polite'></p>"
        "<h2>Attributions (log) of each forecast step to each past value</h2>"
        "<div class='scroll'><table id='heat'></table></div>"
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_html.escape(title)}</title><style>{CSS}</style></head><body>{body}"
        f"<script type='application/json' id='why-data'>{payload}</script><script>{script}</script></body></html>\n"
    )

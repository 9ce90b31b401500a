"""The explorable page (recurrent explain --html) in a real browser: headless Chromium opens it from
disk; the numbers it shows and recomputes after edits equal the library's to 1e-9."""

import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest

import recurrent
from recurrent import classic
from recurrent.explain import to_html
from recurrent.explain.notation import weight_grads

BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
needs_browser = pytest.mark.skipif(
    BROWSER is None, reason="no headless Chromium (apt-get install chromium; .ci/run installs it)"
)
TOL = 1e-9

COLLECT_ERRORS = """<script>window.__errors = [];
window.addEventListener("error", (e) => window.__errors.push(String(e.message)));</script>"""
REPORT = """<script>setTimeout(() => { const p = document.createElement("pre"); p.id = "test-errors";
p.textContent = JSON.stringify(window.__errors); document.body.appendChild(p); }, 0);</script>"""


def _trace(name, weights=None, inputs=None):
    ex = classic.example(name)
    model = classic.example_model(weights or ex["weights"], ex["cell"], ex["many_to_one"])
    x = np.asarray(inputs if inputs is not None else ex["inputs"], dtype=np.float64)
    return recurrent.trace(model, x[:, None] if x.ndim == 1 else x, target=ex["target"])


def _open(tmp_path, html, edits=""):
    """The page's DOM after its script (and ``edits``, run after it) in headless Chromium."""
    page = html.replace("<body>", "<body>" + COLLECT_ERRORS, 1)
    page = page.replace("</body>", f"<script>{edits}</script>{REPORT}</body>")
    path = tmp_path / "page.html"
    path.write_text(page)
    out = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom",
         path.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    errors = re.search(r'<pre id="test-errors">(.*?)</pre>', out.stdout, re.S)
    assert errors is not None and errors.group(1) == "[]", errors and errors.group(1)
    return out.stdout


class _Cells(HTMLParser):
    """Every element's data-key, data-t, data-value, and the inputs' classes."""

    def __init__(self):
        super().__init__()
        self.values, self.inputs, self.status = {}, {}, ""
        self._in_status = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-value" in a and "data-key" in a:
            key = (a["data-key"], a.get("data-t")) + ((a["data-u"],) if "data-u" in a else ())
            self.values[key] = float(a["data-value"])
        if "data-value" in a and a.get("id") == "loss":
            self.values[("loss", None)] = float(a["data-value"])
        if tag == "input" and "data-label" in a:
            self.inputs[a["data-label"]] = a
        self._in_status = a.get("id") == "status"

    def handle_data(self, data):
        if self._in_status:
            self.status += data


def _cells(dom):
    p = _Cells()
    p.feed(dom)
    return p


def _expected(tr, lr):
    """(key, t) -> number, as the page lays them out, from the library's trace."""
    ct = tr.main
    out = {}
    T = len(ct.values["h"])
    keys = {"lstm": ["x", "i", "f", "g", "o", "c", "h"], "gru": ["x", "r", "z", "n", "h"], "rnn": ["x", "a", "h"]}
    for k in keys[tr.cell]:
        src = ct.values["a"] if k == "a" else ct.values[k]
        for t in range(T):
            out[(k, str(t + 1))] = float(np.ravel(src[t])[0])
    for k, v in ct.grads.items():
        if k != "dy":
            for t in range(T):
                out[(k, str(t + 1))] = float(np.ravel(v[t])[0])
    notation = classic.to_notation(tr.model.layers[0], tr.model.layers[-1])
    grads = {g.key: float(np.ravel(g.grad)[0]) for g in weight_grads(ct)}
    grads.update({k: float(np.ravel(v)[0]) for k, v in tr.readout_grads.items()})
    for k, w in notation.items():
        out[("w", k)] = float(np.ravel(w)[0])
        out[("grad", k)] = grads[k]
        out[("new", k)] = float(np.ravel(w)[0]) - lr * grads[k]
    out[("loss", None)] = tr.loss
    return out


def _compare(got, want):
    missing = [k for k in want if k not in got]
    assert not missing, missing[:5]
    for k, v in want.items():
        assert abs(got[k] - v) <= TOL * max(1.0, abs(v)), (k, got[k], v)


@needs_browser
@pytest.mark.parametrize("name", ["lstm-scalar", "gru-scalar", "rnn-scalar"])
def test_the_page_shows_the_librarys_numbers(tmp_path, name):
    tr = _trace(name)
    got = _cells(_open(tmp_path, to_html(tr, lr=0.05))).values
    _compare(got, _expected(tr, 0.05))


@needs_browser
@pytest.mark.parametrize("name", ["lstm-scalar", "gru-scalar", "rnn-scalar"])
def test_editing_a_weight_and_an_input_recomputes_everything(tmp_path, name):
    ex = classic.example(name)
    first = next(iter(ex["weights"]))
    edits = f"""
      const set = (sel, v) => {{ const el = document.querySelector(sel); el.value = v;
        el.dispatchEvent(new Event("input", {{ bubbles: true }})); }};
      set('input[data-weight="{first}"]', "0.9");
      set('input[data-label="x_3"]', "-1.25");
      set('#lr', "0.2");
    """
    got = _cells(_open(tmp_path, to_html(_trace(name), lr=0.05), edits)).values
    weights = {**ex["weights"], first: 0.9}
    inputs = list(ex["inputs"])
    inputs[2] = -1.25
    _compare(got, _expected(_trace(name, weights, inputs), 0.2))


@needs_browser
def test_a_field_that_is_not_a_number_is_marked_and_changes_nothing(tmp_path):
    tr = _trace("lstm-scalar")
    edits = """const el = document.querySelector('input[data-label="x_2"]'); el.value = "two";
      el.dispatchEvent(new Event("input")); const w = document.querySelector('input[data-weight="W_f"]');
      w.value = ""; w.dispatchEvent(new Event("input"));"""
    cells = _cells(_open(tmp_path, to_html(tr), edits))
    assert cells.inputs["x_2"]["aria-invalid"] == "true" and "invalid" in cells.inputs["x_2"]["class"]
    assert cells.inputs["W_f"]["aria-invalid"] == "true"
    assert "x_2" in cells.status and "W_f" in cells.status
    assert all(np.isfinite(v) for v in cells.values.values())
    _compare(cells.values, _expected(tr, 0.01))  # still the last valid numbers


@needs_browser
def test_the_slider_moves_the_diagram_and_the_highlighted_step(tmp_path):
    edits = """const s = document.getElementById("step"); s.value = "3"; s.dispatchEvent(new Event("input"));"""
    dom = _open(tmp_path, to_html(_trace("gru-scalar")), edits)
    assert 'aria-valuetext="step 3 of 3"' in dom and "step t = 3 of 3" in dom
    tr = _trace("gru-scalar")
    shown = re.search(r'data-show="z"[^>]*data-value="([^"]+)"', dom)
    assert shown and abs(float(shown.group(1)) - tr.main.values["z"][2][0]) <= TOL
    assert re.search(r'<tr class="current"><th scope="row">3</th>', dom)


@needs_browser
def test_a_vector_model_shows_its_gates_over_time(tmp_path):
    tr = _trace("lstm-vector")
    got = _cells(_open(tmp_path, to_html(tr))).values
    for key in ("i", "f", "g", "o", "c", "h", "dh", "dc"):
        src = tr.main.grads[key] if key.startswith("d") else tr.main.values[key]
        for t in range(3):
            for u in range(2):
                assert abs(got[(key, str(t + 1), str(u + 1))] - src[t][u]) <= TOL, (key, t, u)


@needs_browser
def test_a_screenshot_is_not_blank(tmp_path):
    Image = pytest.importorskip("PIL.Image", reason="Pillow not installed (it comes with matplotlib)")
    path = tmp_path / "p.html"
    path.write_text(to_html(_trace("lstm-scalar")))
    png = tmp_path / "p.png"
    subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--virtual-time-budget=5000",
         "--window-size=1200,1600", f"--screenshot={png}", path.as_uri()],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    pixels = np.asarray(Image.open(png).convert("L"), dtype=float)
    assert pixels.std() > 10 and (pixels < 128).mean() > 0.01  # text and tables, not an empty page


def test_the_page_is_self_contained_printable_and_refuses_a_large_model(tmp_path):
    html = to_html(_trace("lstm-scalar"))
    assert "http://" not in html and "https://" not in html and "<script src" not in html
    assert "@media print" in html and 'type="range"' in html
    big = recurrent.Sequential([recurrent.LSTM(2, 65, seed=0), recurrent.LastStep(), recurrent.Linear(65, 1)])
    tr = recurrent.trace(big, np.ones((3, 2), np.float32))
    with pytest.raises(ValueError, match=r"65 hidden units, more than a page shows \(64\).*trace --plot"):
        to_html(tr)


def test_explain_html_on_the_command_line(tmp_path, capsys):
    from recurrent.cli import main

    out = tmp_path / "e.html"
    assert main(["explain", "--example", "rnn-scalar", "--html", str(out)]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert main(["explain", "--html", str(out), "-o", str(tmp_path / "x.md")]) == 2
    assert "not both" in capsys.readouterr().err


@needs_browser
def test_the_page_writes_numbers_by_the_one_rule(tmp_path):
    """A small learning rate: every updated weight shows the digits of its move; no cell reads 0.000 or -0.000; the
    page's numbers are the Python rule's (``explain.tex.figure``)."""
    from recurrent.explain.tex import changed, figure

    tr = _trace("lstm-scalar")
    dom = _open(tmp_path, to_html(tr, lr=0.0001))
    cells = re.findall(r'<td[^>]*data-key="([^"]+)"[^>]*data-value="([^"]+)"[^>]*>([^<]*)</td>', dom)
    assert len(cells) > 30
    olds = {
        k: float(v) for k, v in re.findall(r'<td[^>]*data-key="w"[^>]*data-t="([^"]+)"[^>]*data-value="([^"]+)"', dom)
    }
    cells = [c for c in cells if "$" not in c[1]]  # not the script's own template
    for key, value, text in cells:
        assert text not in ("0.000", "-0.000"), (key, value)
        if key not in ("w", "new"):
            assert text == figure(float(value)), (key, value, text)
    news = re.findall(r'<td[^>]*data-key="new"[^>]*data-t="([^"]+)"[^>]*data-value="([^"]+)"[^>]*>([^<]*)</td>', dom)
    news = [n for n in news if "$" not in n[1]]
    assert news
    for k, value, text in news:
        assert text == changed(float(value), olds[k]) and float(text) != olds[k] or float(value) == olds[k], (k, text)

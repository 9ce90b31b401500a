"""The explorable page (recurrent explain --html) in a real browser: headless Chromium opens it from
disk; the numbers it shows and recomputes after edits equal the library's to 1e-9."""

import json
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
from recurrent.explain.tex import figure

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


def _open(tmp_path, html, edits="", width=None):
    """The page's DOM after its script (and ``edits``, run after it) in headless Chromium (``width``: the window's,
    in CSS pixels)."""
    page = html.replace("<body>", "<body>" + COLLECT_ERRORS, 1)
    page = page.replace("</body>", f"<script>{edits}</script>{REPORT}</body>")
    path = tmp_path / "page.html"
    path.write_text(page)
    size = [f"--window-size={width},900"] if width else []
    out = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", *size, "--dump-dom",
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


PROBE = """;setTimeout(() => {{ const p = document.createElement("pre"); p.id = "probe";
p.textContent = JSON.stringify(({code})()); document.body.appendChild(p); }}, 0);"""


def _probe(tmp_path, html, code, edits="", width=None):
    """What the JavaScript function ``code`` returns in the page after ``edits``, as JSON. The probe is queued by
    the edits' own script, after them: a separate script before theirs could run first (the parser may yield
    between scripts, and a queued timer then fires before the edits)."""
    dom = _open(tmp_path, html, edits + PROBE.format(code=code), width)
    return json.loads(_unescape(re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S).group(1))), dom


def _unescape(text):
    import html as _h

    return _h.unescape(text)


CONTRAST = """(w) => {
  const document = w.document, getComputedStyle = w.getComputedStyle.bind(w), window = w;
  const lum = (css) => { const [r, g, b] = css.match(/[\\d.]+/g).slice(0, 3).map((v) => v / 255)
      .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const bgOf = (el) => { for (let e = el; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
      if (c !== "rgba(0, 0, 0, 0)" && c !== "transparent") return c; } return "rgb(255, 255, 255)"; };
  const text = [...document.querySelectorAll("td, th, p, label, h1, h2, h3, legend")]
    .filter((e) => e.textContent.trim()).map((e) => ratio(getComputedStyle(e).color, bgOf(e)));
  const lines = [...document.querySelectorAll("#diagram line, #diagram rect")]
    .map((e) => ratio(getComputedStyle(e).stroke, "rgb(255, 255, 255)"));
  return { text: Math.min(...text), graphics: lines.length ? Math.min(...lines) : 99,
           page: document.documentElement.scrollWidth, window: window.innerWidth,
           diagramFont: Math.min(...[...document.querySelectorAll("#diagram text")]
             .map((t) => t.getBoundingClientRect().height)) };
}"""


def _in_frame(tmp_path, html, code, width):
    """``code`` (a JavaScript function of the page's window) run on the page shown in a frame ``width`` CSS
    pixels wide (headless Chromium will not open a window narrower than 500), as JSON."""
    import html as _h

    wrapper = (
        "<!DOCTYPE html><html><body style='margin:0'>"
        f"<iframe id='f' style='width:{width}px;height:900px;border:0' "
        f'srcdoc="{_h.escape(html, quote=True)}"></iframe>'
        "<script>document.getElementById('f').addEventListener('load', () => { const w = document.getElementById('f')"
        ".contentWindow; const p = document.createElement('pre'); p.id = 'probe'; "
        f"p.textContent = JSON.stringify(({code})(w)); document.body.appendChild(p); }});</script></body></html>"
    )
    path = tmp_path / "frame.html"
    path.write_text(wrapper)
    out = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
         "--window-size=1500,1000", "--dump-dom", path.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return json.loads(_unescape(re.search(r'<pre id="probe">(.*?)</pre>', out.stdout, re.S).group(1)))


@needs_browser
@pytest.mark.parametrize("name", ["lstm-scalar", "lstm-vector"])
@pytest.mark.parametrize("width", [400, 1400])
def test_the_page_fits_a_narrow_screen_and_meets_wcag_aa_contrast(tmp_path, name, width):
    got = _in_frame(tmp_path, to_html(_trace(name)), CONTRAST, width)
    assert got["window"] == width
    assert got["page"] <= got["window"], got  # no horizontal scrolling of the page (wide tables scroll in place)
    assert got["text"] >= 4.5 and got["graphics"] >= 3.0, got
    if name == "lstm-scalar":
        assert got["diagramFont"] >= 12, got  # the diagram keeps its size and scrolls in its own box


NODES = """() => Object.fromEntries([...document.querySelectorAll("#diagram text[data-show]")]
  .map((t) => [t.dataset.show, [t.textContent, Number(t.dataset.value)]]))"""
WIRES = """() => [...document.querySelectorAll("#diagram line")].map((l) => [l.dataset.from, l.dataset.to,
  Number(l.dataset.value), l.querySelector("title").textContent, l.classList.contains("feeds")])"""
STEP2 = """const s = document.getElementById("step"); s.value = "2"; s.dispatchEvent(new Event("input"));"""


@needs_browser
def test_each_wire_carries_its_sources_value_and_a_click_lights_what_feeds_a_node(tmp_path):
    tr = _trace("lstm-scalar")
    v = {k: float(np.ravel(a[1])[0]) for k, a in tr.main.values.items() if np.ndim(a) >= 1}
    want = {**v, "fc": v["f"] * v["c_prev"], "ig": v["i"] * v["g"], "tc": float(np.tanh(v["c"]))}
    click = (
        STEP2
        + """document.querySelector('#diagram rect[data-node="c"]').dispatchEvent(new MouseEvent("click",
      { bubbles: true }));"""
    )
    wires, _ = _probe(tmp_path, to_html(tr), WIRES, click)
    assert len(wires) == 17
    for src, dst, value, title, lit in wires:
        assert abs(value - want[src]) <= TOL, (src, dst)
        assert title.endswith(": " + figure(want[src])) and "→" in title
        assert lit == (dst == "c")  # only f ⊙ c_{t-1} -> c_t and i ⊙ g -> c_t
    assert sum(w[4] for w in wires) == 2


@needs_browser
@pytest.mark.parametrize("name", ["lstm-scalar", "gru-scalar", "rnn-scalar"])
def test_the_gradient_mode_shows_what_bptt_sends_to_each_node(tmp_path, name):
    tr = _trace(name)
    edits = (
        STEP2
        + """const g = document.getElementById("gradients"); g.checked = true;
      g.dispatchEvent(new Event("change"));"""
    )
    nodes, _ = _probe(tmp_path, to_html(tr), NODES, edits)
    grads = tr.main.grads
    expect = {"h": "dh", "c": "dc", "i": "da_i", "f": "da_f", "g": "da_g", "o": "da_o", "r": "da_r", "z": "da_z",
              "n": "da_n"}  # fmt: skip
    checked = 0
    for key, (text, value) in nodes.items():
        if key in expect and expect[key] in grads:
            want = float(np.ravel(grads[expect[key]][1])[0])
            assert abs(value - want) <= TOL, (key, value, want)
            assert text.endswith("= " + figure(want)) and (text.startswith("δ_") or text.startswith("dL/d"))
            checked += 1
    assert checked == {"lstm-scalar": 6, "gru-scalar": 4, "rnn-scalar": 1}[name]


@needs_browser
def test_predict_then_reveal_hides_each_number_until_the_learner_guesses(tmp_path):
    tr = _trace("lstm-scalar")
    edits = """const p = document.getElementById("predict"); p.checked = true; p.dispatchEvent(new Event("change"));
      const td = document.querySelector('#forward td.hidden[data-key="f"][data-t="1"]');
      td.dispatchEvent(new MouseEvent("click", { bubbles: true }));
      document.getElementById("guess").value = "0.6";
      document.getElementById("reveal").dispatchEvent(new MouseEvent("click", { bubbles: true }));"""
    got, dom = _probe(
        tmp_path,
        to_html(tr),
        """() => ({ hidden: document.querySelectorAll("td.hidden").length,
                   f1: document.querySelector('#forward td[data-key="f"][data-t="1"]').textContent,
                   verdict: document.getElementById("verdict").textContent,
                   eq: document.getElementById("equation").textContent })""",
        edits,
    )
    f1 = float(tr.main.values["f"][0][0])
    assert got["f1"] == figure(f1) and got["hidden"] > 20
    assert got["verdict"] == f"you said 0.6; it is {figure(f1)} (off by {figure(abs(0.6 - f1))})"
    assert got["eq"].startswith("f_1 = ") and ">?</td>" in dom

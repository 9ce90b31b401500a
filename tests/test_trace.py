"""Traces and worked examples: the numbers shown are the numbers computed."""

import json
import math
import re

import numpy as np
import pytest

import recurrent
from recurrent import GRU, LSTM, LastStep, Linear, Sequential, classic, trace
from recurrent.cli import main
from recurrent.explain.tex import figure

# The classic notebook's printed output, verbatim.
NOTEBOOK = """Time Step 1:
  Input gate (i_t): 0.646
  Forget gate (f_t): 0.622
  Candidate (g_t): 0.604
  Output gate (o_t): 0.690
  Cell state (c_t): 0.390
  Hidden state (h_t): 0.256

Time Step 2:
  Input gate (i_t): 0.778
  Forget gate (f_t): 0.736
  Candidate (g_t): 0.901
  Output gate (o_t): 0.846
  Cell state (c_t): 0.988
  Hidden state (h_t): 0.640

Time Step 3:
  Input gate (i_t): 0.873
  Forget gate (f_t): 0.827
  Candidate (g_t): 0.980
  Output gate (o_t): 0.934
  Cell state (c_t): 1.672
  Hidden state (h_t): 0.871

Predicted next value: 3.483
"""


def run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_default_trace_prints_the_notebook_table(capsys):
    code, out, _ = run(["trace"], capsys)
    assert code == 0 and out == NOTEBOOK


def test_rnn_example_prints_the_notebook_numbers(capsys):
    code, out, _ = run(["trace", "--example", "rnn-scalar", "--target", "0.2,0.4,0.6", "--digits", "0"], capsys)
    assert code == 0
    hs = [float(m) for m in re.findall(r"Hidden state \(h_t\): (\S+)", out)]
    np.testing.assert_allclose(hs, [0.04995837, 0.12433251, 0.20903903], atol=5e-9)
    assert abs(float(re.search(r"Loss \(mse\): (\S+)", out).group(1)) - 0.08378517767647224) <= 1e-15
    expected = {
        "W_y": -0.08233091265892165,
        "b_y": -0.5444467220306203,
        "W_x": -0.16062445174417353,
        "W_h": -0.04615923298359283,
        "b_h": -0.8041053042318597,
    }
    for k, v in expected.items():
        got = float(re.search(rf"dL/d{k}: (\S+)", out).group(1))
        assert abs(got - v) <= 1e-15, (k, got, v)


def test_trace_reads_the_same_numbers_as_forward_and_backward():
    model = Sequential(
        [
            LSTM(2, 3, num_layers=2, bidirectional=True, dtype=np.float64, seed=0),
            LastStep(),
            Linear(6, 1, dtype=np.float64, seed=1),
        ]
    )
    x = np.random.default_rng(0).normal(size=(4, 2))
    tr = trace(model, x, target=[0.5])
    _, cache = model.forward(x[None])
    c0 = cache["caches"][0]["layers"][0][0]
    np.testing.assert_array_equal(tr.main.values["f"], c0["gates"][0][:, 3:6])
    np.testing.assert_array_equal(tr.main.values["c"], c0["c"][0, 1:])
    rev = tr.cells[1]
    assert (rev.layer, rev.direction) == (0, 1)
    np.testing.assert_array_equal(rev.values["h"], cache["caches"][0]["layers"][0][1]["h"][0, 1:][::-1])
    # pre-activations: sigmoid of them is the gate
    np.testing.assert_allclose(1 / (1 + np.exp(-tr.main.values["a_o"])), tr.main.values["o"], rtol=0, atol=1e-15)
    # gradient on the first layer's weights, from the trace's hand-notation sums, equals backward's
    from recurrent.explain import weight_grads

    grads = {k: g for k, *_, g in weight_grads(tr.main)}
    np.testing.assert_allclose(grads["W_f"], tr.param_grads["0.weight_ih_l0"][3:6], rtol=0, atol=1e-14)
    np.testing.assert_allclose(grads["b_o"], tr.param_grads["0.bias_ih_l0"][9:12], rtol=0, atol=1e-14)
    assert len(tr.to_json()["layers"]) == 4


@pytest.mark.parametrize("cell", ["gru", "rnn"])
def test_gru_and_rnn_hand_gradients_equal_backward(cell):
    layer = {"gru": GRU, "rnn": __import__("recurrent").RNN}[cell](2, 3, dtype=np.float64, seed=2)
    model = Sequential([layer, Linear(3, 2, dtype=np.float64, seed=3)])
    tr = trace(model, np.random.default_rng(1).normal(size=(5, 2)), target=np.zeros((5, 2)))
    from recurrent.explain import weight_grads

    grads = {k: g for k, *_, g in weight_grads(tr.main)}
    p = tr.param_grads
    first = "W_r" if cell == "gru" else "W_x"
    np.testing.assert_allclose(grads[first], p["0.weight_ih_l0"][:3], rtol=0, atol=1e-14)
    rec = "W_hn" if cell == "gru" else "W_h"
    rows = slice(6, 9) if cell == "gru" else slice(0, 3)
    np.testing.assert_allclose(grads[rec], p["0.weight_hh_l0"][rows], rtol=0, atol=1e-14)
    if cell == "gru":
        np.testing.assert_allclose(grads["b_hn"], p["0.bias_hh_l0"][6:9], rtol=0, atol=1e-14)
        np.testing.assert_allclose(grads["b_n"], p["0.bias_ih_l0"][6:9], rtol=0, atol=1e-14)


def test_changed_weights_change_every_rendering(tmp_path, capsys):
    rng = np.random.default_rng(7)
    w = {k: round(float(rng.uniform(-1, 1)), 2) for k in classic.notation_keys("lstm")}
    path = tmp_path / "w.json"
    path.write_text(json.dumps(w))
    xs = [0.5, -1.0, 2.0]
    # plain-Python recomputation of step 1 and 2
    sig = lambda a: 1 / (1 + math.exp(-a))
    h = c = 0.0
    rows = []
    for x in xs:
        a_f = w["W_f"] * x + w["W_hf"] * h + w["b_f"]
        f, i = sig(a_f), sig(w["W_i"] * x + w["W_hi"] * h + w["b_i"])
        g, o = math.tanh(w["W_g"] * x + w["W_hg"] * h + w["b_g"]), sig(w["W_o"] * x + w["W_ho"] * h + w["b_o"])
        c = f * c + i * g
        h = o * math.tanh(c)
        rows.append((a_f, f, c, h))
    code, table, _ = run(["trace", "--weights", str(path), "--inputs", "0.5,-1,2"], capsys)
    assert code == 0
    assert f"Forget gate (f_t): {rows[1][1]:.3f}" in table and f"Hidden state (h_t): {rows[2][3]:.3f}" in table
    assert f"Predicted next value: {w['W_y'] * rows[2][3] + w['b_y']:.3f}" in table
    code, md, _ = run(["explain", "--weights", str(path), "--inputs", "0.5,-1,2", "--target", "1"], capsys)
    assert code == 0
    wf = f"{w['W_f']:.4g}" if w["W_f"] >= 0 else f"({w['W_f']:.4g})"  # negatives in parentheses
    f1 = rf"f_{{1}} = \sigma\left({wf} \cdot 0.5 + "
    assert f1 in md
    assert rf"= \sigma\left({figure(rows[1][0])}\right) = {figure(rows[1][1])}$$" in md
    # the gradient shown for W_f equals a fresh backward through the library
    layer, readout = classic.from_notation(w, "lstm")
    m = Sequential([layer, LastStep(), readout])
    y, cache = m.forward(np.array(xs).reshape(1, 3, 1))
    _, grads = m.backward(2 * (y - 1.0), cache)
    assert r"\frac{\partial L}{\partial W_f} = " in md
    line = next(ln for ln in md.splitlines() if ln.startswith(r"$$\frac{\partial L}{\partial W_f} ="))
    assert line.endswith(f"= {figure(grads['0.weight_ih_l0'][1, 0])}$$")


def _latex_checks(md):
    assert md.count("$$") % 2 == 0
    for eq in re.findall(r"\$\$(.+?)\$\$", md, flags=re.S):
        assert eq.count("{") == eq.count("}"), eq
        assert len(re.findall(r"\\left[.(|\[]", eq)) == len(re.findall(r"\\right[.)|\]]", eq)), eq
        assert eq.count("\\begin{") == eq.count("\\end{"), eq
    return re.findall(r"\$\$(.+?)\$\$", md, flags=re.S)


@pytest.mark.parametrize(
    "argv",
    [
        ["explain"],
        ["explain", "--example", "gru-scalar"],
        ["explain", "--example", "rnn-scalar"],
        ["explain", "--example", "lstm-vector"],
    ],
)
def test_markdown_math_is_well_formed_and_renders(argv, capsys):
    code, md, _ = run(argv, capsys)
    assert code == 0
    eqs = _latex_checks(md)
    assert len(eqs) > 20
    mathtext = pytest.importorskip("matplotlib.mathtext")
    parser = mathtext.MathTextParser("agg")
    rendered = 0
    for eq in eqs:
        if "\\begin{" in eq:  # aligned/bmatrix: environments mathtext lacks (checked above)
            continue
        parser.parse("$" + eq.strip() + "$")
        rendered += 1
    if "vector" not in argv[-1]:
        assert rendered == len(eqs) - 1  # all but the aligned equations block


def test_explain_classic_states_the_hand_slip_and_one_update(tmp_path, capsys):
    out = tmp_path / "lstm.md"
    code, _, err = run(["explain", "-o", str(out)], capsys)
    assert code == 0 and "wrote" in err
    md = out.read_text()
    assert r"o_{2} = \sigma\left(0.8 \cdot 2 + 0.4 \cdot 0.256 + 0\right) = \sigma\left(1.703\right) = 0.846" in md
    assert r"$\sigma(1.436) = 0.808$" in md and "1.70254" in md
    assert "## One gradient-descent step" in md and r"W_f \leftarrow 0.5 - 0.01" in md
    assert r"\hat{y} = W_y h_{3} + b_y = 4 \cdot 0.871 + 0 = 3.483" in md


def test_json_format(capsys):
    code, out, _ = run(["trace", "--format", "json", "--target", "4"], capsys)
    data = json.loads(out)
    assert data["cell"] == "lstm" and len(data["steps"]) == 3
    step = data["steps"][1]
    assert step["t"] == 2 and step["x"] == [2.0]
    for k in ("f", "i", "g", "c", "o", "h"):
        assert len(step[k]) == 1
    assert round(step["o"][0], 3) == 0.846 and round(data["prediction"][0], 3) == 3.483
    assert data["backward"][0]["t"] == 3 and "dc" in data["backward"][0]
    assert set(data["gradients"]) >= {"0.weight_ih_l0", "2.weight"}


def test_plot_writes_a_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "gates.png"
    assert run(["trace", "--example", "lstm-vector", "--plot", str(out)], capsys)[0] == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_trace_heatmaps_are_readable(capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib.colors as mcolors

    import recurrent.plot

    figures = []
    monkeypatch.setattr(recurrent.plot, "save_figure", lambda fig, path: figures.append(fig))
    assert run(["trace", "--example", "lstm-vector", "--plot", "x.png"], capsys)[0] == 0
    (fig,) = figures
    fig.canvas.draw()
    panels = [ax for ax in fig.axes if ax.get_ylabel()]
    assert [t.get_text() for t in panels[0].get_yticklabels()] == ["unit 1", "unit 2"]
    title = fig._suptitle.get_window_extent()
    assert title.y0 >= max(ax.get_window_extent().y1 for ax in panels)  # above the first panel
    for ax in panels:
        im = ax.images[0]
        for text in ax.texts:  # dark cells get white text
            r, g, b, _ = im.cmap(im.norm(float(text.get_text())))
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
            assert mcolors.to_hex(text.get_color()) == ("#ffffff" if dark else "#000000")


@pytest.mark.parametrize(
    "content,message",
    [
        ({k: v for k, v in classic.SCALAR_LSTM["weights"].items() if k != "W_hf"}, "missing weight 'W_hf'"),
        ({**classic.SCALAR_LSTM["weights"], "W_ff": 1}, "unknown weight 'W_ff'"),
        ({**classic.SCALAR_LSTM["weights"], "W_hf": [[1, 2], [3, 4]]}, r"'W_hf' expected shape \(1, 1\), got \(2, 2\)"),
        ({**classic.SCALAR_LSTM["weights"], "b_f": "zero"}, "weight 'b_f' must be a number"),
        ("{not json", "not valid JSON"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_bad_weights_files(tmp_path, capsys, content, message):
    path = tmp_path / "w.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    code, _, err = run(["trace", "--weights", str(path)], capsys)
    assert code == 2 and re.search(message, err) and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv,message",
    [
        (["trace", "--inputs", "1,x,3"], "--inputs: 'x' is not a number"),
        (["trace", "--inputs", "1,,3"], "--inputs: empty value"),
        (["trace", "--target", "four"], "--target: 'four' is not a number"),
        (["trace", "--inputs", "1,2;3,4"], "the model takes 1 feature"),
        (["trace", "--example", "rnn-scalar", "--cell", "lstm"], "is a rnn; drop --cell"),
    ],
)
def test_bad_trace_arguments(capsys, argv, message):
    code, _, err = run(argv, capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv,doc",
    [
        (["explain"], "worked-example-lstm.md"),
        (["explain", "--example", "rnn-scalar"], "worked-example-rnn.md"),
        (["explain", "--example", "gru-scalar"], "worked-example-gru.md"),
    ],
)
def test_committed_worked_examples_are_current(capsys, argv, doc):
    """docs/ carries three rendered examples; regenerate with `recurrent explain [--example E] [-o FILE]`."""
    from pathlib import Path

    code, md, _ = run(argv, capsys)
    assert code == 0
    assert (Path(__file__).resolve().parents[1] / "docs" / doc).read_text() == md


def test_trace_a_saved_model(tmp_path, capsys):
    model = Sequential([GRU(2, 3, seed=0), LastStep(), Linear(3, 1, seed=1)])
    path = tmp_path / "m.safetensors"
    model.save(path)
    code, out, _ = run(["trace", "--model", str(path), "--inputs", "1,0;0,1;1,1", "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["cell"] == "gru" and len(data["steps"]) == 3
    expected = model.predict(np.array([[[1, 0], [0, 1], [1, 1]]], dtype=np.float32))[0]
    np.testing.assert_allclose(data["prediction"], expected, rtol=1e-6)
    code, _, err = run(["trace", "--model", str(path)], capsys)
    assert code == 2 and "--model needs --inputs" in err


def test_a_relu_rnn_is_explained_with_relu_and_its_derivative(tmp_path, capsys):
    rnn = recurrent.RNN(1, 1, nonlinearity="relu", dtype=np.float64, seed=0)
    for name, v in (("weight_ih_l0", 0.5), ("weight_hh_l0", 0.5), ("bias_ih_l0", 0.0), ("bias_hh_l0", 0.0)):
        rnn.params[name][...] = v
    model = recurrent.Sequential([rnn, recurrent.LastStep(), recurrent.Linear(1, 1, dtype=np.float64, seed=1)])
    path = tmp_path / "relu.safetensors"
    model.save(path)
    code, md, _ = run(["explain", "--model", str(path), "--inputs", "1,-3,2.5", "--target", "1"], capsys)
    assert code == 0
    assert "\\tanh" not in md
    assert (
        "h_{2} = \\mathrm{ReLU}\\left(0.5 \\cdot (-3) + 0.5 \\cdot 0.500 + 0\\right) = "
        "\\mathrm{ReLU}\\left(-1.250\\right) = 0$$" in md
    )  # the negative pre-activation is cut to 0
    assert "\\mathrm{ReLU}'(a_{2}) = " in md and "\\cdot 0 = 0" in md  # and passes no gradient back
    assert "\\mathrm{ReLU}\\left(1.250\\right) = 1.250" in md
    mathtext = pytest.importorskip("matplotlib.mathtext")
    parser = mathtext.MathTextParser("agg")
    for eq in _latex_checks(md):
        if "\\begin{" not in eq:
            parser.parse("$" + eq.strip() + "$")


F64 = {"dtype": np.float64}
VARIANTS = [
    lambda: recurrent.LSTM(2, 3, peepholes=True, **F64),
    lambda: recurrent.LSTM(2, 3, clip=0.5, **F64),
    lambda: recurrent.LSTM(2, 3, input_forget=True, **F64),
    lambda: recurrent.LSTM(2, 3, activations=["hard_sigmoid", "tanh", "tanh"], **F64),
    lambda: recurrent.GRU(2, 3, reset_after=False, **F64),
    lambda: recurrent.GRU(2, 3, clip=0.3, **F64),
    lambda: recurrent.RNN(2, 3, activations=["softsign"], **F64),
]


@pytest.mark.parametrize("make", VARIANTS)
def test_trace_reads_every_variant_cell_from_its_cache(make):
    """The trace of a variant holds what its layer computes: h as forward's, the gates as the activations of the
    recorded pre-activations, and per-step gradients whose sums are backward's bias gradients."""
    rng = np.random.default_rng(3)
    layer = make()
    layer.params = {k: v * 3 for k, v in layer.params.items()}  # large enough for the clip to bite
    x, dy = rng.normal(size=(1, 5, 2)), rng.normal(size=(1, 5, 3))
    tr = trace(layer, x, dy=dy)
    assert tr.variant == repr(layer)
    y, _, _ = layer.forward(x)
    ct = tr.main
    np.testing.assert_allclose(ct.values["h"], y[0], rtol=0, atol=1e-14)
    spec = recurrent.cells.spec.SPECS[tr.cell]
    opts = layer.options
    for g in spec.gates if tr.cell != "rnn" else ():
        if g == "f" and opts.input_forget:
            np.testing.assert_allclose(ct.values["f"], 1 - ct.values["i"], atol=1e-14)
            continue
        a = ct.values[f"a_{g}"]
        a = a if opts.clip is None else np.clip(a, -opts.clip, opts.clip)
        act = opts.acts[0] if (tr.cell, g) not in {("lstm", "g"), ("gru", "n")} else opts.acts[1]
        np.testing.assert_allclose(ct.values[g], recurrent.activations.apply(act, a), atol=1e-14)
    da = "da" if tr.cell == "rnn" else None
    da_all = ct.grads[da] if da else np.concatenate([ct.grads[f"da_{g}"] for g in spec.gates], axis=1)
    np.testing.assert_allclose(da_all.sum(0), tr.param_grads["bias_ih_l0"], atol=1e-12)
    if tr.cell == "gru":  # the gradient on n's recurrent part: r da_n (reset after) or da_n itself (before)
        r = ct.values["r"] if opts.reset_after else 1.0
        np.testing.assert_allclose(ct.grads["dah_n"], r * ct.grads["da_n"], atol=1e-14)
        np.testing.assert_allclose(ct.grads["dah_n"].sum(0), tr.param_grads["bias_hh_l0"][6:], atol=1e-12)
    with pytest.raises(ValueError, match="computes others; its trace's steps, table and JSON"):
        tr.markdown()
    assert "Time Step 5" in tr.table() and tr.to_json()

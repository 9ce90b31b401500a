"""The gradient-flow lab: its per-step norms are the layers' BPTT (against the reference cells' step backward to
1e-12) and the true derivatives (central differences of the reference forward to 1e-6); the lessons it shows hold;
the command line."""

import json

import numpy as np
import pytest

from recurrent.cells import reference
from recurrent.cli import main
from recurrent.explain import flow
from recurrent.explain.tex import figure


def _weights(layer):
    p = layer.params
    return p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"]


def _reference_steps(cell, layer, x, v):
    """Per-step dL/dh_t and dL/dc_t for L = v . h_T, from the reference cells' step backward, one step at a time."""
    H = layer.hidden_size
    zeros = np.zeros((1, H))
    _, _, _, caches = reference.sequence(cell, x, zeros, zeros if cell == "lstm" else None, _weights(layer))
    dh, dc = v[None].copy(), zeros.copy()
    out_h, out_c = [], []
    for t in reversed(range(len(caches))):
        if cell == "lstm":  # the total on c_t: from c_{t+1} and through h_t = o tanh(c_t)
            k = caches[t]
            out_h.append(dh[0].copy())
            out_c.append((dc + dh * k["o"] * (1 - k["tc"] ** 2))[0])
            _, dh, dc, _ = reference.lstm_step_backward(dh, dc, caches[t])
        else:
            out_h.append(dh[0].copy())
            step = reference.gru_step_backward if cell == "gru" else reference.rnn_step_backward
            _, dh, _ = step(dh, caches[t])
    return np.array(out_h[::-1]), (np.array(out_c[::-1]) if cell == "lstm" else None)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("forget_bias, scale", [(0.0, 1.0), (3.0, 1.0), (0.0, 2.5)])
def test_the_norms_are_the_layers_bptt(cell, forget_bias, scale):
    res = flow.cell_flow(cell, steps=25, hidden=5, forget_bias=forget_bias, recurrent_scale=scale, seed=1)
    layer = flow.network(cell, 5, forget_bias, scale, seed=1)
    x, v = flow.inputs(25, 5, seed=1)
    want_h, want_c = _reference_steps(cell, layer, x, v)
    np.testing.assert_allclose(res["grads"]["dh"], want_h, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(res["dh"], np.linalg.norm(want_h, axis=1), rtol=1e-12, atol=1e-15)
    if cell == "lstm":
        np.testing.assert_allclose(res["grads"]["dc"], want_c, rtol=1e-12, atol=1e-15)


def _loss_from(cell, layer, x, v, t, h, c):
    """L = v . h_T when the state after step t (0-based) is (h, c): the reference cells run on from there."""
    W = _weights(layer)
    if t == x.shape[1] - 1:
        return float(h[0] @ v)
    _, hT, _, _ = reference.sequence(cell, x[:, t + 1 :], h, c, W)
    return float(hT[0] @ v)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_the_norms_are_the_true_derivatives_by_central_differences(cell):
    steps, H, eps = 12, 4, 1e-5
    res = flow.cell_flow(cell, steps=steps, hidden=H, forget_bias=1.0, seed=2)
    layer = flow.network(cell, H, 1.0, 1.0, seed=2)
    x, v = flow.inputs(steps, H, seed=2)
    zeros = np.zeros((1, H))
    _, _, _, caches = reference.sequence(cell, x, zeros, zeros if cell == "lstm" else None, _weights(layer))
    for t in (0, 5, steps - 1):
        h_t = caches[t + 1]["h"] if t + 1 < steps else None
        if h_t is None:  # the last step's state: run the whole sequence
            _, h_last, c_last, _ = reference.sequence(
                cell, x, zeros, zeros if cell == "lstm" else None, _weights(layer)
            )
            h_t, c_t = h_last, c_last
        else:
            c_t = caches[t + 1].get("c")
        num_h = np.zeros(H)
        for j in range(H):
            up, down = h_t.copy(), h_t.copy()
            up[0, j] += eps
            down[0, j] -= eps
            num_h[j] = (_loss_from(cell, layer, x, v, t, up, c_t) - _loss_from(cell, layer, x, v, t, down, c_t)) / (
                2 * eps
            )
        rel = np.linalg.norm(num_h - res["grads"]["dh"][t]) / np.linalg.norm(num_h)
        assert rel < 1e-6, (t, rel)
        if cell == "lstm":  # dL/dc_t moves h_t = o_t tanh(c_t) too
            o_t = caches[t]["o"]
            num_c = np.zeros(H)
            for j in range(H):
                up, down = c_t.copy(), c_t.copy()
                up[0, j] += eps
                down[0, j] -= eps
                lu = _loss_from(cell, layer, x, v, t, o_t * np.tanh(up), up)
                ld = _loss_from(cell, layer, x, v, t, o_t * np.tanh(down), down)
                num_c[j] = (lu - ld) / (2 * eps)
            rel = np.linalg.norm(num_c - res["grads"]["dc"][t]) / np.linalg.norm(num_c)
            assert rel < 1e-6, (t, rel)


def test_the_lessons_hold_vanishing_the_forget_path_exploding_and_truncation():
    plain = flow.gradient_flow(steps=30, hidden=8)
    kept = flow.gradient_flow(steps=30, hidden=8, forget_bias=3.0, cells=["lstm"])
    for cell in ("rnn", "lstm"):  # with the defaults the gradient 29 steps back is a millionth of the last one's
        assert plain[cell]["dh"][0] < 1e-4 * plain[cell]["dh"][-1]
    assert kept["lstm"]["dc"][0] > 0.1 * kept["lstm"]["dc"][-1]  # a forget gate near 1 carries it
    assert kept["lstm"]["dc"][0] > 1e4 * plain["lstm"]["dc"][0]
    big = flow.gradient_flow(steps=30, hidden=8, recurrent_scale=3.0, cells=["rnn"])  # W_hh large: it grows back
    assert big["rnn"]["dh"][0] > big["rnn"]["dh"][-1] > 0
    cut = flow.gradient_flow(steps=30, hidden=8, truncate=5)
    for res in cut.values():
        assert np.all(res["dh"][:25] == 0) and np.all(res["dh"][25:] > 0)
    np.testing.assert_allclose(cut["rnn"]["dh"][-1], plain["rnn"]["dh"][-1], rtol=1e-12)


def test_clipping_scales_every_step_by_one_factor_of_the_global_norm():
    big = flow.gradient_flow(steps=30, hidden=8, recurrent_scale=3.0, cells=["rnn", "lstm"])
    cut = flow.gradient_flow(steps=30, hidden=8, recurrent_scale=3.0, cells=["rnn", "lstm"], clip=0.5)
    for cell in ("rnn", "lstm"):
        layer = flow.network(cell, 8, 0.0, 3.0, seed=0)
        x, v = flow.inputs(30, 8, seed=0)
        y, _, cache = layer.forward(x)
        dy = np.zeros_like(y)
        dy[0, -1] = v
        _, _, grads = layer.backward(dy, cache)
        norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
        assert cut[cell]["grad_norm"] == pytest.approx(norm, rel=1e-12) and norm > 0.5
        assert cut[cell]["clip_factor"] == pytest.approx(0.5 / norm, rel=1e-12)
        np.testing.assert_allclose(cut[cell]["dh"], big[cell]["dh"] * 0.5 / norm, rtol=1e-12)
    small = flow.gradient_flow(steps=30, cells=["lstm"], clip=1e6)  # under the cap: untouched
    assert small["lstm"]["clip_factor"] == 1.0
    with pytest.raises(ValueError, match="clip"):
        flow.gradient_flow(clip=0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"steps": 0}, "steps"),
        ({"hidden": 2.5}, "hidden"),
        ({"truncate": 0}, "truncate"),
        ({"recurrent_scale": np.inf}, "scale"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        flow.gradient_flow(**kwargs)


def test_the_command_line_table_json_and_plot(tmp_path, capsys):
    assert main(["flow", "--steps", "10", "--every", "3"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("| t | RNN") and "LSTM \\|dL/dc_t\\|" in text and "| 10 |" in text
    assert main(["flow", "--steps", "10", "--cell", "lstm", "--forget-bias", "3", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    want = flow.gradient_flow(steps=10, forget_bias=3.0, cells=["lstm"])["lstm"]["dc"]
    np.testing.assert_allclose(doc["cells"]["lstm"]["dc"], want, rtol=1e-12)
    pytest.importorskip("matplotlib")
    png = tmp_path / "flow.png"
    assert main(["flow", "--steps", "8", "--plot", str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    capsys.readouterr()
    page = tmp_path / "flow.html"
    assert main(["flow", "--html", str(page)]) == 0
    text = page.read_text()
    assert "id='flow-data'" in text and "http" not in text.split("<body>")[1]  # one file, nothing fetched
    assert main(["flow", "--recurrent-scale", "inf"]) == 2
    assert "finite number" in capsys.readouterr().err


def test_the_pages_data_is_the_labs_numbers_at_every_setting():
    from recurrent.explain import flow_page as fp

    data = fp.flow_data()
    for j, fb in enumerate(fp.FORGET_BIASES[::3]):
        for k, sc in enumerate(fp.SCALES[::2]):
            res = flow.gradient_flow(fp.STEPS, fp.HIDDEN, fb, sc, None, 0)
            np.testing.assert_array_equal(data["lstm"][3 * j][2 * k], res["lstm"]["dh"])
            np.testing.assert_array_equal(data["lstm_dc"][3 * j][2 * k], res["lstm"]["dc"])
            np.testing.assert_array_equal(data["gru"][3 * j][2 * k], res["gru"]["dh"])
            np.testing.assert_array_equal(data["rnn"][2 * k], res["rnn"]["dh"])


def test_the_page_shows_the_chosen_setting_with_truncation(tmp_path):
    import re
    import shutil
    import subprocess

    from recurrent.explain import flow_page as fp

    browser = next(
        (shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None
    )
    if browser is None:
        pytest.skip("no Chromium")
    page = fp.to_html_flow().replace(
        "</body>",
        "<script>const set = (id, v) => { const el = document.getElementById(id); el.value = v;"
        " el.dispatchEvent(new Event('input')); }; set('fb', '5'); set('sc', '1'); set('trunc', '10');</script></body>",
    )
    path = tmp_path / "flow.html"
    path.write_text(page)
    out = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=3000", "--dump-dom",
         path.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    cells = re.findall(r'<td data-series="([^"]+)" data-t="(\d+)" data-value="([^"]+)">([^<]*)</td>', out.stdout)
    assert len(cells) == 20 and '<output id="fb-out">3</output>' in out.stdout
    res = flow.gradient_flow(fp.STEPS, fp.HIDDEN, 3.0, 1.0, None, 0)
    want = {"rnn": res["rnn"]["dh"], "gru": res["gru"]["dh"], "lstm": res["lstm"]["dh"], "lstm_dc": res["lstm"]["dc"]}
    for series, t, value, text in cells:
        t = int(t)
        expected = want[series][t - 1] if t > fp.STEPS - 10 else 0.0  # truncated at 10: nothing before step 31
        assert float(value) == expected and text == figure(expected), (series, t)

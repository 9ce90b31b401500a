"""Forecaster.explain: completeness of the attributions on every step of every series, the gradients behind them
against central differences and torch autograd, a known driver recovered, saved forecasters, new series, the
command line and bad input."""

import json

import numpy as np
import pytest

import recurrent
from recurrent import LSTM, Forecaster, LastStep, Linear, Patches, Sequential
from recurrent.cli import main
from recurrent.forecast import attribution
from recurrent.forecast.network import ForecastNet

H = 4


def _promo_panel(n=30, T=100, seed=0):
    """Series lifted by 60% whenever a promotion (known ahead) runs, and a past covariate of noise."""
    rng = np.random.default_rng(seed)
    Y, past, ahead, fut = {}, {}, {}, {}
    for k in range(n):
        promo = (rng.random(T + H) < 0.2).astype(float)
        y = 50 * np.exp(rng.normal(0, 0.03, T + H)) * (1 + 0.6 * promo)
        Y[k], ahead[k], fut[k] = y[:T], promo[:T, None], promo[T:, None]
        past[k] = rng.normal(size=(T, 1))
    return Y, past, ahead, fut


@pytest.fixture(scope="module")
def promo_fit():
    Y, past, ahead, fut = _promo_panel()
    f = Forecaster(horizon=H, seed=0, progress=False, max_steps=800, n_models=1, combine=0.7)
    f.fit(Y, past, future_covariates=ahead)
    return f, Y, past, fut


def test_every_step_of_every_series_is_complete_and_rebuilds_the_forecast(promo_fit):
    f, Y, _, fut = promo_fit
    ex = f.explain(futr_df=fut)
    pred = f.predict(futr_df=fut)
    assert set(ex) == set(Y) and f.weight_ == 0.7
    for k, e in ex.items():
        change = e.networks - e.baseline
        attributed = e.values.sum(1) + e.covariates.sum((1, 2)) + e.future.sum((1, 2))
        np.testing.assert_allclose(attributed + e.residual, change, rtol=0, atol=1e-12)
        assert np.all(np.abs(e.residual) <= 1e-6 * np.maximum(np.abs(change), 1e-3)), k  # completeness
        logf = e.weight * (e.level + e.baseline + attributed + e.residual) + (1 - e.weight) * e.theta
        np.testing.assert_allclose(logf, e.log_forecast, rtol=0, atol=1e-12)
        np.testing.assert_allclose(e.forecast, pred[k], rtol=2e-6)  # float64 networks against predict's float32
        units = e.units.sum(1) + e._to_units(e.covariates).sum((1, 2)) + e._to_units(e.future).sum((1, 2))
        base = np.exp(e.log_forecast - e.weight * change) - e.shift
        np.testing.assert_allclose(units, e.forecast - base, rtol=1e-6, atol=1e-9)
        assert e.covariates.shape[2] == 2 and e.future.shape == (H, H, 1)
    json.dumps(ex[0].to_json())


def test_the_promotion_is_the_top_attribution_where_it_runs(promo_fit):
    f, _, _, fut = promo_fit
    ex = f.explain(futr_df=fut)
    hits = [
        ex[k].top(h + 1, 1)[0][0] == f"{ex[k].future_names[0]} at forecast step {h + 1}"
        for k in ex
        for h in range(H)
        if fut[k][h, 0] == 1
    ]
    assert len(hits) >= 15 and np.mean(hits) >= 0.95


def _window_net(seed=0):
    rng = np.random.default_rng(seed)
    net = Sequential(
        [Patches(2), LSTM(6, 5, dtype=np.float64, seed=seed), LastStep(), Linear(5, 3, dtype=np.float64, seed=1)]
    )
    for p in net.params.values():
        p[...] = rng.normal(scale=0.5, size=p.shape)
    return net


def _fd_input_gradient(net, x, dy, eps=1e-6):
    g = np.zeros_like(x)
    flat, gf = x.reshape(-1), g.reshape(-1)
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        up = float(np.sum(dy * net.forward(x)[0]))
        flat[j] = old - eps
        down = float(np.sum(dy * net.forward(x)[0]))
        flat[j] = old
        gf[j] = (up - down) / (2 * eps)
    return g


@pytest.mark.parametrize("kind", ["window", "future"])
def test_the_input_gradients_equal_central_differences(kind):
    rng = np.random.default_rng(1)
    net = _window_net()
    if kind == "future":
        net = ForecastNet(net, Linear(2 * 3, 3, dtype=np.float64, seed=2), lookback=6, n_future=2)
        net.future.params["weight"][...] = rng.normal(size=(3, 6))
        x = rng.normal(size=(2, 6 + 3, 3))
        x[:, 6:, 2:] = 0.0  # the forecast steps' other channels are zero, as gather packs them
    else:
        x = rng.normal(size=(2, 6, 3))
    dy = rng.normal(size=(2, 3))
    got = attribution.input_gradients(net, x, dy)
    want = _fd_input_gradient(net, x.copy(), dy)
    if kind == "future":
        got, want = got[:, :, :], want  # the unused channels have zero gradient in both
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)


def test_the_input_gradients_equal_torch_autograd():
    torch = pytest.importorskip("torch")
    net = _window_net()
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 6, 3))
    dy = rng.normal(size=(3, 3))
    lstm = torch.nn.LSTM(6, 5, batch_first=True, dtype=torch.float64)
    head = torch.nn.Linear(5, 3, dtype=torch.float64)
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            p.copy_(torch.from_numpy(net.params[f"1.{name}"]))
        head.weight.copy_(torch.from_numpy(net.params["3.weight"]))
        head.bias.copy_(torch.from_numpy(net.params["3.bias"]))
    xt = torch.tensor(x, requires_grad=True)
    out = head(lstm(xt.reshape(3, 3, 6))[0][:, -1])
    (out * torch.from_numpy(dy)).sum().backward()
    np.testing.assert_allclose(attribution.input_gradients(net, x, dy), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_a_forecast_without_the_networks_says_so():
    rng = np.random.default_rng(6)
    Y = {k: 10 + rng.normal(0, 1, 30) for k in range(2)}
    f = Forecaster(horizon=3, seed=0, progress=False, max_steps=30, n_models=1, combine=0.0).fit(Y)
    e = f.explain()[0]
    assert e.weight == 0 and e.table().startswith("The networks have weight 0 here")
    np.testing.assert_allclose(np.log(e.forecast + e.shift), e.theta, rtol=1e-12)


def test_integrated_gradients_complete_a_network_from_its_baseline():
    net = _window_net(3)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 6, 3))
    x0 = attribution.naive_window(x, 6)
    rows = [(i, h) for i in range(4) for h in range(3)]
    a, fx, fx0, used = attribution.integrated_gradients(net, x, x0, rows, points=4)
    for r, (i, h) in enumerate(rows):
        assert abs(a[r].sum() - (fx[i, h] - fx0[i, h])) <= 1e-9 * max(abs(fx[i, h] - fx0[i, h]), 1e-3)
    assert used.min() >= 4 and used.max() <= 256  # too few nodes for some rows: doubled until complete


def test_a_saved_forecaster_explains_unseen_series_and_refuses_fallbacks(tmp_path):
    rng = np.random.default_rng(4)
    t = np.arange(60)
    Y = {f"s{k}": 100 + 10 * np.sin(2 * np.pi * t / 12 + k) + rng.normal(0, 1, 60) for k in range(6)}
    f = Forecaster(horizon=H, season=12, seed=0, progress=False, max_steps=100, n_models=1).fit(Y)
    f.save(tmp_path / "f.safetensors")
    g = recurrent.load(tmp_path / "f.safetensors")
    new = {"a": Y["s0"][:50] * 2.0, "short": np.array([1.0, 2.0]), "flat": np.full(30, 5.0)}
    with pytest.warns(UserWarning, match="2 series forecast by a fallback"):
        ex = g.explain(new)
    assert list(ex) == ["a"]
    with pytest.warns(UserWarning, match="shorter than min_length"):
        pred = g.predict(new)
    np.testing.assert_allclose(ex["a"].forecast, pred["a"], rtol=2e-6)
    np.testing.assert_allclose(ex["a"].values, f.explain(new, ids=["a"])["a"].values, rtol=1e-12)
    with pytest.raises(ValueError, match=r"'flat' is forecast by a fallback, naive \(a constant series\)"):
        g.explain(new, ids=["flat"])
    with pytest.raises(ValueError, match=r"unknown series id\(s\) 'nope'"):
        g.explain(ids=["nope"])
    with pytest.raises(ValueError, match="points"):
        g.explain(points=1)
    with pytest.raises(recurrent.forecast.NotFittedError):
        Forecaster(horizon=H).explain()


def test_explain_on_the_command_line(tmp_path, capsys):
    png = tmp_path / "why.png"
    code = main(["forecast", "--horizon", "6", "--steps", "60", "--explain", "--explain-plot", str(png), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "Why series" in out and "| 6 |" in out and png.read_bytes()[:4] == b"\x89PNG"
    assert main(["forecast", "--horizon", "6", "--steps", "60", "--explain", "--json", "--quiet"]) == 0
    doc = json.loads(capsys.readouterr().out)
    e = doc["explanation"]
    assert len(e["values"]) == 6 and len(e["positions"]) == len(e["values"][0])
    assert max(abs(r) for r in e["residual"]) < 1e-6
    assert main(["forecast", "--horizon", "6", "--steps", "60", "--explain", "nope", "--quiet"]) == 2
    assert "no such series" in capsys.readouterr().err
    page = tmp_path / "why.html"
    assert (
        main(["forecast", "--horizon", "6", "--steps", "60", "--explain", "--explain-html", str(page), "--quiet"]) == 0
    )
    assert "id='why-data'" in page.read_text()
    capsys.readouterr()
    assert main(["forecast", "--explain-plot", str(tmp_path / "x.png")]) == 2
    assert main(["forecast", "--explain-html", str(tmp_path / "x.html")]) == 2
    assert "goes with --explain" in capsys.readouterr().err


def test_the_page_shows_the_step_under_the_pointer_and_toggles_theta(tmp_path, promo_fit):
    import re
    import shutil
    import subprocess

    from recurrent.explain.tex import figure
    from recurrent.forecast import why_page

    browser = next(
        (shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None
    )
    if browser is None:
        pytest.skip("no Chromium")
    f, Y, _, fut = promo_fit
    e = f.explain(ids=[3], futr_df=fut)[3]
    edits = """<script>
      const c = document.querySelector('#chart circle[data-step="3"]');
      c.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
      const t = document.getElementById("theta"); t.checked = false; t.dispatchEvent(new Event("change"));
    </script>"""
    html = why_page.to_html(e, Y[3])
    assert "http" not in html.split("<body>")[1]
    path = tmp_path / "why.html"
    path.write_text(html.replace("</body>", edits + "</body>"))
    out = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=3000", "--dump-dom",
         path.as_uri()],
        capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    why = re.search(r'<p id="why"[^>]*data-step="(\d+)"[^>]*>(.*?)</p>', out, re.S)
    assert why and why.group(1) == "3"
    for what, _ in e.top(3, 5):
        assert what in why.group(2)
    assert "(the networks alone)" in why.group(2)
    shown = [float(v) for v in re.findall(r'<circle [^>]*data-value="([^"$]+)"', out)]
    np.testing.assert_allclose(shown, np.exp(e.level + e.networks) - e.shift, rtol=1e-12)
    cells = re.findall(r'<td data-step="(\d+)" data-pos="(\d+)" data-value="([^"$]+)"[^>]*>([^<]*)</td>', out)
    assert len(cells) == e.values.size
    for step, pos, value, text in cells[:40]:
        j = list(e.positions).index(int(pos))
        assert float(value) == e.values[int(step) - 1, j] and text == figure(float(value))


def test_series_with_dates_name_their_inputs_by_date(tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(7)
    rows = []
    for k in range(3):
        for i, d in enumerate(pd.date_range("2020-01-01", periods=48, freq="MS")):
            rows.append((f"s{k}", d, 100 + 10 * np.sin(i / 2) + rng.normal()))
    df = pd.DataFrame(rows, columns=["unique_id", "ds", "y"])
    f = Forecaster(horizon=3, seed=0, progress=False, max_steps=40, n_models=1).fit(df)
    e = f.explain(ids=["s1"])["s1"]
    dates = pd.date_range("2020-01-01", periods=48, freq="MS")
    assert e.labels == [str(dates[p].date()) for p in e.positions]
    assert all(what.startswith("value at 20") for what, _ in e.top(1, 3))
    assert e.to_json()["labels"] == e.labels
    csv = tmp_path / "s.csv"
    df.rename(columns={"unique_id": "id", "ds": "date"}).to_csv(csv, index=False)
    argv = ["forecast", str(csv), "--id-column", "id", "--date-column", "date", "--column", "y", "--horizon", "3"]
    assert main([*argv, "--steps", "40", "--models", "1", "--explain", "s2", "--quiet"]) == 0
    assert "value at 20" in capsys.readouterr().out

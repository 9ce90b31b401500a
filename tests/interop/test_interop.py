"""Interop: PyTorch, Keras and ONNX, each checked by its real runtime where installed."""

import importlib.util
import json

import numpy as np
import pytest

import recurrent
from conftest import HAVE_TORCH
from recurrent import GRU, LSTM, RNN, LastStep, Linear, LSTMState, Sequential
from recurrent.interop import from_keras, from_onnx, from_torch, to_keras, to_onnx, to_torch

HAVE_ONNX = importlib.util.find_spec("onnx") is not None and importlib.util.find_spec("onnxruntime") is not None
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed (pip install torch==2.13.0)")
needs_onnx = pytest.mark.skipif(not HAVE_ONNX, reason="onnx/onnxruntime not installed (pip install '.[onnx]')")


def configs(n=12, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        cell = ["lstm", "gru", "rnn"][k % 3]
        out.append(
            dict(
                cell=cell,
                D=int(rng.integers(1, 6)),
                H=int(rng.integers(1, 6)),
                L=int(rng.integers(1, 3)),
                bi=bool(k % 2),
                nonlin=["tanh", "relu"][(k // 3) % 2],
                seed=k,
            )
        )
    return out


def make(c, dtype=np.float64):
    kw = {"nonlinearity": c["nonlin"]} if c["cell"] == "rnn" else {}
    return {"lstm": LSTM, "gru": GRU, "rnn": RNN}[c["cell"]](
        c["D"], c["H"], num_layers=c["L"], bidirectional=c["bi"], dtype=dtype, seed=c["seed"], **kw
    )


def ours(layer, x):
    y, s = layer(x)
    return y, (s.h, s.c) if isinstance(s, LSTMState) else (s,)


# ---- PyTorch ---------------------------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("c", configs(), ids=lambda c: f"{c['cell']}-L{c['L']}-{'bi' if c['bi'] else 'uni'}")
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 1e-5)])
def test_torch_both_ways(c, dtype, tol):
    import torch

    torch.manual_seed(c["seed"])
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[c["cell"]]
    kw = {"nonlinearity": c["nonlin"]} if c["cell"] == "rnn" else {}
    tdt = torch.float64 if dtype == np.float64 else torch.float32
    tm = cls(c["D"], c["H"], num_layers=c["L"], bidirectional=c["bi"], batch_first=True, dtype=tdt, **kw)
    x = np.random.default_rng(c["seed"]).normal(size=(3, 4, c["D"])).astype(dtype)
    layer = from_torch(tm, dtype=dtype)
    yt, st = tm(torch.tensor(x))
    y, states = ours(layer, x)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=0, atol=tol)
    for a, b in zip(states, st if isinstance(st, tuple) else (st,)):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=0, atol=tol)
    # and back: a fresh layer of ours, exported, run by torch
    mine = make(c, dtype)
    back = to_torch(mine)
    assert isinstance(back, cls) and back.batch_first
    np.testing.assert_allclose(back(torch.tensor(x))[0].detach().numpy(), ours(mine, x)[0], rtol=0, atol=tol)
    # from a bare state_dict: the cell is inferred from the shapes
    again = from_torch(tm.state_dict(), nonlinearity=c["nonlin"])
    assert type(again) is type(layer) and again.num_layers == c["L"] and again.bidirectional == c["bi"]


def test_to_torch_without_torch_gives_a_state_dict():
    layer = LSTM(2, 3, num_layers=2, seed=0)
    sd = to_torch(layer, as_module=False)
    assert list(sd) == list(layer.params)
    assert type(from_torch(sd)) is LSTM


@needs_torch
def test_torch_refusals_and_sequential():
    import torch

    with pytest.raises(ValueError, match="proj_size=2 is not supported"):
        from_torch(torch.nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(TypeError, match="expected nn.LSTM, nn.GRU, nn.RNN or nn.Linear, got Conv1d"):
        from_torch(torch.nn.Conv1d(1, 1, 1))
    sd = torch.nn.GRU(3, 4).state_dict()
    with pytest.raises(ValueError, match="unexpected key 'extra'"):
        from_torch({**sd, "extra": torch.zeros(1)})
    del sd["weight_hh_l0"]
    with pytest.raises(ValueError, match="lacks 'weight_ih_l0' / 'weight_hh_l0'"):
        from_torch(sd)
    no_bias = torch.nn.LSTM(2, 3, bias=False, batch_first=True, dtype=torch.float64)
    x = np.random.default_rng(0).normal(size=(2, 3, 2))
    np.testing.assert_allclose(from_torch(no_bias)(x)[0], no_bias(torch.tensor(x))[0].detach().numpy(), atol=1e-12)
    m = Sequential([GRU(2, 3, dtype=np.float64, seed=0), LastStep(), Linear(3, 1, dtype=np.float64, seed=1)])
    tm = to_torch(m)
    np.testing.assert_allclose(tm(torch.tensor(x)).detach().numpy(), m.predict(x), rtol=0, atol=1e-12)


# ---- Keras -----------------------------------------------------------------------------------


def sig(a):
    return 1 / (1 + np.exp(-a))


def keras_lstm(x, kernel, rec, bias):
    """Keras' LSTM written out: gates (i, f, c, o), x @ kernel."""
    N, T, _ = x.shape
    H = rec.shape[0]
    h, c, ys = np.zeros((N, H)), np.zeros((N, H)), []
    for t in range(T):
        z = x[:, t] @ kernel + h @ rec + bias
        i, f, cc, o = sig(z[:, :H]), sig(z[:, H : 2 * H]), np.tanh(z[:, 2 * H : 3 * H]), sig(z[:, 3 * H :])
        c = f * c + i * cc
        h = o * np.tanh(c)
        ys.append(h)
    return np.stack(ys, 1)


def keras_gru(x, kernel, rec, bias):
    """Keras' GRU (reset_after=True) written out: gates (z, r, h), bias rows input/recurrent."""
    N, T, _ = x.shape
    H = rec.shape[0]
    h, ys = np.zeros((N, H)), []
    for t in range(T):
        mx = x[:, t] @ kernel + bias[0]
        mh = h @ rec + bias[1]
        z = sig(mx[:, :H] + mh[:, :H])
        r = sig(mx[:, H : 2 * H] + mh[:, H : 2 * H])
        hh = np.tanh(mx[:, 2 * H :] + r * mh[:, 2 * H :])
        h = z * h + (1 - z) * hh
        ys.append(h)
    return np.stack(ys, 1)


def keras_gru_reset_before(x, kernel, rec, bias):
    """Keras' GRU with reset_after=False written out: one bias, the reset gate on h before U_h."""
    N, T, _ = x.shape
    H = rec.shape[0]
    h, ys = np.zeros((N, H)), []
    for t in range(T):
        mx = x[:, t] @ kernel + bias
        z = sig(mx[:, :H] + h @ rec[:, :H])
        r = sig(mx[:, H : 2 * H] + h @ rec[:, H : 2 * H])
        hh = np.tanh(mx[:, 2 * H :] + (r * h) @ rec[:, 2 * H :])
        h = z * h + (1 - z) * hh
        ys.append(h)
    return np.stack(ys, 1)


def keras_rnn(x, kernel, rec, bias):
    h, ys = np.zeros((x.shape[0], rec.shape[0])), []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ rec + bias)
        ys.append(h)
    return np.stack(ys, 1)


@pytest.mark.parametrize(
    "cell,G,fn,bias_shape",
    [
        ("lstm", 4, keras_lstm, lambda H: (4 * H,)),
        ("gru", 3, keras_gru, lambda H: (2, 3 * H)),
        ("gru", 3, keras_gru_reset_before, lambda H: (3 * H,)),
        ("rnn", 1, keras_rnn, lambda H: (H,)),
    ],
    ids=["lstm", "gru", "gru-reset_after=False", "rnn"],
)
def test_keras_layout_matches_keras_equations_and_round_trips(cell, G, fn, bias_shape):
    rng = np.random.default_rng(1)
    D, H = 3, 4
    w = [rng.normal(size=(D, G * H)) * 0.5, rng.normal(size=(H, G * H)) * 0.5, rng.normal(size=bias_shape(H)) * 0.5]
    layer = from_keras(w, cell=cell)
    x = rng.normal(size=(2, 5, D))
    np.testing.assert_allclose(layer(x)[0], fn(x, *w), rtol=0, atol=1e-12)
    back = to_keras(layer)
    for a, b in zip(back, w):
        np.testing.assert_array_equal(a, b)


def test_keras_bidirectional_and_stacked():
    layer = LSTM(3, 2, num_layers=2, bidirectional=True, dtype=np.float64, seed=0)
    w = to_keras(layer)
    assert len(w) == 2 and len(w[0]) == 6 and w[1][0].shape == (4, 8)
    again = from_keras(w, cell="lstm", bidirectional=True)
    x = np.random.default_rng(0).normal(size=(2, 3, 3))
    np.testing.assert_allclose(again(x)[0], layer(x)[0], rtol=0, atol=1e-14)


def test_keras_refusals():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"GRU bias expected shape \(2, 6\) .* or \(6,\)"):
        from_keras([rng.normal(size=(2, 6)), rng.normal(size=(2, 6)), rng.normal(size=(3, 6))], cell="gru")
    with pytest.raises(ValueError, match=r"recurrent_kernel expected shape \(4, 16\), got \(4, 12\)"):
        from_keras([rng.normal(size=(3, 16)), rng.normal(size=(4, 12)), rng.normal(size=(16,))], cell="lstm")
    with pytest.raises(ValueError, match="expected 3 arrays"):
        from_keras([rng.normal(size=(3, 16)), rng.normal(size=(4, 16))], cell="lstm")
    with pytest.raises(ValueError, match="`cell` must be"):
        from_keras([np.zeros((1, 4))] * 3, cell="transformer")


# ---- ONNX ------------------------------------------------------------------------------------


def model_for(c, head):
    layer = make(c, np.float32)
    width = c["H"] * (2 if c["bi"] else 1)
    if head == "none":
        return layer
    if head == "last":
        return Sequential([layer, LastStep(), Linear(width, 2, seed=1)])
    return Sequential([layer, Linear(width, 2, seed=1)])


@needs_onnx
@pytest.mark.parametrize("c", configs(seed=1), ids=lambda c: f"{c['cell']}-L{c['L']}-{'bi' if c['bi'] else 'uni'}")
@pytest.mark.parametrize("head", ["none", "last", "per-step"])
def test_onnx_runs_in_onnxruntime_like_ours(tmp_path, c, head):
    import onnx
    import onnxruntime as ort

    m = model_for(c, head)
    path = tmp_path / "m.onnx"
    to_onnx(m, path)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.ir_version <= 10 and proto.opset_import[0].version == 14
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    layer = m if head == "none" else m.layers[0]
    for N, T in ((3, 5), (1, 9)):  # dynamic batch and time
        x = np.random.default_rng(N * T).normal(size=(N, T, c["D"])).astype(np.float32)
        outs = sess.run(None, {"x": x})
        y = layer(x)[0] if head == "none" else m.predict(x)
        np.testing.assert_allclose(outs[0], y, rtol=0, atol=1e-5)
        _, states = ours(layer, x)
        for got, want in zip(outs[1:], states):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    back = from_onnx(path)
    assert type(back) is type(m)
    for k, v in m.params.items():
        np.testing.assert_array_equal(back.params[k], v)


@needs_onnx
def test_onnx_opset_22():
    import onnxruntime as ort

    m = Sequential([GRU(2, 3, seed=0), LastStep(), Linear(3, 1, seed=1)])
    proto = to_onnx(m, None, opset=22)
    assert proto.ir_version == 10
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.ones((2, 4, 2), np.float32)
    np.testing.assert_allclose(sess.run(None, {"x": x})[0], m.predict(x), atol=1e-5)


@needs_onnx
@needs_torch
def test_torch_to_recurrent_to_onnx_end_to_end(tmp_path):
    import onnxruntime as ort
    import torch

    torch.manual_seed(0)
    tm = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)
    path = tmp_path / "t.onnx"
    to_onnx(from_torch(tm, dtype=np.float32), path)
    x = np.random.default_rng(0).normal(size=(4, 6, 3)).astype(np.float32)
    y_t, (h_t, c_t) = tm(torch.tensor(x))
    y, h, c = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    np.testing.assert_allclose(y, y_t.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(c, c_t.detach().numpy(), atol=1e-5)


@needs_onnx
@pytest.mark.parametrize(
    "attr,value,message",
    [
        ("activations", ["Sigmoid", "Swish", "Tanh"], "unknown activation 'Swish'"),
        ("activations", ["Sigmoid", "Tanh"], r"expected 3 activations \(3 per direction\)"),
        ("epsilon", 1.0, "attribute 'epsilon' is not an ONNX LSTM attribute"),
        ("direction", "sideways", "direction 'sideways'"),
    ],
)
def test_onnx_attributes_without_an_equivalent_are_named(tmp_path, attr, value, message):
    import onnx
    from onnx import helper

    proto = to_onnx(LSTM(2, 3, seed=0), None)
    node = next(n for n in proto.graph.node if n.op_type == "LSTM")
    for a in list(node.attribute):
        if a.name == attr:
            node.attribute.remove(a)
    node.attribute.append(helper.make_attribute(attr, value))
    path = tmp_path / "bad.onnx"
    onnx.save(proto, str(path))
    with pytest.raises(ValueError, match=message):
        from_onnx(path)


@needs_onnx
def test_onnx_constant_lengths_and_per_direction_activations_are_refused(tmp_path):
    from onnx import helper, numpy_helper

    proto = to_onnx(GRU(2, 3, seed=0), None)
    node = next(n for n in proto.graph.node if n.op_type == "GRU")
    proto.graph.initializer.append(numpy_helper.from_array(np.array([2], np.int32), "lens"))
    node.input.append("lens")
    with pytest.raises(ValueError, match="a constant sequence_lens .* make it a graph input"):
        from_onnx(proto)
    proto = to_onnx(GRU(2, 3, bidirectional=True, seed=0), None)
    node = next(n for n in proto.graph.node if n.op_type == "GRU")
    node.attribute.append(helper.make_attribute("activations", ["Sigmoid", "Tanh", "Sigmoid", "Relu"]))
    with pytest.raises(ValueError, match="the two directions use different activations"):
        from_onnx(proto)


# ---- command line ----------------------------------------------------------------------------


def _saved(tmp_path):
    m = Sequential([LSTM(3, 4, num_layers=2, bidirectional=True, seed=0), LastStep(), Linear(8, 2, seed=1)])
    path = tmp_path / "m.safetensors"
    m.save(path)
    return m, path


@needs_onnx
def test_cli_export_onnx_and_import_back(tmp_path, capsys):
    from recurrent.cli import main

    m, path = _saved(tmp_path)
    assert main(["export", str(path), "--to", "onnx", "-o", str(tmp_path / "m.onnx")]) == 0
    assert main(["import", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "back.safetensors")]) == 0
    back = recurrent.load(tmp_path / "back.safetensors")
    for k, v in m.params.items():
        np.testing.assert_array_equal(back.params[k], v)


def test_cli_export_torch_and_keras_layouts(tmp_path, capsys):
    from safetensors.numpy import load_file

    from recurrent.cli import main

    m, path = _saved(tmp_path)
    assert main(["export", str(path), "--to", "torch", "-o", str(tmp_path / "t.safetensors")]) == 0
    t = load_file(str(tmp_path / "t.safetensors"))
    assert set(t) == set(m.params)
    assert main(["import", str(tmp_path / "t.safetensors"), "-o", str(tmp_path / "t2.safetensors")]) == 0
    assert recurrent.load(tmp_path / "t2.safetensors").config() == m.config()
    assert main(["export", str(path), "--to", "keras", "-o", str(tmp_path / "k.safetensors")]) == 0
    k = load_file(str(tmp_path / "k.safetensors"))
    w = to_keras(m.layers[0])
    np.testing.assert_array_equal(k["layer1/backward/recurrent_kernel"], w[1][4])
    np.testing.assert_array_equal(k["2.kernel"], m.params["2.weight"].T)


def test_cli_import_a_plain_state_dict_and_bad_files(tmp_path, capsys):
    from safetensors.numpy import save_file

    from recurrent.cli import main

    save_file({k: np.ascontiguousarray(v) for k, v in GRU(2, 3, seed=0).params.items()}, str(tmp_path / "g.st"))
    assert main(["import", str(tmp_path / "g.st"), "-o", str(tmp_path / "g.safetensors"), "--last-step"]) == 0
    assert [type(x).__name__ for x in recurrent.load(tmp_path / "g.safetensors").layers] == ["GRU", "LastStep"]
    capsys.readouterr()
    (tmp_path / "junk.st").write_bytes(b"\x00" * 20)
    assert main(["import", str(tmp_path / "junk.st"), "-o", str(tmp_path / "x")]) == 2
    assert main(["import", str(tmp_path / "none.onnx"), "-o", str(tmp_path / "x")]) == 2
    assert main(["export", str(tmp_path / "g.st"), "--to", "onnx", "-o", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(e.startswith("recurrent") for e in err)


@needs_torch
def test_patched_sequential_in_torch():
    import torch

    m = Sequential(
        [recurrent.Patches(3), LSTM(6, 4, dtype=np.float64, seed=0), LastStep(), Linear(4, 2, dtype=np.float64, seed=1)]
    )
    x = np.random.default_rng(0).normal(size=(2, 9, 2))
    np.testing.assert_allclose(to_torch(m)(torch.tensor(x)).detach().numpy(), m.predict(x), rtol=0, atol=1e-12)


@needs_onnx
def test_patched_sequential_in_onnxruntime():
    import onnxruntime as ort

    m = Sequential([recurrent.Patches(3), GRU(6, 4, seed=0), LastStep(), Linear(4, 2, seed=1)])
    sess = ort.InferenceSession(to_onnx(m).SerializeToString(), providers=["CPUExecutionProvider"])
    for T in (3, 12):
        x = np.random.default_rng(T).normal(size=(2, T, 2)).astype(np.float32)
        np.testing.assert_allclose(sess.run(None, {"x": x})[0], m.predict(x), rtol=0, atol=1e-5)


def _recipe_forecast(folder, series, covariates=None):
    """The forecast of ``forecaster.json``'s recipe, run with onnxruntime and NumPy alone (Theta from the library)."""
    import json

    import onnxruntime as ort

    from recurrent.forecast.hybrid import log_theta

    desc = json.loads((folder / "forecaster.json").read_text())
    y = np.asarray(series, dtype=np.float64)
    shift = 0.0 if y.min() > 0 else -y.min() + np.mean(np.abs(y))
    z = np.log(y + shift)
    outs = []
    for net in desc["networks"]:
        L = net["lookback"]
        K = len(desc["covariates_mean"])
        x = np.zeros((1, L, 2 + K), np.float32)
        have = min(L, len(z))
        x[0, L - have :, 0] = z[-have:] - z[-1]
        x[0, : L - have, 1] = 1.0
        if K:
            c = (np.asarray(covariates, dtype=np.float64).reshape(len(y), K) - desc["covariates_mean"]) / desc[
                "covariates_std"
            ]
            x[0, L - have :, 2:] = c[-have:]
        sess = ort.InferenceSession(str(folder / net["file"]), providers=["CPUExecutionProvider"])
        outs.append(z[-1] + sess.run(None, {"x": x})[0][0].astype(np.float64))
    log_f = np.median(outs, axis=0)
    w = desc["combine"]["weight_on_networks"]
    if w < 1:
        log_f = w * log_f + (1 - w) * log_theta(y + shift, desc["horizon"], desc["season"])
    return np.exp(log_f) - shift


@needs_onnx
@pytest.mark.parametrize("combine", ["auto", 0.5])
def test_a_forecaster_exported_to_onnx_forecasts_the_same(tmp_path, combine):
    from recurrent import Forecaster

    rng = np.random.default_rng(0)
    t = np.arange(60)
    Y = {
        f"s{k}": 10 ** (1 + k) * (1 + 0.2 * np.sin(2 * np.pi * t / 4)) * np.exp(0.01 * t + 0.02 * rng.normal(size=60))
        for k in range(3)
    }
    Y["neg"] = np.sin(t / 3) - 0.5  # a shifted series
    f = Forecaster(
        horizon=4,
        season=4,
        lookbacks=[8, 30],
        hidden_size=6,
        n_models=2,
        max_steps=60,
        eval_every=20,
        patience=2,
        combine=combine,
        progress=False,
        seed=0,
    ).fit(Y)
    out = f.export_onnx(tmp_path / "exp")
    desc = json.loads((out / "forecaster.json").read_text())
    assert [n["patch"] for n in desc["networks"]] == [1, 1, 3, 3] and desc["season"] == 4
    assert sorted(p.name for p in out.iterdir()) == ["forecaster.json"] + [f"network{k}.onnx" for k in range(4)]
    fc = f.predict()
    for k, y in Y.items():
        np.testing.assert_allclose(_recipe_forecast(out, y), fc[k], rtol=1e-5)
    with pytest.raises(ValueError, match="exists and is not an empty folder"):
        f.export_onnx(out)
    with pytest.raises(ValueError, match="does not exist"):
        f.export_onnx(tmp_path / "no" / "exp")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no half-written folder left


@needs_onnx
def test_cli_exports_a_saved_forecaster(tmp_path, capsys):
    from recurrent.cli import main

    model = tmp_path / "f.safetensors"
    assert (
        main(
            [
                "forecast",
                "--horizon",
                "12",
                "--save",
                str(model),
                "--steps",
                "40",
                "--models",
                "1",
                "--hidden-size",
                "4",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["export", str(model), "--to", "onnx", "-o", str(tmp_path / "onnx")]) == 0
    assert "ONNX networks and forecaster.json" in capsys.readouterr().err
    y = recurrent.datasets.load("airline").values
    (fc,) = recurrent.load(model).predict().values()  # the CLI's one series, by its name
    np.testing.assert_allclose(_recipe_forecast(tmp_path / "onnx", y), fc, rtol=1e-5)
    assert main(["export", str(model), "--to", "onnx", "-o", str(tmp_path / "onnx")]) == 2
    assert main(["export", str(model), "--to", "torch", "-o", str(tmp_path / "t.safetensors")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "not an empty folder" in err[0] and "export it with --to onnx" in err[1]


@needs_onnx
def test_an_exported_forecaster_with_covariates_forecasts_the_same(tmp_path):
    from recurrent import Forecaster

    rng = np.random.default_rng(0)
    Y = {f"s{k}": 50 * (k + 1) * np.exp(0.05 * rng.normal(size=40)) for k in range(4)}
    C = {k: rng.normal(size=(40, 2)) for k in Y}
    f = Forecaster(
        horizon=3,
        season=1,
        lookbacks=[6],
        hidden_size=5,
        n_models=1,
        max_steps=40,
        eval_every=20,
        patience=2,
        combine="networks",
        progress=False,
        seed=0,
    ).fit(Y, covariates=C)
    out = f.export_onnx(tmp_path / "exp")
    fc = f.predict()
    for k in Y:
        np.testing.assert_allclose(_recipe_forecast(out, Y[k], C[k]), fc[k], rtol=1e-5)

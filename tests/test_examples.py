"""The short examples run and print what their docstrings promise."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import recurrent

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(name):
    """Run an example to its end: no time limit (a loaded machine is slow, not wrong)."""
    r = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_scalar_lstm_training():
    out = run("scalar_lstm_training.py")
    assert "|4 - y| < 0.01 after 80 SGD steps" in out and "predicts 4.0000" in out


def test_scalar_rnn_bptt():
    out = run("scalar_rnn_bptt.py")
    values = dict(line.strip().split(": ") for line in out.splitlines() if line.startswith(("dL_", "  W_", "  b_")))
    assert abs(float(values["dL_dWx"]) - -0.16062445174417353) <= 1e-12
    assert abs(float(values["dL_dbh"]) - -0.8041053042318597) <= 1e-12
    assert abs(float(values["W_x"]) - 0.5016062445174417) <= 1e-12


@pytest.mark.parametrize("name", ["vector_lstm.py"])
def test_vector_lstm(name):
    out = run(name)
    first = float(out.splitlines()[0].split("Loss: ")[1])
    last = float(out.splitlines()[-1].split("Loss: ")[1])
    assert last < 0.5 * first


@pytest.mark.slow
def test_forecast_airline():
    out = run("forecast_airline.py")  # two default fits
    rmse = float(out.split("model: RMSE")[1].split()[0])
    assert rmse < 25 and "The model beats seasonal naive" in out
    assert len(out.splitlines()[-1].split()) == 13  # "1961:" and twelve values
    bands = [tuple(map(float, b.split("-"))) for b in out.splitlines()[-2].split(":")[1].split()]
    values = [float(v) for v in out.splitlines()[-1].split()[1:]]
    assert len(bands) == 12 and all(lo < v < hi for (lo, hi), v in zip(bands, values))


def test_char_model_learns_the_text():
    sys.path.insert(0, str(EXAMPLES))
    from char_model import main

    hist, acc = main(["--epochs", "25"])
    assert hist.loss[-1] < 0.5 * hist.loss[0] and acc > 0.6


@pytest.mark.filterwarnings("ignore:Forecaster.predict. 1 series shorter")
@pytest.mark.parametrize("combine, share", [("auto", None), (0.5, None), (0.5, 0.5)])
def test_the_onnx_recipe_runs_with_numpy_and_onnxruntime_alone(tmp_path, combine, share):
    """examples/onnx_forecast.py (no recurrent import) gives predict's forecast and intervals to 1e-5, the Theta
    member included when the weight on the networks is below 1 (damped toward Naive2 where its share is below 1); a
    constant or short series its fallback."""
    pytest.importorskip("onnxruntime")
    import importlib.util

    spec = importlib.util.spec_from_file_location("onnx_forecast", EXAMPLES / "onnx_forecast.py")
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    rng = np.random.default_rng(0)
    t = np.arange(60)
    Y = {k: 100 + 20 * np.sin(2 * np.pi * t / 12 + k) + 0.5 * t + rng.normal(0, 3, 60) for k in range(6)}
    Y["neg"] = rng.normal(0, 5, 60)
    f = recurrent.Forecaster(horizon=6, season=12, seed=0, progress=False, max_steps=200, n_models=2,
                             combine=combine).fit(Y)  # fmt: skip
    if share is not None:
        f.theta_share_ = share
    folder = f.export_onnx(tmp_path / "onnx")
    new = {"a": Y[0][:50] * 1.5, "b": Y["neg"], "c": np.full(30, 7.0), "d": np.array([1.0, 2.0])}
    want = f.predict(new, level=[80, 95])
    assert combine == "auto" or f.weight_ == 0.5
    for k, y in new.items():
        got = recipe.forecast(folder, y)
        for name in ("forecast", "lo-80", "hi-80", "lo-95", "hi-95"):
            np.testing.assert_allclose(got[name], want[k][name], rtol=1e-5, atol=1e-6, err_msg=f"{k} {name}")

"""The short examples run and print what their docstrings promise."""

import subprocess
import sys
from pathlib import Path

import pytest

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

"""The README's Python examples run as written (the slow one under the slow marker)."""

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def run_block(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, str(README), "exec"), namespace)
    return namespace


def test_the_readme_has_its_examples():
    assert len(BLOCKS) >= 2 and "Forecaster" in BLOCKS[0] and "recurrent.LSTM" in BLOCKS[1]


def test_the_layers_example_runs_and_its_comments_hold(tmp_path, monkeypatch, capsys):
    ns = run_block(BLOCKS[1], tmp_path, monkeypatch)
    assert ns["y"].shape == (4, 10, 16) and ns["state"].h.shape == ns["state"].c.shape == (4, 4, 8)
    assert set(ns["grads"]) == set(ns["lstm"].params)
    assert "ok" in capsys.readouterr().out


@pytest.mark.slow
def test_the_forecasting_example_runs(tmp_path, monkeypatch, capsys):
    ns = run_block(BLOCKS[0], tmp_path, monkeypatch)
    assert "The model beats seasonal naive" in capsys.readouterr().out
    assert np.all(ns["forecaster"].predict() > 300) and (tmp_path / "airline.safetensors").exists()

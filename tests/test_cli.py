"""The command line: output, exit codes, one-line errors."""

import json
import subprocess
import sys

import pytest

from recurrent.cli import main


def test_gradcheck_json(capsys):
    assert main(["gradcheck", "--cell", "rnn", "--layers", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["max_error"] < 1e-6
    assert "weight_hh_l1" in data["errors"]


@pytest.mark.parametrize("argv", [["gradcheck", "--layers", "0"], ["nope"], ["gradcheck", "--cell", "lsmt"], []])
def test_bad_arguments_exit_2_with_one_line(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    if argv:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_python_dash_m_and_help():
    r = subprocess.run([sys.executable, "-m", "recurrent", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and all(c in r.stdout for c in ("forecast", "predict", "trace", "explain", "gradcheck"))
    r = subprocess.run([sys.executable, "-m", "recurrent", "gradcheck", "--steps", "x"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


FAST = ["--models", "1", "--epochs", "20", "--hidden-size", "8", "--quiet"]


def test_forecast_json_on_the_bundled_series(capsys):
    assert main(["forecast", "--holdout", "12", "--json", *FAST]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["forecast"]) == 12 and data["dates"][0] == "1960-01"
    assert set(data["metrics"]) == {"model", "naive", "seasonal_naive"}
    assert set(data["metrics"]["model"]) == {"rmse", "mae", "mase"}
    assert round(data["metrics"]["naive"]["rmse"], 2) == 102.98
    assert round(data["metrics"]["seasonal_naive"]["rmse"], 2) == 50.71


def test_forecast_table_save_and_predict(tmp_path, capsys):
    csv = tmp_path / "s.csv"
    t = range(80)
    csv.write_text("year;value\n" + "".join(f"{1900 + k};{20 + (k % 10) + 0.1 * k:.2f}\n" for k in t))
    model = tmp_path / "f.safetensors"
    assert main(["forecast", str(csv), "--horizon", "5", "--season", "10", "--save", str(model), *FAST]) == 0
    out = capsys.readouterr().out
    assert "the next 5 values" in out and "1980" in out and "1984" in out
    assert main(["predict", str(model), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert len(again["forecast"]) == 5
    assert main(["predict", str(model), str(csv), "--horizon", "7", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["forecast"]) == 7


@pytest.mark.parametrize("content,message", [
    ("", "the file is empty"),
    ("a,b\n", "no data rows after the header"),
    ("a,b\n1,2\n2,x\n", "line 3, column 'b': 'x' is not a number"),
    ("a,b\n1,2\n2\n", "line 3: expected 2 fields"),
    ("a,b\n" + "".join(f"{k},{k + 1}\n" for k in range(10)), "the series has 10 values"),
])
def test_forecast_bad_csv_exits_2_with_one_line(tmp_path, capsys, content, message):
    csv = tmp_path / "bad.csv"
    csv.write_text(content)
    assert main(["forecast", str(csv), *FAST]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_missing_files_and_wrong_model_kinds(tmp_path, capsys):
    assert main(["forecast", str(tmp_path / "nope.csv"), *FAST]) == 2
    assert "no such file" in capsys.readouterr().err
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a model at all")
    assert main(["predict", str(junk)]) == 2
    assert "not a recurrent file" in capsys.readouterr().err


def test_forecast_plot_writes_a_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "f.png"
    assert main(["forecast", "--holdout", "12", "--plot", str(out), *FAST]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

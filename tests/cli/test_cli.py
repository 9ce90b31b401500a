"""The command line: output, exit codes, one-line errors."""

import json
import subprocess
import sys

import numpy as np
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


FAST = ["--models", "1", "--steps", "60", "--hidden-size", "8", "--quiet"]


def test_forecast_json_on_the_bundled_series(capsys):
    assert main(["forecast", "--holdout", "12", "--json", *FAST]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["forecast"]) == 12 and data["dates"][0] == "1960-01"
    assert set(data["metrics"]) == {"model", "naive", "seasonal_naive", "naive2"}
    assert {"smape", "mase", "mape", "rmse"} <= set(data["metrics"]["model"])
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


@pytest.mark.parametrize(
    "content,message",
    [
        ("", "the file is empty"),
        ("a,b\n", "no data rows after the header"),
        ("a,b\n1,2\n2,x\n", "line 3, column 'b': 'x' is not a number"),
        ("a,b\n1,2\n2\n", "line 3: expected 2 fields"),
        ("a,b\n" + "".join(f"{k},{k + 1}\n" for k in range(10)), "--horizon 12 is longer than the 10 values"),
    ],
)
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
    svg = tmp_path / "f.svg"
    assert main(["forecast", "--plot", str(svg), *FAST]) == 0
    assert b"<svg" in svg.read_bytes()[:500]  # the suffix chooses the format


def test_forecast_plot_has_dates_a_close_up_and_the_baselines(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib.dates as mdates

    import recurrent.plot

    figures = []
    monkeypatch.setattr(recurrent.plot, "save_figure", lambda fig, path: figures.append(fig))
    csv = tmp_path / "weekly.csv"
    start = np.datetime64("2015-01-04")
    t = np.arange(400)
    y = 100 + 0.05 * t + 5 * np.sin(2 * np.pi * t / 52)
    csv.write_text("ds,y\n" + "".join(f"{start + 7 * k},{v:.3f}\n" for k, v in zip(t, y)))
    assert main(["forecast", str(csv), "--holdout", "26", "--plot", str(tmp_path / "p.png"), *FAST]) == 0
    (fig,) = figures
    whole, close = fig.axes
    labels = whole.get_legend_handles_labels()[1]
    assert labels == ["history", "held out (actual)", "seasonal naive", "naive2", "forecast"]
    lo, hi = (np.datetime64(mdates.num2date(v).date()) for v in close.get_xlim())  # a date axis
    first_shown = start + 7 * (374 - 3 * 52)  # the last 3 seasons before the forecast
    assert first_shown - 14 <= lo <= first_shown and start + 7 * 399 <= hi <= start + 7 * 410
    assert np.datetime64(mdates.num2date(whole.get_xlim()[0]).date()) <= start


def _long_csv(tmp_path, n_series=4, length=30, sep=",", dec="."):
    rng = np.random.default_rng(0)
    lines = [sep.join(["unique_id", "ds", "y"])]
    for k in range(n_series):
        level = 10 ** (k + 1)
        for t in range(length - 3 * k):
            v = level * (1 + 0.01 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 4)) * np.exp(0.01 * rng.normal())
            lines.append(sep.join([f"s{k}", f"{2000 + t // 4}Q{t % 4 + 1}", f"{v:.2f}".replace(".", dec)]))
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_forecast_long_file_holdout_aggregate_and_output_csv(tmp_path, capsys):
    path = _long_csv(tmp_path)
    out = tmp_path / "fc.csv"
    assert (
        main(["forecast", str(path), "--id-column", "unique_id", "--holdout", "4", "-o", str(out), "--json", *FAST])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["n_series"] == 4 and data["season"] == 4  # from the 2000Q1 labels
    assert data["wins"] + data["losses"] + data["ties"] == 4
    assert set(data["metrics"]) == {"model", "naive", "seasonal_naive", "naive2"}
    lines = out.read_text().splitlines()
    assert lines[0] == "unique_id,ds,recurrent,y" and len(lines) == 1 + 4 * 4
    assert lines[1].startswith("s0,2006Q3,")
    assert main(["forecast", str(path), "--id-column", "unique_id", "--horizon", "3", *FAST]) == 0
    text = capsys.readouterr().out
    assert "s3: the next 3 values" in text and "2005Q" in text


def test_forecast_wide_file_and_european_numbers(tmp_path, capsys):
    wide = tmp_path / "wide.csv"
    rows = (
        ["month;a;b"]
        + [f"2001-{m:02d};{100 + m},{m};{50 + 2 * m},5" for m in range(1, 13)]
        + [f"2002-{m:02d};{112 + m},{m};{74 + 2 * m},5" for m in range(1, 13)]
    )
    wide.write_text("\n".join(rows) + "\n")
    assert main(["forecast", str(wide), "--wide", "--horizon", "2", "--json", *FAST]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["forecasts"]) == {"a", "b"} and data["dates"]["a"] == ["2003-01", "2003-02"]
    assert main(["forecast", str(wide), "--columns", "b", "--decimal", ".", "--horizon", "2", *FAST]) == 2
    assert "use --decimal ," in capsys.readouterr().err
    path = _long_csv(tmp_path, sep=";", dec=",")
    assert main(["forecast", str(path), "--id-column", "unique_id", "--horizon", "2", "--json", *FAST]) == 0
    assert len(json.loads(capsys.readouterr().out)["forecasts"]) == 4


@pytest.mark.parametrize(
    "body,message",
    [
        ("a,2000,1\na,2000,2\n", "line 3, id 'a': date '2000' appears twice"),
        ("a,2001,1\na,2000,2\n", "line 3, id 'a': date '2000' comes after '2001'"),
        (",2000,1\n", "line 2: no id in column 'unique_id'"),
        ("a,2000,x\n", "line 2, id 'a': 'x' is not a number"),
        ("a,2000,\n", "line 2, id 'a': missing value"),
    ],
)
def test_bad_long_files_exit_2_naming_the_line_and_id(tmp_path, capsys, body, message):
    path = tmp_path / "bad.csv"
    path.write_text("unique_id,ds,y\n" + body)
    assert main(["forecast", str(path), "--id-column", "unique_id", *FAST]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_outputs_are_checked_before_fitting(tmp_path, capsys):
    assert main(["forecast", "--save", str(tmp_path / "nope" / "m.safetensors"), *FAST]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["forecast", "--plot", str(tmp_path / "f.xyz"), *FAST]) == 2
    assert "expected a .png" in capsys.readouterr().err
    assert main(["forecast", str(tmp_path), *FAST]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main(["forecast", "--holdout", "1000", *FAST]) == 2
    err = capsys.readouterr().err
    assert "leaves fewer than 2 values" in err and "fitting" not in err


def test_holdout_then_save_refits_on_everything_and_predict_says_what_it_forecasts(tmp_path, capsys):
    model = tmp_path / "m.safetensors"
    assert main(["forecast", "--holdout", "12", "--save", str(model), *FAST[:-1]]) == 0
    assert "refitting on every value" in capsys.readouterr().err
    assert main(["predict", str(model)]) == 0
    captured = capsys.readouterr()
    assert "after the series it was fitted on" in captured.err
    assert main(["predict", str(model), "--column", "x"]) == 2
    assert "need a CSV file" in capsys.readouterr().err


def test_messages_a_newcomer_meets(tmp_path, capsys):
    import recurrent

    assert recurrent.interop.from_torch is not None  # as the README writes it
    csv = tmp_path / "sales.csv"
    csv.write_text("a,b\n1,2\n")
    assert main(["predict", str(csv)]) == 2
    assert "not a recurrent file: it is text (it starts 'a,b\\n1,2\\n')" in capsys.readouterr().err
    model = tmp_path / "f.safetensors"
    assert main(["forecast", "--horizon", "4", "--save", str(model), *FAST]) == 0
    capsys.readouterr()
    assert main(["import", str(model), "-o", str(tmp_path / "x.safetensors")]) == 2
    assert "is a forecaster (use it with predict, or export --to onnx)" in capsys.readouterr().err
    tsv = tmp_path / "t.tsv"
    tsv.write_text("t\ty\n" + "".join(f"{k}\t{10 + k % 4}\n" for k in range(40)))
    assert main(["forecast", str(tsv), "--delimiter", "tab", "--horizon", "2", *FAST]) == 0
    assert "(y): the next 2 values" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["forecast", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "the recurrent cell (default lstm)" in text and "{',',';',tab}" in text


def test_more_bad_input_is_one_line(tmp_path, capsys):
    assert main(["explain", "--inputs", "1;2,3"]) == 2
    assert "every step needs the same number of values, got 1, 2" in capsys.readouterr().err
    assert main(["forecast", "--columns", "a,b", *FAST]) == 2
    assert "--columns reads a CSV file; name one" in capsys.readouterr().err
    model, short = tmp_path / "f.safetensors", tmp_path / "short.csv"
    assert main(["forecast", "--horizon", "4", "--save", str(model), *FAST]) == 0
    capsys.readouterr()
    short.write_text("t,y\n1,5\n")
    assert main(["predict", str(model), str(short)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["recurrent: error: Forecaster.predict: every series has fewer than 2 values (the longest has 1)"]


def test_main_leaves_the_callers_warning_display_alone(capsys):
    import warnings

    before = warnings.showwarning
    assert main(["gradcheck", "--json"]) == 0
    assert warnings.showwarning is before
